"""Shifts: when a working pattern says someone is at work, night shifts and rotas included.

A shift belongs to the local date it starts on. Its start and end are wall-clock times turned
into instants once, on that date (and, for a shift that crosses midnight, the next), so a night
shift across a daylight-saving change is as long as the clocks make it: 19:00-07:30 lasts 11.5
hours in London on the night the clocks go forward and 13.5 on the night they go back.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.domain.team import ROTA_OFF, ROTA_ON, WorkPattern
from bot.infra.i18n import _, parse_weekday, weekday_names

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A rota longer than eight weeks is more likely a typing slip than a cycle.
MAX_ROTA_DAYS = 56
ALL_BUSY = "*"
_ROTA = re.compile(rf"^[{ROTA_ON}{ROTA_OFF}]{{1,{MAX_ROTA_DAYS}}}$")


def at_local(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a local date (fold=0 on ambiguous times)."""
    return datetime.combine(day, clock).replace(tzinfo=tz).astimezone(UTC)


@lru_cache(maxsize=8192)
def shift_span(work: WorkPattern, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants a shift starting on `day` begins and ends (whether or not it is worked)."""
    end_day = day + timedelta(days=1) if work.overnight else day
    return at_local(day, work.start, tz), at_local(end_day, work.end, tz)


def parse_rota_pattern(text: str) -> str:
    """A rota pattern in upper case, e.g. "DDDDOOOO"; ValueError with the reason otherwise."""
    pattern = text.strip().upper()
    if not _ROTA.match(pattern):
        raise ValueError(
            _(
                "{text} is not a rota pattern: one letter a day, D, N or W for a day on and O "
                "for a day off, at most {days} days (e.g. 'DDDDOOOO')"
            ).format(text=repr(text), days=MAX_ROTA_DAYS)
        )
    if set(pattern) == {ROTA_OFF}:
        raise ValueError(_("{text} has no day on").format(text=repr(text)))
    return pattern


def is_shift_event(labels: tuple[str, ...], keyword: str) -> bool:
    """Whether a calendar event marks a shift: all busy time counts under "*"; otherwise an
    event whose title or one of its categories holds the word (case aside)."""
    if keyword == ALL_BUSY:
        return True
    wanted = keyword.casefold()
    return any(wanted in label.casefold() for label in labels)


def weekday_number(word: str) -> int | None:
    """Monday=0 .. Sunday=6 from a day's name as a person types it, in their language or in
    English: "thu", "thursday", "do", "jueves". Two letters count only where the language
    abbreviates to two ("Do" in German), so an English "th" stays a typing slip."""
    typed = word.strip().lower().rstrip(".")
    short = {name.lower().rstrip(".") for name in weekday_names("abbreviated")}
    if len(typed) < 3 and typed not in short:
        return None
    found = parse_weekday(typed)
    if found is None and typed[:3] in DAY_NAMES:  # English names may run on ("thurs")
        found = DAY_NAMES.index(typed[:3])
    return found


def describe_days(days: frozenset[int]) -> str:
    """Working days as they are typed, in the current language ("mon-fri", "mo-fr", "lun-vie")."""
    names = [name.rstrip(".").lower() for name in weekday_names("abbreviated")]
    ordered = sorted(days)
    if ordered and ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 2:
        return f"{names[ordered[0]]}-{names[ordered[-1]]}"
    return ",".join(names[d] for d in ordered) or _("no days")


def describe_hours(work: WorkPattern) -> str:
    # 24-hour HH:MM is how every shipped language writes a shift, and how it is typed.
    end = "24:00" if work.end == time.max else work.end.strftime("%H:%M")
    text = f"{work.start:%H:%M}-{end}"
    return _("{hours} (overnight)").format(hours=text) if work.overnight else text


def describe_work(work: WorkPattern) -> str:
    """One line: "19:00-07:30 (overnight) on rota DDDDOOOO from 2026-11-02", and so on."""
    if work.rota is not None:
        # The start date stays ISO (2026-11-02), as the roster writes it.
        when = _("on rota {pattern} from {date}").format(
            pattern=work.rota.pattern, date=work.rota.start.isoformat()
        )
    else:
        when = describe_days(work.days)
    line = _("{hours} {days}").format(hours=describe_hours(work), days=when)
    if work.calendar is not None:
        marked = (
            _("all busy time")
            if work.calendar == ALL_BUSY
            else _("events marked “{word}”").format(word=work.calendar)
        )
        line = _("shifts from your calendar ({marked}); when it cannot be read, {line}").format(
            marked=marked, line=line
        )
    return line
