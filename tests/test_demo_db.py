"""`respite demo --db PATH` keeps what `respite digest` reads back: databases with their rosters."""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.demo.run import KeptFiles
from tests.support.cli import ROOT, run


@dataclass(frozen=True)
class DemoRun:
    db: Path
    env: dict[str, str]
    out: str
    commands: list[tuple[dict[str, str], list[str]]]


def _clean_env() -> dict[str, str]:
    """The environment without a deployment's settings: the demo's files must be enough."""
    drop = ("SLACK_", "DATABASE_", "MICROSOFT_", "RESPITE_")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


def _command(line: str) -> tuple[dict[str, str], list[str]]:
    """A printed `NAME=value ... respite ARGS` line as its environment and its arguments."""
    words = shlex.split(line)
    at = words.index("respite")
    assignments = dict(word.split("=", 1) for word in words[:at])
    return assignments, words[at + 1 :]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    db = tmp_path_factory.mktemp("kept") / "demo.db"
    env = _clean_env()
    result = run(["demo", "--db", str(db)], env)
    assert result.returncode == 0, result.stderr
    lines = [line.strip() for line in result.stdout.splitlines()]
    commands = [_command(line) for line in lines if line.startswith("RESPITE_CONFIG=")]
    return DemoRun(db, env, result.stdout, commands)


def _digest(demo: DemoRun, index: int, *extra: str) -> tuple[int, str, str]:
    assignments, args = demo.commands[index]
    result = run([*args, *extra], demo.env | assignments)
    return result.returncode, result.stdout, result.stderr


def test_the_demo_keeps_two_databases_with_their_rosters(demo: DemoRun) -> None:
    kept = KeptFiles.beside(demo.db)
    folder = demo.db.parent
    assert sorted(p.name for p in folder.iterdir()) == [
        "demo-department.db",
        "demo-department.yaml",
        "demo.db",
        "demo.yaml",
    ]
    assert f"kept at {demo.db}, its roster at {kept.roster}" in demo.out
    assert "The Teams and break-prompt parts keep nothing" in demo.out
    assert [shlex.join(["respite", *args]) for _, args in demo.commands] == [
        "respite digest --team demo --as console:u-lee",
        "respite digest --department adult --as console:u-dana",
    ]
    assert demo.commands[0][0] == {
        "RESPITE_CONFIG": str(kept.roster),
        "DATABASE_URL": f"sqlite:///{demo.db}",
    }


def test_the_team_lead_reads_back_the_digest_the_demo_showed(demo: DemoRun) -> None:
    code, out, err = _digest(demo, 0)
    assert code == 0, err
    assert out.startswith("┌ Respite digest · Riverside Therapy · 2027-W06")
    assert "Respondents: 7 of 8 (88%)" in out
    # Line for line what the lead received in the demo's sixth week.
    week6 = demo.out[demo.out.index("══ Week 6") : demo.out.index("══ Recognition week")]
    shown = [line.strip() for line in out.splitlines() if line.strip()]
    assert all(line in week6 for line in shown), [x for x in shown if x not in week6]

    code, out, err = _digest(demo, 0, "--format", "json")
    assert code == 0, err
    assert '"respondents": 7' in out


def test_the_department_lead_reads_back_the_department_and_its_teams(demo: DemoRun) -> None:
    code, out, err = _digest(demo, 1)
    assert code == 0, err
    assert out.startswith("┌ Respite digest · department · Adult Services · 2027-W09")
    assert "Riverside Therapy: 7 of 8 answered" in out
    assert "Harbour Trauma Service: not shown" in out
    assert "Lighthouse Counselling: not shown" in out
    assert "6 of 7" not in out and "3 of 5" not in out
    assert out.count("┌ Respite digest") == 4  # the department and its three teams


def test_only_leads_read_the_demo_s_digests(demo: DemoRun) -> None:
    assignments, _ = demo.commands[0]
    result = run(["digest", "--team", "demo", "--as", "console:u-ana"], demo.env | assignments)
    assert result.returncode == 3
    assert result.stdout == ""
    assignments, _ = demo.commands[1]
    args = ["digest", "--team", "harbour", "--as", "console:u-lead-harbour"]
    result = run(args, demo.env | assignments)
    assert result.returncode == 0, result.stderr
    assert "Harbour Trauma Service" in result.stdout and "Not enough responses" in result.stdout


def test_the_written_rosters_pass_check_config(demo: DemoRun) -> None:
    for (assignments, _), teams in zip(demo.commands, (1, 3), strict=True):
        result = run(["check-config"], demo.env | {"RESPITE_CONFIG": assignments["RESPITE_CONFIG"]})
        assert result.returncode == 0, result.stderr
        assert f": {teams} team(s)" in result.stdout


def test_the_demo_does_not_write_over_kept_files(demo: DemoRun) -> None:
    kept = KeptFiles.beside(demo.db)
    before = {p: p.stat().st_mtime_ns for p in kept.paths()}
    result = run(["demo", "--db", str(demo.db)], demo.env)
    assert result.returncode == 2
    assert "already" in result.stderr and str(demo.db) in result.stderr
    assert result.stdout == ""
    assert {p: p.stat().st_mtime_ns for p in kept.paths()} == before


def test_the_readme_shows_the_commands_the_demo_prints() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    try_it = readme[readme.index("## Try it") : readme.index("\n## ", readme.index("## Try it"))]
    assert "respite demo --db demo.db" in try_it
    for name in ("demo.yaml", "demo-department.db", "demo-department.yaml"):
        assert f"`{name}`" in try_it
    for command in KeptFiles.beside(Path("demo.db")).commands():
        assert re.search(rf"^{re.escape(command)}$", try_it, re.MULTILINE), command
