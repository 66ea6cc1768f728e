"""A person's own pulse time: the weekday and local time their invitation arrives in a round.

A round opens on the team's schedule; someone whose morning is busy, or who works nights, may
rather be asked on Thursday at 08:00. Their invitation then comes at the first such moment at or
after the round opens, in their own time zone, provided it leaves them time to answer: at least
half of the team's `remind_after_hours` before the round closes (LATE_SHARE). Later than that, it
comes when the round opens, as everyone else's does. Their reminder follows their own invitation
by `remind_after_hours`, and is not sent at all when that would be at or after the close.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.commands import canonical
from bot.domain.shifts import at_local, weekday_number
from bot.infra.i18n import N_, _, weekday_names

# The kinds of a round's messages to its members, the first word of their outbox keys.
INVITE = "pulse-invite"
REMIND = "pulse-remind"
KINDS = (INVITE, REMIND)
# An invitation needs this share of the team's reminder delay left before the close.
LATE_SHARE = 0.5
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
NOT_A_PULSE_TIME = N_(
    "“{text}” is not a pulse time. Give a day and a 24-hour time, e.g. `thu 08:00` or "
    "`monday 14:30`, or `off`."
)


@dataclass(frozen=True, slots=True)
class PulseTime:
    """Monday is weekday 0; `minute` counts from local midnight."""

    weekday: int
    minute: int

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6 or not 0 <= self.minute < 24 * 60:
            raise ValueError(f"no such pulse time: weekday {self.weekday}, minute {self.minute}")

    @property
    def clock(self) -> time:
        return time(self.minute // 60, self.minute % 60)

    def describe(self) -> str:
        """ "Thursday 08:00", "jueves 08:00": the day as the current language writes it."""
        return f"{weekday_names('wide')[self.weekday]} {self.clock:%H:%M}"


def parse_pulse_time(text: str) -> PulseTime | None:
    """A pulse time from "thu 08:00" (or "do 08:00", "jueves 08:00": the day in the person's
    language or in English); None for "off"; ValueError naming the accepted forms."""
    words = text.strip().lower().split()
    if len(words) == 1 and canonical(words[0], ("off",)):  # "off", "aus", ...
        return None
    if len(words) != 2:
        raise ValueError(_(NOT_A_PULSE_TIME).format(text=text.strip()))
    day, clock = words
    weekday = weekday_number(day)
    match = _TIME.match(clock)
    if weekday is None or match is None:
        raise ValueError(_(NOT_A_PULSE_TIME).format(text=text.strip()))
    return PulseTime(weekday, int(match.group(1)) * 60 + int(match.group(2)))


def next_occurrence(chosen: PulseTime, tz: ZoneInfo, after: datetime) -> datetime:
    """The first instant at or after `after` that reads as the chosen weekday and time in `tz`.

    A time the clocks skip (01:30 on the night they go forward) comes an hour later by the wall
    clock, the same instant; a time they repeat comes at its first reading.
    """
    local = after.astimezone(tz)
    day = local.date() + timedelta(days=(chosen.weekday - local.weekday()) % 7)
    at = at_local(day, chosen.clock, tz)
    if at < after:
        at = at_local(day + timedelta(days=7), chosen.clock, tz)
    return at


def own_invitation(
    chosen: PulseTime,
    tz: ZoneInfo,
    opens_at: datetime,
    closes_at: datetime,
    remind_after: timedelta,
) -> datetime | None:
    """When this person's invitation to a round is due; None when their time comes too late in
    the round to leave them time to answer (they are invited when it opens)."""
    at = next_occurrence(chosen, tz, opens_at)
    if at + remind_after * LATE_SHARE > closes_at:
        return None
    return at


def own_reminder(
    invited: datetime, closes_at: datetime, remind_after: timedelta
) -> datetime | None:
    """When the reminder after an invitation sent at `invited` is due; None after the close."""
    at = invited + remind_after
    return at if at < closes_at else None


def round_key(kind: str, round_id: str, recipient_key: str) -> str:
    """The outbox key of a message sent on the round's own schedule (at its opening, at its
    reminder)."""
    return f"{kind}:{round_id}:{recipient_key}"


def own_key(kind: str, round_id: str, recipient_key: str) -> str:
    """The outbox key of a message timed by the person's own pulse time. It ends in a word of
    its own, so that cancelling it by prefix never reaches another person's (U1 is a prefix of
    U10)."""
    return f"{round_key(kind, round_id, recipient_key)}:own"
