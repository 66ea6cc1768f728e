"""One running app with both platforms' endpoints secured, for hostile and malformed requests.

Slack checks signatures with the test signing secret; Teams checks Bot Framework tokens against a
local OpenID server. Every log record the process writes is kept, so a test can say that a request
left no traceback and at most one line.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from bot.app.compose import Respite, build
from bot.app.web import build_web_app
from bot.cli.serve import metrics_app
from bot.config import Settings, parse_roster
from bot.demo.bot_connector import FakeConnector
from bot.infra.clock import FixedClock
from tests.support.fakes.openid import OpenIdServer
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.msteams_driver import TeamsDriver
from tests.support.msteams_harness import teams_roster
from tests.support.roster import roster_data
from tests.support.slack_driver import SIGNING_SECRET, SlackDriver
from tests.support.waiting import settle

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
    openid: OpenIdServer | None
    log: LogTap
    # The metrics listener (its own port in production), serving GET /metrics alone.
    metrics: TestServer
    base: str = field(init=False)
    metrics_base: str = field(init=False)

    def __post_init__(self) -> None:
        self.base = str(self.server.make_url("/")).rstrip("/")
        self.metrics_base = str(self.metrics.make_url("/")).rstrip("/")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text("HostileApp(...)")  # hypothesis prints fixtures of a failing example

    def teams_headers(self, activity: dict[str, Any]) -> dict[str, str]:
        """A valid Bot Framework token for the activity's service URL (none in emulator mode)."""
        if self.openid is None:
            return {}
        service_url = activity.get("serviceUrl")
        token = self.openid.token(APP_ID, service_url if isinstance(service_url, str) else "")
        return {"Authorization": f"Bearer {token}"}

    async def settle(self) -> None:
        """Let work started by a request (a background reply, its log lines) finish."""
        await settle(self.respite)


def mixed_roster() -> dict[str, Any]:
    return {"teams": roster_data()["teams"] + teams_roster()["teams"]}


@pytest.fixture(name="openid")
def openid_fixture() -> Iterator[OpenIdServer]:
    server = OpenIdServer()
    server.start()
    yield server
    server.stop()


async def start_app(
    database_url: str, clock: FixedClock, openid: OpenIdServer | None
) -> AsyncIterator[HostileApp]:
    """Both platforms' endpoints; Teams checks tokens when an OpenID server is given, and runs
    in emulator mode (loopback clients, no token) otherwise."""
    fake_slack = FakeSlackApi()
    await fake_slack.start()
    connector = FakeConnector()
    await connector.start()
    teams_auth: dict[str, Any] = {}
    if openid is not None:
        teams_auth = {
            "microsoft_app_id": APP_ID,
            "microsoft_app_password": "not-a-real-secret",
            "to_bot_from_channel_openid_metadata_url": openid.metadata_url,
        }
    settings = Settings(
        database_url=database_url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.url,
        **teams_auth,
    )
    respite = await build(settings, clock=clock, roster=parse_roster(mixed_roster()))
    server = TestServer(build_web_app(respite), host="127.0.0.1")
    await server.start_server()
    metrics = TestServer(metrics_app(respite), host="127.0.0.1")
    await metrics.start_server()
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
            metrics,
        )
    finally:
        root.removeHandler(tap)
        root.setLevel(level)
        await session.close()
        await server.close()
        await metrics.close()
        await respite.close()
        await connector.close()
        await fake_slack.close()


@pytest.fixture(name="hostile")
async def hostile_fixture(
    sqlite_url: str, clock: FixedClock, openid: OpenIdServer
) -> AsyncIterator[HostileApp]:
    """Teams with Bot Framework authentication on."""
    async for app in start_app(sqlite_url, clock, openid):
        yield app


@pytest.fixture(name="emulated")
async def emulated_fixture(sqlite_url: str, clock: FixedClock) -> AsyncIterator[HostileApp]:
    """Teams in emulator mode: the bot's replies reach the fake connector without an Azure AD
    token (the fakes have no token endpoint)."""
    async for app in start_app(sqlite_url, clock, None):
        yield app
