"""The organisation chart: teams grouped into departments, departments into the organisation.

Only the structure and who leads what live here; who is in each team stays with `Team`. Access
to figures follows the chart: a team lead sees their team, a department lead sees the department
roll-up and its teams, an organisation lead sees everything, and nobody else sees any figure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from bot.domain.messages import Platform
from bot.domain.team import Team

GroupKind = Literal["team", "department", "organisation"]

ORGANISATION_ID = "organisation"


@dataclass(frozen=True, slots=True)
class Department:
    id: str
    name: str
    team_ids: tuple[str, ...]
    platform: Platform = Platform.SLACK
    leads: frozenset[str] = frozenset()
    min_group_size: int | None = None

    def is_lead(self, platform: Platform, user_id: str) -> bool:
        return platform == self.platform and user_id in self.leads


@dataclass(frozen=True, slots=True)
class OrgChart:
    id: str = ORGANISATION_ID
    name: str = "Organisation"
    platform: Platform = Platform.SLACK
    leads: frozenset[str] = frozenset()
    departments: tuple[Department, ...] = ()
    min_group_size: int | None = None
    _by_team: dict[str, str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        by_team: dict[str, str] = {}
        for dept in self.departments:
            for team_id in dept.team_ids:
                by_team.setdefault(team_id, dept.id)
        object.__setattr__(self, "_by_team", by_team)

    def is_lead(self, platform: Platform, user_id: str) -> bool:
        return platform == self.platform and user_id in self.leads

    def department(self, department_id: str) -> Department | None:
        return next((d for d in self.departments if d.id == department_id), None)

    def department_of(self, team_id: str) -> Department | None:
        dept_id = self._by_team.get(team_id)
        return self.department(dept_id) if dept_id else None

    def parent_of(self, team_id: str) -> str:
        return self._by_team.get(team_id, self.id)

    def group_ids(self, teams: Iterable[Team]) -> list[str]:
        return [self.id, *(d.id for d in self.departments), *(t.id for t in teams)]


@dataclass(frozen=True, slots=True)
class Viewer:
    """What one person may read: nothing, some teams, some departments, or everything."""

    everything: bool = False
    departments: frozenset[str] = frozenset()
    teams: frozenset[str] = frozenset()

    @property
    def nothing(self) -> bool:
        return not (self.everything or self.departments or self.teams)

    def can_see_team(self, org: OrgChart, team_id: str) -> bool:
        if self.everything or team_id in self.teams:
            return True
        dept = org.department_of(team_id)
        return dept is not None and dept.id in self.departments

    def can_see_department(self, department_id: str) -> bool:
        return self.everything or department_id in self.departments

    def can_see_organisation(self) -> bool:
        return self.everything


def viewer_for(org: OrgChart, teams: Sequence[Team], platform: Platform, user_id: str) -> Viewer:
    return Viewer(
        everything=org.is_lead(platform, user_id),
        departments=frozenset(d.id for d in org.departments if d.is_lead(platform, user_id)),
        teams=frozenset(t.id for t in teams if t.is_lead(platform, user_id)),
    )


# Periods: figures of different teams are rolled up by the ISO week of the round's opening, in
# the team's own time zone, so Monday rounds in Auckland and in London share a period.


def period_of(opens_at: datetime) -> str:
    """The ISO week of a moment, on the calendar of that moment's own offset."""
    year, week, _ = opens_at.isocalendar()
    return f"{year}-W{week:02d}"


def period_of_round(period_key: str, opens_at: datetime) -> str:
    """A round's period: from its key (the local scheduled start), else from its opening."""
    try:
        local = datetime.fromisoformat(period_key)
    except ValueError:
        return period_of(opens_at.astimezone(UTC))
    return period_of(local)


def period_window(period: str) -> tuple[datetime, datetime]:
    """[start, end) of an ISO week period, in UTC (for counts from other features)."""
    year_text, _, week_text = period.partition("-W")
    monday = date.fromisocalendar(int(year_text), int(week_text), 1)
    start = datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
    return start, start + timedelta(days=7)
