"""Shared by the OAuth tests: Respite built with SLACK_CLIENT_ID (no SLACK_BOT_TOKEN) against the
fake Web API, a roster of two teams in two workspaces, and the install round trip a browser makes
(the install page, then Slack's redirect back with a code)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import ClientResponse, ClientSession, DummyCookieJar
from aiohttp.test_utils import TestServer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app.compose import Respite, build
from bot.app.web import build_web_app
from bot.config import Settings, parse_roster
from bot.infra.clock import FixedClock
from bot.platforms.slack.installations import token_seal
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.roster import roster_data
from tests.support.slack_driver import SIGNING_SECRET, SlackDriver, signed_headers

CLIENT_ID = "1234567890.0987654321"
CLIENT_SECRET = "test-client-secret"
STATE_SECRET = "test-state-secret-0123456789"
RESPITE_SECRET = "oauth-tests-server-secret-0123456789abcdef"
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


@pytest.fixture(name="oauth_roster")
def oauth_roster_fixture() -> dict[str, Any]:
    """The roster the app is built with; a test module may override it."""
    return two_workspaces()


@pytest.fixture(name="oauth_app")
async def oauth_app_fixture(
    database_url: str, fake_slack: FakeSlackApi, clock: FixedClock, oauth_roster: dict[str, Any]
) -> AsyncIterator[Installed]:
    settings = Settings(
        database_url=database_url,
        slack_signing_secret=SIGNING_SECRET,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_state_secret=STATE_SECRET,
        slack_api_url=fake_slack.url,
        respite_secret=RESPITE_SECRET,
    )
    respite = await build(settings, clock=clock, roster=parse_roster(oauth_roster))
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


def stored_token(bot: dict[str, Any]) -> str | None:
    """A slack_bots row's bot token, which is sealed at rest: opened with the server secret."""
    seal = token_seal(RESPITE_SECRET.encode())
    assert seal.is_sealed(bot["bot_token"]), "a token is never stored in clear"
    where = bot["enterprise_id"] or "", "" if bot["is_enterprise_install"] else bot["team_id"] or ""
    return seal.open(bot["bot_token"], *where)


def bearer(call: Any) -> str:
    return str(call.headers.get("Authorization", "")).removeprefix("Bearer ")


async def post_event(h: Installed, payload: dict[str, Any]) -> ClientResponse:
    """An Events API request, signed, as Slack posts it (JSON)."""
    body = json.dumps(payload)
    return await h.slack.post(body, signed_headers(body, content_type="application/json"))


async def failed_rows(h: Installed) -> list[dict[str, Any]]:
    from bot.storage.tables import outbox

    return [r for r in await rows(h, outbox) if r["status"] == "failed"]
