"""Freezing one period's figures for every team, department and the organisation.

A period is an ISO week. When every team's round of the week has closed, the week's figures are
rolled up the organisation chart once, the release rules decide what each group may show, and
the result is frozen: later digests, trends and windows read only these frozen rows. Freezing is
what makes roll-ups safe over time: if a team later moves to another department, or members
change teams, an old department figure is never recomputed into a second version that could be
subtracted from the first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.disclosure import Group, disclose
from bot.domain.disclosure import PriorRelease as PriorRelease
from bot.domain.instrument import Instrument
from bot.domain.messages import Platform
from bot.domain.org import GroupKind, OrgChart
from bot.domain.privacy import GroupNode, ReleaseDecision, decide_release, effective_threshold
from bot.domain.scoring import Band, Tally
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
    # Keyed marks of who took part (never their answers): a period's threshold counts people,
    # and several rounds in one week must not count one person twice.
    people: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Activity:
    """Counts from other features for one team and period; None where a feature is absent."""

    kudos: int | None = None
    breaks: tuple[int, int, int] | None = None  # prompted, done, skipped
    # Distinct people who were actually sent a break prompt: uptake is a count of their presses,
    # so it is shown only for at least k people, as answers are.
    people_prompted: int | None = None


@dataclass(frozen=True, slots=True)
class GroupFigures:
    """One group's frozen figures for one period. Suppressed groups carry no figure at all;
    a group shown as bands only carries its bands and nothing else."""

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
    bands: Mapping[str, Band] | None = None


@dataclass(frozen=True, slots=True)
class FrozenPeriod:
    period: str
    groups: tuple[GroupFigures, ...]
    decision: ReleaseDecision
    # Who answered in each group released with exact figures: what later periods compare with.
    people: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Those people less the ones of released groups below: disjoint, and what is stored.
    regions: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Who answered in each group shown as bands only: later weeks are compared with these too.
    banded: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # The rounds rolled up: their raw data has served its purpose once this period is stored.
    round_ids: tuple[str, ...] = ()

    def group(self, group_id: str) -> GroupFigures | None:
        return next((g for g in self.groups if g.group_id == group_id), None)

    def releases(self) -> list[PriorRelease]:
        """This period as a later period sees it: what `DigestStore.prior_releases` returns."""
        out = [
            PriorRelease(
                self.period, g.group_id, self.people[g.group_id], g.tally, self.regions[g.group_id]
            )
            for g in self.groups
            if g.released and g.tally is not None and g.group_id in self.regions
        ]
        out += [
            PriorRelease(self.period, g.group_id, self.banded[g.group_id], None, bands=g.bands)
            for g in self.groups
            if g.bands is not None and g.group_id in self.banded
        ]
        return out


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


def _merge(period: str, rounds: Sequence[TeamRound], team_ids: set[str]) -> dict[str, TeamRound]:
    """One team's rounds of a period as one: answers add up, people are counted once."""
    merged: dict[str, TeamRound] = {}
    for r in sorted(rounds, key=lambda r: r.closed_at):
        if r.period != period or r.team_id not in team_ids:
            continue
        prev = merged.get(r.team_id)
        if prev is None:
            merged[r.team_id] = r
            continue
        tally = Tally()
        tally.merge(prev.tally)
        tally.merge(r.tally)
        people = prev.people | r.people
        if people:
            tally.respondents = len(people)
        merged[r.team_id] = TeamRound(
            r.team_id, r.round_id, period, r.closed_at, max(prev.members, r.members), tally, people
        )
    return merged


@dataclass(slots=True)
class _Group:
    kind: GroupKind
    name: str
    parent: str | None
    k: int
    teams: list[Team]
    leads: frozenset[str]
    platform: Platform
    readable: bool = True


def _chart(org: OrgChart, present: Sequence[Team]) -> dict[str, _Group]:
    """The groups of this period, each under the nearest group above it that somebody reads.

    A department or organisation with no lead of its own nor above it is read by nobody, so it
    is left out of the tree: protecting its total would withhold figures that leads do
    read. Its teams stay, under the nearest read group, or on their own.
    """

    def k_of(ts: Sequence[Team], own: int | None) -> int:
        if own is not None:
            return effective_threshold(own)
        return max((effective_threshold(t.min_group_size) for t in ts), default=5)

    dept_teams: dict[str, list[Team]] = {}
    for team in present:
        dept = org.department_of(team.id)
        if dept is not None:
            dept_teams.setdefault(dept.id, []).append(team)
    groups: dict[str, _Group] = {}
    org_read = bool(org.leads)
    if org_read:
        groups[org.id] = _Group(
            "organisation",
            org.name,
            None,
            k_of(present, org.min_group_size),
            list(present),
            org.leads,
            org.platform,
        )
    top = org.id if org_read else None
    for dept in org.departments:
        members = dept_teams.get(dept.id)
        if not members or not (org_read or dept.leads):
            continue
        groups[dept.id] = _Group(
            "department",
            dept.name,
            top,
            k_of(members, dept.min_group_size),
            members,
            dept.leads,
            dept.platform,
        )
    for team in present:
        dept = org.department_of(team.id)
        parent = dept.id if dept is not None and dept.id in groups else top
        groups[team.id] = _Group(
            "team",
            team.name,
            parent,
            effective_threshold(team.min_group_size),
            [team],
            team.leads,
            team.platform,
            readable=bool(team.leads) or parent is not None,
        )
    return groups


def _readers(
    groups: Mapping[str, _Group], mark: Callable[[Platform, str], str] | None
) -> dict[str, frozenset[str]]:
    """Marks of everyone who reads each group: its leads and the leads of every group above."""
    out: dict[str, frozenset[str]] = {}
    if mark is None:
        return {gid: frozenset() for gid in groups}
    for gid in groups:
        marks: set[str] = set()
        cur: str | None = gid
        while cur is not None:
            g = groups[cur]
            marks.update(mark(g.platform, lead) for lead in g.leads)
            cur = g.parent
        out[gid] = frozenset(marks)
    return out


def freeze_period(
    org: OrgChart,
    teams: Sequence[Team],
    period: str,
    rounds: Sequence[TeamRound],
    activity: Mapping[str, Activity] | None = None,
    *,
    instrument: Instrument,
    mark: Callable[[Platform, str], str] | None = None,
    prior: Sequence[PriorRelease] = (),
) -> FrozenPeriod:
    """Roll one period up the chart and decide what each group may release.

    `mark` keys a person as `TeamRound.people` does (None: readers are not counted out, for
    callers that hold no marks); `prior` holds the exact releases of the trend window.
    """
    activity = activity or {}
    by_id = {t.id: t for t in teams}
    merged = _merge(period, rounds, set(by_id))
    present = [by_id[t] for t in sorted(merged)]
    if not present:
        return FrozenPeriod(period, (), ReleaseDecision(frozenset()))
    groups = _chart(org, present)
    readers = _readers(groups, mark)

    def tally_of(gid: str) -> Tally:
        tally = Tally()
        for t in groups[gid].teams:
            tally.merge(merged[t.id].tally)
        return tally

    def people_of(gid: str) -> frozenset[str]:
        return frozenset().union(*(merged[t.id].people for t in groups[gid].teams))

    tallies = {gid: tally_of(gid) for gid in groups}
    people = {gid: people_of(gid) for gid in groups}
    nodes = [
        GroupNode(
            gid,
            g.parent,
            tallies[gid].respondents,
            g.k,
            merged[gid].members if g.kind == "team" else None,
            readable=g.readable,
            people=merged[gid].people if g.kind == "team" else frozenset(),
            readers=readers[gid],
        )
        for gid, g in groups.items()
    ]
    shown = disclose(
        instrument,
        {
            gid: Group(g.parent, g.k, g.readable, tallies[gid], people[gid], readers[gid])
            for gid, g in groups.items()
        },
        nodes,
        prior,
    )
    decision, regions = shown.decision, shown.regions
    breaks_released = _breaks_decision(groups, activity)

    out: list[GroupFigures] = []
    released_people: dict[str, frozenset[str]] = {}
    for gid, g in groups.items():
        if not g.readable:
            continue
        ts = g.teams
        closed_at = max(merged[t.id].closed_at for t in ts)
        round_id = merged[gid].round_id if g.kind == "team" else None
        if not decision.is_released(gid):
            out.append(
                GroupFigures(
                    period,
                    gid,
                    g.kind,
                    g.name,
                    g.parent,
                    g.k,
                    False,
                    closed_at,
                    round_id=round_id,
                    bands=shown.bands.get(gid),
                )
            )
            continue
        act = _sum_activity([activity.get(t.id, Activity()) for t in ts])
        released_people[gid] = people[gid]
        out.append(
            GroupFigures(
                period=period,
                group_id=gid,
                kind=g.kind,
                name=g.name,
                parent_id=g.parent,
                min_group_size=g.k,
                released=True,
                closed_at=closed_at,
                members=sum(merged[t.id].members for t in ts),
                tally=tallies[gid],
                round_id=round_id,
                kudos=act.kudos,
                breaks=act.breaks if gid in breaks_released else None,
            )
        )
    round_ids = tuple(sorted(r.round_id for r in rounds if r.period == period))
    banded = {gid: people[gid] for gid in shown.bands}
    return FrozenPeriod(period, tuple(out), decision, released_people, regions, banded, round_ids)


def _breaks_decision(
    groups: Mapping[str, _Group], activity: Mapping[str, Activity]
) -> frozenset[str]:
    """Groups whose break uptake may be shown: the release rules again, on people prompted.

    Uptake is a count of presses, so a group where fewer than k people were prompted shows one
    person's habits; and it rolls up the chart like answers do, so a withheld team's uptake must
    not be a department's less its other teams'.
    """
    nodes = []
    for gid, g in groups.items():
        prompted = sum((activity.get(t.id, Activity()).people_prompted or 0) for t in g.teams)
        # A team that nobody was prompted in hides nothing, so it protects nothing either.
        headcount = prompted if g.kind == "team" else None
        nodes.append(GroupNode(gid, g.parent, prompted, g.k, headcount, readable=g.readable))
    return decide_release(nodes).released
