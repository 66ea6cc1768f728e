"""Several Slack workspaces through OAuth: the install page and Slack's redirect back, the code
exchanged at the fake Web API's oauth.v2.access, the installation kept in Respite's database, and
a pulse round for two teams in two workspaces, each sent with its own workspace's bot token."""

from __future__ import annotations

import base64
from urllib.parse import urlencode

import pytest
from pydantic import ValidationError

from bot.app.compose import build
from bot.config import Settings, parse_roster
from bot.infra.clock import FixedClock
from bot.storage.tables import slack_bots, slack_installations, slack_oauth_states
from scheduler import pulse
from tests.support.delivery import deliver_all
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.roster import CLINICIANS, roster_data
from tests.support.slack_driver import SIGNING_SECRET, load
from tests.support.slack_oauth import (  # noqa: F401 - fixtures
    CLIENT_ID,
    CLIENT_SECRET,
    HILLSIDE,
    HILLSIDE_TOKEN,
    RIVERSIDE_TOKEN,
    Installed,
    bearer,
    come_back,
    failed_rows,
    install,
    oauth_app_fixture,
    oauth_roster_fixture,
    rows,
    start_install,
    stored_token,
)
from tests.support.waiting import settle


async def test_install_exchanges_the_code_and_keeps_the_bot_token(oauth_app: Installed) -> None:
    h = oauth_app
    await install(h, "code-riverside", "T0001", RIVERSIDE_TOKEN)
    (exchange,) = h.fake.called("oauth.v2.access")
    assert exchange.params["code"] == "code-riverside"
    # The app's credentials go as HTTP Basic authentication, never in the query.
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert exchange.headers["Authorization"] == f"Basic {basic}"
    (bot,) = await rows(h, slack_bots)
    assert (bot["team_id"], bot["enterprise_id"], stored_token(bot)) == (
        "T0001",
        None,
        RIVERSIDE_TOKEN,
    )
    assert bot["client_id"] == CLIENT_ID
    assert bot["is_enterprise_install"] is False
    (installation,) = await rows(h, slack_installations)
    assert installation["user_id"] == "U0001"
    # The state was used once and is gone.
    assert await rows(h, slack_oauth_states) == []


async def test_a_state_used_twice_or_forged_is_refused(oauth_app: Installed) -> None:
    h = oauth_app
    h.fake.grant("code-1", team_id="T0001", bot_token=RIVERSIDE_TOKEN)
    state = await start_install(h)
    # Forged: a state this deployment never issued, with a matching cookie.
    forged = "0f0e0d0c-0000-4000-8000-000000000000.00000000000000000000000000000000"
    assert await come_back(h, "code-1", forged) >= 400
    # A cookie from another browser than the one that started the install.
    assert await come_back(h, "code-1", state, cookie="someone-else") >= 400
    assert h.fake.called("oauth.v2.access") == []
    assert await come_back(h, "code-1", state) == 200
    # Replayed: the state was consumed by the first successful return.
    h.fake.grant("code-2", team_id="T0001", bot_token="xoxb-other")
    assert await come_back(h, "code-2", state) >= 400
    assert len(h.fake.called("oauth.v2.access")) == 1
    assert [stored_token(b) for b in await rows(h, slack_bots)] == [RIVERSIDE_TOKEN]


async def test_a_pulse_round_in_two_workspaces_sends_each_with_its_own_token(
    oauth_app: Installed,
) -> None:
    h = oauth_app
    await install(h, "code-riverside", "T0001", RIVERSIDE_TOKEN)
    await install(h, "code-hillside", "T0002", HILLSIDE_TOKEN)
    h.clock.set(h.clock.now().replace(hour=10, minute=0))
    await pulse.tick(h.respite.deps)
    assert await deliver_all(h.respite, h.clock) == len(CLINICIANS) + len(HILLSIDE)
    sent = {c.params["channel"]: bearer(c) for c in h.fake.called("chat.postMessage")}
    assert sent == {
        **dict.fromkeys(CLINICIANS, RIVERSIDE_TOKEN),
        **dict.fromkeys(HILLSIDE, HILLSIDE_TOKEN),
    }


async def test_checkin_from_the_second_workspace_opens_its_modal_with_its_token(
    oauth_app: Installed,
) -> None:
    h = oauth_app
    await install(h, "code-riverside", "T0001", RIVERSIDE_TOKEN)
    await install(h, "code-hillside", "T0002", HILLSIDE_TOKEN)
    fields = load("slash_command.json")
    fields.update(
        team_id="T0002",
        user_id=HILLSIDE[0],
        response_url=h.slack.response_url,
        trigger_id=h.slack.trigger_id(),
    )
    resp = await h.slack.post(urlencode(fields))
    assert resp.status == 200
    await settle(h.respite)
    assert h.fake.called("views.open")
    (opened,) = h.fake.called("views.open")
    assert bearer(opened) == HILLSIDE_TOKEN
    assert opened.params["view"]["callback_id"] == "pulse"


async def test_a_team_in_a_workspace_not_installed_fails_with_a_reason(
    oauth_app: Installed,
) -> None:
    h = oauth_app
    await install(h, "code-riverside", "T0001", RIVERSIDE_TOKEN)
    h.clock.set(h.clock.now().replace(hour=10, minute=0))
    await pulse.tick(h.respite.deps)
    await deliver_all(h.respite, h.clock)
    sent = {c.params["channel"] for c in h.fake.called("chat.postMessage")}
    assert sent == set(CLINICIANS)
    failed = await failed_rows(h)
    assert {r["recipient"]["user_id"] for r in failed} == set(HILLSIDE)
    assert all("not installed in Slack workspace T0002" in r["last_error"] for r in failed)


async def test_a_single_bot_token_still_answers_without_installations(
    database_url: str, fake_slack: FakeSlackApi, clock: FixedClock
) -> None:
    """SLACK_BOT_TOKEN alone: no install routes, every call with that one token."""
    settings = Settings(
        database_url=database_url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.url,
    )
    respite = await build(settings, clock=clock, roster=parse_roster(roster_data()))
    try:
        assert respite.get_routes == {}
        clock.set(clock.now().replace(hour=10, minute=0))
        await pulse.tick(respite.deps)
        assert await deliver_all(respite, clock) == len(CLINICIANS)
        assert {bearer(c) for c in fake_slack.called("chat.postMessage")} == {"xoxb-test-token"}
    finally:
        await respite.close()


def test_oauth_settings_come_together() -> None:
    with pytest.raises(ValidationError, match="SLACK_STATE_SECRET: installing Slack through OAuth"):
        Settings(slack_client_id=CLIENT_ID, slack_client_secret=CLIENT_SECRET)


async def test_a_team_naming_no_workspace_is_noticed(
    database_url: str, fake_slack: FakeSlackApi, clock: FixedClock
) -> None:
    settings = Settings(
        database_url=database_url,
        slack_signing_secret=SIGNING_SECRET,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_state_secret="test-state-secret-0123456789",
        slack_api_url=fake_slack.url,
    )
    respite = await build(settings, clock=clock, roster=parse_roster(roster_data()))
    try:
        (notice,) = [n for n in respite.notices if "slack_team_id" in n]
        assert notice.endswith(": riverside")
        assert set(respite.get_routes) == {"/slack/install", "/slack/oauth_redirect"}
    finally:
        await respite.close()
