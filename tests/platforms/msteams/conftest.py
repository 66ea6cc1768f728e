"""Teams fixtures: the real aiohttp app in emulator mode, a fake Bot Framework connector."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from bot.infra.clock import FixedClock
from tests.support.fakes.bot_connector import FakeConnector
from tests.support.msteams_harness import TeamsHarness, start_teams_harness, teams_roster


@pytest.fixture
async def fake_connector() -> AsyncIterator[FakeConnector]:
    fake = FakeConnector()
    await fake.start()
    yield fake
    await fake.close()


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
