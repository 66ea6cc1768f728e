"""Roster additions for breaks and boundaries: defaults, and errors an admin can act on."""

from __future__ import annotations

from datetime import date, time

import pytest
import yaml

from bot.config import ConfigError, parse_roster
from tests.support.roster import roster_data


def test_defaults_and_overrides() -> None:
    team = parse_roster(roster_data()).team_list[0]
    assert team.work.days == frozenset(range(5))
    assert (team.work.start, team.work.end) == (time(8), time(18))
    assert team.breaks.enabled
    assert team.breaks.times == (time(10, 50), time(11, 50), time(14, 50), time(15, 50))
    raw = roster_data()
    raw["teams"][0].update(
        yaml.safe_load(
            """
working_hours: "07:30-16:00"
working_days: [mon, tue, thu]
breaks: {enabled: false, times: [10:15, "14:45"]}
holidays: [2026-12-25, 2027-01-01]
"""
        )
    )
    team = parse_roster(raw).team_list[0]
    assert team.work.days == frozenset({0, 1, 3})
    assert (team.work.start, team.work.end) == (time(7, 30), time(16))
    assert not team.breaks.enabled
    assert team.breaks.times == (time(10, 15), time(14, 45))  # unquoted YAML 10:15 read back
    assert team.holidays == frozenset({date(2026, 12, 25), date(2027, 1, 1)})


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"working_hours": "9-5"}, "team 'riverside': working_hours: “9” is not a time"),
        ({"working_hours": "17:00-17:00"}, "starts and ends at the same time"),
        ({"working_days": "fri-mon"}, "team 'riverside': working_days: “fri-mon” runs backwards"),
        ({"working_days": ["mon", "someday"]}, "working_days: “someday” is not a day"),
        ({"breaks": {"times": ["25:00"]}}, "breaks.times: '25:00' is not a time"),
        ({"breaks": {"times": ["10:00"] * 13}}, "at most 12 break times"),
        ({"breaks": {"on": True}}, "breaks.on"),
        ({"holidays": ["christmas"]}, "team 'riverside': holidays.0"),
    ],
)
def test_admin_readable_errors(override: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_roster(roster_data(**override))
    assert any(message in line for line in err.value.errors), err.value.errors
