"""The release rules across periods, against a lead who reads every week and knows who answered.

The worst case for a reader who keeps every digest: each person answers exactly as before, week
after week. Then every exact figure released in the trend window is a sum over fixed unknowns,
one per person, and the reader can take any linear combination of them. These tests freeze
random histories period by period as the scheduler does (each period compared with the exact
releases of the window before it), with people joining, leaving and moving between teams and
departments, and check with exact rational arithmetic that no person's answer lies in the span
of what was released with exact figures in any window.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.digest import HISTORY_ROUNDS
from bot.domain.disclosure import BANDS_ONLY, NARROWS
from bot.domain.messages import Platform
from bot.domain.org import Department, OrgChart
from bot.domain.rollup import FrozenPeriod, TeamRound, freeze_period
from bot.domain.scoring import Tally
from bot.domain.team import Team
from tests.support.digest_variants import INSTRUMENT
from tests.support.span import Span

T0 = datetime(2026, 11, 2, 10, tzinfo=UTC)
TEAM_IDS = ("t0", "t1", "t2")


@dataclass
class Week:
    org: OrgChart
    teams: list[Team]
    # team -> people who answered
    answered: dict[str, list[str]]
    # team -> people who answered a second round the same week (several rounds merged)
    twice: dict[str, list[str]] = field(default_factory=dict)


@st.composite
def histories(draw: st.DrawFn) -> list[Week]:
    """Two to seven weeks of one small organisation: each week people are placed in teams
    (moving is a new placement), teams in departments, and some of each team answer; now and
    then a team runs two rounds in a week and some answer both."""
    people = [f"p{i}" for i in range(draw(st.integers(5, 16)))]
    weeks = []
    home = {p: draw(st.sampled_from(TEAM_IDS)) for p in people}
    for _ in range(draw(st.integers(2, 7))):
        for p in people:
            if draw(st.integers(0, 9)) == 0:  # one in ten moves team this week
                home[p] = draw(st.sampled_from(TEAM_IDS))
        split = draw(st.booleans())
        depts = (
            (Department("d0", "D0", ("t0", "t1")), Department("d1", "D1", ("t2",)))
            if split
            else (Department("d0", "D0", TEAM_IDS),)
        )
        org = OrgChart(leads=frozenset({"boss"}), departments=depts)
        teams = []
        answered: dict[str, list[str]] = {}
        for tid in TEAM_IDS:
            members = [p for p in people if home[p] == tid]
            k = draw(st.integers(3, 5))
            teams.append(
                Team(tid, tid, Platform.SLACK, "UTC", frozenset(members), frozenset({"L"}), k)
            )
            answered[tid] = [p for p in members if draw(st.integers(0, 9)) < 8]
        twice = {}
        if draw(st.integers(0, 4)) == 0:  # now and then a team runs a second round that week
            tid = draw(st.sampled_from(TEAM_IDS))
            twice[tid] = [p for p in answered[tid] if draw(st.booleans())]
        weeks.append(Week(org, teams, answered, twice))
    return weeks


def _freeze_all(weeks: list[Week]) -> list[tuple[str, FrozenPeriod, Week]]:
    """Freeze week after week as the scheduler does, with answers of 3 for everyone (the
    figures' values do not matter here: which figures are exact does)."""
    out: list[tuple[str, FrozenPeriod, Week]] = []
    for i, week in enumerate(weeks):
        period = f"2026-W{10 + i:02d}"
        rounds = []
        for tid, who in week.answered.items():
            for n, people in enumerate((who, week.twice.get(tid, []))):
                if n and not people:
                    continue
                tally = Tally()
                for _ in people:
                    tally.add({"exhaustion": 3.0})
                closed = T0 + timedelta(weeks=i, days=n)
                rounds.append(
                    TeamRound(tid, f"r{i}{tid}{n}", period, closed, 9, tally, frozenset(people))
                )
        prior = [r for _p, f, _w in out[-(HISTORY_ROUNDS - 1) :] for r in f.releases()]
        frozen = freeze_period(
            week.org, week.teams, period, rounds, instrument=INSTRUMENT, prior=prior
        )
        out.append((period, frozen, week))
    return out


@settings(max_examples=300, deadline=None)
@given(histories())
def test_no_answer_lies_in_the_span_of_a_windows_exact_figures(weeks: list[Week]) -> None:
    frozen = _freeze_all(weeks)
    everyone = sorted({p for w in weeks for who in w.answered.values() for p in who})
    index = {p: i for i, p in enumerate(everyone)}
    for end in range(len(frozen)):
        window = frozen[max(0, end - HISTORY_ROUNDS + 1) : end + 1]
        span = Span(len(everyone))
        for _period, f, week in window:
            again = {p for people in week.twice.values() for p in people}
            for g in f.groups:
                if g.released:
                    # A person who answered two rounds of the week is in the sum twice.
                    vector = [0] * len(everyone)
                    for p in f.people[g.group_id]:
                        vector[index[p]] = 2 if p in again else 1
                    span.add(vector)
        for p in everyone:
            unit = [0] * len(everyone)
            unit[index[p]] = 1
            assert not span.contains(unit), f"{p}'s answer is a combination of released figures"


def test_a_newcomer_beside_the_same_five_is_not_subtracted_out() -> None:
    """Week 1: five of six answer; week 2: the same five and a new hire. Exact figures for
    week 2 would give the newcomer's answers as mean2·6 - mean1·5: week 2 shows bands."""
    five = [f"p{i}" for i in range(5)]
    team = Team("t", "T", Platform.SLACK, "UTC", frozenset([*five, "p5", "new"]), frozenset({"L"}))
    org = OrgChart(leads=frozenset({"boss"}))
    weeks = [Week(org, [team], {"t": five}), Week(org, [team], {"t": [*five, "new"]})]
    (_p1, first, _w1), (_p2, second, _w2) = _freeze_all(weeks)
    one, two = first.group("t"), second.group("t")
    assert one is not None and one.released
    assert two is not None and not two.released and two.tally is None
    assert second.decision.reasons["t"] == BANDS_ONLY


def test_six_weeks_can_isolate_what_no_two_do() -> None:
    """Six people, and each week a different one stays away: no two weeks differ by a pure
    addition or removal, and five weeks isolate nobody, but the sixth would give everyone's
    answer (six independent sums of six unknowns): it is withheld."""
    everyone = [f"p{i}" for i in range(6)]
    team = Team("t", "T", Platform.SLACK, "UTC", frozenset(everyone), frozenset({"L"}))
    org = OrgChart(leads=frozenset({"boss"}))
    sets = [[p for p in everyone if p != away] for away in everyone]
    weeks = [Week(org, [team], {"t": s}) for s in sets]
    frozen = _freeze_all(weeks)
    released = [f.group("t") for _p, f, _w in frozen]
    assert all(g is not None for g in released)
    exact = [s for s, g in zip(sets, released, strict=True) if g is not None and g.released]
    assert exact == sets[:5]
    assert frozen[5][1].decision.reasons["t"] == NARROWS
    span = Span(6)
    for s in exact:
        span.add([1 if p in s else 0 for p in everyone])
    for i in range(6):
        assert not span.contains([1 if j == i else 0 for j in range(6)])


def test_readers_who_answered_are_counted_out() -> None:
    """A lead who is a member knows their own answer: the team needs k others besides them."""
    members = [f"p{i}" for i in range(5)]
    org = OrgChart(leads=frozenset({"boss"}))
    team = Team("t", "T", Platform.SLACK, "UTC", frozenset(members), frozenset({"p0"}))
    tally = Tally()
    for _ in members:
        tally.add({"exhaustion": 3.0})
    round_ = TeamRound("t", "r", "W", T0, 5, tally, frozenset(members))
    mark = lambda _platform, user: user  # noqa: E731
    frozen = freeze_period(org, [team], "W", [round_], instrument=INSTRUMENT, mark=mark)
    g = frozen.group("t")
    assert g is not None and not g.released  # 5 answered, but only 4 besides the lead
    sixth = Tally()
    for _ in range(6):
        sixth.add({"exhaustion": 3.0})
    team6 = Team("t", "T", Platform.SLACK, "UTC", frozenset([*members, "p5"]), frozenset({"p0"}))
    round6 = TeamRound("t", "r", "W", T0, 6, sixth, frozenset([*members, "p5"]))
    frozen6 = freeze_period(org, [team6], "W", [round6], instrument=INSTRUMENT, mark=mark)
    g6 = frozen6.group("t")
    assert g6 is not None and g6.released
    # Without marks (nobody known to have answered) five are enough.
    plain = freeze_period(org, [team], "W", [round_], instrument=INSTRUMENT)
    assert (g := plain.group("t")) is not None and g.released


def test_several_rounds_in_a_week_count_people_not_answers() -> None:
    """Three people answering twice in a week are three respondents, not six."""
    trio = frozenset({"a", "b", "c"})
    team = Team("t", "T", Platform.SLACK, "UTC", trio, frozenset({"L"}))
    org = OrgChart(leads=frozenset({"boss"}))
    rounds = []
    for i in range(2):
        tally = Tally()
        for _ in trio:
            tally.add({"exhaustion": 3.0})
        rounds.append(TeamRound("t", f"r{i}", "W", T0 + timedelta(days=3 * i), 3, tally, trio))
    frozen = freeze_period(org, [team], "W", rounds, instrument=INSTRUMENT)
    g = frozen.group("t")
    assert g is not None and not g.released and g.tally is None


def test_groups_nobody_reads_leave_the_tree() -> None:
    """Two teams of 4 and 5 answers and an organisation nobody leads: the organisation's total
    is read by no one, so protecting it must not cost the team of five its figures."""
    org = OrgChart()
    teams = [
        Team(t, t, Platform.SLACK, "UTC", frozenset(), frozenset({f"L{t}"})) for t in ("a", "b")
    ]
    rounds = []
    for tid, n in (("a", 4), ("b", 5)):
        tally = Tally()
        for v in range(n):
            tally.add({"exhaustion": 2.0 + v % 3})
        who = frozenset(f"{tid}{i}" for i in range(n))
        rounds.append(TeamRound(tid, f"r{tid}", "W", T0, 8, tally, who))
    frozen = freeze_period(org, teams, "W", rounds, instrument=INSTRUMENT)
    assert {g.group_id for g in frozen.groups} == {"a", "b"}  # no organisation row at all
    b = frozen.group("b")
    assert b is not None and b.released
    # With an organisation lead, the organisation is read and team b protects team a.
    led = OrgChart(leads=frozenset({"boss"}))
    frozen_led = freeze_period(led, teams, "W", rounds, instrument=INSTRUMENT)
    b_led = frozen_led.group("b")
    assert b_led is not None and not b_led.released
    org_row = frozen_led.group("organisation")
    assert org_row is not None and org_row.released


def test_a_team_nobody_reads_is_the_complement_of_choice() -> None:
    """A department with a small team needs a second team withheld; a team that nobody reads
    (no lead, and none above it but the department's, which does not see... ) goes first."""
    dept = Department("d", "D", ("small", "read", "unread"), leads=frozenset({"dl"}))
    org = OrgChart(departments=(dept,))
    teams = [
        Team("small", "S", Platform.SLACK, "UTC", frozenset(), frozenset({"Ls"})),
        Team("read", "R", Platform.SLACK, "UTC", frozenset(), frozenset({"Lr"})),
        Team("unread", "U", Platform.SLACK, "UTC", frozenset(), frozenset()),
    ]
    rounds = []
    for tid, n in (("small", 2), ("read", 6), ("unread", 7)):
        tally = Tally()
        for v in range(n):
            tally.add({"exhaustion": 2.0 + v % 3})
        rounds.append(
            TeamRound(tid, f"r{tid}", "W", T0, 9, tally, frozenset(f"{tid}{i}" for i in range(n)))
        )
    frozen = freeze_period(org, teams, "W", rounds, instrument=INSTRUMENT)
    # Every team is read through the department's lead, so none is "unread" here: the rule
    # falls back to the smallest sibling.
    assert frozen.decision.reasons["read"].startswith("protects small")
    by_group = defaultdict(list)
    for g in frozen.groups:
        by_group[g.released].append(g.group_id)
    assert sorted(by_group[True]) == ["d", "unread"]
