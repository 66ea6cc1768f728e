"""Break prompts: due breaks, shared break plans and the uptake a digest reports.

How a store forms, joins, moves and leaves shared plans is docs/breaks.md.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol

from bot.domain.breaks import BreakSettings
from bot.domain.messages import Card, Platform, Recipient


@dataclass(frozen=True, slots=True)
class DueBreak:
    """A person whose next planned moment has come (a prompt, a note, or a re-plan)."""

    settings: BreakSettings
    next_at: datetime
    next_slot: str | None
    last_practice: int | None
    practice_stride: int


@dataclass(frozen=True, slots=True)
class DueGroup:
    """People planned alone, due now, who share all that plans them (docs/breaks.md)."""

    settings: BreakSettings
    next_at: datetime
    next_slot: str | None
    people: int
    calendar: bool
    match: tuple[object, ...]


@dataclass(frozen=True, slots=True)
class PlanJoin:
    """A group's members onto the plan of their settings, the rest dormant (docs/breaks.md)."""

    group: DueGroup
    members: frozenset[str]
    create: bool = True
    clear: frozenset[str] = frozenset()  # settings that ran out: "skip_date", "paused_until"


@dataclass(frozen=True, slots=True)
class PlansJoined:
    joined: int = 0
    dormant: int = 0


@dataclass(frozen=True, slots=True)
class DuePlan:
    """A shared plan whose next moment has come, with how many people follow it."""

    id: str
    settings: BreakSettings
    next_at: datetime
    next_slot: str | None
    sent: int
    followers: int


@dataclass(frozen=True, slots=True)
class DueSchedules:
    groups: list[DueGroup]
    plans: list[DuePlan]


@dataclass(frozen=True, slots=True)
class PlanPrompt:
    """One prompt for each follower of a plan (docs/breaks.md): `cards` by language, each by
    practice; a follower whose language has no cards gets the `fallback` language's."""

    slot: str
    cards: Mapping[str, tuple[Card, ...]]
    not_before: datetime
    drop_after: datetime | None
    team_id: str
    week: tuple[datetime, datetime]
    fallback: str = "en"


class PlanStep(Enum):
    """What a tick does with a due plan (docs/breaks.md)."""

    MOVE = "move"  # move it on, leaving its prompt (if any) to be fanned out
    RETIRE = "retire"  # remove it; its followers go dormant (its team is gone)
    RELEASE = "release"  # remove it; its followers are planned alone from its moment
    DROP = "drop"  # remove it unless someone has joined it since it was read


@dataclass(frozen=True, slots=True)
class PlanMove:
    """One due plan's step, taken only if the plan still holds its moment (docs/breaks.md)."""

    plan: DuePlan
    prompt: PlanPrompt | None
    next_at: datetime | None
    next_slot: str | None
    step: PlanStep = PlanStep.MOVE


@dataclass(frozen=True, slots=True)
class QueuedPrompt:
    key: str
    recipient: Recipient
    card: Card
    not_before: datetime
    drop_after: datetime | None
    team_id: str
    week: tuple[datetime, datetime]
    counted: bool = True


@dataclass(frozen=True, slots=True)
class Advance:
    """Move a person's next moment on, only if nobody else did first (compare-and-set)."""

    platform: str
    user_id: str
    old_next_at: datetime
    next_at: datetime | None
    next_slot: str | None
    last_practice: int | None


class BreakStore(Protocol):
    @property
    def enabled(self) -> bool:
        """False for NullBreaks: break prompts are off here, and a handler tells the person so."""
        ...

    async def get(self, platform: Platform, user_id: str) -> BreakSettings | None: ...

    async def of_people(
        self, platform: Platform, user_ids: Collection[str]
    ) -> dict[str, BreakSettings]:
        """The settings of these people, by user id, in one read; people without any are left
        out."""
        ...

    async def save(self, settings: BreakSettings, now: datetime) -> None:
        """Store all of a person's settings at once and ask the tick to re-plan them."""
        ...

    async def ensure_people(
        self, team_id: str, platform: Platform, user_ids: Iterable[str], now: datetime
    ) -> int:
        """Give every member a row (new rows are re-planned at the next tick)."""
        ...

    async def due(self, now: datetime, limit: int) -> list[DueBreak]: ...

    async def due_schedules(self, now: datetime) -> DueSchedules:
        """Groups of people planned alone and plans, due at `now` (docs/breaks.md)."""
        ...

    async def join_plans(self, joins: Sequence[PlanJoin], now: datetime) -> PlansJoined:
        """Move groups onto their plans in one transaction (docs/breaks.md)."""
        ...

    async def move_plans(self, moves: Sequence[PlanMove]) -> int:
        """Take plans' steps in one transaction; returns the followers prompted (docs/breaks.md)."""
        ...

    async def fan_out(self, now: datetime) -> int:
        """Queue plans' prompts as followers' outbox rows; returns how many (docs/breaks.md)."""
        ...

    async def commit(self, prompts: Sequence[QueuedPrompt], advances: Sequence[Advance]) -> int:
        """Queue prompts (at most once per key), move schedules on, count prompts per team-week.

        One transaction; returns how many prompts were newly queued.
        """
        ...

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
        """Count a Done or Skip once per prompt, in the team-week totals only.

        Only a prompt of `slot` actually sent to this person, pressed within a day of its
        sending, counts, and only once whatever the button, the process or a restart in between.
        Nothing stored records who pressed which button; False for a press not counted.
        """
        ...

    async def pending_timezones(self, limit: int) -> list[tuple[Platform, str]]: ...

    async def set_timezone(
        self, platform: Platform, user_id: str, timezone: str | None, now: datetime
    ) -> None: ...

    async def set_calendar_warned(self, platform: Platform, user_id: str, warned: bool) -> None: ...

    async def break_uptake(
        self, team_id: str, start: datetime, end: datetime
    ) -> tuple[int, int, int]: ...


class NullBreaks:
    """Break prompts are not wired in: nobody has settings, nothing is due, nothing is queued.

    Handlers ask `enabled` and answer that break prompts are not set up; `break_uptake` raises
    NotImplementedError like NullActivity, so a digest leaves the line out.
    """

    enabled = False

    async def get(self, platform: Platform, user_id: str) -> BreakSettings | None:
        return None

    async def of_people(
        self, platform: Platform, user_ids: Collection[str]
    ) -> dict[str, BreakSettings]:
        return {}

    async def save(self, settings: BreakSettings, now: datetime) -> None:
        return None

    async def ensure_people(
        self, team_id: str, platform: Platform, user_ids: Iterable[str], now: datetime
    ) -> int:
        return 0

    async def due(self, now: datetime, limit: int) -> list[DueBreak]:
        return []

    async def due_schedules(self, now: datetime) -> DueSchedules:
        return DueSchedules([], [])

    async def join_plans(self, joins: Sequence[PlanJoin], now: datetime) -> PlansJoined:
        return PlansJoined()

    async def move_plans(self, moves: Sequence[PlanMove]) -> int:
        return 0

    async def fan_out(self, now: datetime) -> int:
        return 0

    async def commit(self, prompts: Sequence[QueuedPrompt], advances: Sequence[Advance]) -> int:
        return 0

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
        return False

    async def pending_timezones(self, limit: int) -> list[tuple[Platform, str]]:
        return []

    async def set_timezone(
        self, platform: Platform, user_id: str, timezone: str | None, now: datetime
    ) -> None:
        return None

    async def set_calendar_warned(self, platform: Platform, user_id: str, warned: bool) -> None:
        return None

    async def break_uptake(
        self, team_id: str, start: datetime, end: datetime
    ) -> tuple[int, int, int]:
        raise NotImplementedError("break prompts are not enabled")
