"""No released figure narrows one respondent to a single answer value: exact arithmetic.

A reader who knows how many answered (and, across weeks, who) turns a released mean into bounds
on each respondent: every other answer lies between the scale's ends. These tests take the
reader's side. What a team releases depends on its answers only through their sum, so the tests
walk every possible sum, group the sums by what the reader would see, and count, for each group
of sums, the values one respondent could still have given. The property is that this count is
never one, for a team alone (the scale's ends) and for a team that gained or lost a few people
since an earlier week whose exact figures the reader holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.bounds import near_scale_end, step_of
from bot.domain.messages import Platform
from bot.domain.org import OrgChart
from bot.domain.rollup import PriorRelease, TeamRound, freeze_period
from bot.domain.scoring import Tally
from bot.domain.team import Team
from tests.support.digest_variants import INSTRUMENT

T0 = datetime(2026, 11, 5, 10, tzinfo=UTC)
ORG = OrgChart(leads=frozenset({"boss"}))
LO, HI = INSTRUMENT.scale_min, INSTRUMENT.scale_max
# Two items (a grid of halves), one item, and one where more is better (bands read flipped).
DIMS = st.sampled_from(["exhaustion", "detachment", "accomplishment"])


def grid(dim: str) -> list[Fraction]:
    step = step_of(INSTRUMENT, dim)
    return [LO + i * step for i in range(int((HI - LO) / step) + 1)]


def team(k: int = 5) -> Team:
    return Team("t", "T", Platform.SLACK, "UTC", frozenset(), frozenset({"lead"}), k)


def people(n: int, start: int = 0) -> frozenset[str]:
    return frozenset(f"p{i}" for i in range(start, start + n))


def seen(
    dim: str, total: Fraction, who: frozenset[str], prior: Sequence[PriorRelease] = ()
) -> object:
    """What the team's lead reads for a week whose answers sum to `total`."""
    tally = Tally(respondents=len(who), sums={dim: float(total)}, counts={dim: len(who)})
    frozen = freeze_period(
        ORG,
        [team()],
        "W2",
        [TeamRound("t", "r", "W2", T0, 12, tally, who)],
        instrument=INSTRUMENT,
        prior=prior,
    )
    g = frozen.group("t")
    assert g is not None
    if g.released and g.tally is not None:
        return ("exact", g.tally.respondents, Fraction(g.tally.sums[dim]))
    if g.bands is not None:
        return ("bands", tuple(sorted(g.bands.items())))
    return ("withheld",)


def sums_of(dim: str, n: int) -> list[Fraction]:
    step = step_of(INSTRUMENT, dim)
    return [n * LO + i * step for i in range(int(n * (HI - LO) / step) + 1)]


def values_left(dim: str, feasible: list[Fraction], n: int) -> int:
    """Values one of n respondents could have given, over every sum the reader cannot rule out:
    x is possible when the other n-1 can make up the rest on the grid."""
    return len(
        {x for total in feasible for x in grid(dim) if (n - 1) * LO <= total - x <= (n - 1) * HI}
    )


@settings(max_examples=80, deadline=None)
@given(DIMS, st.integers(3, 9), st.data())
def test_one_week_alone_never_pins_a_respondent(dim: str, n: int, data: st.DataObject) -> None:
    who = people(n)
    true_total = data.draw(st.sampled_from(sums_of(dim, n)))
    shown = seen(dim, true_total, who)
    feasible = [t for t in sums_of(dim, n) if seen(dim, t, who) == shown]
    assert values_left(dim, feasible, n) >= 2, (n, true_total, shown)


@settings(max_examples=150, deadline=None)
@given(DIMS, st.integers(5, 9), st.integers(1, 4), st.booleans(), st.data())
def test_an_earlier_exact_week_and_a_few_joining_or_leaving_never_pin_one(
    dim: str, stable: int, few: int, joined: bool, data: st.DataObject
) -> None:
    """The worst case: everyone else answers exactly as in the earlier week, whose exact sum the
    reader holds; what the reader reads now bounds the few who joined (or left)."""
    before_people = people(stable + (0 if joined else few))
    now_people = people(stable + (few if joined else 0))
    # The earlier week was released with exact figures (so not at the scale's end).
    exact_sums = [
        t for t in sums_of(dim, len(before_people)) if seen(dim, t, before_people)[0] == "exact"
    ]
    before_total = data.draw(st.sampled_from(exact_sums))
    prior = [
        PriorRelease(
            "W1",
            "t",
            before_people,
            Tally(
                respondents=len(before_people),
                sums={dim: float(before_total)},
                counts={dim: len(before_people)},
            ),
        )
    ]
    # The few's own sum: what joiners added, or what leavers took away.
    few_sums = sums_of(dim, few)
    if not joined:
        few_sums = [y for y in few_sums if (stable * LO) <= before_total - y <= stable * HI]
    if not few_sums:
        return
    true_few = data.draw(st.sampled_from(few_sums))

    def now_total(y: Fraction) -> Fraction:
        return before_total + y if joined else before_total - y

    shown = seen(dim, now_total(true_few), now_people, prior)
    feasible = [y for y in few_sums if seen(dim, now_total(y), now_people, prior) == shown]
    assert values_left(dim, feasible, few) >= 2, (stable, few, before_total, true_few, shown)


def test_the_scale_end_rule_is_one_step_wide() -> None:
    # 5 of 5 at 5.00, and 4.90 (four at 5, one at 4.5): bands only. 4.80: numbers.
    half = Fraction(1, 2)
    assert near_scale_end(25.0, 5, LO, HI, half)
    assert near_scale_end(24.5, 5, LO, HI, half)
    assert not near_scale_end(24.0, 5, LO, HI, half)
    assert near_scale_end(5.5, 5, LO, HI, half) and not near_scale_end(6.0, 5, LO, HI, half)
    who = people(5)
    assert seen("exhaustion", Fraction(25), who)[0] == "bands"
    assert seen("exhaustion", Fraction(49, 2), who)[0] == "bands"
    assert seen("exhaustion", Fraction(24), who)[0] == "exact"
    # One item: a step is a whole point, so 24 of 25 (four at 5, one at 4) is bands too.
    assert seen("detachment", Fraction(24), who)[0] == "bands"
    assert seen("detachment", Fraction(23), who)[0] == "exact"
