"""The leader lease keeps its own expiry on the holder's monotonic clock: a holder paused past its
lease knows it may no longer act on it, whatever its wall clock says."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.db import create_engine_async, session_factory
from bot.storage.lease import MARGIN_SECONDS, SqlLease

NOW = datetime(2026, 11, 30, 10, tzinfo=UTC)


class Ticks:
    def __init__(self) -> None:
        self.value = 500.0

    def __call__(self) -> float:
        return self.value


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine_async(database_url)
    yield session_factory(engine)
    await engine.dispose()


async def test_the_holder_counts_its_lease_down_on_its_monotonic_clock(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    ticks = Ticks()
    a = SqlLease(sessions, "scheduler", "a", monotonic=ticks)
    b = SqlLease(sessions, "scheduler", "b", monotonic=ticks)
    assert a.remaining() == 0  # not taken yet
    assert await a.acquire(NOW, 30)
    assert a.remaining() == 30 - MARGIN_SECONDS
    ticks.value += 20
    assert a.remaining() == 10 - MARGIN_SECONDS
    # Paused past the lease: the wall clock it was given says nothing yet, the monotonic one
    # says the lease may be another's, and before the standby could take it.
    ticks.value += 10 - MARGIN_SECONDS
    assert a.remaining() == 0
    assert not await b.acquire(NOW + timedelta(seconds=30 - MARGIN_SECONDS), 30)
    assert b.remaining() == 0
    # Renewing starts the count again from when the renewal was asked for.
    assert await a.acquire(NOW + timedelta(seconds=25), 30)
    assert a.remaining() == 30 - MARGIN_SECONDS
    # Once another holder has it, the old one has nothing left, even on a fresh clock.
    assert await b.acquire(NOW + timedelta(seconds=60), 30)
    assert not await a.acquire(NOW + timedelta(seconds=61), 30)
    assert a.remaining() == 0
    assert b.remaining() == 30 - MARGIN_SECONDS
    await b.release()
    assert b.remaining() == 0
