"""A Slack harness: the real aiohttp app on 127.0.0.1, a fake Slack Web API, a fixed clock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from bot.app.compose import Respite, build
from bot.app.web import build_web_app
from bot.config import Settings, parse_roster
from bot.infra.clock import FixedClock
from tests.support.delivery import deliver_all
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.slack_driver import SIGNING_SECRET, SlackDriver


@dataclass
class SlackHarness:
    respite: Respite
    slack: SlackDriver
    fake: FakeSlackApi
    clock: FixedClock
    server: TestServer

    async def deliver(self, concurrency: int | None = None) -> int:
        return await deliver_all(self.respite, self.clock, concurrency)


async def start_slack_harness(
    database_url: str, fake: FakeSlackApi, clock: FixedClock, roster: dict[str, Any]
) -> tuple[SlackHarness, ClientSession]:
    """Build Respite on `database_url` and serve it; the caller closes the session, the
    server and the app."""
    settings = Settings(
        database_url=database_url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake.url,
    )
    respite = await build(settings, clock=clock, roster=parse_roster(roster))
    server = TestServer(build_web_app(respite), host="127.0.0.1")
    await server.start_server()
    session = ClientSession()
    driver = SlackDriver(session, str(server.make_url("/")), fake.response_url())
    return SlackHarness(respite, driver, fake, clock, server), session
