"""The audit log: a lead's `/respite digest` in Slack, `respite digest --as` and the HTML export,
`respite export`, `pulse open` and `forget` each leave an entry (who, what, which group, when),
and `respite audit` prints them; nothing about an answer is in it, and no code path but
retention and erasure changes or removes an entry."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import arun
from tests.support.department import ROSTER, ask, audit_entries, audit_env, run_round
from tests.support.slack_harness import SlackHarness

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def harness_roster() -> dict[str, Any]:
    return ROSTER


async def test_digest_reads_and_admin_commands_are_audited(
    slack_app: SlackHarness, database_url: str, tmp_path: Path
) -> None:
    await run_round(slack_app)
    assert await audit_entries(database_url) == []  # the weekly digests sent are not reads
    clinician = await ask(slack_app, "UA00001", "digest riverside")
    assert "Digests are for leads" in clinician
    read_at = slack_app.clock.now()
    own = await ask(slack_app, "ULEADA1", "digest")
    assert "Respondents: 7 of 8" in own
    await ask(slack_app, "UDEPT01", "digest")
    logged = await audit_entries(database_url)
    assert [(e.actor, e.action, e.subject, e.via) for e in logged] == [
        ("slack:ULEADA1", "digest.read", "riverside", "chat"),
        ("slack:UDEPT01", "digest.read", "adult", "chat"),
    ]
    assert logged[0].at == read_at  # a lead's read is kept to the moment

    env = audit_env(tmp_path, database_url)
    code, _, err = await arun(["digest", "--team", "riverside", "--as", "slack:ULEADA1"], env)
    assert code == 0, err
    html = tmp_path / "d.html"
    as_html = ["digest", "--department", "adult", "--format", "html", "--out", str(html)]
    code, _, err = await arun(as_html, env)
    assert code == 0, err
    code, _, err = await arun(["export", "--format", "csv", "--out", str(tmp_path / "f.csv")], env)
    assert code == 0, err
    code, _, err = await arun(["forget", "--platform", "slack", "--user", "UGONE99"], env)
    assert code == 0, err

    code, out, err = await arun(["audit"], env)
    assert code == 0, err
    lines = out.splitlines()
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ  slack:ULEADA1  digest\.read  riverside  \(chat\)",
        lines[0],
    )
    assert any("slack:ULEADA1  digest.read  riverside  (cli)" in line for line in lines)
    # The operator's HTML export of a department: the department and each of its teams.
    html_reads = [line for line in lines if line.endswith("(html)")]
    dept = next(d for d in ROSTER["departments"] if d["id"] == "adult")
    assert {line.split("  ")[3] for line in html_reads} == {"adult", *dept["teams"]}
    assert all(line.split("  ")[1].startswith("cli:") for line in html_reads)
    assert any("digest.export  every group, newest 6 period(s)  (csv)" in line for line in lines)
    # An erasure is audited, never whom it erased.
    forget = [line for line in lines if "  forget  " in line]
    assert len(forget) == 1 and "UGONE99" not in out
    # Nothing about answers: no score, no item, no respondent count.
    for word in ("drained", "caseload", "Respondents", "7 of 8"):
        assert word not in out

    later = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")
    code, out, _ = await arun(["audit", "--since", later], env)
    assert code == 0 and out == ""
    code, _, err = await arun(["audit", "--since", "yesterday"], env)
    assert code == 2 and "YYYY-MM-DD" in err


async def test_pulse_open_is_audited(database_url: str, tmp_path: Path) -> None:
    env = audit_env(tmp_path, database_url)
    code, _, err = await arun(["pulse", "open", "--team", "riverside"], env)
    assert code == 0, err
    logged = await audit_entries(database_url)
    assert [(e.action, e.subject, e.via) for e in logged] == [("pulse.open", "riverside", "cli")]
    assert logged[0].actor.startswith("cli:")


def test_no_code_changes_or_removes_audit_entries_but_retention_and_erasure() -> None:
    allowed = {"bot/storage/retention.py", "bot/storage/forget.py"}
    pattern = re.compile(
        r"\b(update|delete)\(\s*audit_log\b|UPDATE audit_log|DELETE FROM audit_log"
    )
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("bot", "handlers", "scheduler")
        for path in (ROOT / folder).rglob("*.py")
        if pattern.search(path.read_text()) and str(path.relative_to(ROOT)) not in allowed
    ]
    assert offenders == []
    for name in allowed:
        assert pattern.search((ROOT / name).read_text()), f"{name} no longer touches the log?"
