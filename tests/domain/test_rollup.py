"""Freezing periods up the organisation chart, and successive periods with changed membership.

Why successive periods are safe: each period's answers are new values, so figures of different
periods share no unknowns and a difference between periods isolates nobody. Two things could
still leak: a figure built across periods that includes a suppressed one (a window or trend),
or an old period's figure re-computed under a new structure (a team moved, people moved) and
shown next to its first version. Digests read only frozen figures of released periods, so
neither can happen; the tests below check both, with people and teams moving between periods.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import rollup
from bot.domain.digest import build_group_digest
from bot.domain.digest_present import digest_card
from bot.domain.messages import Platform
from bot.domain.org import Department, OrgChart
from bot.domain.rollup import Activity, FrozenPeriod, GroupFigures, TeamRound
from bot.domain.scoring import Tally
from bot.domain.team import Team
from tests.support.digest_variants import INSTRUMENT
from tests.support.span import Span

T0 = datetime(2026, 11, 5, 10, tzinfo=UTC)


def team(tid: str, members: list[str], k: int = 5) -> Team:
    return Team(
        tid, tid.title(), Platform.SLACK, "UTC", frozenset(members), frozenset({f"L{tid}"}), k
    )


LEADS = frozenset({"Lorg"})


def freeze_period(*args: Any, **kwargs: Any) -> FrozenPeriod:
    return rollup.freeze_period(*args, instrument=INSTRUMENT, **kwargs)


def round_of(tid: str, period: str, answers: list[float], week: int) -> TeamRound:
    t = Tally()
    for a in answers:
        t.add({"exhaustion": a})
    # Far from the scale's ends unless a test says otherwise: those show bands only.
    return TeamRound(tid, f"r-{tid}-{period}", period, T0 + timedelta(weeks=week), 9, t)


def test_department_of_three_with_one_small_team_suppresses_the_next_smallest() -> None:
    org = OrgChart(leads=LEADS, departments=(Department("adult", "Adult", ("a", "b", "c")),))
    teams = [team("a", []), team("b", []), team("c", [])]
    rounds = [
        round_of("a", "2026-W45", [3.0] * 9, 0),
        round_of("b", "2026-W45", [3.0] * 6, 0),
        round_of("c", "2026-W45", [4.0] * 2, 0),
    ]
    frozen = freeze_period(org, teams, "2026-W45", rounds, {"a": Activity(kudos=4)})
    released = {g.group_id for g in frozen.groups if g.released}
    assert released == {"organisation", "adult", "a"}
    b = frozen.group("b")
    assert b is not None and not b.released and b.tally is None and b.members is None
    assert frozen.decision.reasons["c"] == "too few responses"
    assert frozen.decision.reasons["b"].startswith("protects c")
    adult = frozen.group("adult")
    assert adult is not None and adult.tally is not None and adult.tally.respondents == 17
    # Kudos roll up only where every team reports them; the department's would need b and c.
    a = frozen.group("a")
    assert a is not None and a.kudos == 4 and adult.kudos is None


def test_team_without_department_hangs_off_the_organisation() -> None:
    org = OrgChart(leads=LEADS, departments=(Department("adult", "Adult", ("a",)),))
    teams = [team("a", []), team("solo", [])]
    rounds = [round_of("a", "W", [3.0] * 6, 0), round_of("solo", "W", [3.0] * 7, 0)]
    frozen = freeze_period(org, teams, "W", rounds)
    solo = frozen.group("solo")
    assert solo is not None and solo.parent_id == "organisation" and solo.released


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[OrgChart, list[Team], dict[str, dict[str, float]]]]:
    """Up to four periods; people move between teams and teams between departments."""
    people = [f"p{i}" for i in range(draw(st.integers(4, 24)))]
    team_ids = [f"t{i}" for i in range(draw(st.integers(2, 5)))]
    periods = []
    for _ in range(draw(st.integers(2, 4))):
        n_depts = draw(st.integers(1, 3))
        depts: dict[str, list[str]] = defaultdict(list)
        for tid in team_ids:
            depts[f"d{draw(st.integers(0, n_depts - 1))}"].append(tid)
        org = OrgChart(
            leads=LEADS, departments=tuple(Department(d, d, tuple(ts)) for d, ts in depts.items())
        )
        membership: dict[str, list[str]] = defaultdict(list)
        answers: dict[str, dict[str, float]] = defaultdict(dict)
        for p in people:
            tid = draw(st.sampled_from(team_ids))
            membership[tid].append(p)
            if draw(st.booleans()):
                answers[tid][p] = float(draw(st.integers(1, 5)))
        teams = [team(t, membership[t], draw(st.integers(3, 5))) for t in team_ids]
        periods.append((org, teams, dict(answers)))
    return periods


@settings(max_examples=150, deadline=None)
@given(histories())
def test_successive_periods_with_changed_membership(
    history: list[tuple[OrgChart, list[Team], dict[str, dict[str, float]]]],
) -> None:
    period_ids = [f"2026-W{40 + i}" for i in range(len(history))]
    frozen_by_period = {}
    for week, (period, (org, teams, answers)) in enumerate(zip(period_ids, history, strict=True)):
        rounds = [round_of(t.id, period, list(answers.get(t.id, {}).values()), week) for t in teams]
        frozen_by_period[period] = (freeze_period(org, teams, period, rounds), org, teams, answers)

    # Coordinates: one per (period, person who answered), since each round's answers are new.
    coords = [
        (period, p)
        for period, (_f, _o, _t, answers) in frozen_by_period.items()
        for team_answers in answers.values()
        for p in team_answers
    ]
    index = {c: i for i, c in enumerate(coords)}

    def members(period: str, group: GroupFigures) -> set[str]:
        _f, org, teams, answers = frozen_by_period[period]
        ids = {t.id for t in teams}
        if group.kind == "team":
            chosen = {group.group_id}
        elif group.kind == "department":
            dept = org.department(group.group_id)
            chosen = set(dept.team_ids) if dept else set()
        else:
            chosen = ids
        return {p for tid in chosen for p in answers.get(tid, {})}

    def vector(period: str, people: set[str]) -> list[int]:
        v = [0] * len(coords)
        for p in people:
            v[index[(period, p)]] = 1
        return v

    span = Span(len(coords))
    for period, (frozen, *_rest) in frozen_by_period.items():
        for g in frozen.groups:
            if g.released:
                span.add(vector(period, members(period, g)))
    for c in coords:
        unit = [0] * len(coords)
        unit[index[c]] = 1
        assert not span.contains(unit), f"an answer is exposed: {c}"
    # Groups withheld for having too few answers stay hidden even from a reader who knows who
    # answered (the vectors here are over respondents).
    for period, (frozen, *_rest) in frozen_by_period.items():
        for g in frozen.groups:
            people = members(period, g)
            if not g.released and people and len(people) < g.min_group_size:
                assert not span.contains(vector(period, people)), f"{period} {g.group_id}"

    # Trends read the frozen figures, whatever the structure is now.
    for gid in {g.group_id for f, *_ in frozen_by_period.values() for g in f.groups}:
        hist = [
            g
            for f, *_ in reversed(list(frozen_by_period.values()))
            for g in f.groups
            if g.group_id == gid
        ]
        digest = build_group_digest(INSTRUMENT, hist)
        assert digest is not None
        for line in digest.dimensions:
            for period, value, frozen_g in zip(digest.periods, line.trend, hist[::-1], strict=True):
                assert frozen_g.period == period
                if frozen_g.released and frozen_g.tally and frozen_g.tally.counts.get(line.id):
                    expected = frozen_g.tally.sums[line.id] / frozen_g.tally.counts[line.id]
                    assert value == round(expected, 2)
                else:
                    assert value is None


def test_withheld_break_uptake_counts_as_nothing_up_the_chart() -> None:
    """A team with too few people taking breaks reports (0, 0, 0): its own digest has no break
    line, and a department adds nothing from it, so its total is the other teams' own totals."""
    org = OrgChart(leads=LEADS, departments=(Department("adult", "Adult", ("a", "b")),))
    teams = [team("a", []), team("b", [])]
    rounds = [round_of("a", "2026-W45", [3.0] * 7, 0), round_of("b", "2026-W45", [3.0] * 6, 0)]
    activity = {
        "a": Activity(breaks=(20, 8, 4), people_prompted=6),
        "b": Activity(breaks=(0, 0, 0), people_prompted=0),
    }
    frozen = freeze_period(org, teams, "2026-W45", rounds, activity)
    adult, a, b = (frozen.group(g) for g in ("adult", "a", "b"))
    assert adult is not None and a is not None and b is not None
    assert adult.breaks == a.breaks == (20, 8, 4)
    digest = build_group_digest(INSTRUMENT, [b])
    assert digest is not None and not digest.suppressed
    assert not any(f.label == "Break prompts" for f in digest_card(digest).fields)
