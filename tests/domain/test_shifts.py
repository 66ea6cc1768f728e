"""Night shifts, rotas and shifts from a calendar, as pure calendar arithmetic."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.breaks import (
    BreakSettings,
    Busy,
    CommandError,
    Effective,
    calendar_slots,
    calendar_slots_around,
    calendar_working_start,
    effective,
    fixed_slots,
    fixed_step,
    in_working_hours,
    next_day_start,
    next_fixed_slot,
    next_working_start,
    parse_command,
    shift_day,
)
from bot.domain.messages import Platform
from bot.domain.shifts import describe_work, parse_rota_pattern
from bot.domain.team import Rota, Team, WorkPattern

LONDON = ZoneInfo("Europe/London")
NIGHTS = WorkPattern(frozenset(range(7)), time(19), time(7, 30))
NIGHT_TIMES = (time(23), time(1, 30), time(3), time(6))


def _eff(work: WorkPattern, times: tuple[time, ...] = NIGHT_TIMES, **kw: object) -> Effective:
    return Effective(LONDON, work, times, True, frozenset(), **kw)  # type: ignore[arg-type]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_a_night_shift_as_the_clocks_go_forward() -> None:
    # Saturday 27 March 2027 19:00 GMT to Sunday 07:30 BST: 11.5 hours.
    eff = _eff(NIGHTS)
    assert not in_working_hours(eff, utc(2027, 3, 27, 18, 59))
    assert in_working_hours(eff, utc(2027, 3, 27, 19, 0))
    assert in_working_hours(eff, utc(2027, 3, 28, 6, 29))
    assert not in_working_hours(eff, utc(2027, 3, 28, 6, 30))  # 07:30 BST
    assert next_working_start(eff, utc(2027, 3, 28, 6, 30)) == utc(2027, 3, 28, 18, 0)
    assert shift_day(eff, utc(2027, 3, 28, 3, 0)) == date(2027, 3, 27)
    # 01:30 does not exist that night: it lands an hour on, at 02:30 BST.
    assert [(s.at, s.key) for s in fixed_slots(eff, date(2027, 3, 27))] == [
        (utc(2027, 3, 27, 23, 0), "2027-03-27T23:00"),
        (utc(2027, 3, 28, 1, 30), "2027-03-28T01:30"),
        (utc(2027, 3, 28, 2, 0), "2027-03-28T03:00"),
        (utc(2027, 3, 28, 5, 0), "2027-03-28T06:00"),
    ]


def test_a_night_shift_as_the_clocks_go_back() -> None:
    # Saturday 24 October 2026 19:00 BST to Sunday 07:30 GMT: 13.5 hours.
    eff = _eff(NIGHTS)
    assert not in_working_hours(eff, utc(2026, 10, 24, 17, 59))
    assert in_working_hours(eff, utc(2026, 10, 24, 18, 0))
    assert in_working_hours(eff, utc(2026, 10, 25, 7, 29))
    assert not in_working_hours(eff, utc(2026, 10, 25, 7, 30))
    assert next_working_start(eff, utc(2026, 10, 25, 7, 30)) == utc(2026, 10, 25, 19, 0)
    # 01:30 happens twice that night; the prompt goes once, at the first.
    assert [(s.at, s.key) for s in fixed_slots(eff, date(2026, 10, 24))] == [
        (utc(2026, 10, 24, 22, 0), "2026-10-24T23:00"),
        (utc(2026, 10, 25, 0, 30), "2026-10-25T01:30"),
        (utc(2026, 10, 25, 3, 0), "2026-10-25T03:00"),
        (utc(2026, 10, 25, 6, 0), "2026-10-25T06:00"),
    ]


def test_days_off_and_holidays_go_by_the_shift_start() -> None:
    # Nights Monday to Thursday; Thursday 3 December 2026 is a holiday.
    work = WorkPattern(frozenset(range(4)), time(19), time(7, 30))
    eff = Effective(LONDON, work, NIGHT_TIMES, True, frozenset({date(2026, 12, 3)}))
    assert in_working_hours(eff, utc(2026, 12, 3, 7, 0))  # Wednesday's shift, into Thursday
    assert not in_working_hours(eff, utc(2026, 12, 3, 20, 0))  # Thursday's: a holiday
    assert not in_working_hours(eff, utc(2026, 12, 4, 2, 0))
    assert not in_working_hours(eff, utc(2026, 12, 4, 20, 0))  # Friday: a day off
    assert in_working_hours(eff, utc(2026, 12, 1, 2, 0))  # Monday's shift, into Tuesday
    assert next_working_start(eff, utc(2026, 12, 3, 7, 30)) == utc(2026, 12, 7, 19, 0)
    assert fixed_slots(eff, date(2026, 12, 3)) == []
    assert next_day_start(eff, utc(2026, 12, 3, 7, 30)) == utc(2026, 12, 7, 19, 0)


def test_break_times_of_a_night_shift_after_midnight() -> None:
    eff = _eff(NIGHTS)
    # At 00:30 on Tuesday the next prompt is Monday's shift's 01:30, not Tuesday's 23:00.
    slot = next_fixed_slot(eff, utc(2026, 12, 1, 0, 30))
    assert slot is not None and (slot.at, slot.key) == (utc(2026, 12, 1, 1, 30), "2026-12-01T01:30")
    step = fixed_step(eff, utc(2026, 12, 1, 1, 30), "2026-12-01T01:30", utc(2026, 12, 1, 1, 30))
    assert step.prompt is not None and step.prompt.key == "2026-12-01T01:30"
    assert step.next is not None and step.next.key == "2026-12-01T03:00"
    # After the last of the shift, the next is the evening's first.
    step = fixed_step(eff, utc(2026, 12, 1, 6, 0), "2026-12-01T06:00", utc(2026, 12, 1, 6, 0))
    assert step.next is not None and step.next.at == utc(2026, 12, 1, 23, 0)
    # Skipping "today" at 02:00 on Tuesday skips Monday's shift, the rest of it.
    skipped = _eff(NIGHTS, skip_date=shift_day(eff, utc(2026, 12, 1, 2, 0)))
    slot = next_fixed_slot(skipped, utc(2026, 12, 1, 2, 0))
    assert slot is not None and slot.at == utc(2026, 12, 1, 23, 0)


def test_four_on_four_off_over_six_weeks() -> None:
    rota = Rota("DDDDOOOO", date(2026, 11, 2))
    eff = _eff(WorkPattern(frozenset(), time(19), time(7, 30), rota=rota))
    start = date(2026, 11, 2)
    worked = [
        start + timedelta(days=i)
        for i in range(44)  # six weeks and two days: the sixth block ends 15 December
        if in_working_hours(eff, datetime.combine(start + timedelta(days=i), time(20), LONDON))
    ]
    firsts = [date(2026, 11, 2), date(2026, 11, 10), date(2026, 11, 18), date(2026, 11, 26)]
    firsts += [date(2026, 12, 4), date(2026, 12, 12)]
    assert worked == [d + timedelta(days=i) for d in firsts for i in range(4)]
    # The fourth night ends at 07:30 on the fifth day; the next starts four days later.
    assert in_working_hours(eff, utc(2026, 11, 6, 7, 29))
    assert next_working_start(eff, utc(2026, 11, 6, 7, 30)) == utc(2026, 11, 10, 19, 0)
    # The cycle runs back from its start date too.
    assert next_working_start(eff, utc(2026, 10, 30, 12, 0)) == utc(2026, 11, 2, 19, 0)
    assert not in_working_hours(eff, utc(2026, 11, 1, 20, 0))
    assert in_working_hours(eff, utc(2026, 10, 28, 20, 0))


def test_shifts_from_a_calendar() -> None:
    team = Team("ward", "Ward", Platform.SLACK, "Europe/London", frozenset({"U1"}), frozenset())
    work = WorkPattern(calendar="shift")
    settings = BreakSettings(
        "slack", "U1", "ward", work=work, times=NIGHT_TIMES, calendar_url="https://c.example/a"
    )
    eff = effective(settings, team)
    assert eff.work.calendar == "shift"
    # Without a feed the weekly hours apply.
    assert effective(BreakSettings("slack", "U1", "ward", work=work), team).work.calendar is None
    night = Busy(utc(2026, 12, 1, 19, 0), utc(2026, 12, 2, 7, 30), ("Night", "Shift"))
    handover = Busy(utc(2026, 12, 1, 19, 0), utc(2026, 12, 1, 19, 40), ("Handover",))
    ward_round = Busy(utc(2026, 12, 2, 1, 0), utc(2026, 12, 2, 2, 10), ("Ward round",))
    dentist = Busy(utc(2026, 12, 3, 10, 0), utc(2026, 12, 3, 11, 0), ("Dentist",))
    busy = [night, handover, ward_round, dentist]
    assert calendar_working_start(eff, busy, utc(2026, 12, 1, 12, 0)) == utc(2026, 12, 1, 19, 0)
    now = utc(2026, 12, 2, 3, 0)
    assert calendar_working_start(eff, busy, now) == now
    assert calendar_working_start(eff, busy, utc(2026, 12, 2, 7, 30)) is None  # the dentist
    # Sessions inside the shift: prompts when each ends.
    assert [(s.at, s.key) for s in calendar_slots(eff, date(2026, 12, 1), busy)] == [
        (utc(2026, 12, 1, 19, 40), "2026-12-01T19:40"),
        (utc(2026, 12, 2, 2, 10), "2026-12-02T02:10"),
    ]
    assert [s.key for s in calendar_slots_around(eff, now, busy)] == [
        "2026-12-01T19:40",
        "2026-12-02T02:10",
    ]
    # All busy time as shifts: no sessions, so the break times inside the shift apply.
    every = effective(replace(settings, work=WorkPattern(calendar="*")), team)
    assert [s.at for s in calendar_slots(every, date(2026, 12, 1), [night])] == [
        utc(2026, 12, 1, 23, 0),
        utc(2026, 12, 2, 1, 30),
        utc(2026, 12, 2, 3, 0),
        utc(2026, 12, 2, 6, 0),
    ]
    assert calendar_slots(every, date(2026, 12, 2), [night]) == []  # it started the day before


def test_commands_for_night_shifts_and_calendar_shifts() -> None:
    today = date(2026, 12, 1)
    change = parse_command("hours 19:00-07:30 mon-thu", today)
    assert change.values == {"work": WorkPattern(frozenset(range(4)), time(19), time(7, 30))}
    assert parse_command("hours calendar Shift", today).values == {"calendar": "Shift"}
    assert parse_command("hours calendar", today).values == {"calendar": "*"}
    for bad in ("hours calendar night shift", "hours 19:00-19:00"):
        with pytest.raises(CommandError) as err:
            parse_command(bad, today)
        assert "breaks hours 19:00-07:30 mon-thu" in str(err.value)


def test_describing_and_refusing_patterns() -> None:
    assert describe_work(NIGHTS) == "19:00-07:30 (overnight) mon-sun"
    rota = WorkPattern(frozenset(), time(19), time(7, 30), rota=Rota("DDDDOOOO", date(2026, 11, 2)))
    assert describe_work(rota) == "19:00-07:30 (overnight) on rota DDDDOOOO from 2026-11-02"
    assert describe_work(WorkPattern(calendar="shift")) == (
        "shifts from your calendar (events marked “shift”); when it cannot be read, "
        "08:00-18:00 mon-fri"
    )
    assert parse_rota_pattern("ddnnoooo") == "DDNNOOOO"
    for bad in ("OOOO", "DDXO", "", "D" * 57):
        with pytest.raises(ValueError, match=r"rota pattern|no day on"):
            parse_rota_pattern(bad)
