"""Departments and the organisation in the roster, with errors an admin can act on."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import ConfigError, parse_roster
from bot.domain.messages import Platform
from bot.domain.org import viewer_for
from tests.support.rounds import roster

SIZES = {"riverside": 5, "lighthouse": 5, "harbour": 5}


def _errors(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_roster(data)
    return info.value.errors


def test_departments_group_teams_and_leads_see_by_role() -> None:
    data = roster(
        [{"id": "adult", "name": "Adult", "teams": ["riverside", "lighthouse"], "leads": ["UD1"]}],
        SIZES,
    )
    parsed = parse_roster(data)
    org = parsed.org_chart
    assert org.name == "Northside Clinics" and org.is_lead(Platform.SLACK, "UORG001")
    assert org.parent_of("riverside") == "adult" and org.parent_of("harbour") == "organisation"
    teams = parsed.team_list
    dept_lead = viewer_for(org, teams, Platform.SLACK, "UD1")
    assert dept_lead.can_see_department("adult") and dept_lead.can_see_team(org, "riverside")
    assert not dept_lead.can_see_team(org, "harbour") and not dept_lead.can_see_organisation()
    team_lead = viewer_for(org, teams, Platform.SLACK, "ULEADRI")
    assert team_lead.can_see_team(org, "riverside") and not team_lead.can_see_department("adult")
    assert viewer_for(org, teams, Platform.SLACK, "URI00001").nothing
    assert viewer_for(org, teams, Platform.TEAMS, "UORG001").nothing  # platform matters
    assert viewer_for(org, teams, Platform.SLACK, "UORG001").can_see_team(org, "harbour")


def test_a_member_of_two_teams_is_named_with_both_teams() -> None:
    data = roster([], SIZES)
    data["teams"][1]["members"].append(data["teams"][0]["members"][0])
    (error,) = _errors(data)
    assert "'riverside'" in error and "'lighthouse'" in error and "URI00001" in error


def test_a_team_in_two_departments_names_both() -> None:
    data = roster(
        [
            {"id": "adult", "name": "Adult", "teams": ["riverside"]},
            {"id": "child", "name": "Child", "teams": ["riverside"]},
        ],
        SIZES,
    )
    (error,) = _errors(data)
    assert "department 'child'" in error and "'adult'" in error and "'riverside'" in error


def test_unknown_team_and_bad_department_fields_are_named() -> None:
    data = roster([{"id": "adult", "name": "Adult", "teams": ["nowhere"]}], SIZES)
    assert _errors(data) == ["department 'adult': teams: no team with id 'nowhere'"]
    data = roster(
        [{"id": "adult", "name": "Adult", "teams": ["riverside"], "min_group_size": 2}], SIZES
    )
    (error,) = _errors(data)
    assert error.startswith("department 'adult': min_group_size")
    data = roster([{"id": "riverside", "name": "Dup", "teams": ["lighthouse"]}], SIZES)
    assert "already used" in _errors(data)[0]
