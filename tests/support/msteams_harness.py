"""A Teams harness: the real aiohttp app in emulator mode, a fake Bot Framework connector."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app.compose import Respite, build
from bot.app.web import build_web_app
from bot.config import Settings, parse_roster
from bot.demo.bot_connector import FakeConnector
from bot.infra.clock import FixedClock
from tests.support.delivery import deliver_all
from tests.support.msteams_driver import TeamsDriver, aad

MEMBERS = list(range(1, 9))
LEAD = 99


def teams_roster(**overrides: Any) -> dict[str, Any]:
    """The sample Teams roster: eight members and a lead, by their AAD object ids."""
    team = {
        "id": "harbour",
        "name": "Harbour Counselling",
        "platform": "teams",
        "timezone": "Europe/London",
        "members": [aad(n) for n in MEMBERS],
        "leads": [aad(LEAD)],
        "min_group_size": 5,
        "resources": [{"label": "Employee Assistance Programme", "text": "0800 123 4567"}],
    }
    team.update(overrides)
    return {"teams": [team]}


@dataclass
class TeamsHarness:
    respite: Respite
    teams: TeamsDriver
    connector: FakeConnector
    clock: FixedClock
    server: TestServer

    async def deliver(self) -> int:
        return await deliver_all(self.respite, self.clock)

    async def count(self, table: Any) -> int:
        async with AsyncSession(self.respite.engine) as s:
            return int(await s.scalar(select(func.count()).select_from(table)) or 0)


async def start_teams_harness(
    settings: Settings, connector: FakeConnector, clock: FixedClock, roster: dict[str, Any]
) -> tuple[TeamsHarness, ClientSession]:
    """Build Respite with `settings` and serve it; the caller closes the session, the server
    and the app."""
    respite = await build(settings, clock=clock, roster=parse_roster(roster))
    server = TestServer(build_web_app(respite), host="127.0.0.1")
    await server.start_server()
    session = ClientSession()
    driver = TeamsDriver(session, str(server.make_url("/")), connector.url)
    return TeamsHarness(respite, driver, connector, clock, server), session
