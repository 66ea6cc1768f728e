"""A person's own pulse time: what `pulse at` accepts, when the invitation falls in a round
(across clock changes), and when a choice is too late to leave time to answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.pulse_times import (
    PulseTime,
    next_occurrence,
    own_invitation,
    own_key,
    own_reminder,
    parse_pulse_time,
    round_key,
)

LONDON = ZoneInfo("Europe/London")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("thu 08:00", PulseTime(3, 480)),
        ("Thursday 8:00", PulseTime(3, 480)),
        ("  THURS   23:59 ", PulseTime(3, 23 * 60 + 59)),
        ("mon 00:00", PulseTime(0, 0)),
        ("sunday 12:30", PulseTime(6, 750)),
        ("off", None),
    ],
)
def test_accepted_forms(text: str, expected: PulseTime | None) -> None:
    assert parse_pulse_time(text) == expected


@pytest.mark.parametrize(
    "text", ["", "thu", "08:00", "thu 24:00", "thu 8", "th 08:00", "thu 08:00 fri", "someday 08:00"]
)
def test_refused_forms_name_the_accepted_ones(text: str) -> None:
    with pytest.raises(ValueError, match="thu 08:00"):
        parse_pulse_time(text)


def test_next_occurrence_is_at_or_after_and_in_the_persons_zone() -> None:
    thursday_8 = PulseTime(3, 480)
    monday = utc(2026, 11, 30, 10, 0)
    assert next_occurrence(thursday_8, LONDON, monday) == utc(2026, 12, 3, 8, 0)
    assert next_occurrence(thursday_8, ZoneInfo("Europe/Berlin"), monday) == utc(2026, 12, 3, 7)
    # At the very moment: that one; a minute later: next week's.
    assert next_occurrence(thursday_8, LONDON, utc(2026, 12, 3, 8)) == utc(2026, 12, 3, 8)
    assert next_occurrence(thursday_8, LONDON, utc(2026, 12, 3, 8, 1)) == utc(2026, 12, 10, 8)


def test_across_the_clock_changes() -> None:
    sunday_0130 = PulseTime(6, 90)
    # 01:30 does not exist on 29 March 2026 in London: the same instant as 02:30 BST.
    assert next_occurrence(sunday_0130, LONDON, utc(2026, 3, 27)) == utc(2026, 3, 29, 1, 30)
    # It happens twice on 25 October 2026: the first (BST) is the one.
    assert next_occurrence(sunday_0130, LONDON, utc(2026, 10, 23)) == utc(2026, 10, 25, 0, 30)
    # A Monday 08:00 after the clocks went forward is 07:00 UTC.
    assert next_occurrence(PulseTime(0, 480), LONDON, utc(2026, 3, 28)) == utc(2026, 3, 30, 7)


def test_too_late_in_the_round_falls_back_and_the_reminder_never_passes_the_close() -> None:
    opens, closes, remind_after = utc(2026, 11, 30, 10), utc(2026, 12, 3, 10), timedelta(hours=48)
    # Half the reminder delay (24 hours) must be left before the close.
    assert own_invitation(PulseTime(2, 600), LONDON, opens, closes, remind_after) == utc(
        2026, 12, 2, 10
    )
    assert own_invitation(PulseTime(2, 601), LONDON, opens, closes, remind_after) is None
    assert own_reminder(utc(2026, 12, 1, 9), closes, remind_after) == utc(2026, 12, 3, 9)
    assert own_reminder(utc(2026, 12, 1, 10), closes, remind_after) is None


def test_own_keys_never_share_a_prefix() -> None:
    assert not own_key("pulse-invite", "r1", "slack:u:U10").startswith(
        own_key("pulse-invite", "r1", "slack:u:U1")
    )
    # An own message is told from the round's own by its key alone (what the round queued).
    assert round_key("pulse-remind", "r1", "slack:u:U1") == "pulse-remind:r1:slack:u:U1"
    assert own_key("pulse-remind", "r1", "slack:u:U1") == "pulse-remind:r1:slack:u:U1:own"
