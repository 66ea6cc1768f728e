"""Break prompts and the boundary between work and home, as pure calendar arithmetic.

Everything here works on wall-clock times in a person's own time zone and converts to UTC only
at the edge, through `zoneinfo`, so daylight-saving changes need no special cases: a slot is a
(local date, local time) pair, converted once; a time that does not exist on a spring-forward
day lands just after the jump, and a time that happens twice on a fall-back day is used once.

Working time is a run of shifts (`bot.domain.shifts`), each belonging to the local date it
starts on, so a night shift's small hours are still "Monday" for its days off, holidays, skipped
day and break times. Whether someone is at work at an instant asks the shift that may be under
way then: yesterday's or today's. Break planning and the outbox's boundaries both ask here, so
they cannot disagree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.commands import canonical
from bot.domain.shifts import ALL_BUSY, is_shift_event, shift_span, weekday_number
from bot.domain.shifts import DAY_NAMES as DAY_NAMES
from bot.domain.shifts import at_local as at_local
from bot.domain.shifts import describe_days as describe_days
from bot.domain.team import Team, WorkPattern
from bot.infra.i18n import N_, _

MIN_GAP = timedelta(minutes=10)
# A prompt found due later than this after its slot (downtime, a slow tick) is not sent: a break
# suggestion an hour late is noise, not care.
PROMPT_GRACE = timedelta(minutes=15)
# How long a queued prompt may wait for delivery before it is dropped.
PROMPT_LIFETIME = timedelta(minutes=20)
SNOOZE = timedelta(minutes=10)
MAX_BREAK_TIMES = 12
HORIZON_DAYS = 400


@dataclass(frozen=True, slots=True)
class BreakSettings:
    """One person's own choices; None means "use the team's default"."""

    platform: str
    user_id: str
    team_id: str
    timezone: str | None = None
    enabled: bool | None = None
    times: tuple[time, ...] | None = None
    work: WorkPattern | None = None
    paused_until: date | None = None
    skip_date: date | None = None
    calendar_url: str | None = field(default=None, repr=False)
    calendar_warned: bool = False


@dataclass(frozen=True, slots=True)
class Effective:
    """What actually applies to a person: their choices laid over the team's defaults."""

    tz: ZoneInfo
    work: WorkPattern
    times: tuple[time, ...]
    enabled: bool
    holidays: frozenset[date]
    paused_until: date | None = None
    skip_date: date | None = None
    calendar: bool = False


def zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def effective(settings: BreakSettings | None, team: Team) -> Effective:
    tz = zone(settings.timezone if settings else None) or ZoneInfo(team.timezone)
    if settings is None:
        return Effective(tz, team.work, team.breaks.times, team.breaks.enabled, team.holidays)
    work = settings.work or team.work
    if work.calendar is not None and not settings.calendar_url:
        work = replace(work, calendar=None)  # shifts from a calendar need the calendar
    return Effective(
        tz=tz,
        work=work,
        times=settings.times if settings.times is not None else team.breaks.times,
        enabled=settings.enabled if settings.enabled is not None else team.breaks.enabled,
        holidays=team.holidays,
        paused_until=settings.paused_until,
        skip_date=settings.skip_date,
        calendar=bool(settings.calendar_url),
    )


# --- wall clock <-> UTC ----------------------------------------------------------------------


def local_date(when: datetime, tz: ZoneInfo) -> date:
    return when.astimezone(tz).date()


def is_working_day(eff: Effective, day: date) -> bool:
    """Whether a shift starts on this local date: days off and holidays go by a shift's start."""
    return eff.work.works_on(day) and day not in eff.holidays


def shift_of(eff: Effective, day: date) -> tuple[datetime, datetime]:
    """The instants the shift starting on `day` begins and ends, as UTC."""
    return shift_span(eff.work, day, eff.tz)


def current_shift_day(eff: Effective, when: datetime) -> date | None:
    """The start date of the shift `when` falls in (yesterday's, for a night shift's small
    hours), or None outside working hours."""
    today = local_date(when, eff.tz)
    for day in (today - timedelta(days=1), today):
        if is_working_day(eff, day):
            start, end = shift_of(eff, day)
            if start <= when < end:
                return day
    return None


def shift_day(eff: Effective, when: datetime) -> date:
    """The day a "today" means for the person: the shift they are on, else the local date."""
    return current_shift_day(eff, when) or local_date(when, eff.tz)


def in_working_hours(eff: Effective, when: datetime) -> bool:
    return current_shift_day(eff, when) is not None


def next_working_start(eff: Effective, when: datetime) -> datetime:
    """The earliest instant at or after `when` inside working hours on a working day."""
    if in_working_hours(eff, when):
        return when
    first = local_date(when, eff.tz)
    for offset in range(HORIZON_DAYS):
        day = first + timedelta(days=offset)
        if not is_working_day(eff, day):
            continue
        start = shift_of(eff, day)[0]
        if start >= when:
            return start
    raise ValueError("no working day within a year; check working_days, the rota and holidays")


def week_bounds(tz: ZoneInfo, when: datetime) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00, local to `tz`, as UTC instants."""
    return _week_of(tz, local_date(when, tz))


@lru_cache(maxsize=1024)
def _week_of(tz: ZoneInfo, day: date) -> tuple[datetime, datetime]:
    monday = day - timedelta(days=day.weekday())
    return at_local(monday, time(0), tz), at_local(monday + timedelta(days=7), time(0), tz)


# --- slots -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Slot:
    """One intended prompt (or the end-of-day note): a UTC instant and a stable local key."""

    at: datetime
    key: str
    kind: str = "prompt"  # "prompt" or "note"


def slot_key(day: date, clock: time, kind: str = "prompt") -> str:
    stamp = f"{day.isoformat()}T{clock.strftime('%H:%M')}"
    return stamp if kind == "prompt" else f"{kind}:{stamp}"


def breaks_on(eff: Effective, day: date) -> bool:
    """Whether prompts may go out in the shift starting on this local date at all."""
    return is_working_day(eff, day) and _breaks_may_run(eff, day)


def _breaks_may_run(eff: Effective, day: date) -> bool:
    """Breaks on, no pause or skipped day, no holiday: all but whether the day is worked."""
    if not eff.enabled or day in eff.holidays:
        return False
    if eff.paused_until is not None and day < eff.paused_until:
        return False
    return eff.skip_date != day


def fixed_slots(eff: Effective, day: date) -> list[Slot]:
    """The day's fixed break times that fall inside working hours, in order."""
    return list(_fixed_slots(eff, day))


@lru_cache(maxsize=8192)
def _fixed_slots(eff: Effective, day: date) -> tuple[Slot, ...]:
    # Most people share their team's defaults, so a tick computes each day's slots once.
    if not breaks_on(eff, day):
        return ()
    return tuple(_times_within(eff, eff.times, day, *shift_of(eff, day)))


def _times_within(
    eff: Effective, times: Iterable[time], day: date, start: datetime, end: datetime
) -> list[Slot]:
    """Slots at the given wall-clock times between `start` and `end`, a shift starting on
    `day` (so at most the next morning), in order."""
    slots = []
    for clock in set(times):
        for on in (day, day + timedelta(days=1)):
            at = at_local(on, clock, eff.tz)
            # A time skipped by a spring-forward jump may fall out.
            if start <= at < end:
                slots.append(Slot(at, slot_key(on, clock)))
    return sorted(slots, key=lambda s: s.at)


def _slots_around(eff: Effective, when: datetime) -> list[Slot]:
    """The fixed slots of the shifts that may be under way at `when`: yesterday's (a night
    shift's small hours) and today's."""
    today = local_date(when, eff.tz)
    return [*_fixed_slots(eff, today - timedelta(days=1)), *_fixed_slots(eff, today)]


def next_fixed_slot(eff: Effective, after: datetime) -> Slot | None:
    """The first fixed slot strictly after `after`; None when breaks are off."""
    if not eff.enabled:
        return None
    first = local_date(after, eff.tz) - timedelta(days=1)
    for offset in range(HORIZON_DAYS):
        for slot in _fixed_slots(eff, first + timedelta(days=offset)):
            if slot.at > after:
                return slot
    return None


@dataclass(frozen=True, slots=True)
class Step:
    """What a due moment does on fixed break times: perhaps one prompt, then the next moment.

    It depends only on the effective settings and the stored moment, never on who the person
    is, so everyone who shares a team's defaults (or the same own settings) shares one Step.
    """

    prompt: Slot | None
    next: Slot | None


def fixed_step(eff: Effective, next_at: datetime, next_slot: str | None, now: datetime) -> Step:
    """The prompt due at `next_at` (unless stale or no longer planned) and the slot after `now`.

    A slot found more than PROMPT_GRACE late is not sent; one that settings have since moved
    (paused, skipped, other times) is not found among today's slots and is not sent either.
    """
    slots = _slots_around(eff, now)
    prompt = None
    if next_slot is not None and now - next_at <= PROMPT_GRACE:
        prompt = next((x for x in slots if x.key == next_slot), None)
    upcoming = next((x for x in slots if x.at > now), None)
    return Step(prompt, upcoming or next_fixed_slot(eff, now))


def next_day_start(eff: Effective, after: datetime) -> datetime | None:
    """Start of the next shift after `after` on which breaks may run; with
    shifts from a calendar, the next local midnight, when the feed is read again."""
    if not eff.enabled:
        return None
    first = local_date(after, eff.tz)
    if eff.work.calendar is not None:
        return at_local(first + timedelta(days=1), time(0), eff.tz)
    for offset in range(HORIZON_DAYS):
        day = first + timedelta(days=offset)
        if breaks_on(eff, day) and (start := shift_of(eff, day)[0]) > after:
            return start
    return None


# --- calendar-aware mode -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Busy:
    """A timed calendar event (UTC). All-day and cancelled events never become Busy.

    `labels` are its title and categories, which say whether it marks a shift."""

    start: datetime
    end: datetime
    labels: tuple[str, ...] = ()


def free_gaps(
    busy: Iterable[Busy], start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """Free intervals of [start, end) around the busy ones, in order."""
    gaps = []
    cursor = start
    for event in sorted(busy, key=lambda b: b.start):
        if event.end <= cursor:
            continue
        if event.start >= end:
            break
        if event.start > cursor:
            gaps.append((cursor, event.start))
        cursor = max(cursor, event.end)
    if cursor < end:
        gaps.append((cursor, end))
    return gaps


def calendar_shifts(eff: Effective, busy: Sequence[Busy]) -> list[Busy]:
    """The events that mark shifts, for a person whose calendar says when they work, less those
    starting on a team holiday; merged where they touch or overlap, in order."""
    keyword = eff.work.calendar
    if keyword is None:
        return []
    merged: list[Busy] = []
    for event in sorted(busy, key=lambda b: b.start):
        if not is_shift_event(event.labels, keyword):
            continue
        if local_date(event.start, eff.tz) in eff.holidays:
            continue
        if merged and event.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Busy(last.start, max(last.end, event.end), last.labels)
        else:
            merged.append(event)
    return merged


def calendar_working_start(eff: Effective, busy: Sequence[Busy], when: datetime) -> datetime | None:
    """`when` if a calendar shift is under way then, else the start of the next one; None when
    the events given hold no later shift."""
    for shift in calendar_shifts(eff, busy):
        if shift.end > when:
            return max(shift.start, when)
    return None


def _windows(eff: Effective, day: date, busy: Sequence[Busy]) -> list[tuple[datetime, datetime]]:
    """The working spans that start on `day`: the shift of the pattern, or the calendar's."""
    if eff.work.calendar is None:
        return [shift_of(eff, day)] if breaks_on(eff, day) else []
    if not _breaks_may_run(eff, day):
        return []
    return [
        (b.start, b.end) for b in calendar_shifts(eff, busy) if local_date(b.start, eff.tz) == day
    ]


def _minute_key(when: datetime, eff: Effective, kind: str = "prompt") -> str:
    local = when.astimezone(eff.tz)
    return slot_key(local.date(), local.time().replace(second=0, microsecond=0, tzinfo=None), kind)


def calendar_slots(eff: Effective, day: date, busy: Sequence[Busy]) -> list[Slot]:
    """The prompts of the shift(s) starting on `day`, for a person with a calendar.

    A prompt lands when a session ends and at least ten free minutes follow it; never inside an
    event. With no session in working hours the fixed times apply (those that fall in free time).
    A shift whose working hours hold no free gap of ten minutes gets one end-of-day note
    instead. When the calendar says when the person works, its shift events are the working
    hours and the other events inside them are the sessions.
    """
    sessions = list(busy)
    if eff.work.calendar is not None:
        keyword = eff.work.calendar
        sessions = [b for b in busy if not is_shift_event(b.labels, keyword)]
    slots: list[Slot] = []
    for start, end in _windows(eff, day, busy):
        slots += _window_slots(eff, day, start, end, sessions)
    return sorted(slots, key=lambda s: s.at)


def _window_slots(
    eff: Effective, day: date, start: datetime, end: datetime, busy: Sequence[Busy]
) -> list[Slot]:
    today = [b for b in busy if b.end > start and b.start < end]
    gaps = [g for g in free_gaps(today, start, end) if g[1] - g[0] >= MIN_GAP]
    if today and not gaps:
        note_at = end - timedelta(minutes=5)
        return [Slot(note_at, _minute_key(note_at, eff, "note"), "note")]
    ends = {b.end for b in today}
    slots = [Slot(g0, _minute_key(g0, eff)) for g0, _g1 in gaps if g0 in ends]
    if slots:
        return slots
    return [
        s
        for s in _times_within(eff, eff.times, day, start, end)
        if any(g0 <= s.at and s.at + MIN_GAP <= g1 for g0, g1 in gaps)
    ]


def calendar_span(eff: Effective, now: datetime) -> tuple[tuple[date, date], datetime, datetime]:
    """The shift days that may be under way at `now` (yesterday's and today's) and the span of
    calendar to read for them: from an hour before yesterday to the end of tomorrow."""
    today = local_date(now, eff.tz)
    yesterday = today - timedelta(days=1)
    start = at_local(yesterday, time(0), eff.tz) - timedelta(hours=1)
    end = at_local(today + timedelta(days=2), time(0), eff.tz) + timedelta(hours=1)
    return (yesterday, today), start, end


def calendar_slots_around(eff: Effective, now: datetime, busy: Sequence[Busy]) -> list[Slot]:
    """`calendar_slots` of yesterday's and today's shifts, in order."""
    days, _start, _end = calendar_span(eff, now)
    return sorted((s for d in days for s in calendar_slots(eff, d, busy)), key=lambda s: s.at)


# --- commands --------------------------------------------------------------------------------

_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_DURATION = re.compile(r"^(\d{1,3})([dw])$")

# `{cmd}` is how the person types the command on their platform: `/respite breaks` on Slack,
# `breaks` on Teams (see bot.domain.commands). The forms show the English argument words, which
# every platform accepts; the router reads a first argument typed in another shipped language
# back to English, and so does the parser for `calendar` and `off` further along.
FORMS = {
    "at": N_("{cmd} at 10:50 14:50   (24-hour HH:MM times, up to 12; or: {cmd} at default)"),
    "hours": N_(
        "{cmd} hours 08:00-17:00 mon-fri   ·   {cmd} hours 19:00-07:30 mon-thu (a night "
        "shift, by the day it starts)   ·   {cmd} hours calendar shift   (your calendar's events "
        "marked “shift”; {cmd} hours calendar: all busy time)   ·   {cmd} hours default"
    ),
    "pause": N_("{cmd} pause 3d   ·   {cmd} pause 1w   ·   {cmd} pause until 2026-12-01"),
    "zone": N_("{cmd} zone Europe/London   (an IANA time zone; or: {cmd} zone default)"),
    "calendar": N_("{cmd} calendar https://…/basic.ics   ·   {cmd} calendar off"),
}


def form(verb: str, cmd: str = "breaks") -> str:
    return _(FORMS[verb]).format(cmd=cmd)


def usage(cmd: str = "breaks") -> str:
    """Every form of the command, as `cmd` (e.g. `/respite breaks`) is typed."""
    simple = " · ".join(f"{cmd} {verb}" for verb in ("status", "on", "off", "resume"))
    return (
        simple
        + " · "
        + " · ".join(form(k, cmd) for k in ("at", "hours", "pause", "zone", "calendar"))
    )


class CommandError(ValueError):
    """A malformed command; the message shows the right form."""


@dataclass(frozen=True, slots=True)
class Change:
    """What a command asks to change. Only the named fields change; `None` values reset."""

    action: str
    values: dict[str, object] = field(default_factory=dict)


def parse_time(text: str) -> time:
    match = _TIME.match(text.strip())
    if not match:
        raise CommandError(_("“{text}” is not a time").format(text=text))
    return time(int(match.group(1)), int(match.group(2)))


def parse_days(text: str) -> frozenset[int]:
    """Days and ranges of days, named in the person's language or in English ("mo-fr",
    "lun-vie", "mon-fri", "mon,wed")."""
    days: set[int] = set()
    for part in text.lower().split(","):
        first, sep, last = part.strip().partition("-")
        a = weekday_number(first)
        b = weekday_number(last) if sep else a
        if a is None or b is None:
            raise CommandError(
                _("“{part}” is not a day or a range of days like mon-fri").format(part=part)
            )
        if b < a:
            raise CommandError(_("“{part}” runs backwards; write it as mon-fri").format(part=part))
        days.update(range(a, b + 1))
    return frozenset(days)


def parse_hours(text: str) -> tuple[time, time]:
    first, sep, last = text.partition("-")
    if not sep:
        raise CommandError(_("“{text}” is not a range like 08:00-17:00").format(text=text))
    # "24:00" closes the day, so a team can say it works around the clock ("00:00-24:00").
    # An end before the start is a night shift: it ends the next morning.
    start = parse_time(first)
    end = time.max if last.strip() in ("24:00", "24.00") else parse_time(last)
    if end == start:
        raise CommandError(_("“{text}” starts and ends at the same time").format(text=text))
    return start, end


def parse_command(args: str, today: date, cmd: str = "breaks") -> Change:
    """`args` after the command word; `cmd` is how the person types it, for error messages."""
    words = args.split()
    if not words:
        return Change("status")
    verb, rest = words[0].lower(), words[1:]
    if verb in ("status", "on", "off", "resume") and not rest:
        return Change(verb)
    try:
        if verb == "at":
            if rest == ["default"]:
                return Change("at", {"times": None})
            if not rest or len(rest) > MAX_BREAK_TIMES:
                raise CommandError(
                    _("give between 1 and {count} times").format(count=MAX_BREAK_TIMES)
                )
            times = tuple(sorted({parse_time(w) for w in rest}))
            return Change("at", {"times": times})
        if verb == "hours":
            if rest == ["default"]:
                return Change("hours", {"work": None})
            if rest and canonical(rest[0], ("calendar",)):
                return Change("hours", {"calendar": _shift_word(rest[1:])})
            if len(rest) not in (1, 2):
                raise CommandError(_("give a range of hours and, optionally, of days"))
            start, end = parse_hours(rest[0])
            days = parse_days(rest[1]) if len(rest) == 2 else frozenset(range(5))
            return Change("hours", {"work": WorkPattern(days, start, end)})
        if verb == "pause":
            return Change("pause", {"paused_until": _pause_until(rest, today)})
        if verb == "zone":
            if len(rest) != 1:
                raise CommandError(_("give one time zone"))
            if rest[0].lower() == "default":
                return Change("zone", {"timezone": None})
            if zone(rest[0]) is None:
                raise CommandError(_("“{zone}” is not a time zone I know").format(zone=rest[0]))
            return Change("zone", {"timezone": rest[0]})
        if verb == "calendar":
            if len(rest) != 1:
                raise CommandError(_("give one calendar address, or off"))
            if canonical(rest[0], ("off",)):
                return Change("calendar", {"calendar_url": None})
            url = rest[0].strip("<>").split("|")[0]  # Slack may send <url|label>
            if not re.match(r"^(https?|webcal)://\S+$", url, re.IGNORECASE):
                # Never repeat the address back: it is a secret.
                raise CommandError(_("that is not an https:// (or webcal://) calendar address"))
            return Change("calendar", {"calendar_url": re.sub("^webcal", "https", url, flags=re.I)})
    except CommandError as exc:
        raise CommandError(
            _("{problem}. Write it like: {form}").format(problem=exc, form=form(verb, cmd))
        ) from None
    # Only the first word is repeated back: the rest may hold a calendar address.
    raise CommandError(
        _("I don't know “{command}”. Try: {usage}").format(
            command=f"{cmd} {verb[:20]}", usage=usage(cmd)
        )
    )


def _shift_word(rest: list[str]) -> str:
    """The word that marks a shift in a person's calendar, or "*" for all busy time."""
    if not rest:
        return ALL_BUSY
    if len(rest) != 1 or not re.match(r"^[\w-]{2,40}$", rest[0]):
        raise CommandError(_("give one word (letters, digits or -) that marks your shifts"))
    return rest[0]


def _pause_until(rest: list[str], today: date) -> date:
    if len(rest) == 1 and (match := _DURATION.match(rest[0].lower())):
        count = int(match.group(1)) * (7 if match.group(2) == "w" else 1)
        if not 1 <= count <= 366:
            raise CommandError(_("pause for between 1 day and a year"))
        return today + timedelta(days=count)
    if len(rest) == 2 and rest[0].lower() == "until":
        try:
            until = date.fromisoformat(rest[1])
        except ValueError:
            raise CommandError(
                _("“{text}” is not a date (YYYY-MM-DD)").format(text=rest[1])
            ) from None
        if until <= today:
            raise CommandError(_("{date} is not in the future").format(date=until.isoformat()))
        if until > today + timedelta(days=366):
            raise CommandError(_("pause for at most a year"))
        return until
    raise CommandError(_("give a duration or a date"))


def describe_times(times: Sequence[time]) -> str:
    # Break times read as they are typed: 24-hour HH:MM in every shipped language.
    return " ".join(t.strftime("%H:%M") for t in times) or _("none")
