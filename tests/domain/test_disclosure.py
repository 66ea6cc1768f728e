"""Attacks on the release rules found in review, each now stopped (bot.domain.disclosure).

Each test builds the situation a hostile reader would exploit, freezes it as the scheduler does,
and checks, from what the reader's digest shows, that the answer it was after is out of reach.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.digest import build_group_digest
from bot.domain.disclosure import BANDS_ONLY
from bot.domain.messages import Platform
from bot.domain.org import Department, OrgChart
from bot.domain.rollup import FrozenPeriod, PriorRelease, TeamRound, freeze_period
from bot.domain.scoring import tally
from bot.domain.team import Team
from tests.digest_variants import INSTRUMENT

WHEN = datetime(2026, 3, 6, tzinfo=UTC)
MID = {
    "drained": 3,
    "recharged": 3,
    "going_through_motions": 3,
    "made_a_difference": 3,
    "caseload": 3,
    "supported": 3,
}
TOP = dict(MID, going_through_motions=5, drained=5, recharged=1)  # exhaustion 5, detachment 5
LOW = dict(MID, going_through_motions=2, drained=2, recharged=4)


def mark(_platform: Platform, user: str) -> str:
    return user


def team(tid: str, people: list[str], leads: frozenset[str] | None = None) -> Team:
    return Team(
        tid, tid.upper(), Platform.SLACK, "UTC", frozenset(people), leads or frozenset({f"L{tid}"})
    )


def round_of(tid: str, answers: dict[str, dict[str, int]], week: int = 0) -> TeamRound:
    return TeamRound(
        tid,
        f"r{tid}{week}",
        f"2026-W{10 + week}",
        WHEN + timedelta(weeks=week),
        len(answers) + 2,
        tally(INSTRUMENT, list(answers.values())),
        frozenset(answers),
    )


def test_a_lead_who_answered_cannot_take_their_answer_out_of_a_scale_end() -> None:
    """Five colleagues all at 5, the lead low: the six-person sum is not at the end, but the
    lead takes their own answer out and would learn that every colleague answered 5."""
    answers = {f"p{i}": TOP for i in range(5)}
    answers["lead"] = LOW
    ward = team("t", list(answers), frozenset({"lead"}))
    frozen = freeze_period(
        OrgChart(), [ward], "2026-W10", [round_of("t", answers)], instrument=INSTRUMENT, mark=mark
    )
    g = frozen.group("t")
    assert g is not None and not g.released and g.tally is None
    assert frozen.decision.reasons["t"] == BANDS_ONLY


def test_a_region_at_the_scale_end_is_not_released_by_subtraction() -> None:
    """Department = U (released) + V and X (too few each). V and X all answered 5: the
    department less U would say so, though neither total is at the end on its own."""
    answers = {
        "u": {f"u{i}": LOW for i in range(5)},
        "v": {f"v{i}": TOP for i in range(3)},
        "x": {f"x{i}": TOP for i in range(2)},
    }
    teams = [team(t, list(a)) for t, a in answers.items()]
    org = OrgChart(departments=(Department("d", "D", ("u", "v", "x"), leads=frozenset({"DL"})),))
    rounds = [round_of(t, a) for t, a in answers.items()]
    frozen = freeze_period(org, teams, "2026-W10", rounds, instrument=INSTRUMENT, mark=mark)
    d, u = frozen.group("d"), frozen.group("u")
    assert u is not None and u.released
    assert d is not None and not d.released and d.tally is None
    # Nor does the department's band give it away: V and X's exhaustion and detachment would be
    # pinned by the department's band less U's exact sum.
    assert d.bands is None or not {"exhaustion", "detachment"} & set(d.bands)


def test_a_band_does_not_pin_the_withheld_neighbour_it_shares_a_region_with() -> None:
    """T shows bands only (everyone at the top on one dimension); W has one respondent and is
    withheld; U and the department are exact. Department less U is T and W together, so T's
    exhaustion band would bound W's one answer: that band is not shown."""
    t_answers = {f"t{i}": dict(MID, made_a_difference=5, drained=2) for i in range(4)}
    t_answers["t4"] = dict(MID, made_a_difference=5, drained=4)
    answers = {
        "t": t_answers,
        "w": {"w0": dict(MID, drained=5, recharged=1, going_through_motions=4)},
        "u": {f"u{i}": MID for i in range(5)},
    }
    teams = [team(t, list(a)) for t, a in answers.items()]
    org = OrgChart(departments=(Department("d", "D", ("t", "w", "u"), leads=frozenset({"DL"})),))
    rounds = [round_of(t, a) for t, a in answers.items()]
    frozen = freeze_period(org, teams, "2026-W10", rounds, instrument=INSTRUMENT, mark=mark)
    t = frozen.group("t")
    assert t is not None and not t.released
    assert t.bands is None or "exhaustion" not in t.bands


def test_a_swap_at_the_extremes_shows_bands() -> None:
    """Week 1: five and m; week 2: the same five and n. Neither a pure change nor a person in
    the span, but week 2 less week 1 is n - m, and n - m = 4 on a one-item dimension says n
    answered 5 and m answered 1."""
    five = {f"p{i}": MID for i in range(5)}
    m = dict(MID, going_through_motions=1, drained=1, recharged=5)
    n = dict(MID, going_through_motions=5, drained=5, recharged=1)
    ward = team("t", [*five, "m", "n"])
    weeks = [{**five, "m": m}, {**five, "n": n}]
    prior: list[PriorRelease] = []
    frozen: list[FrozenPeriod] = []
    for i, answers in enumerate(weeks):
        f = freeze_period(
            OrgChart(),
            [ward],
            f"2026-W{10 + i}",
            [round_of("t", answers, i)],
            instrument=INSTRUMENT,
            mark=mark,
            prior=prior,
        )
        frozen.append(f)
        prior += [
            PriorRelease(f.period, g.group_id, f.people[g.group_id], g.tally, f.regions[g.group_id])
            for g in f.groups
            if g.released and g.tally is not None
        ]
    first, second = (f.group("t") for f in frozen)
    assert first is not None and first.released
    assert second is not None and not second.released
    digest = build_group_digest(INSTRUMENT, [second, first])
    assert digest is not None and all(line.change is None for line in digest.dimensions)


def test_a_mild_swap_keeps_its_numbers() -> None:
    """The same swap with answers in the middle of the scale says nothing: numbers stay."""
    five = {f"p{i}": MID for i in range(5)}
    ward = team("t", [*five, "m", "n"])
    weeks = [{**five, "m": LOW}, {**five, "n": MID}]
    prior: list[PriorRelease] = []
    shown = []
    for i, answers in enumerate(weeks):
        f = freeze_period(
            OrgChart(),
            [ward],
            f"2026-W{10 + i}",
            [round_of("t", answers, i)],
            instrument=INSTRUMENT,
            mark=mark,
            prior=prior,
        )
        prior += [
            PriorRelease(f.period, g.group_id, f.people[g.group_id], g.tally, f.regions[g.group_id])
            for g in f.groups
            if g.released and g.tally is not None
        ]
        g = f.group("t")
        assert g is not None
        shown.append(g.released)
    assert shown == [True, True]
