"""Several Slack workspaces through OAuth: the install page and Slack's redirect back, the code
exchanged at the fake Web API's oauth.v2.access, the installation kept in Respite's database, and
a pulse round for two teams in two workspaces, each sent with its own workspace's bot token."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import ClientSession, DummyCookieJar
from aiohttp.test_utils import TestServer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import FixedClock
from bot.config import Settings, parse_roster
from bot.main import Respite, build
from bot.storage.tables import slack_bots, slack_installations, slack_oauth_states
from bot.web import build_web_app
from scheduler import pulse_jobs
from tests.conftest import CLINICIANS, deliver_all, roster_data
from tests.fakes.slack_api import FakeSlackApi
from tests.slack_driver import SIGNING_SECRET, SlackDriver, load

CLIENT_ID = "1234567890.0987654321"
CLIENT_SECRET = "test-client-secret"
STATE_SECRET = "test-state-secret-0123456789"
STATE_COOKIE = "slack-app-oauth-state"

RIVERSIDE_TOKEN = "xoxb-riverside-workspace"
HILLSIDE_TOKEN = "xoxb-hillside-workspace"
HILLSIDE = [f"U10{i}" for i in range(1, 7)]


def two_workspaces() -> dict[str, Any]:
    """Riverside in workspace T0001, Hillside in T0002."""
    data = roster_data(slack_team_id="T0001")
    hillside = dict(data["teams"][0])
    hillside.update(
        id="hillside",
        name="Hillside Therapy",
        members=HILLSIDE,
        leads=["ULEAD02"],
        slack_team_id="T0002",
    )
    data["teams"].append(hillside)
    return data


@dataclass
class Installed:
    respite: Respite
    fake: FakeSlackApi
    clock: FixedClock
    base: str
    session: ClientSession
    slack: SlackDriver


@pytest.fixture
async def oauth_app(
    database_url: str, fake_slack: FakeSlackApi, clock: FixedClock
) -> AsyncIterator[Installed]:
    settings = Settings(
        database_url=database_url,
        slack_signing_secret=SIGNING_SECRET,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_state_secret=STATE_SECRET,
        slack_api_url=fake_slack.url,
    )
    respite = await build(settings, clock=clock, roster=parse_roster(two_workspaces()))
    server = TestServer(build_web_app(respite), host="127.0.0.1")
    await server.start_server()
    # Cookies are carried by hand: the install flow's cookie is Secure, and this is plain HTTP.
    session = ClientSession(cookie_jar=DummyCookieJar())
    base = str(server.make_url("/")).rstrip("/")
    driver = SlackDriver(session, base, fake_slack.response_url())
    yield Installed(respite, fake_slack, clock, base, session, driver)
    await session.close()
    await server.close()
    await respite.close()


async def start_install(h: Installed) -> str:
    """Open the install page; the state it issued (in its cookie and its link to Slack)."""
    resp = await h.session.get(h.base + "/slack/install", allow_redirects=False)
    assert resp.status == 200
    state = resp.cookies[STATE_COOKIE].value
    page = await resp.text()
    assert "https://slack.com/oauth/v2/authorize?" in page
    assert f"client_id={CLIENT_ID}" in page
    assert "scope=chat:write,commands,users:read" in page
    assert f"state={state}" in page
    return state


async def come_back(h: Installed, code: str, state: str, cookie: str | None = None) -> int:
    """Slack's redirect back to Respite after the admin approved the install."""
    query = urlencode({"code": code, "state": state})
    resp = await h.session.get(
        f"{h.base}/slack/oauth_redirect?{query}",
        headers={"Cookie": f"{STATE_COOKIE}={cookie or state}"},
        allow_redirects=False,
    )
    await resp.read()
    return resp.status


async def install(
    h: Installed, code: str, team_id: str | None, token: str, enterprise_id: str | None = None
) -> None:
    h.fake.grant(code, team_id=team_id, enterprise_id=enterprise_id, bot_token=token)
    state = await start_install(h)
    assert await come_back(h, code, state) == 200


async def rows(h: Installed, table: Any) -> list[dict[str, Any]]:
    async with AsyncSession(h.respite.engine) as s:
        return [dict(r._mapping) for r in await s.execute(select(table))]


def bearer(call: Any) -> str:
    return str(call.headers.get("Authorization", "")).removeprefix("Bearer ")


async def test_install_exchanges_the_code_and_keeps_the_bot_token(oauth_app: Installed) -> None:
    h = oauth_app
    await install(h, "code-riverside", "T0001", RIVERSIDE_TOKEN)
    (exchange,) = h.fake.called("oauth.v2.access")
    assert exchange.params["code"] == "code-riverside"
    # The app's credentials go as HTTP Basic authentication, never in the query.
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert exchange.headers["Authorization"] == f"Basic {basic}"
    (bot,) = await rows(h, slack_bots)
    assert (bot["team_id"], bot["enterprise_id"], bot["bot_token"]) == (
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
    assert [b["bot_token"] for b in await rows(h, slack_bots)] == [RIVERSIDE_TOKEN]


async def test_a_pulse_round_in_two_workspaces_sends_each_with_its_own_token(
    oauth_app: Installed,
) -> None:
    h = oauth_app
    await install(h, "code-riverside", "T0001", RIVERSIDE_TOKEN)
    await install(h, "code-hillside", "T0002", HILLSIDE_TOKEN)
    h.clock.set(h.clock.now().replace(hour=10, minute=0))
    await pulse_jobs.tick(h.respite.deps)
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
    for _ in range(200):
        if h.fake.called("views.open"):
            break
        await asyncio.sleep(0.02)
    (opened,) = h.fake.called("views.open")
    assert bearer(opened) == HILLSIDE_TOKEN
    assert opened.params["view"]["callback_id"] == "pulse"


async def test_a_team_in_a_workspace_not_installed_fails_with_a_reason(
    oauth_app: Installed,
) -> None:
    h = oauth_app
    await install(h, "code-riverside", "T0001", RIVERSIDE_TOKEN)
    h.clock.set(h.clock.now().replace(hour=10, minute=0))
    await pulse_jobs.tick(h.respite.deps)
    await deliver_all(h.respite, h.clock)
    sent = {c.params["channel"] for c in h.fake.called("chat.postMessage")}
    assert sent == set(CLINICIANS)
    failed = await failed_rows(h)
    assert {r["recipient"]["user_id"] for r in failed} == set(HILLSIDE)
    assert all("not installed in Slack workspace T0002" in r["last_error"] for r in failed)


async def failed_rows(h: Installed) -> list[dict[str, Any]]:
    from bot.storage.tables import outbox

    return [r for r in await rows(h, outbox) if r["status"] == "failed"]


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
        await pulse_jobs.tick(respite.deps)
        assert await deliver_all(respite, clock) == len(CLINICIANS)
        assert {bearer(c) for c in fake_slack.called("chat.postMessage")} == {"xoxb-test-token"}
    finally:
        await respite.close()
