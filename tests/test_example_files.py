"""The files an admin copies to deploy Respite: the example roster, docker-compose.yml, the
Dockerfile and its .dockerignore. They must work as shipped, and agree with the code."""

from __future__ import annotations

import fnmatch
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli.main import main
from bot.config import (
    DepartmentConfig,
    OrganisationConfig,
    RosterConfig,
    Settings,
    load_roster,
)
from bot.storage.db import async_url
from tests.support.dockerfile import dockerfile_instructions

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "respite.example.yaml"
SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,}")
ENTRA_OBJECT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def test_example_roster_parses_and_shows_every_field() -> None:
    roster = load_roster(EXAMPLE)
    raw: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    teams = {t.id: t for t in roster.teams}
    assert len(teams) == len(raw["teams"]) >= 2

    # Every field of a team appears somewhere in the example, so it documents them all.
    shown = set().union(*(t.keys() for t in raw["teams"]))
    assert shown == set(type(roster.teams[0]).model_fields)
    # Both chat platforms, each with ids of its own kind.
    assert {t.platform for t in roster.teams} == {"slack", "teams"}
    for team in roster.teams:
        people = [*team.members, *team.leads]
        pattern = SLACK_USER if team.platform == "slack" else ENTRA_OBJECT_ID
        assert all(pattern.fullmatch(p) for p in people), team.id
    # The organisation and departments, with every key they take.
    # `instrument` is shown commented out: it names a file the admin supplies.
    assert set(raw) | {"instrument"} == set(RosterConfig.model_fields)
    assert "\n# instrument: " in EXAMPLE.read_text()
    assert set(raw["organisation"]) == set(OrganisationConfig.model_fields)
    assert set().union(*(d.keys() for d in raw["departments"])) == set(
        DepartmentConfig.model_fields
    )
    assert roster.organisation.leads and all(d.leads for d in roster.departments)
    sources = {t.members_from.to_source().kind for t in roster.teams if t.members_from}
    assert sources == {"channel", "usergroup"}
    assert any(t.members for t in roster.teams)
    pulses = [t["pulse"] for t in raw["teams"] if "pulse" in t]
    assert pulses and all(set(p) == {"cron", "open_hours", "remind_after_hours"} for p in pulses)
    resources = [r for t in roster.teams for r in t.resources]
    assert any(r.url for r in resources) and any(r.text for r in resources)
    assert all(t.min_group_size >= 5 for t in roster.team_list)
    # A lead need not be a member, and nobody is in two teams (the loader checks the latter).
    assert {t.id for t in roster.team_list if t.leads} == set(teams)


def test_example_roster_passes_check_config(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RESPITE_CONFIG", str(EXAMPLE))
    assert main(["check-config"]) == 0
    out = capsys.readouterr().out
    assert "5 team(s)" in out
    assert "harbour (teams," in out
    assert "members from usergroup" in out and "members from channel" in out


def test_example_roster_is_the_one_named_when_a_roster_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RESPITE_CONFIG", str(tmp_path / "respite.yaml"))
    assert main(["check-config"]) == 2
    assert EXAMPLE.name in capsys.readouterr().err


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def test_compose_runs_respite_on_postgres_16() -> None:
    services = _compose()["services"]
    db, app = services["db"], services["respite"]
    assert db["image"].startswith("postgres:16")
    assert any(v.endswith(":/var/lib/postgresql/data") for v in db["volumes"])
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert app["depends_on"]["db"]["condition"] == "service_healthy"

    env = app["environment"]
    url = env["DATABASE_URL"].replace("${POSTGRES_PASSWORD:-respite}", "respite")
    assert url.startswith("postgresql://")
    assert async_url(url).drivername == "postgresql+psycopg"
    assert url.rsplit("/", 1)[1] == db["environment"]["POSTGRES_DB"]
    assert url.split("@", 1)[1].startswith("db:5432/")

    # The roster is mounted where RESPITE_CONFIG points; the secrets come from an env file.
    mounts = {v.split(":")[1]: v.split(":")[0] for v in app["volumes"]}
    assert env["RESPITE_CONFIG"] in mounts
    assert app["env_file"]
    example_env = (ROOT / ".env.example").read_text()
    settings_fields = {name.upper() for name in Settings.model_fields}
    for line in example_env.splitlines():
        if line and not line.startswith("#"):
            name = line.split("=", 1)[0]
            assert name in settings_fields, f"{name} in .env.example is not a setting"
    assert "SLACK_BOT_TOKEN=" in example_env and "SLACK_SIGNING_SECRET=" in example_env
    assert app["ports"] == [f"{env['PORT']}:3000"]


def test_dockerfile_is_multi_stage_non_root_and_serves() -> None:
    steps = dockerfile_instructions()
    stages = [rest for word, rest in steps if word == "FROM"]
    assert len(stages) == 2
    assert all(s.startswith("${PYTHON_IMAGE}") for s in stages)
    assert ("ARG", "PYTHON_IMAGE=python:3.11-slim") in steps
    runtime = steps[[i for i, (w, _) in enumerate(steps) if w == "FROM"][-1] :]
    users = [rest for word, rest in runtime if word == "USER"]
    assert users and users[-1].split(":")[0] not in ("0", "root")
    assert ("EXPOSE", "3000") in runtime
    assert json.loads(dict(runtime)["ENTRYPOINT"]) == ["respite"]
    assert json.loads(dict(runtime)["CMD"]) == ["serve"]
    env = " ".join(rest for word, rest in runtime if word == "ENV")
    assert "PYTHONUNBUFFERED=1" in env
    assert re.search(r"PORT=3000\b", env)
    assert "/healthz" in dict(runtime)["HEALTHCHECK"]


def test_dockerfile_gives_matplotlib_a_writable_config_dir_and_names_both_platforms() -> None:
    """Digest charts import matplotlib, which needs a writable config dir; the non-root user has
    no home, so MPLCONFIGDIR points inside /app/data, which that user owns."""
    steps = dockerfile_instructions()
    runtime = steps[[i for i, (w, _) in enumerate(steps) if w == "FROM"][-1] :]
    env = " ".join(rest for word, rest in runtime if word == "ENV")
    found = re.search(r"MPLCONFIGDIR=(\S+)", env)
    assert found and found.group(1).startswith("/app/data/")
    run = " ".join(rest for word, rest in runtime if word == "RUN")
    assert f"mkdir -p {found.group(1)}" in run
    assert "chown -R respite:respite /app/data" in run
    user_at = [i for i, (w, _) in enumerate(runtime) if w == "USER"][-1]
    assert max(i for i, (w, _) in enumerate(runtime) if w == "RUN") < user_at
    label = dict(runtime)["LABEL"]
    assert "Slack and Microsoft Teams" in label


def test_env_example_covers_both_platforms_and_the_secret() -> None:
    text = (ROOT / ".env.example").read_text()
    for name in ("SLACK_BOT_TOKEN", "MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD", "RESPITE_SECRET"):
        assert re.search(rf"^#? ?{name}=", text, re.M), name
        assert name.lower() in Settings.model_fields, name
    assert "RESPITE_SECRET" in (ROOT / "docker-compose.yml").read_text()


def test_dockerignore_keeps_what_the_build_copies() -> None:
    """Whitelist rules: everything the Dockerfile COPYs from the context is let through, and
    local databases, virtualenvs and tests are not."""
    rules = [
        ln.strip()
        for ln in (ROOT / ".dockerignore").read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    ]

    def ignored(path: str) -> bool:
        result = False
        for rule in rules:
            negate = rule.startswith("!")
            pattern = rule.lstrip("!").rstrip("/")
            pattern = pattern.removeprefix("**/")
            parts = path.split("/")
            hit = any(
                fnmatch.fnmatch("/".join(parts[: i + 1]), pattern)
                or fnmatch.fnmatch(parts[i], pattern)
                for i in range(len(parts))
            )
            if hit:
                result = not negate
        return result

    copied = [
        src
        for word, rest in dockerfile_instructions()
        if word == "COPY" and "--from" not in rest
        for src in rest.split()[:-1]
    ]
    assert copied
    for src in copied:
        assert not ignored(src), src
        assert (ROOT / src).exists() or src == "README.md", src
    assert not ignored("bot/storage/migrations/versions/0001_initial.py")
    assert not ignored("bot/data/respite-pulse.yaml")
    for local in (".venv/bin/python", "tests/conftest.py", "respite.db", ".env", ".git/HEAD"):
        assert ignored(local), local
    assert ignored("bot/__pycache__/cli.cpython-311.pyc")
