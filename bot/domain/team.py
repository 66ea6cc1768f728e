"""Teams as the rest of the domain sees them, after the roster has been validated."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from typing import Literal

from bot.domain.messages import Platform

MIN_GROUP_SIZE_FLOOR = 3
DEFAULT_MIN_GROUP_SIZE = 5


@dataclass(frozen=True, slots=True)
class PulseSchedule:
    cron: str = "0 10 * * mon"
    open_hours: int = 72
    remind_after_hours: int = 48


@dataclass(frozen=True, slots=True)
class SupportResource:
    label: str
    url: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class MemberSource:
    """Where extra members are synced from: a Slack channel's members or user group, or an
    Entra ID group (Teams), whose guests count only when `include_guests` says so."""

    kind: Literal["channel", "usergroup", "group"]
    id: str
    include_guests: bool = False


# The letters of a rota pattern: a day off, or a day on (day shift, night shift, worked day).
ROTA_OFF = "O"
ROTA_ON = "DNW"


@dataclass(frozen=True, slots=True)
class Rota:
    """A repeating cycle of days on and off from a first day, e.g. four on, four off.

    Letter i of `pattern` says whether the i-th day of each cycle is worked (D, N or W) or off
    (O); the cycle runs from `start` in both directions, so any date has its place in it.
    """

    pattern: str
    start: date

    def works_on(self, day: date) -> bool:
        return self.pattern[(day - self.start).days % len(self.pattern)] != ROTA_OFF


@dataclass(frozen=True, slots=True)
class WorkPattern:
    """Working days (0 = Monday) and hours, in whatever time zone the person lives in.

    A shift whose end is not after its start ("19:00-07:30") crosses midnight: it belongs to the
    day it starts, and ends the next morning. With a `rota`, its cycle says which days are worked
    instead of `days`. With `calendar` (a person's own choice, never a team's), their calendar
    feed says when they work: events whose title or category holds that word, or all busy time
    when it is "*"; the weekly pattern then applies only while the feed cannot be read.
    """

    days: frozenset[int] = frozenset(range(5))
    start: time = time(8, 0)
    end: time = time(18, 0)
    rota: Rota | None = None
    calendar: str | None = None

    @property
    def overnight(self) -> bool:
        return self.end <= self.start

    def works_on(self, day: date) -> bool:
        """Whether a shift starts on this local date (holidays aside)."""
        if self.rota is not None:
            return self.rota.works_on(day)
        return day.weekday() in self.days


@dataclass(frozen=True, slots=True)
class BreakDefaults:
    """The team's default for break prompts; each person may override both."""

    enabled: bool = True
    times: tuple[time, ...] = (time(10, 50), time(11, 50), time(14, 50), time(15, 50))


@dataclass(frozen=True, slots=True)
class Team:
    id: str
    name: str
    platform: Platform
    timezone: str
    members: frozenset[str]
    leads: frozenset[str]
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE
    pulse: PulseSchedule = PulseSchedule()
    resources: tuple[SupportResource, ...] = ()
    members_from: MemberSource | None = None
    # Recognition: where kudos are posted (a channel id) and how many a giver may send a day.
    kudos_channel: str | None = None
    kudos_daily_limit: int = 5
    work: WorkPattern = WorkPattern()
    breaks: BreakDefaults = BreakDefaults()
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.min_group_size < MIN_GROUP_SIZE_FLOOR:
            raise ValueError(
                f"min_group_size may not be below {MIN_GROUP_SIZE_FLOOR} (team {self.id})"
            )

    def is_member(self, platform: Platform, user_id: str) -> bool:
        return platform == self.platform and user_id in self.members

    def is_lead(self, platform: Platform, user_id: str) -> bool:
        return platform == self.platform and user_id in self.leads
