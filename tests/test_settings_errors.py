"""A bad environment variable is one clear line and exit code 2, never a traceback or a secret;
`.env.example` works as shipped, and `respite demo` runs whatever the environment holds."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.config import EXAMPLE_SECRET_PLACEHOLDER
from tests.support.cli import ROOT, cli_env, run
from tests.support.roster import roster_data

# Variables these tests set, taken out of the inherited environment first.
_OURS = (
    "RESPITE_SECRET",
    "TICK_INTERVAL_SECONDS",
    "OUTBOX_CONCURRENCY",
    "CALENDAR_ALLOW_PRIVATE",
    "LOG_LEVEL",
    "MICROSOFT_APP_ID",
    "MICROSOFT_APP_PASSWORD",
    "MICROSOFT_APP_TENANT_ID",
    "MICROSOFT_APP_TYPE",
)


def _clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in cli_env(tmp_path, roster_data()).items() if k not in _OURS}
    env.update(extra)
    return env


def _errors(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert "Traceback" not in result.stderr
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


def _example_env() -> dict[str, str]:
    """The variables `cp .env.example .env` gives docker compose."""
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value
    return values


def test_a_bad_number_is_one_line_naming_the_variable(tmp_path: Path) -> None:
    result = run(["check-config"], _clean_env(tmp_path, TICK_INTERVAL_SECONDS="abc"))
    assert result.returncode == 2
    assert _errors(result) == [
        "error: TICK_INTERVAL_SECONDS: expected a number of seconds greater than 0, got 'abc'"
    ]
    assert result.stderr.strip() == _errors(result)[0]


@pytest.mark.parametrize(
    "command", [["check-config"], ["db", "upgrade"], ["pulse", "open", "--team", "riverside"]]
)
def test_every_bad_variable_has_its_own_line_in_every_command(
    tmp_path: Path, command: list[str]
) -> None:
    env = _clean_env(
        tmp_path,
        TICK_INTERVAL_SECONDS="abc",
        OUTBOX_CONCURRENCY="100",
        CALENDAR_ALLOW_PRIVATE="maybe",
        LOG_LEVEL="loud",
        MICROSOFT_APP_TYPE="Single",
    )
    result = run(command, env)
    assert result.returncode == 2
    assert sorted(_errors(result)) == [
        "error: CALENDAR_ALLOW_PRIVATE: expected true or false, got 'maybe'",
        "error: LOG_LEVEL: expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got 'loud'",
        "error: MICROSOFT_APP_TYPE: expected one of MultiTenant, SingleTenant, got 'Single'",
        "error: OUTBOX_CONCURRENCY: expected a whole number from 1 to 64, got '100'",
        "error: TICK_INTERVAL_SECONDS: expected a number of seconds greater than 0, got 'abc'",
    ]
    assert not (tmp_path / "r.db").exists()


def test_a_short_secret_is_named_and_never_printed(tmp_path: Path) -> None:
    secret = "s3cr3t-but-too-short-4567"
    result = run(["check-config"], _clean_env(tmp_path, RESPITE_SECRET=secret))
    assert result.returncode == 2
    errors = _errors(result)
    assert len(errors) == 1
    assert errors[0].startswith("error: RESPITE_SECRET: expected at least 32 characters")
    assert "secrets.token_hex(32)" in errors[0]
    assert secret not in result.stderr + result.stdout
    assert "s3cr3t" not in result.stderr + result.stdout


def test_the_shipped_env_example_passes_check_config(tmp_path: Path) -> None:
    example = _example_env()
    assert example["RESPITE_SECRET"] == EXAMPLE_SECRET_PLACEHOLDER
    result = run(["check-config"], _clean_env(tmp_path, **example))
    assert result.returncode == 0, result.stderr
    assert "riverside (slack, UTC)" in result.stdout
    assert not _errors(result)


def test_serve_refuses_the_example_s_placeholder_secret_in_one_line(tmp_path: Path) -> None:
    result = run(["serve", "--port", "0"], _clean_env(tmp_path, **_example_env()))
    assert result.returncode == 2
    assert _errors(result) == [
        "error: RESPITE_SECRET is still the example's placeholder: generate one with "
        "`python3 -c 'import secrets; print(secrets.token_hex(32))'`"
    ]
    assert not (tmp_path / "r.db").exists()


def test_an_empty_secret_counts_as_not_set(tmp_path: Path) -> None:
    env = _clean_env(tmp_path, RESPITE_SECRET="")
    assert run(["check-config"], env).returncode == 0
    result = run(["serve", "--port", "0"], env)
    assert result.returncode == 2
    errors = _errors(result)
    assert len(errors) == 1 and errors[0].startswith("error: RESPITE_SECRET is not set")


def test_demo_runs_whatever_the_environment_holds(tmp_path: Path) -> None:
    env = _clean_env(
        tmp_path,
        TICK_INTERVAL_SECONDS="abc",
        OUTBOX_CONCURRENCY="0",
        LOG_LEVEL="loud",
        RESPITE_SECRET="short",
        DATABASE_URL="not a database url",
    )
    result = run(["demo", "--db", str(tmp_path / "demo.db")], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("══ Week") == 6
    assert "error:" not in result.stderr
