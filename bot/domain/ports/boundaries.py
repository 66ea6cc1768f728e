"""The boundary between work and home: working time, do-not-disturb, time zones, calendars."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.domain.breaks import Busy
from bot.domain.messages import Recipient


@dataclass(frozen=True, slots=True)
class Hold:
    """Not now: the message waits until `until` (or is dropped, when it may be)."""

    until: datetime
    reason: str


class Boundaries(Protocol):
    """Whether a person may be messaged now: working hours and days, holidays, Do Not Disturb."""

    async def prepare(self, recipients: Sequence[Recipient], now: datetime) -> None:
        """Look up what a batch of recipients needs at once (Do Not Disturb), ahead of `hold`."""
        ...

    async def hold(self, recipient: Recipient, now: datetime) -> Hold | None:
        """None when the message may go now; else when to try again."""
        ...


class DoNotDisturb(Protocol):
    async def prefetch(self, user_ids: Collection[str], now: datetime) -> None:
        """Learn many people's Do Not Disturb in as few calls as the platform allows."""
        ...

    async def until(self, user_id: str, now: datetime) -> datetime | None:
        """When the person's Do Not Disturb ends; None when it is off."""
        ...


class TimezoneLookup(Protocol):
    async def timezone(self, user_id: str) -> str | None:
        """The person's IANA time zone as the platform knows it, if it does."""
        ...


class CalendarUnavailable(Exception):
    """A calendar feed could not be read. The message never carries the feed's address."""


class CalendarFeed(Protocol):
    async def busy(self, url: str, start: datetime, end: datetime, tz: str) -> list[Busy]:
        """Timed, confirmed events overlapping [start, end); raises CalendarUnavailable.

        `tz` is how to read floating (zone-less) times in the feed.
        """
        ...
