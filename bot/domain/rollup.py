"""Freezing one period's figures for every team, department and the organisation.

A period is an ISO week. When every team's round of the week has closed, the week's figures are
rolled up the organisation chart once, the release rules decide what each group may show, and
the result is frozen: later digests, trends and windows read only these frozen rows. Freezing is
what makes roll-ups safe over time: if a team later moves to another department, or members
change teams, an old department figure is never recomputed into a second version that could be
subtracted from the first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.org import GroupKind, OrgChart
from bot.domain.privacy import GroupNode, ReleaseDecision, decide_release, effective_threshold
from bot.domain.scoring import Tally
from bot.domain.team import Team


@dataclass(frozen=True, slots=True)
class TeamRound:
    """A closed round's frozen figures for one team: the input of a period roll-up."""

    team_id: str
    round_id: str
    period: str
    closed_at: datetime
    members: int
    tally: Tally


@dataclass(frozen=True, slots=True)
class Activity:
    """Counts from other features for one team and period; None where a feature is absent."""

    kudos: int | None = None
    breaks: tuple[int, int, int] | None = None  # prompted, done, skipped


@dataclass(frozen=True, slots=True)
class GroupFigures:
    """One group's frozen figures for one period. Suppressed groups carry no figure at all."""

    period: str
    group_id: str
    kind: GroupKind
    name: str
    parent_id: str | None
    min_group_size: int
    released: bool
    closed_at: datetime
    members: int | None = None
    tally: Tally | None = None
    round_id: str | None = None
    kudos: int | None = None
    breaks: tuple[int, int, int] | None = None


@dataclass(frozen=True, slots=True)
class FrozenPeriod:
    period: str
    groups: tuple[GroupFigures, ...]
    decision: ReleaseDecision

    def group(self, group_id: str) -> GroupFigures | None:
        return next((g for g in self.groups if g.group_id == group_id), None)


def _sum_activity(parts: Sequence[Activity]) -> Activity:
    kudos = None
    if parts and all(p.kudos is not None for p in parts):
        kudos = sum(p.kudos or 0 for p in parts)
    breaks = None
    if parts and all(p.breaks is not None for p in parts):
        breaks = (
            sum(p.breaks[0] for p in parts if p.breaks),
            sum(p.breaks[1] for p in parts if p.breaks),
            sum(p.breaks[2] for p in parts if p.breaks),
        )
    return Activity(kudos, breaks)


def freeze_period(
    org: OrgChart,
    teams: Sequence[Team],
    period: str,
    rounds: Sequence[TeamRound],
    activity: Mapping[str, Activity] | None = None,
) -> FrozenPeriod:
    """Roll one period up the chart and decide what each group may release."""
    activity = activity or {}
    by_id = {t.id: t for t in teams}
    merged: dict[str, TeamRound] = {}
    for r in sorted(rounds, key=lambda r: r.closed_at):
        if r.period != period or r.team_id not in by_id:
            continue
        prev = merged.get(r.team_id)
        if prev is None:
            merged[r.team_id] = r
            continue
        tally = Tally()
        tally.merge(prev.tally)
        tally.merge(r.tally)
        merged[r.team_id] = TeamRound(
            r.team_id, r.round_id, period, r.closed_at, max(prev.members, r.members), tally
        )

    present = [by_id[t] for t in sorted(merged)]
    dept_teams: dict[str, list[Team]] = {}
    orphans: list[Team] = []
    for team in present:
        dept = org.department_of(team.id)
        if dept is None:
            orphans.append(team)
        else:
            dept_teams.setdefault(dept.id, []).append(team)

    def k_of(ts: Sequence[Team], own: int | None) -> int:
        if own is not None:
            return effective_threshold(own)
        return max((effective_threshold(t.min_group_size) for t in ts), default=5)

    nodes: list[GroupNode] = []
    meta: dict[str, tuple[GroupKind, str, str | None, int, list[Team]]] = {}
    org_k = k_of(present, org.min_group_size)
    meta[org.id] = ("organisation", org.name, None, org_k, present)
    for dept in org.departments:
        members = dept_teams.get(dept.id)
        if not members:
            continue
        meta[dept.id] = (
            "department",
            dept.name,
            org.id,
            k_of(members, dept.min_group_size),
            members,
        )
    for team in present:
        parent = org.parent_of(team.id)
        meta[team.id] = (
            "team",
            team.name,
            parent,
            effective_threshold(team.min_group_size),
            [team],
        )
    for gid, (kind, _name, up, k, ts) in meta.items():
        respondents = sum(merged[t.id].tally.respondents for t in ts)
        headcount = merged[gid].members if kind == "team" else None
        nodes.append(GroupNode(gid, up, respondents, k, headcount))
    decision = decide_release(nodes) if present else ReleaseDecision(frozenset())

    groups: list[GroupFigures] = []
    for gid, (kind, name, up, k, ts) in meta.items():
        if not ts:
            continue
        closed_at = max(merged[t.id].closed_at for t in ts)
        if not decision.is_released(gid):
            groups.append(
                GroupFigures(
                    period,
                    gid,
                    kind,
                    name,
                    up,
                    k,
                    False,
                    closed_at,
                    round_id=merged[gid].round_id if kind == "team" else None,
                )
            )
            continue
        tally = Tally()
        for t in ts:
            tally.merge(merged[t.id].tally)
        act = _sum_activity([activity.get(t.id, Activity()) for t in ts])
        groups.append(
            GroupFigures(
                period=period,
                group_id=gid,
                kind=kind,
                name=name,
                parent_id=up,
                min_group_size=k,
                released=True,
                closed_at=closed_at,
                members=sum(merged[t.id].members for t in ts),
                tally=tally,
                round_id=merged[gid].round_id if kind == "team" else None,
                kudos=act.kudos,
                breaks=act.breaks,
            )
        )
    return FrozenPeriod(period, tuple(groups), decision)
