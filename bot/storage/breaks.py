"""Break prompts on SQL: one store for the tick, the outbox and the digest (docs/breaks.md).

`SqlBreakStore` is the `BreakStore` port as one object. It hands each call to the module that
does that job:

- `bot.storage.breaks_settings`: people's own settings and the schedules of people planned alone;
- `bot.storage.breaks_plans`: shared plans, how groups join them and how ticks move them;
- `bot.storage.breaks_fanout`: a plan's prompt turned into its followers' outbox rows;
- `bot.storage.breaks_uptake`: the team-week counts a digest reports, and the marks behind them.

Outbox rows and shared cards are written through `bot.storage.outbox`, which alone knows their
shape.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.domain.breaks import BreakSettings
from bot.domain.messages import Platform
from bot.domain.ports import (
    Advance,
    DueBreak,
    DueSchedules,
    OutboxItem,
    PlanJoin,
    PlanMove,
    PlansJoined,
    QueuedPrompt,
)
from bot.domain.team import Team
from bot.storage import breaks_fanout
from bot.storage.breaks_plans import SqlBreakPlans
from bot.storage.breaks_settings import SqlBreakSettings
from bot.storage.breaks_uptake import SqlBreakUptake
from bot.storage.calendar_seal import CalendarSeal
from bot.storage.outbox import SharedCards


class SqlBreakStore:
    enabled = True  # the BreakStore port: break prompts are on

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        teams: Callable[[str], Team | None],
        mark_key: bytes | None = None,
    ) -> None:
        """`teams` finds a team's current policy (members, default, minimum group size).

        `mark_key` keys the marks of who was prompted and of prompts pressed, and seals calendar
        addresses. Every process must share it (the server secret), or one person marked by two
        processes, or before and after a restart, would count as two. Without one, a key of this
        process only, which suits a single process that does not restart within a week.
        """
        key = mark_key if mark_key is not None else secrets.token_bytes(32)
        # The minute tick's statements go straight to a connection: no ORM session to set up.
        self._engine: AsyncEngine = sessions.kw["bind"]
        cards = SharedCards()
        self.settings = SqlBreakSettings(sessions, CalendarSeal(key), cards)
        self.plans = SqlBreakPlans(self._engine, cards)
        self.uptake = SqlBreakUptake(sessions, teams, key)

    # --- Settings and people planned alone ----------------------------------------------------

    async def get(self, platform: Platform, user_id: str) -> BreakSettings | None:
        return await self.settings.get(platform, user_id)

    async def of_people(
        self, platform: Platform, user_ids: Collection[str]
    ) -> dict[str, BreakSettings]:
        return await self.settings.of_people(platform, user_ids)

    async def save(self, settings: BreakSettings, now: datetime) -> None:
        await self.settings.save(settings, now)

    async def ensure_people(
        self, team_id: str, platform: Platform, user_ids: Iterable[str], now: datetime
    ) -> int:
        return await self.settings.ensure_people(team_id, platform, user_ids, now)

    async def due(self, now: datetime, limit: int) -> list[DueBreak]:
        return await self.settings.due(now, limit)

    async def commit(self, prompts: Sequence[QueuedPrompt], advances: Sequence[Advance]) -> int:
        return await self.settings.commit(prompts, advances)

    async def pending_timezones(self, limit: int) -> list[tuple[Platform, str]]:
        return await self.settings.pending_timezones(limit)

    async def set_timezone(
        self, platform: Platform, user_id: str, timezone: str | None, now: datetime
    ) -> None:
        await self.settings.set_timezone(platform, user_id, timezone, now)

    async def set_calendar_warned(self, platform: Platform, user_id: str, warned: bool) -> None:
        await self.settings.set_calendar_warned(platform, user_id, warned)

    # --- Shared plans -------------------------------------------------------------------------

    async def due_schedules(self, now: datetime) -> DueSchedules:
        return await self.plans.due_schedules(now)

    async def join_plans(self, joins: Sequence[PlanJoin], now: datetime) -> PlansJoined:
        return await self.plans.join_plans(joins, now)

    async def move_plans(self, moves: Sequence[PlanMove]) -> int:
        return await self.plans.move_plans(moves)

    async def fan_out(self, now: datetime) -> int:
        """The outbox calls this before each claim: it writes the marks of prompts sent since
        the last claim, removes expired marks, then fans out plans' prompts."""
        await self.uptake.write_marks()
        await self.uptake.forget_in_time(now)
        return await breaks_fanout.fan_out(self._engine, now)

    # --- Uptake -------------------------------------------------------------------------------

    async def acknowledge(
        self,
        platform: Platform,
        user_id: str,
        slot: str,
        outcome: str,
        team_id: str,
        week: tuple[datetime, datetime],
        now: datetime,
    ) -> bool:
        return await self.uptake.acknowledge(platform, user_id, slot, outcome, team_id, week, now)

    async def forget_presses(self, now: datetime) -> int:
        return await self.uptake.forget_presses(now)

    async def break_uptake(
        self, team_id: str, start: datetime, end: datetime
    ) -> tuple[int, int, int]:
        return await self.uptake.break_uptake(team_id, start, end)

    async def break_uptakes(
        self, start: datetime, end: datetime, team_ids: Collection[str] | None = None
    ) -> dict[str, tuple[int, int, int]]:
        return await self.uptake.break_uptakes(start, end, team_ids)

    async def prompt_sent(self, item: OutboxItem, now: datetime) -> None:
        await self.uptake.prompt_sent(item, now)

    async def forget_prompted(self, before: datetime) -> int:
        return await self.uptake.forget_prompted(before)

    async def people_prompted(
        self,
        team_id: str,
        start: datetime,
        end: datetime,
        besides: Collection[tuple[Platform, str]] = (),
    ) -> int:
        return await self.uptake.people_prompted(team_id, start, end, besides)

    async def prompted_among(
        self, team_id: str, start: datetime, end: datetime, people: Collection[tuple[Platform, str]]
    ) -> int:
        return await self.uptake.prompted_among(team_id, start, end, people)

    async def people_prompted_counts(
        self, start: datetime, end: datetime, team_ids: Collection[str] | None = None
    ) -> dict[str, int]:
        return await self.uptake.people_prompted_counts(start, end, team_ids)
