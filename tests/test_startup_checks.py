"""Start-up checks: Slack and Microsoft are asked whether they accept our credentials before
`serve` or `pulse` sends anything; a refusal stops the command with one line, an unreachable
service is a warning. Read-only commands keep quiet about what only a server needs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app.compose import build
from bot.cli.serve import start_up
from bot.config import ConfigError, Settings, load_settings, parse_roster
from tests.support.cli import arun, cli_env
from tests.support.fakes.entra import FakeEntra
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.msteams_harness import teams_roster
from tests.support.roster import AROUND_THE_CLOCK, roster_data
from tests.support.slack_driver import SIGNING_SECRET

APP_ID = "00000000-0000-0000-0000-00000000a11d"
APP_SECRET = "the-right-client-secret"


def _refused(error: str) -> Any:
    return lambda params: {"ok": False, "error": error}


def _slack(database_url: str, api_url: str, token: str = "xoxb-test") -> Settings:
    return Settings(
        database_url=database_url,
        slack_bot_token=token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=api_url,
    )


async def test_pulse_open_with_a_refused_token_stops_before_anything_is_queued(
    tmp_path: Path, fake_slack: FakeSlackApi
) -> None:
    env = cli_env(
        tmp_path,
        roster_data(min_group_size=3, **AROUND_THE_CLOCK),
        SLACK_BOT_TOKEN="xoxb-placeholder",
        SLACK_API_URL=fake_slack.url,
        RESPITE_SECRET="startup-checks-server-secret-0123456789abcdef",
    )
    fake_slack.responders["auth.test"] = _refused("invalid_auth")
    code, out, err = await arun(["pulse", "open", "--team", "riverside"], env)
    assert code == 2
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: SLACK_BOT_TOKEN: Slack refused it (invalid_auth); copy the Bot User OAuth Token "
        "(xoxb-…) from your app's OAuth & Permissions page"
    ]
    assert "Traceback" not in err
    assert "waiting in the outbox" not in out
    assert fake_slack.called("chat.postMessage") == []

    # With a token Slack accepts, the round opens now: nothing was opened or queued before.
    del fake_slack.responders["auth.test"]
    code, out, err = await arun(["pulse", "open", "--team", "riverside"], env)
    assert code == 0, err
    assert "8 invitation(s) queued" in out


async def test_a_user_token_is_refused(sqlite_url: str, fake_slack: FakeSlackApi) -> None:
    fake_slack.responders["auth.test"] = lambda params: {
        "ok": True,
        "user_id": "UHUMAN1",
        "team_id": "T0001",
    }
    respite = await build(
        _slack(sqlite_url, fake_slack.url, "xoxp-a-person"), roster=parse_roster(roster_data())
    )
    try:
        with pytest.raises(ConfigError) as refused:
            await start_up(respite)
        assert len(refused.value.errors) == 1
        assert "not a bot token" in refused.value.errors[0]
    finally:
        await respite.close()


async def test_an_accepted_token_is_one_info_line(
    sqlite_url: str, fake_slack: FakeSlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    respite = await build(_slack(sqlite_url, fake_slack.url), roster=parse_roster(roster_data()))
    try:
        with caplog.at_level(logging.INFO, logger="bot.platforms.startup"):
            await start_up(respite)
        assert [r.getMessage() for r in caplog.records if r.name == "bot.platforms.startup"] == [
            "Slack: signed in as UBOT in Test clinic"
        ]
        assert len(fake_slack.called("auth.test")) == 1
    finally:
        await respite.close()


async def test_slack_out_of_reach_is_a_warning_and_start_up_goes_on(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    respite = await build(
        _slack(sqlite_url, "http://127.0.0.1:1/api/"), roster=parse_roster(roster_data())
    )
    try:
        with caplog.at_level(logging.WARNING):
            await start_up(respite)
        warnings = [r.getMessage() for r in caplog.records if r.name == "bot.platforms.startup"]
        assert len(warnings) == 1
        assert warnings[0].startswith("Slack: cannot reach http://127.0.0.1:1/api/")
        assert "starting anyway" in warnings[0]
    finally:
        await respite.close()


@pytest.fixture
async def entra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeEntra]:
    fake = FakeEntra(tmp_path, {APP_ID: APP_SECRET})
    await fake.start()
    # requests (inside msal) trusts the fake's certificate the way a hospital's proxy CA is
    # trusted: through REQUESTS_CA_BUNDLE.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(fake.cert))
    yield fake
    await fake.close()


def _teams(database_url: str, authority: str, password: str, **extra: Any) -> Settings:
    return Settings(
        database_url=database_url,
        microsoft_app_id=APP_ID,
        microsoft_app_password=password,
        microsoft_login_url=authority,
        **extra,
    )


async def test_teams_credentials_are_checked_with_entra(
    sqlite_url: str, entra: FakeEntra, caplog: pytest.LogCaptureFixture
) -> None:
    roster = parse_roster(teams_roster())
    respite = await build(_teams(sqlite_url, entra.authority(), APP_SECRET), roster=roster)
    try:
        with caplog.at_level(logging.INFO, logger="bot.platforms.startup"):
            await start_up(respite)
        assert f"Teams: signed in as app {APP_ID}" in caplog.messages
        [grant] = entra.token_requests
        assert grant["grant_type"] == "client_credentials"
        assert grant["scope"] == "https://api.botframework.com/.default"
    finally:
        await respite.close()

    wrong = await build(_teams(sqlite_url, entra.authority(), "an-expired-secret"), roster=roster)
    try:
        with pytest.raises(ConfigError) as refused:
            await start_up(wrong)
        assert refused.value.errors == [
            "MICROSOFT_APP_ID / MICROSOFT_APP_PASSWORD: Microsoft Entra refused them "
            "(invalid_client: AADSTS7000215: Invalid client secret provided. Ensure the secret "
            "being sent in the request is the client secret value, not the client secret ID.)"
        ]
    finally:
        await wrong.close()


def test_a_single_tenant_app_without_its_tenant_is_one_settings_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MICROSOFT_APP_ID", APP_ID)
    monkeypatch.setenv("MICROSOFT_APP_TYPE", "SingleTenant")
    monkeypatch.delenv("MICROSOFT_APP_TENANT_ID", raising=False)
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert refused.value.errors == [
        "MICROSOFT_APP_TENANT_ID: a SingleTenant app needs its tenant id (the Directory "
        "(tenant) ID on the app registration's overview page)"
    ]


async def test_entra_out_of_reach_is_a_warning(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    respite = await build(
        _teams(sqlite_url, "https://127.0.0.1:1/botframework.com", APP_SECRET),
        roster=parse_roster(teams_roster()),
    )
    try:
        with caplog.at_level(logging.WARNING):
            await start_up(respite)
        warnings = [r.getMessage() for r in caplog.records if r.name == "bot.platforms.startup"]
        assert len(warnings) == 1
        assert warnings[0].startswith("Teams: cannot reach https://127.0.0.1:1/botframework.com")
    finally:
        await respite.close()


async def test_notices_are_for_commands_that_serve_or_send(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        respite = await build(
            Settings(database_url=sqlite_url), roster=parse_roster(teams_roster())
        )
    try:
        # Building is quiet: a digest or a check builds the same way and needs neither.
        assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
        with caplog.at_level(logging.WARNING):
            await start_up(respite)
        said = " ".join(caplog.messages)
        assert "RESPITE_SECRET is not set" in said
        assert "TEAMS AUTHENTICATION IS OFF" in said
    finally:
        await respite.close()


async def test_a_digest_says_nothing_about_secrets_or_emulator_mode(tmp_path: Path) -> None:
    env = cli_env(tmp_path, teams_roster())
    env.pop("RESPITE_SECRET", None)
    env.pop("MICROSOFT_APP_ID", None)
    code, _, err = await arun(["digest", "--team", "harbour"], env)
    assert code == 1  # nothing frozen yet
    assert err.strip().splitlines()[-1] == "harbour: no frozen period yet"
    assert " WARNING " not in err
    assert "RESPITE_SECRET" not in err
    assert "AUTHENTICATION" not in err


async def test_slack_bolt_does_not_warn_of_an_unused_token(
    sqlite_url: str,
    fake_slack: FakeSlackApi,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # bolt reads SLACK_BOT_TOKEN from the environment, as a deployment sets it.
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    with caplog.at_level(logging.WARNING):
        respite = await build(
            _slack(sqlite_url, fake_slack.url), roster=parse_roster(roster_data())
        )
    try:
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    finally:
        await respite.close()
