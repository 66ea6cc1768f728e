"""The outbox and the senders that drain it: what is queued, claimed, sent or deferred."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.domain.messages import Card, Platform, Recipient


class Outbox(Protocol):
    async def enqueue(
        self,
        key: str,
        recipient: Recipient,
        card: Card,
        not_before: datetime,
        drop_after: datetime | None = None,
        holds: bool = False,
    ) -> bool:
        """Queue one intended message; False when that key was already queued.

        A message with `drop_after` is dropped once it cannot go out by then. Outside the
        recipient's boundaries it is dropped at once (a break prompt), unless it `holds` (a pulse
        invitation): then it waits for the next working moment, if that comes in time.
        """
        ...

    async def cancel(self, key_prefix: str) -> int:
        """Delete the messages whose key starts with `key_prefix` and that are not sent yet
        (a withdrawn kudos' notes to its recipients); returns how many were removed."""
        ...

    async def existing(self, keys: Collection[str]) -> set[str]:
        """Which of these keys the outbox holds, whatever became of the message (queued, sent,
        dropped): what a job keyed by intended message reads to know what it queued already."""
        ...


class DeliveryDeferred(Exception):
    """The platform asked us to slow down or is briefly unavailable; try again later."""

    def __init__(self, retry_after: float, reason: str = "") -> None:
        super().__init__(reason or f"retry after {retry_after}s")
        self.retry_after = retry_after


class DeliveryFailed(Exception):
    """The message cannot be delivered (unknown user, bot removed); retrying will not help."""


class Sender(Protocol):
    """Delivers one card to one recipient on one platform."""

    async def send(self, recipient: Recipient, card: Card) -> str | None:
        """Send; returns the platform's reference to the message, for a later delete."""
        ...

    async def delete(self, recipient: Recipient, ref: str) -> None:
        """Remove a message the bot sent earlier (a withdrawn kudos, for example)."""
        ...


SenderMap = Mapping[Platform, Sender]


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    key: str
    recipient: Recipient
    card: Card
    attempts: int
    drop_after: datetime | None = None
    holds: bool = False
    # Which claim handed this row out: settling it is refused once another claim took it over.
    claim: str = ""

    def drop_rather_than_hold(self, until: datetime) -> bool:
        """Whether a boundary that lasts until `until` should drop this message, not hold it."""
        if self.drop_after is None:
            return False
        return not self.holds or until >= self.drop_after


class OutboxQueue(Protocol):
    """The delivery side of the outbox: claim due rows, then settle each one."""

    async def claim(
        self, now: datetime, limit: int, lease_seconds: float, platforms: Collection[Platform]
    ) -> list[OutboxItem]:
        """Due rows for these platforms only: a process without a platform's credentials
        leaves that platform's messages waiting for one that has them."""
        ...

    async def renew(
        self, items: Sequence[OutboxItem], now: datetime, lease_seconds: float
    ) -> set[int]:
        """Extend the claim on rows it still holds to `now + lease_seconds`; their ids."""
        ...

    async def give_back(self, items: Sequence[OutboxItem]) -> int:
        """Return claimed rows that were never tried to the queue now, without the attempt."""
        ...

    # Settling applies only while the row is still held by the claim that handed it out: a
    # worker whose lease lapsed (a slow batch) must not undo or repeat another worker's claim.

    async def mark_sent(self, item: OutboxItem, now: datetime) -> bool: ...

    async def defer(self, item: OutboxItem, until: datetime, error: str) -> bool: ...

    async def fail(self, item: OutboxItem, error: str) -> bool: ...

    async def hold(self, item: OutboxItem, until: datetime, reason: str) -> bool:
        """Put a claimed row back until `until` without counting it as a delivery attempt."""
        ...

    async def drop(self, item: OutboxItem, reason: str) -> bool:
        """Settle a message that is no longer worth sending (a late or out-of-hours prompt)."""
        ...

    async def pending_count(self) -> int: ...


class Lease(Protocol):
    """Leader election among replicas, so one process schedules at a time."""

    async def acquire(self, now: datetime, ttl_seconds: float) -> bool: ...

    def remaining(self) -> float:
        """Seconds the holder may still act as leader, by its own monotonic clock (0 when it
        does not hold the lease): a leader paused past its lease must not act on it."""
        ...

    async def release(self) -> None: ...
