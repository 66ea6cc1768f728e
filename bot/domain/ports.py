"""The small protocols (ports) that handlers and scheduler jobs depend on.

Storage, platforms and the clock implement these at the edge; the composition root wires them
in. Keeping them here, beside the domain, lets handlers and jobs be tested against fakes and keeps
SQL and SDKs out of the conversation logic.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol

from bot.domain.breaks import BreakSettings, Busy
from bot.domain.messages import Card, Platform, Recipient
from bot.domain.rollup import FrozenPeriod, GroupFigures, PriorRelease, TeamRound
from bot.domain.team import MemberSource, Team
from bot.domain.trend import TrendChart


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class Directory(Protocol):
    """Who is in which team, from the roster and any synced channel or group membership."""

    def teams(self) -> Sequence[Team]: ...

    def team(self, team_id: str) -> Team | None: ...

    def team_of(self, platform: Platform, user_id: str) -> Team | None: ...

    def teams_led_by(self, platform: Platform, user_id: str) -> Sequence[Team]: ...


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


@dataclass(frozen=True, slots=True)
class Round:
    id: str
    team_id: str
    period_key: str
    opens_at: datetime
    remind_at: datetime
    closes_at: datetime
    invited_at: datetime | None = None
    reminded_at: datetime | None = None
    closed_at: datetime | None = None

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class Recorded(Enum):
    """What became of one pulse answer."""

    STORED = "stored"
    ALREADY_ANSWERED = "already_answered"
    ROUND_CLOSED = "round_closed"


class RoundStore(Protocol):
    async def get(self, round_id: str) -> Round | None: ...

    async def find(self, team_id: str, period_key: str) -> Round | None: ...

    async def ensure(self, team_id: str, period: Period) -> Round:
        """Get or create the round of this (team, period); safe under concurrent callers."""
        ...

    async def record_response(
        self,
        round_id: str,
        unit_id: str,
        platform: Platform,
        user_id: str,
        answers: Mapping[str, int],
    ) -> bool:
        """Store an anonymous answer and, apart from it, that this person took part.

        In the same transaction every answer of the round is re-written under new ids in random
        order, so nothing written alongside the participation row singles out this answer.
        Returns False, storing nothing, when this person already answered this round or it is
        closed.
        """
        ...

    async def record_in_period(
        self,
        team_id: str,
        period: Period,
        unit_id: str,
        platform: Platform,
        user_id: str,
        answers: Mapping[str, int],
    ) -> Recorded:
        """Open the (team, period) round if nobody has, then record the answer in it as
        `record_response` does: the path of every check-in."""
        ...

    async def has_answered(self, round_id: str, platform: Platform, user_id: str) -> bool: ...

    async def answered_in_period(
        self, team_id: str, period_key: str, platform: Platform, user_id: str
    ) -> bool:
        """Whether this person answered the (team, period) round; False when there is none."""
        ...

    async def participants(self, round_id: str) -> set[tuple[Platform, str]]: ...

    async def mark_invited(self, round_id: str, when: datetime) -> bool:
        """Returns True for the one caller that marked it first."""
        ...

    async def mark_reminded(self, round_id: str, when: datetime) -> bool: ...

    async def close(self, round_id: str, members: int, when: datetime) -> bool:
        """Freeze per-unit figures and re-write answers in random order, in one transaction.

        True for the one caller that closed it; later calls change nothing.
        """
        ...

    async def answers(self, round_id: str) -> list[tuple[str, dict[str, int]]]:
        """(unit id, answers) of every response of a round, in storage order."""
        ...

    async def open_rounds(self) -> list[Round]: ...


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


class MemberLookupFailed(Exception):
    """The platform could not list a source's members; the message says why, in one line."""


class MemberLookup(Protocol):
    """Reads a channel's or user group's members from the platform (MemberLookupFailed when it
    cannot)."""

    async def members(self, source: MemberSource) -> set[str]: ...


class MemberStore(Protocol):
    async def replace(
        self, team_id: str, platform: Platform, user_ids: Iterable[str], when: datetime
    ) -> None: ...

    async def load(self) -> dict[str, set[str]]: ...


# --- Break prompts and the boundary between work and home ------------------------------------


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

    def trend_png(self, chart: TrendChart) -> bytes: ...


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the audit log: who (a lead, an admin) did what to which group, and when.
    Never anything about an answer."""

    at: datetime
    actor: str  # "slack:U012", "teams:<object id>", "cli:<operating-system user>"
    action: str  # digest.read, digest.export, pulse.open, pulse.close, forget
    subject: str  # the group read or acted on
    via: str  # chat, cli, html, csv


class AuditLog(Protocol):
    """Append-only: entries are recorded and read, never changed (retention aside)."""

    async def record(self, entry: AuditEntry) -> None: ...
