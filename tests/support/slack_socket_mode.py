"""Respite in Socket Mode against the fake Slack: the bot's socket connected to the fake Socket
Mode endpoint, its Web API calls landing on the fake Web API, /healthz on a real listener."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from bot.app.compose import Respite, build
from bot.app.web import build_web_app
from bot.config import Settings, parse_roster
from bot.infra.clock import FixedClock
from bot.platforms.slack.socket_mode import SlackSocket
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.fakes.socket_mode import APP_TOKEN, Ack, FakeSocketMode, slash_command
from tests.support.waiting import until


@dataclass
class SocketHarness:
    respite: Respite
    socket: SlackSocket
    fake: FakeSlackApi
    slack: FakeSocketMode
    clock: FixedClock
    server: TestServer
    http: ClientSession
    _triggers: int = 0

    def trigger_id(self) -> str:
        """A new trigger_id, as Slack gives every command and interaction its own."""
        self._triggers += 1
        return f"13345224609.738474920.{self._triggers:021x}"

    @property
    def last_trigger_id(self) -> str:
        return f"13345224609.738474920.{self._triggers:021x}"

    async def slash(self, command: str, text: str, user_id: str) -> Ack:
        fields = slash_command(command, text, user_id, self.fake.response_url(), self.trigger_id())
        return await self.slack.slash(fields)

    async def healthz(self) -> tuple[int, dict[str, Any]]:
        async with self.http.get(self.server.make_url("/healthz")) as resp:
            body: dict[str, Any] = await resp.json()
            return resp.status, body

    async def views_opened(self, count: int) -> dict[str, Any]:
        """The view of the `count`-th views.open call, once it has arrived."""
        await until(lambda: len(self.fake.called("views.open")) >= count, "views.open")
        view: dict[str, Any] = self.fake.called("views.open")[count - 1].params["view"]
        return view


@asynccontextmanager
async def socket_harness(
    database_url: str,
    fake: FakeSlackApi,
    clock: FixedClock,
    roster: dict[str, Any],
    *,
    accepting: bool = True,
    signing_secret: str | None = None,
    **socket_options: Any,
) -> AsyncIterator[SocketHarness]:
    """Build Respite from settings with an app token and no signing secret, start its socket the
    way `serve` does, and wait for the fake endpoint to see the connection (unless the endpoint
    is not `accepting` connections yet). With a `signing_secret` it serves HTTP too."""
    slack = FakeSocketMode(fake)
    slack.accepting = accepting
    await slack.start()
    settings = Settings(
        database_url=database_url,
        slack_bot_token="xoxb-test-token",
        slack_app_token=APP_TOKEN,
        slack_signing_secret=signing_secret,
        slack_api_url=fake.url,
    )
    respite = await build(settings, clock=clock, roster=parse_roster(roster))
    socket = respite.link
    assert isinstance(socket, SlackSocket)
    if socket_options:
        # The same app, with test settings (a short ping interval, a clock to move).
        socket = respite.link = SlackSocket(socket.app, APP_TOKEN, **socket_options)
    server = TestServer(build_web_app(respite), host="127.0.0.1")
    await server.start_server()
    http = ClientSession()
    try:
        await socket.start()
        if accepting:
            await slack.wait_for_connections(1)
        yield SocketHarness(respite, socket, fake, slack, clock, server, http)
    finally:
        await http.close()
        await server.close()
        await respite.close()
        await slack.close()
