"""What one released figure tells a reader about one respondent, by exact bounds.

A reader who knows a group's count n and the sum of its answers on a dimension (the mean times n)
knows more than the mean: every answer lies between the scale's ends, so each respondent's answer
lies in [sum - (n-1)·max, sum - (n-1)·min]. At the ends of the scale that interval closes: 5.00
from 5 of 5 says all five answered 5; 4.90 from 5 of 5 on a two-item dimension says four
answered 5 and one 4.5, so everyone answered at least 4.5. A band (ok, watch, concern) is the same
arithmetic on an interval of sums rather than one sum.

A person's score on a dimension is the mean of its items, so it lies on a grid: the scale's
minimum plus multiples of one step (1 over the number of items). Bounds are taken on that grid
with exact fractions, so "one value left" means exactly that.

The rules built on these bounds are in bot.domain.disclosure: exact figures only when every sum
a reader can take exactly is more than one step from its extreme (within one step the multiset
of answers is fixed: everyone at the end, or all but one, one step off), and a band only when
it leaves every respondent at least two possible values.
"""

from __future__ import annotations

import math
from fractions import Fraction

from bot.domain.instrument import Instrument
from bot.domain.scoring import Band

# Float sums of item means (thirds, halves) are turned into exact fractions on the grid.
_DENOMINATOR_LIMIT = 10_000


def exact(value: float | Fraction) -> Fraction:
    return Fraction(value).limit_denominator(_DENOMINATOR_LIMIT)


def step_of(instrument: Instrument, dimension: str) -> Fraction:
    """The smallest difference between two people's scores on a dimension."""
    items = sum(1 for item in instrument.items if item.dimension == dimension)
    return Fraction(1, max(items, 1))


def possible_values(
    low_sum: Fraction, high_sum: Fraction, count: int, lo: int, hi: int, step: Fraction
) -> int:
    """How many grid values one of `count` answers can take, if their sum is known to lie in
    [low_sum, high_sum] (the others free within the scale)."""
    if count <= 0:
        return 2  # nobody to narrow
    low = max(Fraction(lo), low_sum - (count - 1) * hi)
    high = min(Fraction(hi), high_sum - (count - 1) * lo)
    if high < low:
        return 0
    first = math.ceil((low - lo) / step)
    last = math.floor((high - lo) / step)
    return max(0, last - first + 1)


def near_scale_end(
    total: float | Fraction, count: int, lo: int, hi: int, step: Fraction, readers: int = 0
) -> bool:
    """Whether an exact sum of `count` answers lies within one step of count·min or count·max,
    for a reader who gave `readers` of them: they take their own out, and since we do not know
    them, they are taken at the other end."""
    t = exact(total)
    others = count - readers
    if others <= 0:
        return False
    return t >= others * hi + readers * lo - step or t <= others * lo + readers * hi + step


def band_sums(
    instrument: Instrument, dimension: str, band: Band, count: int
) -> tuple[Fraction, Fraction]:
    """The least and greatest sum of `count` answers whose mean falls in `band`.

    Bands are read on the strain scale as [min, watch), [watch, concern), [concern, max]; a
    dimension where more is better is flipped. Sums lie on the grid of steps, so an open end
    moves to the nearest sum inside it: a reader uses exactly that.
    """
    lo, hi = Fraction(instrument.scale_min), Fraction(instrument.scale_max)
    watch, concern = exact(instrument.watch_at), exact(instrument.concern_at)
    start, end, end_open = {
        "ok": (lo, watch, True),
        "watch": (watch, concern, True),
        "concern": (concern, hi, False),
    }[band]
    low, high, low_open, high_open = start, end, False, end_open
    if instrument.dimensions[dimension].higher_is != "worse":
        low, high, low_open, high_open = lo + hi - end, lo + hi - start, end_open, False
    step = step_of(instrument, dimension)
    low_sum = math.ceil(low * count / step) * step
    if low_open and low_sum == low * count:
        low_sum += step
    high_sum = math.floor(high * count / step) * step
    if high_open and high_sum == high * count:
        high_sum -= step
    return Fraction(low_sum), Fraction(high_sum)


BANDS: tuple[Band, ...] = ("ok", "watch", "concern")
