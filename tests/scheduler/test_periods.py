"""Pulse windows in the team's own time zone, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.messages import Platform
from bot.domain.team import PulseSchedule, Team
from scheduler.periods import CronCalendar


def team(tz: str, cron: str = "0 10 * * mon", hours: int = 72) -> Team:
    return Team(
        "t", "T", Platform.SLACK, tz, frozenset(), frozenset(), 5, PulseSchedule(cron, hours, 48)
    )


def test_window_open_now_is_current_and_next_one_after_close() -> None:
    cal = CronCalendar()
    t = team("Europe/London")
    monday_11 = datetime(2026, 11, 30, 11, tzinfo=UTC)
    p = cal.current(t, monday_11)
    assert p.opens_at == datetime(2026, 11, 30, 10, tzinfo=UTC)
    assert p.closes_at - p.opens_at == timedelta(hours=72)
    assert p.key == "2026-11-30T10:00+00:00"
    friday = datetime(2026, 12, 4, 9, tzinfo=UTC)
    assert cal.current(t, friday).opens_at == datetime(2026, 12, 7, 10, tzinfo=UTC)
    assert cal.latest_start(t, friday) == p


def test_local_ten_oclock_survives_daylight_saving_in_new_york() -> None:
    cal = CronCalendar()
    t = team("America/New_York")
    # Clocks spring forward on Sunday 8 March 2026: 10:00 local moves from 15:00 to 14:00 UTC.
    before = cal.current(t, datetime(2026, 3, 2, 15, 30, tzinfo=UTC))
    after = cal.current(t, datetime(2026, 3, 9, 14, 30, tzinfo=UTC))
    assert before.opens_at == datetime(2026, 3, 2, 15, tzinfo=UTC)
    assert after.opens_at == datetime(2026, 3, 9, 14, tzinfo=UTC)
    assert after.key == "2026-03-09T10:00-04:00"


def test_before_the_first_fire_of_the_week_the_upcoming_window_is_current() -> None:
    cal = CronCalendar()
    t = team("Asia/Tokyo")
    # Monday 10:00 in Tokyo is 01:00 UTC; at 00:30 UTC the previous window closed long ago.
    p = cal.current(t, datetime(2026, 11, 30, 0, 30, tzinfo=UTC))
    assert p.opens_at == datetime(2026, 11, 30, 1, tzinfo=UTC)


def test_a_kept_window_is_the_one_a_fresh_calendar_would_work_out() -> None:
    """The calendar keeps each schedule's answer until its window closes or the next one opens;
    hour by hour across a daylight-saving change, with windows that overlap (daily starts, three
    days open) and with the clock set back, it answers as a fresh calendar does."""
    kept = CronCalendar()
    schedules = [
        team("America/New_York"),
        team("America/New_York", cron="0 10 * * fri", hours=72),  # open across the change
        team("Europe/London", cron="30 9 * * *", hours=72),
        team("Asia/Tokyo", cron="0 16 * * fri", hours=1),
    ]
    for start in (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 10, 20, tzinfo=UTC)):
        moments = [start + timedelta(minutes=37 * i) for i in range(24 * 21 * 60 // 37)]
        moments += [start + timedelta(days=3), start + timedelta(days=1, hours=5)]  # backwards
        for now in moments:
            for t in schedules:
                assert kept.current(t, now) == CronCalendar().current(t, now), (t.pulse, now)


def test_a_window_open_across_the_clock_change_lasts_its_hours_in_real_time() -> None:
    """Friday 10:00 in New York, open 72 h, over the night the clocks go back (1 November):
    it closes 72 real hours later, Monday 09:00 local, and is current until then, not after."""
    t = team("America/New_York", cron="0 10 * * fri", hours=72)
    cal = CronCalendar()
    opens = datetime(2026, 10, 30, 14, tzinfo=UTC)  # 10:00 EDT
    p = cal.current(t, opens + timedelta(hours=1))
    assert p.opens_at == opens and p.closes_at == opens + timedelta(hours=72)
    assert cal.current(t, opens + timedelta(hours=71, minutes=59)) == p
    assert cal.current(t, opens + timedelta(hours=72, minutes=30)).opens_at > opens
