"""Break arithmetic on the wall clock: slots across DST changes, working time, commands, gaps."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.break_cards import PRACTICES, next_practice
from bot.domain.breaks import (
    BreakSettings,
    Busy,
    CommandError,
    Effective,
    calendar_slots,
    effective,
    fixed_slots,
    in_working_hours,
    next_fixed_slot,
    next_working_start,
    parse_command,
    week_bounds,
)
from bot.domain.messages import Platform
from bot.domain.team import Team, WorkPattern

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
ALL_WEEK = WorkPattern(frozenset(range(7)), time(0, 0), time(23, 59))


def eff(
    tz: ZoneInfo, times: tuple[time, ...], work: WorkPattern = ALL_WEEK, **kw: object
) -> Effective:
    return Effective(tz, work, times, True, frozenset(), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("tz", "day"),
    [(NY, date(2027, 3, 14)), (LONDON, date(2027, 3, 28))],
    ids=["new-york", "london"],
)
def test_spring_forward_time_in_the_gap_lands_after_the_jump_once(tz: ZoneInfo, day: date) -> None:
    gap = time(2, 30) if tz is NY else time(1, 30)
    slots = fixed_slots(eff(tz, (gap, time(10, 50))), day)
    assert [s.key for s in slots] == [f"{day}T{gap:%H:%M}", f"{day}T10:50"]
    shifted = slots[0].at.astimezone(tz)
    assert shifted.hour == gap.hour + 1 and shifted.minute == 30
    assert slots[1].at.astimezone(tz).time() == time(10, 50)


@pytest.mark.parametrize(
    ("tz", "day", "ambiguous"),
    [(NY, date(2026, 11, 1), time(1, 30)), (LONDON, date(2026, 10, 25), time(1, 30))],
    ids=["new-york", "london"],
)
def test_fall_back_repeated_time_is_one_slot(tz: ZoneInfo, day: date, ambiguous: time) -> None:
    e = eff(tz, (ambiguous,))
    slots = fixed_slots(e, day)
    assert len(slots) == 1
    # Walking the whole day slot by slot gives that slot exactly once.
    start = datetime.combine(day, time(0), tz).astimezone(UTC)
    seen = []
    cursor = start
    while (slot := next_fixed_slot(e, cursor)) is not None and slot.at < start + timedelta(days=1):
        seen.append(slot.key)
        cursor = slot.at
    assert seen == [f"{day}T01:30"]


def test_break_times_keep_local_time_across_dst_week() -> None:
    weekdays = WorkPattern(frozenset(range(5)), time(8), time(18))
    e = eff(NY, (time(10, 50),), weekdays)
    before = fixed_slots(e, date(2027, 3, 12))[0].at  # Friday, EST
    after = fixed_slots(e, date(2027, 3, 15))[0].at  # Monday, EDT
    assert before.hour == 15 and after.hour == 14
    assert fixed_slots(e, date(2027, 3, 13)) == []  # Saturday


def test_working_hours_days_and_holidays() -> None:
    work = WorkPattern(frozenset(range(5)), time(9), time(17))
    e = Effective(LONDON, work, (), True, frozenset({date(2026, 12, 2)}))
    wed_noon = datetime(2026, 12, 2, 12, tzinfo=UTC)
    assert not in_working_hours(e, wed_noon)
    assert next_working_start(e, wed_noon) == datetime(2026, 12, 3, 9, tzinfo=UTC)
    fri_evening = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)
    assert next_working_start(e, fri_evening) == datetime(2026, 12, 7, 9, tzinfo=UTC)
    assert in_working_hours(e, datetime(2026, 12, 7, 16, 59, tzinfo=UTC))


def test_person_overrides_team_and_pause_skip() -> None:
    team = Team("t", "T", Platform.SLACK, "Europe/London", frozenset({"u"}), frozenset())
    s = BreakSettings(
        "slack",
        "u",
        "t",
        timezone="Asia/Tokyo",
        times=(time(9, 15),),
        paused_until=date(2026, 12, 3),
    )
    e = effective(s, team)
    assert e.tz.key == "Asia/Tokyo" and e.times == (time(9, 15),)
    assert fixed_slots(e, date(2026, 12, 2)) == []
    assert [x.key for x in fixed_slots(e, date(2026, 12, 3))] == ["2026-12-03T09:15"]
    skipped = effective(BreakSettings("slack", "u", "t", skip_date=date(2026, 12, 1)), team)
    assert fixed_slots(skipped, date(2026, 12, 1)) == []
    assert len(fixed_slots(skipped, date(2026, 12, 2))) == 4


def test_week_bounds_follow_local_midnight() -> None:
    start, end = week_bounds(NY, datetime(2027, 3, 17, 12, tzinfo=UTC))
    assert start == datetime(2027, 3, 15, 4, tzinfo=UTC)
    assert end == datetime(2027, 3, 22, 4, tzinfo=UTC)
    start, end = week_bounds(NY, datetime(2027, 3, 10, 12, tzinfo=UTC))
    assert end - start == timedelta(days=7, hours=-1)  # the spring-forward week is 1 h short


TODAY = date(2026, 11, 30)


@pytest.mark.parametrize(
    ("args", "action", "values"),
    [
        ("", "status", {}),
        ("on", "on", {}),
        ("OFF", "off", {}),
        ("at 14:50 10:50 9:05", "at", {"times": (time(9, 5), time(10, 50), time(14, 50))}),
        ("at default", "at", {"times": None}),
        (
            "hours 08:00-17:00 mon-thu",
            "hours",
            {"work": WorkPattern(frozenset(range(4)), time(8), time(17))},
        ),
        (
            "hours 07:30-15:00 mon,wed-fri",
            "hours",
            {"work": WorkPattern(frozenset({0, 2, 3, 4}), time(7, 30), time(15))},
        ),
        ("pause 3d", "pause", {"paused_until": date(2026, 12, 3)}),
        ("pause 1w", "pause", {"paused_until": date(2026, 12, 7)}),
        ("pause until 2026-12-01", "pause", {"paused_until": date(2026, 12, 1)}),
        ("resume", "resume", {}),
        ("zone America/Chicago", "zone", {"timezone": "America/Chicago"}),
        (
            "calendar webcal://cal.example/x.ics",
            "calendar",
            {"calendar_url": "https://cal.example/x.ics"},
        ),
        ("calendar off", "calendar", {"calendar_url": None}),
    ],
)
def test_commands_parse(args: str, action: str, values: dict[str, object]) -> None:
    change = parse_command(args, TODAY)
    assert change.action == action
    assert change.values == values


@pytest.mark.parametrize(
    ("args", "shows"),
    [
        ("at 25:00", "breaks at 10:50 14:50"),
        ("at 10.50", "breaks at 10:50 14:50"),
        ("at", "breaks at 10:50 14:50"),
        ("hours 17:00-17:00", "breaks hours 08:00-17:00 mon-fri"),
        ("hours 8-5 mon-fri", "breaks hours 08:00-17:00 mon-fri"),
        ("hours 08:00-17:00 fri-mon", "breaks hours 08:00-17:00 mon-fri"),
        ("hours 08:00-17:00 funday", "breaks hours 08:00-17:00 mon-fri"),
        ("pause 0d", "breaks pause 3d"),
        ("pause 3 days", "breaks pause 3d"),
        ("pause until 2026-11-30", "pause until 2026-12-01"),
        ("pause until 2026-13-01", "pause until 2026-12-01"),
        ("pause until tomorrow", "pause until 2026-12-01"),
        ("zone Mars/Olympus", "breaks zone Europe/London"),
        ("calendar ftp://secret.example/token123", "breaks calendar https://"),
        ("sometimes", "breaks status"),
        ("calender https://cal.example/token123/basic.ics", "breaks calendar https://"),
    ],
)
def test_malformed_commands_show_the_right_form(args: str, shows: str) -> None:
    with pytest.raises(CommandError) as err:
        parse_command(args, TODAY)
    assert shows in str(err.value)
    assert "token123" not in str(err.value)


def test_practices_never_repeat_back_to_back_and_visit_all() -> None:
    for user in ("U001", "U002", "ana", "a-very-long-user-id"):
        last = None
        seen = []
        for _ in range(len(PRACTICES) * 2):
            nxt = next_practice(user, last)
            assert nxt != last
            seen.append(nxt)
            last = nxt
        assert set(seen) == set(range(len(PRACTICES)))
    kinds = {p.kind for p in PRACTICES}
    assert kinds == {"breathing", "stretch", "water", "outside", "grounding", "self-compassion"}


def _at(hh: int, mm: int) -> datetime:
    return datetime(2026, 12, 1, hh, mm, tzinfo=UTC)


WORK = WorkPattern(frozenset(range(5)), time(9), time(17))
CAL = Effective(
    ZoneInfo("UTC"), WORK, (time(10, 50), time(15, 50)), True, frozenset(), calendar=True
)


def test_calendar_prompt_after_sessions_with_a_gap() -> None:
    busy = [
        Busy(_at(9, 0), _at(9, 50)),  # 10-minute gap follows: prompt at 09:50
        Busy(_at(10, 0), _at(10, 50)),  # 5-minute gap follows: no prompt
        Busy(_at(10, 55), _at(11, 45)),  # free afterwards: prompt at 11:45
        Busy(_at(14, 0), _at(16, 58)),  # 2 minutes left in the day: no prompt
    ]
    slots = calendar_slots(CAL, date(2026, 12, 1), busy)
    assert [(s.at, s.kind) for s in slots] == [(_at(9, 50), "prompt"), (_at(11, 45), "prompt")]
    for slot in slots:
        assert not any(b.start <= slot.at < b.end for b in busy)


def test_calendar_fully_booked_day_gets_one_note() -> None:
    busy = [Busy(_at(h, 0), _at(h, 55)) for h in range(9, 17)]
    slots = calendar_slots(CAL, date(2026, 12, 1), busy)
    assert [s.kind for s in slots] == ["note"]
    assert slots[0].at == _at(16, 55)


def test_calendar_empty_day_uses_fixed_times_in_free_time() -> None:
    assert [s.at for s in calendar_slots(CAL, date(2026, 12, 1), [])] == [_at(10, 50), _at(15, 50)]
