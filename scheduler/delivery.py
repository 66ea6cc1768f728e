"""The outbox worker: claim due messages, send each once, and settle it.

A platform's "slow down" (Slack 429 with Retry-After, Teams 429/412/502/504) defers the row; an
unreachable recipient fails it; anything unexpected is retried with exponential backoff and
jitter until MAX_ATTEMPTS. A row is never dropped silently.

Different recipients' messages go side by side, a bounded number at a time: a Web API call takes
tens to hundreds of milliseconds on a real network, and a busy break minute or a round opening
for a whole organisation has thousands to send. One recipient's messages still go one at a time,
in the order they were queued.

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
from datetime import datetime, timedelta

from bot.domain.messages import Recipient
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
# A batch's lease is long, so even slow boundary lookups (Do Not Disturb) finish well within it;
# past the lease the rest of the batch is left for whoever claims it next.
LEASE_SECONDS = 300.0
BATCH = 64
# Recipients served side by side by one worker. Slack's per-method limits are per minute, and a
# 429 defers the row (or slack_sdk waits out Retry-After); Teams paces each conversation.
CONCURRENCY = 16


class _Done(enum.Enum):
    SENT = enum.auto()
    SETTLED = enum.auto()  # dropped, held, deferred or failed: the row is settled, not sent
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
    # Stop a little before the lease ends: a row whose lease lapsed may be another worker's now.
    stop_at = claimed_at + timedelta(seconds=LEASE_SECONDS * 0.9)
    if boundaries is not None and items:
        await boundaries.prepare([item.recipient for item in items], claimed_at)
    lines: dict[Recipient, list[OutboxItem]] = {}
    for item in items:  # claimed oldest first
        lines.setdefault(item.recipient, []).append(item)
    gate = asyncio.Semaphore(max(1, concurrency))
    sent = left = 0

    async def serve(line: list[OutboxItem]) -> None:
        nonlocal sent, left
        async with gate:
            for position, item in enumerate(line):
                done = await _deliver(item, queue, senders, clock, boundaries, stop_at)
                if done is _Done.LEFT:
                    left += len(line) - position
                    return
                if done is _Done.SENT:
                    sent += 1

    # An error in one line (the database, say) must not cancel other lines' sends half way: a
    # send cut off after Slack took it would be sent again once the lease lapses.
    outcomes = await asyncio.gather(
        *(serve(line) for line in lines.values()), return_exceptions=True
    )
    if left:
        log.warning("outbox batch outlived its lease; %d row(s) left for the next claim", left)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    return sent


async def _deliver(
    item: OutboxItem,
    queue: OutboxQueue,
    senders: SenderMap,
    clock: Clock,
    boundaries: Boundaries | None,
    stop_at: datetime,
) -> _Done:
    platform = item.recipient.platform.value
    now = clock.now()
    if now >= stop_at:
        return _Done.LEFT
    if item.drop_after is not None and now > item.drop_after:
        await queue.drop(item, "too late to be useful")
        DELIVERIES.labels(platform, "dropped").inc()
        return _Done.SETTLED
    if boundaries is not None:
        hold = await boundaries.hold(item.recipient, now)
        if hold is not None:
            if item.drop_rather_than_hold(hold.until):
                await queue.drop(item, hold.reason)
                DELIVERIES.labels(platform, "dropped").inc()
            else:
                await queue.hold(item, hold.until, hold.reason)
                DELIVERIES.labels(platform, "held").inc()
            return _Done.SETTLED
    if clock.now() >= stop_at:  # the boundary lookup itself was slow
        return _Done.LEFT
    sender = senders[item.recipient.platform]  # only these platforms were claimed
    try:
        await sender.send(item.recipient, item.card)
    except DeliveryDeferred as exc:
        until = clock.now() + timedelta(seconds=max(exc.retry_after, 0.0))
        await queue.defer(item, until, str(exc))
        DELIVERIES.labels(platform, "deferred").inc()
        log.warning("outbox %s deferred %.1fs: %s", item.id, exc.retry_after, exc)
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
            await queue.defer(item, clock.now() + timedelta(seconds=delay), repr(exc))
            DELIVERIES.labels(platform, "retry").inc()
            log.warning("outbox %s retry in %.1fs: %r", item.id, delay, exc)
    else:
        await queue.mark_sent(item, clock.now())
        DELIVERIES.labels(platform, "sent").inc()
        return _Done.SENT
    return _Done.SETTLED
