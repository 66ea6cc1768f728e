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

Before sending, the recipient's boundaries are consulted (working hours, days off, holidays, Do
Not Disturb): a held row waits for the next working moment, except one with a deadline that
does not wait (a break prompt) or that the next working moment would miss (an invitation to a
round closing before then): those are settled as dropped, as is one already too late.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import random
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
from bot.metrics import DELIVERIES

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# A claim is a lease; past it the rows may be another worker's. No new send starts later than
# SEND_SECONDS before it ends: one send can take that long (the client's timeouts and its waits
# for Retry-After), and a send still running when the lease ends could be made twice.
LEASE_SECONDS = 300.0
SEND_SECONDS = 150.0
# Two dnd.teamInfo calls of 50 people each look up a whole batch's Do Not Disturb.
BATCH = 100
# Recipients served side by side by one worker (OUTBOX_CONCURRENCY).
CONCURRENCY = 16


class _Done(enum.Enum):
    SENT = enum.auto()
    SETTLED = enum.auto()  # dropped, held or failed: the row is settled, not sent
    DEFERRED = enum.auto()  # to be tried again later: what is queued behind it waits as long
    LEFT = enum.auto()  # the claim is about to lapse: the row is left for the next claim


def backoff_seconds(attempts: int, base: float = 2.0, cap: float = 900.0) -> float:
    """Exponential backoff with full jitter."""
    return random.uniform(0, min(cap, base * 2 ** max(0, attempts - 1)))


async def deliver_due(
    queue: OutboxQueue,
    senders: SenderMap,
    clock: Clock,
    limit: int = BATCH,
    boundaries: Boundaries | None = None,
    concurrency: int = CONCURRENCY,
) -> int:
    """Send what is due; returns how many were sent."""
    claimed_at = clock.now()
    items = await queue.claim(claimed_at, limit, LEASE_SECONDS, list(senders))
    if not items:
        return 0
    stop_at = claimed_at + timedelta(seconds=LEASE_SECONDS - SEND_SECONDS)
    if boundaries is not None:
        await boundaries.prepare([item.recipient for item in items], claimed_at)
    lines: dict[Recipient, list[OutboxItem]] = {}
    for item in items:  # claimed oldest first
        lines.setdefault(item.recipient, []).append(item)
    gate = asyncio.Semaphore(max(1, concurrency))
    batch = _Batch(queue, senders, clock, boundaries, stop_at, gate)
    # An error in one line (the database, say) must not cancel other lines' sends half way: a
    # send cut off after Slack took it would be sent again once the lease lapses.
    outcomes = await asyncio.gather(
        *(batch.serve(line) for line in lines.values()), return_exceptions=True
    )
    if batch.left:
        log.warning(
            "outbox batch outlived its lease; %d row(s) left for the next claim", batch.left
        )
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    return batch.sent


@dataclass
class _Batch:
    queue: OutboxQueue
    senders: SenderMap
    clock: Clock
    boundaries: Boundaries | None
    stop_at: datetime
    gate: asyncio.Semaphore
    # A platform that asked to slow down, and until when.
    paused: dict[Platform, datetime] = field(default_factory=dict)
    sent: int = 0
    left: int = 0

    async def serve(self, line: list[OutboxItem]) -> None:
        """One recipient's messages, one at a time and in order."""
        async with self.gate:
            for position, item in enumerate(line):
                paused = self.paused.get(item.recipient.platform)
                if paused is not None:
                    await self._defer(line[position:], paused, "the platform asked to slow down")
                    return
                done, until = await self._deliver(item)
                if done is _Done.LEFT:
                    self.left += len(line) - position
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
            DELIVERIES.labels(item.recipient.platform.value, "deferred").inc()

    async def _deliver(self, item: OutboxItem) -> tuple[_Done, datetime | None]:
        queue, clock = self.queue, self.clock
        platform = item.recipient.platform.value
        now = clock.now()
        if now >= self.stop_at:
            return _Done.LEFT, None
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
        if clock.now() >= self.stop_at:  # the boundary lookup itself was slow
            return _Done.LEFT, None
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
