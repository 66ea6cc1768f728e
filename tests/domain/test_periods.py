"""Periods are ISO weeks of a round's opening, in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.org import period_of, period_of_round, period_window


def test_iso_weeks_across_a_year_end() -> None:
    assert period_of(datetime(2026, 12, 28, 10, tzinfo=UTC)) == "2026-W53"
    assert period_of(datetime(2027, 1, 4, 10, tzinfo=UTC)) == "2027-W01"
    start, end = period_window("2026-W53")
    assert start == datetime(2026, 12, 28, tzinfo=UTC) and end - start == timedelta(days=7)


def test_a_local_monday_round_belongs_to_that_week_in_every_time_zone() -> None:
    auckland = datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo("Pacific/Auckland"))  # Sunday in UTC
    london = datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo("Europe/London"))
    for opens in (auckland, london):
        key = opens.isoformat(timespec="minutes")
        assert period_of_round(key, opens.astimezone(UTC)) == "2026-W49"
    assert period_of_round("not a date", auckland) == "2026-W48"  # falls back to UTC
