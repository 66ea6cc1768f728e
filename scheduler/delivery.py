"""The outbox worker: claim due messages, send each once, and settle it.

A platform's "slow down" (Slack 429 with Retry-After, Teams 429/412/502/504) defers the row; an
unreachable recipient fails it; anything unexpected is retried with exponential backoff and
jitter until MAX_ATTEMPTS. A row is never dropped silently.

Different recipients' messages go side by side, a bounded number at a time: a Web API call takes
tens to hundreds of milliseconds on a real network, and a busy break minute or a round opening
for a whole organisation has thousands to send. One recipient's messages still go one at a time,
in the order they were queued: when one is deferred, the ones behind it wait as long. When a
platform asks to slow down (a 429 that outlasted the client's own retries), the batch's other
messages on that platform are deferred as long too, instead of each asking again.

A claim is a lease, short and renewed while the batch runs (one statement for the batch every
RENEW_SECONDS): a worker killed mid-batch holds its rows only until its last renewal ends, while a
live one keeps them through a slow send or a long Retry-After. It keeps its own count of the time
left on the monotonic clock, and starts no send with less than START_SECONDS left (renewals are
failing, or the process was stalled): what is already in flight then has that long to finish
before another worker may claim the row. A row the renewal no longer finds held (another worker
took it after a stall) is not sent. A stopping worker starts nothing new, lets the sends in
flight finish, and gives back the rows it never tried, claimable at once.

Before sending, the recipient's boundaries are consulted (working hours, days off, holidays, Do
Not Disturb): a held row waits for the next working moment, except one with a deadline that
does not wait (a break prompt) or that the next working moment would miss (an invitation to a
round closing before then): those are settled as dropped, as is one already too late.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.domain.messages import Platform, Recipient
from bot.domain.ports import (
    Boundaries,
    Clock,
    DeliveryDeferred,
    DeliveryFailed,
    OutboxItem,
    OutboxQueue,
    SenderMap,
)
from bot.infra.metrics import DELIVERIES

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# A claim is a lease; past it the rows may be another worker's. Rows of a worker that died come
# back at most LEASE_SECONDS after its last renewal; a live worker renews every RENEW_SECONDS.
LEASE_SECONDS = 30.0
RENEW_SECONDS = 10.0
# No send starts with less of the claim left than this (by the worker's monotonic clock, from
# the start of its last renewal that answered): when renewals stop, the sends in flight have
# this long to finish, with room for the wall clocks of two workers to disagree a little.
START_SECONDS = 15.0
# Two dnd.teamInfo calls of 50 people each look up a whole batch's Do Not Disturb.
BATCH = 100
# Recipients served side by side by one worker (OUTBOX_CONCURRENCY).
CONCURRENCY = 16


class _Done(enum.Enum):
    SENT = enum.auto()
    SETTLED = enum.auto()  # dropped, held or failed: the row is settled, not sent
    DEFERRED = enum.auto()  # to be tried again later: what is queued behind it waits as long
    LEFT = enum.auto()  # not tried (stopping, or the claim is running out): given back


def backoff_seconds(attempts: int, base: float = 2.0, cap: float = 900.0) -> float:
    """Exponential backoff with full jitter."""
    return random.uniform(0, min(cap, base * 2 ** max(0, attempts - 1)))


def _never() -> bool:
    return False


async def deliver_due(
    queue: OutboxQueue,
    senders: SenderMap,
    clock: Clock,
    limit: int = BATCH,
    boundaries: Boundaries | None = None,
    concurrency: int = CONCURRENCY,
    stopping: Callable[[], bool] = _never,
    monotonic: Callable[[], float] = time.monotonic,
) -> int:
    """Send what is due; returns how many were sent. Once `stopping()` says so, no new send
    starts and the rows not yet tried are given back."""
    if stopping():
        return 0
    asked_at = monotonic()
    claimed_at = clock.now()
    items = await queue.claim(claimed_at, limit, LEASE_SECONDS, list(senders))
    if not items:
        return 0
    claim = _Claim(queue, clock, monotonic, {i.id: i for i in items}, asked_at)
    done = asyncio.Event()
    renewing = asyncio.create_task(claim.keep(done))
    gate = asyncio.Semaphore(max(1, concurrency))
    batch = _Batch(queue, senders, clock, boundaries, claim, stopping, gate)
    try:
        if boundaries is not None:
            await boundaries.prepare([item.recipient for item in items], claimed_at)
        lines: dict[Recipient, list[OutboxItem]] = {}
        for item in items:  # claimed oldest first
            lines.setdefault(item.recipient, []).append(item)
        # An error in one line (the database, say) must not cancel other lines' sends half way:
        # a send cut off after Slack took it would be sent again once the lease lapses.
        outcomes = await asyncio.gather(
            *(batch.serve(line) for line in lines.values()), return_exceptions=True
        )
    finally:
        done.set()
        await renewing  # never cut off mid-statement: it finishes its renewal and returns
        await claim.give_back(stopping())
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    return batch.sent


@dataclass
class _Claim:
    """One batch's claim on its rows: renewed while it runs, its time left kept by the worker."""

    queue: OutboxQueue
    clock: Clock
    monotonic: Callable[[], float]
    # Rows neither settled nor given back yet, by id.
    open: dict[int, OutboxItem]
    renewed_at: float  # monotonic, read before the claim (or the renewal) was asked for
    started: set[int] = field(default_factory=set)  # rows whose send began: never given back
    lost: set[int] = field(default_factory=set)  # rows this claim no longer holds
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def remaining(self) -> float:
        return self.renewed_at + LEASE_SECONDS - self.monotonic()

    def may_start(self, item: OutboxItem) -> bool:
        return item.id not in self.lost and self.remaining() >= START_SECONDS

    def settled(self, item: OutboxItem) -> None:
        self.open.pop(item.id, None)

    async def keep(self, done: asyncio.Event) -> None:
        """Renew every RENEW_SECONDS until the batch is done."""
        while not done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), RENEW_SECONDS)
                return
            await self.renew()

    async def renew_if_due(self) -> None:
        if self.monotonic() - self.renewed_at >= RENEW_SECONDS:
            await self.renew()

    async def renew(self) -> None:
        async with self.lock:
            asked_at = self.monotonic()
            if asked_at - self.renewed_at < RENEW_SECONDS / 2:  # renewed while this waited
                return
            rows = list(self.open.values())
            if not rows:
                return
            try:
                held = await self.queue.renew(rows, self.clock.now(), LEASE_SECONDS)
            except Exception as exc:  # the time left runs down; sends stop before it is out
                log.warning("outbox claim not renewed (%.0fs left): %r", self.remaining(), exc)
                return
            self.renewed_at = asked_at
            self.lost.update(row.id for row in rows if row.id not in held)

    async def give_back(self, stopping: bool) -> None:
        """Return the rows no send was tried for, so they need not wait for the lease."""
        unsent = [item for item in self.open.values() if item.id not in self.started]
        if not unsent:
            return
        try:
            given = await self.queue.give_back(unsent)
        except Exception as exc:  # they come back when the lease lapses
            log.warning("outbox: %d row(s) not given back: %r", len(unsent), exc)
            return
        for item in unsent:
            self.open.pop(item.id, None)
        if stopping:
            log.info("outbox: stopping; %d row(s) given back to the queue", given)
        elif given:  # renewals failing, or an error ended the batch early
            log.warning("outbox batch ended early; %d row(s) given back to the queue", given)


@dataclass
class _Batch:
    queue: OutboxQueue
    senders: SenderMap
    clock: Clock
    boundaries: Boundaries | None
    claim: _Claim
    stopping: Callable[[], bool]
    gate: asyncio.Semaphore
    # A platform that asked to slow down, and until when.
    paused: dict[Platform, datetime] = field(default_factory=dict)
    sent: int = 0

    async def serve(self, line: list[OutboxItem]) -> None:
        """One recipient's messages, one at a time and in order."""
        async with self.gate:
            for position, item in enumerate(line):
                paused = self.paused.get(item.recipient.platform)
                if paused is not None:
                    await self._defer(line[position:], paused, "the platform asked to slow down")
                    return
                done, until = await self._deliver(item)
                if done is _Done.LEFT:  # given back when the batch ends
                    return
                if done is _Done.SENT:
                    self.sent += 1
                elif done is _Done.DEFERRED:
                    assert until is not None
                    await self._defer(line[position + 1 :], until, "behind an earlier message")
                    return

    async def _defer(self, items: list[OutboxItem], until: datetime, reason: str) -> None:
        for item in items:
            await self.queue.defer(item, until, reason)
            self.claim.settled(item)
            DELIVERIES.labels(item.recipient.platform.value, "deferred").inc()

    async def _may_start(self, item: OutboxItem) -> bool:
        if self.stopping():
            return False
        await self.claim.renew_if_due()
        return self.claim.may_start(item)

    async def _deliver(self, item: OutboxItem) -> tuple[_Done, datetime | None]:
        if not await self._may_start(item):
            return _Done.LEFT, None
        done = await self._try(item)
        if done[0] is not _Done.LEFT:
            self.claim.settled(item)
        return done

    async def _try(self, item: OutboxItem) -> tuple[_Done, datetime | None]:
        queue, clock = self.queue, self.clock
        platform = item.recipient.platform.value
        now = clock.now()
        if item.drop_after is not None and now > item.drop_after:
            await queue.drop(item, "too late to be useful")
            DELIVERIES.labels(platform, "dropped").inc()
            return _Done.SETTLED, None
        if self.boundaries is not None:
            hold = await self.boundaries.hold(item.recipient, now)
            if hold is not None:
                if item.drop_rather_than_hold(hold.until):
                    await queue.drop(item, hold.reason)
                    DELIVERIES.labels(platform, "dropped").inc()
                else:
                    await queue.hold(item, hold.until, hold.reason)
                    DELIVERIES.labels(platform, "held").inc()
                return _Done.SETTLED, None
        if not await self._may_start(item):  # the boundary lookup itself was slow
            return _Done.LEFT, None
        self.claim.started.add(item.id)
        sender = self.senders[item.recipient.platform]  # only these platforms were claimed
        try:
            await sender.send(item.recipient, item.card)
        except DeliveryDeferred as exc:
            until = clock.now() + timedelta(seconds=max(exc.retry_after, 0.0))
            await queue.defer(item, until, str(exc))
            DELIVERIES.labels(platform, "deferred").inc()
            log.warning("outbox %s deferred %.1fs: %s", item.id, exc.retry_after, exc)
            known = self.paused.get(item.recipient.platform)
            self.paused[item.recipient.platform] = until if known is None else max(known, until)
            return _Done.DEFERRED, until
        except DeliveryFailed as exc:
            await queue.fail(item, str(exc))
            DELIVERIES.labels(platform, "failed").inc()
            log.error("outbox %s failed: %s", item.id, exc)
        except Exception as exc:  # an unexpected error must not lose the row
            if item.attempts >= MAX_ATTEMPTS:
                await queue.fail(item, repr(exc))
                DELIVERIES.labels(platform, "failed").inc()
                log.exception("outbox %s failed after %d attempts", item.id, item.attempts)
            else:
                delay = backoff_seconds(item.attempts)
                until = clock.now() + timedelta(seconds=delay)
                await queue.defer(item, until, repr(exc))
                DELIVERIES.labels(platform, "retry").inc()
                log.warning("outbox %s retry in %.1fs: %r", item.id, delay, exc)
                return _Done.DEFERRED, until
        else:
            await queue.mark_sent(item, clock.now())
            DELIVERIES.labels(platform, "sent").inc()
            return _Done.SENT, None
        return _Done.SETTLED, None
