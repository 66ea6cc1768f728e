"""`respite check-config` reports every roster mistake that would fail in use, all in one run."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import ConfigError, load_instrument, load_roster, parse_roster
from tests.support.cli import cli_env, run
from tests.support.roster import CLINICIANS, roster_data

GUID = "6f1c4a2e-0b7d-4e57-9a8c-{:012d}"
PULSE = Path(__file__).resolve().parents[2] / "bot" / "data" / "respite-pulse.yaml"


def _file_errors(tmp_path: Path, data: dict[str, Any]) -> list[str]:
    path = tmp_path / "respite.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as info:
        load_roster(path)
    return info.value.errors


def _teams_team(**overrides: Any) -> dict[str, Any]:
    team = {
        "id": "harbour",
        "name": "Harbour",
        "platform": "teams",
        "members": [GUID.format(n) for n in range(1, 6)],
        "leads": [GUID.format(99)],
    }
    team.update(overrides)
    return team


def test_teams_people_must_be_entra_object_ids(tmp_path: Path) -> None:
    data = roster_data()
    data["teams"].append(
        _teams_team(
            members=[GUID.format(1), "ana@example.org", "Ben Jones"],
            leads=["lee@example.org"],
        )
    )
    errors = _file_errors(tmp_path, data)
    assert len(errors) == 3
    assert errors[0].startswith("team 'harbour': members: 'ana@example.org' is not a Microsoft")
    assert errors[1].startswith("team 'harbour': members: 'Ben Jones' is not a Microsoft")
    assert errors[2].startswith("team 'harbour': leads: 'lee@example.org' is not a Microsoft")
    assert all("GUID" in e and "Object ID" in e for e in errors)


def test_teams_department_and_organisation_leads_must_be_entra_object_ids(
    tmp_path: Path,
) -> None:
    data = {
        "organisation": {"platform": "teams", "leads": ["Olivia Org"]},
        "departments": [
            {"id": "adult", "name": "Adult", "teams": ["harbour"], "platform": "teams"}
            | {"leads": ["dee@example.org"]}
        ],
        "teams": [_teams_team()],
    }
    errors = _file_errors(tmp_path, data)
    assert [e.split(" is not")[0] for e in errors] == [
        "department 'adult': leads: 'dee@example.org'",
        "organisation: leads: 'Olivia Org'",
    ]
    # Slack ids on a Slack team are left alone, and a GUID roster loads.
    good = roster_data()
    good["teams"].append(_teams_team())
    path = tmp_path / "ok.yaml"
    path.write_text(yaml.safe_dump(good))
    assert [t.id for t in load_roster(path).teams] == ["riverside", "harbour"]


def test_a_team_nobody_leads_is_refused(tmp_path: Path) -> None:
    errors = _file_errors(tmp_path, roster_data(leads=[]))
    assert len(errors) == 1
    assert errors[0].startswith("team 'riverside': leads: nobody would read this team's digest")


def test_a_team_read_only_by_a_department_lead_is_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    data = roster_data(leads=[])
    data["departments"] = [
        {"id": "adult", "name": "Adult", "teams": ["riverside"], "leads": ["UDEPT01"]}
    ]
    with caplog.at_level(logging.WARNING, logger="bot.config"):
        roster = parse_roster(data)
    assert roster.teams[0].leads == []
    assert "team 'riverside': leads: none; only department or organisation leads" in caplog.text
    caplog.clear()
    data = roster_data(leads=[])
    data["organisation"] = {"leads": ["UORG01"]}
    with caplog.at_level(logging.WARNING, logger="bot.config"):
        parse_roster(data)
    assert "team 'riverside': leads: none" in caplog.text


def test_an_instrument_with_more_than_ten_points_is_refused(tmp_path: Path) -> None:
    raw = yaml.safe_load(PULSE.read_text(encoding="utf-8"))
    raw.pop("translations")  # they label five points; this test is about the scale's size
    raw["scale"] = {"min": 0, "max": 10, "labels": {i: f"point {i}" for i in range(11)}}
    path = tmp_path / "eleven.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError) as info:
        load_instrument(path)
    (error,) = info.value.errors
    assert "scale: 11 points from 0 to 10; give at most 10" in error
    assert "radio buttons" in error
    raw["scale"] = {"min": 1, "max": 10, "labels": {i: f"point {i}" for i in range(1, 11)}}
    path.write_text(yaml.safe_dump(raw))
    assert len(load_instrument(path).scale) == 10


def test_an_unknown_platform_does_not_offer_the_console() -> None:
    with pytest.raises(ConfigError) as info:
        parse_roster(roster_data(platform="skype"))
    (error,) = info.value.errors
    assert error == "team 'riverside': platform: expected slack or teams, got 'skype'"
    assert "console" not in error
    # The demo's own rosters still run on the console.
    assert parse_roster(roster_data(platform="console")).teams[0].platform == "console"


def test_field_and_cross_team_mistakes_are_reported_together(tmp_path: Path) -> None:
    data = roster_data(min_group_size=2)
    data["teams"].append(
        {"id": "lighthouse", "name": "Lighthouse", "members": [CLINICIANS[0]], "leads": []}
    )
    data["teams"].append(_teams_team(members=["ana@example.org"], timezone="Mars/Olympus"))
    data["teams"].append({"id": "dup", "name": "Dup", "members": ["UX1"], "leads": ["UL1"]})
    data["teams"].append({"id": "dup", "name": "Dup", "members": ["UX2"], "leads": ["UL2"]})
    data["departments"] = [
        {"id": "adult", "name": "Adult", "teams": ["riverside", "nowhere"], "platform": "fax"}
    ]
    result = run(["check-config"], cli_env(tmp_path, data))
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    expected = [
        "team 'riverside': min_group_size: must be at least 3",
        "team 'harbour': timezone: unknown time zone 'Mars/Olympus'",
        "department 'adult': platform: expected slack or teams, got 'fax'",
        f"team 'lighthouse': members: {CLINICIANS[0]} is already a member of team 'riverside'",
        "team 'dup': id: used by more than one team",
        "department 'adult': teams: no team with id 'nowhere'",
        "team 'harbour': members: 'ana@example.org' is not a Microsoft Entra object id",
        "team 'lighthouse': leads: nobody would read this team's digest",
    ]
    for part in expected:
        assert any(part in line for line in lines), (part, lines)
    assert len(lines) == len(expected), lines
    assert "console" not in result.stderr
