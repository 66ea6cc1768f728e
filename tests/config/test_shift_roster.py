"""Night shifts and rotating rotas in the roster: accepted, printed by check-config, and
nonsense refused with a line naming the team and the field."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from bot.config import ConfigError, parse_roster
from bot.domain.team import Rota
from tests.support.cli import cli_env, run
from tests.support.roster import roster_data

ROTA = {"pattern": "DDDDOOOO", "start": "2026-11-02", "hours": "19:00-07:30"}


def test_night_hours_and_a_rota_are_read() -> None:
    team = parse_roster(roster_data(working_hours="19:00-07:30")).team_list[0]
    assert (team.work.start, team.work.end, team.work.overnight) == (time(19), time(7, 30), True)
    team = parse_roster(roster_data(rota=ROTA)).team_list[0]
    assert team.work.rota == Rota("DDDDOOOO", date(2026, 11, 2))
    assert (team.work.start, team.work.end) == (time(19), time(7, 30))
    # Without its own hours a rota works the team's working_hours.
    plain = parse_roster(
        roster_data(working_hours="07:00-19:30", rota={"pattern": "ddoo", "start": "2026-11-02"})
    ).team_list[0]
    assert (plain.work.start, plain.work.end, plain.work.rota) == (
        time(7),
        time(19, 30),
        Rota("DDOO", date(2026, 11, 2)),
    )


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            {"rota": {"pattern": "DDXXOO", "start": "2026-11-02"}},
            "team 'riverside': rota.pattern: 'DDXXOO' is not a rota pattern",
        ),
        (
            {"rota": {"pattern": "OOOO", "start": "2026-11-02"}},
            "team 'riverside': rota.pattern: 'OOOO' has no day on",
        ),
        (
            {"rota": {"pattern": "DDOO", "start": "someday"}},
            "team 'riverside': rota.start: Input should be a valid date",
        ),
        (
            {"rota": {"pattern": "DDOO", "start": "2026-11-02", "hours": "19:00-19:00"}},
            "team 'riverside': rota.hours: “19:00-19:00” starts and ends at the same time",
        ),
        ({"rota": {"pattern": "DDOO"}}, "team 'riverside': rota.start: Field required"),
        (
            {"rota": ROTA, "working_days": "mon-fri"},
            "team 'riverside': (team): rota: give a rota or working_days, not both",
        ),
        (
            {"working_hours": "19:00-31:00"},
            "team 'riverside': working_hours: “31:00” is not a time",
        ),
    ],
)
def test_nonsense_is_refused_naming_team_and_field(
    override: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as err:
        parse_roster(roster_data(**override))
    assert any(message in line for line in err.value.errors), err.value.errors


def test_check_config_prints_the_working_time(tmp_path: Path) -> None:
    roster = roster_data(rota=ROTA)
    roster["teams"].append(
        {
            "id": "ward-7",
            "name": "Ward 7 nights",
            "members": ["U100"],
            "leads": ["U101"],
            "working_hours": "19:00-07:30",
            "working_days": "mon-thu",
        }
    )
    result = run(["check-config"], cli_env(tmp_path, roster))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "    working time: 19:00-07:30 (overnight) on rota DDDDOOOO from 2026-11-02" in lines
    assert "    working time: 19:00-07:30 (overnight) mon-thu" in lines
    bad = run(["check-config"], cli_env(tmp_path, roster_data(rota={"pattern": "DDZ", "start": 1})))
    assert bad.returncode == 2
    assert "team 'riverside': rota.pattern: 'DDZ' is not a rota pattern" in bad.stderr
