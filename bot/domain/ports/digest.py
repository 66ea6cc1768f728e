"""Digests: what a period's release reads (activity, frozen figures) and how charts are drawn."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from bot.domain.messages import Platform
from bot.domain.rollup import FrozenPeriod, GroupFigures, PriorRelease, TeamRound
from bot.domain.trend import TrendChart


class PeriodActivity(Protocol):
    """Counts from recognition and break prompts for one team over [start, end).

    A deployment without one of those features raises NotImplementedError from its method; the
    digest then leaves that line out. Counts are released under the same rules as the pulse
    figures: only for groups that release this period, frozen when the period is frozen.
    """

    async def kudos_count(self, team_id: str, start: datetime, end: datetime) -> int: ...

    async def break_uptake(
        self, team_id: str, start: datetime, end: datetime
    ) -> tuple[int, int, int]:
        """(prompted, done, skipped) break prompts of the team's members in the window."""
        ...

    async def people_prompted(
        self,
        team_id: str,
        start: datetime,
        end: datetime,
        besides: Collection[tuple[Platform, str]] = (),
    ) -> int:
        """How many distinct people were actually sent a break prompt in the window, not
        counting `besides` (the team's readers, who know their own presses): uptake with fewer
        than the team's minimum behind it is those few people's own record."""
        ...


class NullActivity:
    """Neither recognition nor break prompts are wired in: both lines stay out of digests."""

    async def kudos_count(self, team_id: str, start: datetime, end: datetime) -> int:
        raise NotImplementedError("recognition is not enabled")

    async def break_uptake(
        self, team_id: str, start: datetime, end: datetime
    ) -> tuple[int, int, int]:
        raise NotImplementedError("break prompts are not enabled")

    async def people_prompted(
        self,
        team_id: str,
        start: datetime,
        end: datetime,
        besides: Collection[tuple[Platform, str]] = (),
    ) -> int:
        raise NotImplementedError("break prompts are not enabled")


class DigestStore(Protocol):
    """Frozen period figures: written once per period, read by every digest afterwards."""

    async def pending_rounds(self) -> list[TeamRound]:
        """Closed rounds not yet part of a frozen period, with their frozen figures and the
        keyed marks of who took part."""
        ...

    def person_mark(self, platform: Platform, user_id: str) -> str:
        """The keyed mark that stands for a person in `TeamRound.people` and `PriorRelease`."""
        ...

    async def prior_releases(self, period: str, periods: int) -> list[PriorRelease]:
        """Exact releases of the frozen periods within `periods` weeks of `period`, on either
        side of it, with who answered."""
        ...

    async def purge_frozen_rounds(self) -> int:
        """Delete what is left of closed rounds whose period is frozen; how many had some."""
        ...

    async def freeze(self, frozen: FrozenPeriod, when: datetime) -> bool:
        """Store a period's figures; False (storing nothing) when it was frozen already."""
        ...

    async def history(self, group_id: str, limit: int) -> list[GroupFigures]:
        """The group's frozen figures of its last `limit` frozen periods, newest first."""
        ...

    async def period_groups(self, period: str, parent_id: str) -> list[GroupFigures]:
        """The frozen figures of a period's groups directly below `parent_id`."""
        ...

    async def recent(self, periods: int) -> list[GroupFigures]:
        """Every group's frozen figures of the last `periods` frozen periods, newest first."""
        ...

    async def mark_queued(self, period: str, when: datetime) -> None:
        """The period's digests are in the outbox."""
        ...

    async def unqueued_period(self) -> str | None:
        """The newest frozen period whose digests were never queued (a crash in between)."""
        ...


class ChartRenderer(Protocol):
    """Draws a trend chart; the composition root wires one that imports its plotting library
    only when it first draws."""

    @property
    def enabled(self) -> bool:
        """False for NullCharts: digests go out without a chart image."""
        ...

    def trend_png(self, chart: TrendChart) -> bytes: ...


class NullDigests:
    """Digests are not wired in: nothing is pending or frozen, so no period is ever released.

    A lead who asks for a digest is told there is none yet, as before a first round closes.
    """

    async def pending_rounds(self) -> list[TeamRound]:
        return []

    def person_mark(self, platform: Platform, user_id: str) -> str:
        # Never stored: with no pending rounds, no release is ever checked against a mark.
        return ""

    async def prior_releases(self, period: str, periods: int) -> list[PriorRelease]:
        return []

    async def purge_frozen_rounds(self) -> int:
        return 0

    async def freeze(self, frozen: FrozenPeriod, when: datetime) -> bool:
        return False

    async def history(self, group_id: str, limit: int) -> list[GroupFigures]:
        return []

    async def period_groups(self, period: str, parent_id: str) -> list[GroupFigures]:
        return []

    async def recent(self, periods: int) -> list[GroupFigures]:
        return []

    async def mark_queued(self, period: str, when: datetime) -> None:
        return None

    async def unqueued_period(self) -> str | None:
        return None


class NullCharts:
    """No plotting library is wired in: digests carry their figures and trend line, no image."""

    enabled = False

    def trend_png(self, chart: TrendChart) -> bytes:
        raise NotImplementedError("charts are not enabled; ask `enabled` before drawing")
