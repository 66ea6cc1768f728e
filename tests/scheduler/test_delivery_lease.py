"""A batch that outlives its claim (slow Do Not Disturb lookups) never sends a row twice."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta

import pytest

from bot.clock import FixedClock
from bot.domain.messages import Card, Platform, Recipient
from bot.domain.ports import Hold
from bot.storage.db import create_engine_async, session_factory
from bot.storage.outbox import SqlOutbox
from scheduler.delivery import BATCH, LEASE_SECONDS, deliver_due


class Recorder:
    def __init__(self) -> None:
        self.sent: list[str | None] = []

    async def send(self, recipient: Recipient, card: Card) -> str | None:
        self.sent.append(recipient.user_id)
        return None

    async def delete(self, recipient: Recipient, ref: str) -> None:
        return None


class SlowBoundaries:
    """Each lookup takes a third of the lease on the fixed clock, and never holds a message."""

    def __init__(self, clock: FixedClock) -> None:
        self.clock = clock

    async def prepare(self, recipients: Sequence[Recipient], now: datetime) -> None:
        return None

    async def hold(self, recipient: Recipient, now: datetime) -> Hold | None:
        self.clock.advance(timedelta(seconds=LEASE_SECONDS / 3))
        return None


@pytest.fixture
async def box(database_url: str, clock: FixedClock) -> AsyncIterator[SqlOutbox]:
    engine = create_engine_async(database_url)
    yield SqlOutbox(session_factory(engine), clock.now)
    await engine.dispose()


async def test_a_batch_stops_before_its_lease_lapses(box: SqlOutbox, clock: FixedClock) -> None:
    for i in range(BATCH + 3):
        to = Recipient(Platform.SLACK, user_id=f"U{i:03d}")
        await box.enqueue(f"k{i:03d}", to, Card(title="hi"), clock.now())
    slow, fast = Recorder(), Recorder()
    # The slow worker starts sends only while one can still finish inside its lease (the first
    # lookup ends 100 s in, the second 200 s in: past LEASE_SECONDS - SEND_SECONDS), then
    # leaves the rest.
    sent = await deliver_due(box, {Platform.SLACK: slow}, clock, boundaries=SlowBoundaries(clock))
    assert sent == len(slow.sent) == 1
    # Once the lease has lapsed, another worker picks up the rest: nobody gets two messages.
    clock.advance(timedelta(seconds=LEASE_SECONDS))
    while await deliver_due(box, {Platform.SLACK: fast}, clock):
        pass
    everyone = slow.sent + fast.sent
    assert sorted(everyone) == [f"U{i:03d}" for i in range(BATCH + 3)]
    assert await box.pending_count() == 0
