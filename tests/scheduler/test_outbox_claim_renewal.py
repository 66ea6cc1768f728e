"""The outbox worker's claim: short, renewed while the batch runs, given back when it stops.

A batch slower than its lease keeps its rows while it renews; one whose renewals fail starts no
send it might not finish inside the claim, and gives the rest back; a worker stalled past its
claim does not send rows another worker took meanwhile; a stopping worker lets the sends in flight
finish and gives the rows it never tried back at once, without counting an attempt.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime, timedelta

import pytest

from bot.domain.messages import Card, Platform, Recipient
from bot.domain.ports import Hold, OutboxItem
from bot.infra.clock import FixedClock
from bot.storage.db import create_engine_async, session_factory
from bot.storage.outbox import SqlOutbox
from scheduler.delivery import BATCH, LEASE_SECONDS, RENEW_SECONDS, deliver_due

SLACK = [Platform.SLACK]


class Ticks:
    """A monotonic clock that moves only when told to, beside the fixed wall clock."""

    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


class Sender:
    def __init__(self, on_send: Callable[[int], None] | None = None) -> None:
        self.sent: list[str] = []
        self.on_send = on_send

    async def send(self, recipient: Recipient, card: Card) -> str | None:
        await asyncio.sleep(0)
        self.sent.append(recipient.user_id or "")
        if self.on_send is not None:
            self.on_send(len(self.sent))
        return None

    async def delete(self, recipient: Recipient, ref: str) -> None:
        return None


class SlowLookups:
    """Each boundary lookup takes `seconds` on both clocks, then runs `meanwhile` (what another
    worker does while this one waits); it never holds a message."""

    def __init__(
        self,
        clock: FixedClock,
        ticks: Ticks,
        seconds: float,
        meanwhile: Callable[[], object] | None = None,
    ) -> None:
        self.clock, self.ticks, self.seconds = clock, ticks, seconds
        self.meanwhile = meanwhile
        self.lookups = 0

    async def prepare(self, recipients: Sequence[Recipient], now: datetime) -> None:
        return None

    async def hold(self, recipient: Recipient, now: datetime) -> Hold | None:
        self.lookups += 1
        self.clock.advance(timedelta(seconds=self.seconds))
        self.ticks.value += self.seconds
        if self.meanwhile is not None:
            result = self.meanwhile()
            if asyncio.iscoroutine(result):
                await result
        return None


class NoRenewals(SqlOutbox):
    """The database refuses this worker's renewals (a lost connection), and only those."""

    async def renew(
        self, items: Sequence[OutboxItem], now: datetime, lease_seconds: float
    ) -> set[int]:
        raise ConnectionError("database went away")


@pytest.fixture
async def box(database_url: str, clock: FixedClock) -> AsyncIterator[SqlOutbox]:
    engine = create_engine_async(database_url)
    yield SqlOutbox(session_factory(engine), clock.now)
    await engine.dispose()


async def _queue(box: SqlOutbox, clock: FixedClock, count: int) -> list[str]:
    users = [f"U{i:03d}" for i in range(count)]
    for user in users:
        await box.enqueue(
            f"k-{user}", Recipient(Platform.SLACK, user_id=user), Card("hi"), clock.now()
        )
    return users


async def test_a_batch_slower_than_its_lease_keeps_its_rows_while_it_renews(
    box: SqlOutbox, clock: FixedClock
) -> None:
    users = await _queue(box, clock, BATCH)
    ticks = Ticks()
    rival_got: list[OutboxItem] = []

    async def rival() -> None:  # another worker looks for due rows after every lookup
        rival_got.extend(await box.claim(clock.now(), BATCH, LEASE_SECONDS, SLACK))

    # Every lookup takes a third of the lease: the batch runs 33 leases long.
    lookups = SlowLookups(clock, ticks, LEASE_SECONDS / 3, rival)
    sender = Sender()
    sent = await deliver_due(
        box, {Platform.SLACK: sender}, clock, boundaries=lookups, monotonic=ticks
    )
    assert lookups.lookups == BATCH
    assert rival_got == []  # never once was a row of the batch free to take
    assert sent == BATCH
    assert sorted(sender.sent) == users
    assert await box.pending_count() == 0


async def test_a_batch_that_cannot_renew_stops_in_time_and_gives_the_rest_back(
    database_url: str, clock: FixedClock
) -> None:
    engine = create_engine_async(database_url)
    try:
        stuck = NoRenewals(session_factory(engine), clock.now)
        box = SqlOutbox(session_factory(engine), clock.now)
        users = await _queue(box, clock, BATCH + 3)
        ticks = Ticks()
        slow = Sender()
        # Lookups of RENEW_SECONDS: the first send starts 10 s into a 30 s claim that is never
        # renewed; the second would start 20 s in, with less left than a send may need.
        lookups = SlowLookups(clock, ticks, RENEW_SECONDS)
        sent = await deliver_due(
            stuck, {Platform.SLACK: slow}, clock, boundaries=lookups, monotonic=ticks
        )
        assert sent == len(slow.sent) == 1
        # The rows never tried are claimable at once, not when the lease ends, and the attempt
        # the stuck claim counted for them is not held against them.
        again = await box.claim(clock.now(), 2 * BATCH, LEASE_SECONDS, SLACK)
        assert len(again) == BATCH + 2
        assert {item.attempts for item in again} == {1}
        for item in again:
            assert await box.mark_sent(item, clock.now())
        served = slow.sent + [item.recipient.user_id or "" for item in again]
        assert sorted(served) == users
        assert await box.pending_count() == 0
    finally:
        await engine.dispose()


async def test_a_worker_stalled_past_its_claim_leaves_rows_another_took(
    box: SqlOutbox, clock: FixedClock
) -> None:
    users = await _queue(box, clock, 5)
    ticks = Ticks()
    taken: list[OutboxItem] = []

    async def take_over() -> None:
        taken.extend(await box.claim(clock.now(), BATCH, LEASE_SECONDS, SLACK))

    # The first lookup stalls the worker past its claim; another worker claims the rows then.
    lookups = SlowLookups(clock, ticks, LEASE_SECONDS + 10, take_over)
    stalled = Sender()
    sent = await deliver_due(
        box, {Platform.SLACK: stalled}, clock, boundaries=lookups, concurrency=1, monotonic=ticks
    )
    assert sent == 0 and stalled.sent == []
    assert sorted(item.recipient.user_id or "" for item in taken) == users
    for item in taken:  # and its claim is untouched by the stalled worker's giving back
        assert await box.mark_sent(item, clock.now())
    assert await box.pending_count() == 0


async def test_a_stopping_worker_finishes_what_is_in_flight_and_gives_back_the_rest(
    box: SqlOutbox, clock: FixedClock
) -> None:
    users = await _queue(box, clock, 20)
    stop = False

    def stop_after_three(sent: int) -> None:
        nonlocal stop
        stop = stop or sent == 3

    first = Sender(stop_after_three)
    sent = await deliver_due(
        box, {Platform.SLACK: first}, clock, concurrency=4, stopping=lambda: stop
    )
    # The sends already started when the stop came went out and were settled; nothing else.
    assert 3 <= sent == len(first.sent) <= 3 + 3
    again = await box.claim(clock.now(), BATCH, LEASE_SECONDS, SLACK)
    assert len(again) == 20 - sent
    assert {item.attempts for item in again} == {1}
    for item in again:
        assert await box.mark_sent(item, clock.now())
    assert sorted(first.sent + [item.recipient.user_id or "" for item in again]) == users
    assert await box.pending_count() == 0
    # A worker told to stop claims nothing more.
    assert await box.enqueue(
        "late", Recipient(Platform.SLACK, user_id="U1"), Card("hi"), clock.now()
    )
    assert await deliver_due(box, {Platform.SLACK: first}, clock, stopping=lambda: True) == 0
    assert await box.pending_count() == 1
