"""Storage fixtures: an engine on each backend, disposed of when the test ends."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.db import create_engine_async


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine_async(database_url)
    yield engine
    await engine.dispose()
