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
from tests.support.digest_variants import INSTRUMENT

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


def weeks_of(
    teams: list[Team],
    weeks: list[dict[str, dict[str, dict[str, int]]]],
    org: OrgChart | None = None,
) -> list[FrozenPeriod]:
    """Freeze week after week as the scheduler does, each against the releases before it."""
    prior: list[PriorRelease] = []
    out = []
    for i, week in enumerate(weeks):
        rounds = [round_of(t, answers, i) for t, answers in week.items() if answers]
        f = freeze_period(
            org or OrgChart(),
            teams,
            f"2026-W{10 + i}",
            rounds,
            instrument=INSTRUMENT,
            mark=mark,
            prior=prior,
        )
        prior += f.releases()
        out.append(f)
    return out


def shown(f: FrozenPeriod, gid: str) -> bool:
    g = f.group(gid)
    return g is not None and g.released


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
    first, second = weeks_of([ward], [{"t": {**five, "m": m}}, {"t": {**five, "n": n}}])
    one, two = first.group("t"), second.group("t")
    assert one is not None and one.released
    assert two is not None and not two.released
    digest = build_group_digest(INSTRUMENT, [two, one])
    assert digest is not None and all(line.change is None for line in digest.dimensions)


def test_a_lopsided_swap_at_the_extremes_shows_bands() -> None:
    """Week 1: five regulars and five agency staff (all at 1); week 2: the regulars and one
    newcomer (at 5). Week 2 less week 1 is n less the five's sum: 0, its extreme, pins all six."""
    regulars = {f"c{i}": MID for i in range(5)}
    agency = {f"l{i}": dict(MID, going_through_motions=1) for i in range(5)}
    newcomer = {"n": dict(MID, going_through_motions=5)}
    ward = team("t", [*regulars, *agency, "n"])
    first, second = weeks_of(
        [ward], [{"t": {**regulars, **agency}}, {"t": {**regulars, **newcomer}}]
    )
    assert shown(first, "t") and not shown(second, "t")


def test_two_earlier_weeks_together_do_not_give_two_newcomers_away() -> None:
    """Shift A answers in week 1, shift B in week 2, and both with x and y in week 3: week 3
    less weeks 1 and 2 is x + y, a group of two. Week 3 is withheld."""
    a = {f"a{i}": MID for i in range(5)}
    b = {f"b{i}": MID for i in range(5)}
    xy = {p: dict(MID, going_through_motions=5, drained=5, recharged=1) for p in ("x", "y")}
    ward = team("t", [*a, *b, *xy])
    frozen = weeks_of([ward], [{"t": a}, {"t": b}, {"t": {**a, **b, **xy}}])
    assert [shown(f, "t") for f in frozen] == [True, True, False]


def test_a_lead_who_joined_cannot_take_their_answer_out_of_a_band() -> None:
    """Week 1: five colleagues, exact. Week 2: the five, a newcomer and the lead: bands only.
    The detachment band less the five's sum less the lead's own answer would pin the newcomer;
    that band is not shown."""
    five = {f"c{i}": MID for i in range(5)}
    five["c4"] = dict(MID, going_through_motions=4)
    ward = team("t", [*five, "n", "L"], frozenset({"L"}))
    week2 = {
        **five,
        "n": dict(MID, going_through_motions=1),
        "L": dict(MID, going_through_motions=2),
    }
    first, second = weeks_of([ward], [{"t": five}, {"t": week2}])
    g = second.group("t")
    assert shown(first, "t") and g is not None and not g.released
    assert g.bands is None or "detachment" not in g.bands


def test_a_lead_who_changed_their_own_answer_cannot_take_it_out_of_a_swap() -> None:
    """Week 1: four colleagues, the lead (at 5) and m; week 2: the four, the lead (now at 3) and
    n. The difference is n - m - 2: the lead adds their own change back and would get n - m = 4,
    so the second week shows bands."""
    four = {f"c{i}": MID for i in range(4)}
    ward = team("t", [*four, "m", "n", "L"], frozenset({"L"}))
    week1 = {
        **four,
        "L": dict(MID, going_through_motions=5),
        "m": dict(MID, going_through_motions=1),
    }
    week2 = {
        **four,
        "L": dict(MID, going_through_motions=3),
        "n": dict(MID, going_through_motions=5),
    }
    first, second = weeks_of([ward], [{"t": week1}, {"t": week2}])
    assert shown(first, "t") and not shown(second, "t")


def test_an_exact_week_after_a_bands_only_week_is_checked_against_its_bands() -> None:
    """Week 1: five colleagues, bands only (all at the top on one dimension), detachment 'ok'.
    Week 2: the five and a newcomer, exact figures would say the newcomer answered 5 (the sum
    less the band's highest). Week 2 shows bands too."""
    five = {f"c{i}": dict(MID, made_a_difference=5) for i in range(5)}
    for p in ("c3", "c4"):
        five[p] = dict(five[p], going_through_motions=2)
    ward = team("t", [*five, "x"])
    first, second = weeks_of(
        [ward], [{"t": five}, {"t": {**five, "x": dict(MID, going_through_motions=5)}}]
    )
    one = first.group("t")
    assert one is not None and one.bands is not None and "detachment" in one.bands
    assert not shown(second, "t")


def test_a_mild_swap_keeps_its_numbers() -> None:
    """The same swap with answers in the middle of the scale says nothing: numbers stay."""
    five = {f"p{i}": MID for i in range(5)}
    ward = team("t", [*five, "m", "n"])
    frozen = weeks_of([ward], [{"t": {**five, "m": LOW}}, {"t": {**five, "n": MID}}])
    assert [shown(f, "t") for f in frozen] == [True, True]
