"""Renewing and giving back an outbox claim touch only the rows that claim still holds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.messages import Card, Platform, Recipient
from bot.storage.db import create_engine_async, session_factory
from bot.storage.outbox import SqlOutbox
from bot.storage.tables import outbox

NOW = datetime(2026, 11, 30, 10, tzinfo=UTC)
SLACK = [Platform.SLACK]


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine_async(database_url)
    yield session_factory(engine)
    await engine.dispose()


async def _box(sessions: async_sessionmaker[AsyncSession], count: int) -> SqlOutbox:
    box = SqlOutbox(sessions, lambda: NOW)
    for i in range(count):
        to = Recipient(Platform.SLACK, user_id=f"U{i}")
        assert await box.enqueue(f"k{i}", to, Card(f"card {i}"), NOW)
    return box


async def _rows(sessions: async_sessionmaker[AsyncSession]) -> dict[str, tuple[str, int]]:
    async with sessions() as s:
        rows = await s.execute(select(outbox.c.key, outbox.c.status, outbox.c.attempts))
        return {key: (status, attempts) for key, status, attempts in rows}


async def test_renewing_extends_only_the_rows_the_claim_still_holds(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    box = await _box(sessions, 3)
    sent, taken, kept = await box.claim(NOW, 10, 30, SLACK)
    assert await box.mark_sent(sent, NOW)
    # `taken`'s claim lapses and another worker takes it; `kept` lapsed too, but nobody took it.
    later = NOW + timedelta(seconds=31)
    async with sessions.begin() as s:
        await s.execute(outbox.update().where(outbox.c.id == taken.id).values(claimed_until=NOW))
    [other] = await box.claim(NOW + timedelta(seconds=1), 10, 3600, SLACK)
    assert other.id == taken.id
    assert await box.renew([sent, taken, kept], later, 30) == {kept.id}
    # Renewed: no other claim gets `kept` until 30 s after the renewal.
    assert await box.claim(later + timedelta(seconds=29), 10, 30, SLACK) == []
    [again] = await box.claim(later + timedelta(seconds=30), 10, 30, SLACK)
    assert again.id == kept.id
    assert await box.renew([kept], later, 30) == set()  # that claim is over
    assert await box.renew([], later, 30) == set()


async def test_giving_back_makes_rows_due_at_once_without_the_attempt(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    box = await _box(sessions, 4)
    sent, taken, back1, back2 = await box.claim(NOW, 10, 30, SLACK)
    assert await box.mark_sent(sent, NOW)
    async with sessions.begin() as s:
        await s.execute(outbox.update().where(outbox.c.id == taken.id).values(claimed_until=NOW))
    [other] = await box.claim(NOW, 10, 30, SLACK)
    assert other.id == taken.id
    assert await box.give_back([sent, taken, back1, back2]) == 2
    assert await _rows(sessions) == {
        "k0": ("sent", 1),
        "k1": ("sending", 2),  # the other claim's: not given back
        "k2": ("pending", 0),
        "k3": ("pending", 0),
    }
    # Claimable at the same moment; the old claim can no longer settle them.
    again = await box.claim(NOW, 10, 30, SLACK)
    assert sorted(item.key for item in again) == ["k2", "k3"]
    assert {item.attempts for item in again} == {1}
    assert not await box.mark_sent(back1, NOW)
    assert await box.give_back([]) == 0
