"""Clocks and periods: when things happen, and which period a moment belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.domain.team import Team


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


@dataclass(frozen=True, slots=True)
class Period:
    """One scheduled pulse window of a team: keyed by its scheduled start."""

    key: str
    opens_at: datetime
    remind_at: datetime
    closes_at: datetime


class PeriodCalendar(Protocol):
    """Turns a team's cron schedule into pulse windows, in the team's time zone."""

    def current(self, team: Team, now: datetime) -> Period:
        """The window an answer given now belongs to: the open one, else the next."""
        ...

    def latest_start(self, team: Team, now: datetime) -> Period | None:
        """The window whose scheduled start is the latest at or before now."""
        ...
