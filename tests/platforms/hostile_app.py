"""One running app with both platforms' endpoints secured, for hostile and malformed requests.

Slack checks signatures with the test signing secret; Teams checks Bot Framework tokens against a
local OpenID server. Every log record the process writes is kept, so a test can say that a request
left no traceback and at most one line.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from bot.clock import FixedClock
from bot.config import Settings, parse_roster
from bot.main import Respite, build
from bot.web import build_web_app
from tests.conftest import roster_data
from tests.fakes.bot_connector import FakeConnector
from tests.fakes.openid import OpenIdServer
from tests.fakes.slack_api import FakeSlackApi
from tests.platforms.teams.conftest import teams_roster
from tests.slack_driver import SIGNING_SECRET, SlackDriver
from tests.teams_driver import TeamsDriver

APP_ID = "8a3f2c1d-5e6b-4a79-8c0d-1e2f3a4b5c6d"

# Per-request access lines are the web server's, not the app's: they are not counted.
ACCESS_LOGGER = "aiohttp.access"


class LogTap(logging.Handler):
    """Every record written while it is attached, at every level."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def clear(self) -> None:
        self.records.clear()

    def tracebacks(self) -> list[str]:
        """Records that carry a traceback, as the text a log file would hold."""
        found = []
        for record in self.records:
            text = self.format(record)
            if record.exc_info or record.stack_info or "Traceback (most recent" in text:
                found.append(f"{record.name}: {text[:2000]}")
        return found

    def lines(self) -> list[str]:
        """The app's own records at INFO and above (debug detail and access lines aside)."""
        return [
            f"{r.name}: {r.getMessage()}"
            for r in self.records
            if r.levelno >= logging.INFO and r.name != ACCESS_LOGGER
        ]


@dataclass(repr=False)
class HostileApp:
    respite: Respite
    server: TestServer
    session: ClientSession
    slack: SlackDriver
    teams: TeamsDriver
    fake_slack: FakeSlackApi
    connector: FakeConnector
    openid: OpenIdServer
    log: LogTap
    base: str = field(init=False)

    def __post_init__(self) -> None:
        self.base = str(self.server.make_url("/")).rstrip("/")

    def teams_headers(self, activity: dict[str, Any]) -> dict[str, str]:
        """A valid Bot Framework token for the activity's service URL."""
        service_url = activity.get("serviceUrl")
        token = self.openid.token(APP_ID, service_url if isinstance(service_url, str) else "")
        return {"Authorization": f"Bearer {token}"}

    async def settle(self) -> None:
        """Let work started by a request (a background reply, its log lines) finish."""
        for _ in range(3):
            await asyncio.sleep(0)
        await self.respite.inflight.drain()


def mixed_roster() -> dict[str, Any]:
    return {"teams": roster_data()["teams"] + teams_roster()["teams"]}


@pytest.fixture(name="openid")
def openid_fixture() -> Iterator[OpenIdServer]:
    server = OpenIdServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(name="hostile")
async def hostile_fixture(
    sqlite_url: str, clock: FixedClock, openid: OpenIdServer
) -> AsyncIterator[HostileApp]:
    fake_slack = FakeSlackApi()
    await fake_slack.start()
    connector = FakeConnector()
    await connector.start()
    settings = Settings(
        database_url=sqlite_url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.url,
        microsoft_app_id=APP_ID,
        microsoft_app_password="not-a-real-secret",
        to_bot_from_channel_openid_metadata_url=openid.metadata_url,
    )
    respite = await build(settings, clock=clock, roster=parse_roster(mixed_roster()))
    server = TestServer(build_web_app(respite), host="127.0.0.1")
    await server.start_server()
    session = ClientSession()
    base = str(server.make_url("/"))
    tap = LogTap()
    root = logging.getLogger()
    level = root.level
    root.addHandler(tap)
    root.setLevel(logging.DEBUG)
    try:
        yield HostileApp(
            respite,
            server,
            session,
            SlackDriver(session, base, fake_slack.response_url()),
            TeamsDriver(session, base, connector.url),
            fake_slack,
            connector,
            openid,
            tap,
        )
    finally:
        root.removeHandler(tap)
        root.setLevel(level)
        await session.close()
        await server.close()
        await respite.close()
        await connector.close()
        await fake_slack.close()
