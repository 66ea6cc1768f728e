"""Break prompts: due breaks, shared break plans and the uptake a digest reports."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
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
    """Everyone planned alone whose next moment has come and who shares all that plans it.

    Same team, platform, own settings (all None for people on the team's defaults), stored
    moment and planned slot: one plan serves them all. `settings.user_id` is empty. `calendar`
    groups hold people with a calendar feed, who are planned one by one. `match` is the
    store's own description of these rows, handed back unchanged in a PlanJoin.
    """

    settings: BreakSettings
    next_at: datetime
    next_slot: str | None
    people: int
    calendar: bool
    match: tuple[object, ...]


@dataclass(frozen=True, slots=True)
class PlanJoin:
    """Move a group's members onto the shared plan of their settings; anyone not in `members`
    goes dormant. Without `create`, members move only if that plan is already there; a plan
    made for them starts from the group's own moment and slot.

    Rows move only if they still match the group as it was read (compare-and-set).
    """

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
    """One prompt for each follower of a plan, at the same slot.

    Each person's practice rotates on from their own last one by their own stride; `cards`
    holds the card of every practice, by index, so a card is rendered once per plan and not
    once per person. Keys are `break:<recipient key>:<slot>`, as for a single QueuedPrompt.
    """

    slot: str
    cards: tuple[Card, ...]
    not_before: datetime
    drop_after: datetime | None
    team_id: str
    week: tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class PlanMove:
    """Move a plan on, leaving its prompt to be fanned out to its followers.

    The plan moves only if it still holds the moment that was read (compare-and-set). With
    `retire`, the plan is removed instead and its followers go dormant (its team is gone).
    With `release`, it is removed and its followers are planned alone from its moment (a
    skipped day or a pause that is over: they move to the plan of the settings left). With
    `drop` (it had no followers when read), it is removed unless someone follows it by then:
    a plan someone has just joined stays, to move on at the next tick.
    """

    plan: DuePlan
    prompt: PlanPrompt | None
    next_at: datetime | None
    next_slot: str | None
    retire: bool = False
    release: bool = False
    drop: bool = False


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
        """Everyone planned alone and due at `now`, as groups sharing settings, and the shared
        plans due at `now` (one query)."""
        ...

    async def join_plans(self, joins: Sequence[PlanJoin], now: datetime) -> PlansJoined:
        """Move each group's members onto their plan (made if new) and send non-members
        dormant; one transaction. A group joins only a plan whose next prompt is the one it
        would send itself: the same slot, or, for a group with no slot yet, none due by `now`.
        """
        ...

    async def move_plans(self, moves: Sequence[PlanMove]) -> int:
        """Move plans on, each prompt left to be fanned out at most once; one transaction.

        Returns how many followers the prompts left reach.
        """
        ...

    async def fan_out(self, now: datetime) -> int:
        """Queue the outbox rows of plans' prompts (at most once per key), each follower's
        practice the next after their own last one, as `rotate` says, by their own stride;
        count them per team-week. Returns how many rows were queued."""
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
