"""A Teams harness: the real aiohttp app in emulator mode, a fake Bot Framework connector."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app.compose import Respite, build
from bot.app.web import build_web_app
from bot.config import Settings, parse_roster
from bot.infra.clock import FixedClock
from tests.conftest import deliver_all
from tests.fakes.bot_connector import FakeConnector
from tests.teams_driver import TeamsDriver, aad

MEMBERS = list(range(1, 9))
LEAD = 99


def teams_roster(**overrides: Any) -> dict[str, Any]:
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


@pytest.fixture
async def fake_connector() -> AsyncIterator[FakeConnector]:
    fake = FakeConnector()
    await fake.start()
    yield fake
    await fake.close()


async def start_teams_harness(
    settings: Settings, connector: FakeConnector, clock: FixedClock, roster: dict[str, Any]
) -> tuple[TeamsHarness, ClientSession]:
    respite = await build(settings, clock=clock, roster=parse_roster(roster))
    server = TestServer(build_web_app(respite), host="127.0.0.1")
    await server.start_server()
    session = ClientSession()
    driver = TeamsDriver(session, str(server.make_url("/")), connector.url)
    return TeamsHarness(respite, driver, connector, clock, server), session


@pytest.fixture
async def teams_app(
    database_url: str, fake_connector: FakeConnector, clock: FixedClock
) -> AsyncIterator[TeamsHarness]:
    harness, session = await start_teams_harness(
        Settings(database_url=database_url), fake_connector, clock, teams_roster()
    )
    yield harness
    await session.close()
    await harness.server.close()
    await harness.respite.close()
