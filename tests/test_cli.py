"""The `respite` command line, run as a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import EXAMPLE_SECRET_PLACEHOLDER
from tests.support.cli import arun, cli_env, run
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.roster import AROUND_THE_CLOCK, CLINICIANS, LEAD, roster_data

SECRET = "cli-tests-server-secret-0123456789abcdef"


def test_check_config_accepts_a_good_roster(tmp_path: Path) -> None:
    result = run(["check-config"], cli_env(tmp_path, roster_data()))
    assert result.returncode == 0, result.stderr
    assert "riverside (slack, UTC): 8 member(s)" in result.stdout


def test_check_config_warns_of_several_rounds_a_week(tmp_path: Path) -> None:
    twice = roster_data(pulse={"cron": "0 10 * * mon,thu", "open_hours": 72})
    result = run(["check-config"], cli_env(tmp_path, twice))
    assert result.returncode == 0, result.stderr
    assert "starts up to 2 rounds a week" in result.stdout
    once = run(["check-config"], cli_env(tmp_path, roster_data()))
    assert "rounds a week" not in once.stdout


def test_check_config_names_team_and_field(tmp_path: Path) -> None:
    roster = roster_data(min_group_size=2, timezone="Mars/Olympus")
    roster["teams"].append(
        {
            "id": "harbour",
            "name": "Harbour",
            "members": [CLINICIANS[0]],
            "pulse": {"cron": "every monday"},
        }
    )
    result = run(["check-config"], cli_env(tmp_path, roster))
    assert result.returncode == 2
    err = result.stderr
    assert "team 'riverside': min_group_size: must be at least 3" in err
    assert "team 'riverside': timezone: unknown time zone 'Mars/Olympus'" in err
    assert "team 'harbour': pulse.cron: not a valid cron expression" in err


def test_check_config_refuses_a_member_in_two_teams(tmp_path: Path) -> None:
    roster = roster_data()
    roster["teams"].append({"id": "harbour", "name": "Harbour", "members": [CLINICIANS[0]]})
    result = run(["check-config"], cli_env(tmp_path, roster))
    assert result.returncode == 2
    assert (
        f"team 'harbour': members: {CLINICIANS[0]} is already a member of team 'riverside'"
        in result.stderr
    )


def test_missing_roster_is_a_clear_error(tmp_path: Path) -> None:
    env = cli_env(tmp_path, roster_data())
    env["RESPITE_CONFIG"] = str(tmp_path / "nope.yaml")
    result = run(["check-config"], env)
    assert result.returncode == 2
    assert "roster file not found" in result.stderr


async def test_pulse_open_close_and_digest_from_the_command_line(
    tmp_path: Path, fake_slack: FakeSlackApi
) -> None:
    env = cli_env(
        tmp_path,
        roster_data(min_group_size=3, **AROUND_THE_CLOCK),
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_API_URL=fake_slack.url,
        RESPITE_SECRET=SECRET,
    )
    code, out, err = await arun(["db", "upgrade"], env)
    assert code == 0, err
    code, out, err = await arun(["pulse", "open", "--team", "riverside"], env)
    assert code == 0, err
    assert "8 invitation(s) queued" in out
    assert "8 message(s) sent now" in out
    assert {c.params["channel"] for c in fake_slack.called("chat.postMessage")} == set(CLINICIANS)
    # Opening again sends nothing new.
    code, out, _ = await arun(["pulse", "open", "--team", "riverside"], env)
    assert "0 invitation(s) queued" in out
    assert len(fake_slack.called("chat.postMessage")) == len(CLINICIANS)

    code, out, err = await arun(["digest", "--team", "riverside", "--format", "json"], env)
    assert code == 1
    assert "no frozen period yet" in err

    code, out, err = await arun(["pulse", "close", "--team", "riverside"], env)
    assert code == 0, err
    assert "closed; answers re-written in random order" in out
    assert "suppressed (too few responses)" in out
    assert fake_slack.called("chat.postMessage")[-1].params["channel"] == LEAD

    code, out, err = await arun(["digest", "--team", "riverside", "--format", "json"], env)
    assert code == 0, err
    data = json.loads(out)
    assert data["team"] == "riverside"
    assert data["suppressed"] is True
    assert data["respondents"] is None
    assert data["min_group_size"] == 3
    assert data["dimensions"] == {}
    assert data["round"]

    code, out, err = await arun(["digest", "--team", "nowhere"], env)
    assert code == 2
    assert "no team with id 'nowhere'" in err


@pytest.mark.parametrize("secret", [None, "", EXAMPLE_SECRET_PLACEHOLDER])
async def test_pulse_refuses_without_the_server_secret(
    tmp_path: Path, fake_slack: FakeSlackApi, secret: str | None
) -> None:
    """A round closed under a throwaway secret would freeze its period with release marks no
    later week can be compared with, so `pulse` refuses before it opens or closes anything."""
    env = cli_env(
        tmp_path,
        roster_data(min_group_size=3, **AROUND_THE_CLOCK),
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_API_URL=fake_slack.url,
    )
    env.pop("RESPITE_SECRET", None)
    if secret is not None:
        env["RESPITE_SECRET"] = secret
    code, _, err = await arun(["db", "upgrade"], env)
    assert code == 0, err
    for action in ("open", "close"):
        code, out, err = await arun(["pulse", action, "--team", "riverside"], env)
        assert code == 2, out
        assert err.startswith("error: RESPITE_SECRET is "), err
        assert "set the server's own" in err
        assert "Traceback" not in err
    assert fake_slack.called("chat.postMessage") == []


def test_demo_runs_six_weeks_and_leaves_nothing_behind(tmp_path: Path) -> None:
    env = cli_env(tmp_path, roster_data())
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.count("══ Week") == 6
    assert "Not enough responses this round" in out
    assert out.count("Respite digest · Riverside Therapy") == 6
    assert "already checked in" in out
    assert list(tmp_path.iterdir()) == [tmp_path / "respite.yaml"]


def test_demo_keeps_its_database_when_asked(tmp_path: Path) -> None:
    env = cli_env(tmp_path, roster_data())
    target = tmp_path / "kept.db"
    result = run(["demo", "--db", str(target)], env)
    assert result.returncode == 0, result.stderr
    assert target.exists()
    assert f"kept at {target}" in result.stdout


def test_an_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    env = cli_env(tmp_path, roster_data(), DATABASE_WAIT_SECONDS="1")
    env["DATABASE_URL"] = "postgresql://postgres@127.0.0.1:1/none"
    result = run(["db", "upgrade"], env)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1
    assert (
        "the database at postgresql+psycopg://postgres@127.0.0.1:1/none is not reachable"
        in lines[0]
    )
    assert "Traceback" not in result.stderr


def test_a_team_may_not_take_the_organisation_s_id(tmp_path: Path) -> None:
    result = run(["check-config"], cli_env(tmp_path, roster_data(id="organisation")))
    assert result.returncode == 2
    assert "team 'organisation': id: 'organisation' names the whole organisation" in result.stderr
