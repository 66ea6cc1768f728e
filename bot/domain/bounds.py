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

The rules built on these bounds (bot.domain.rollup):
- exact figures are shown only when the sum is more than one step away from both n·min and
  n·max on every dimension. Within one step, the multiset of answers is fixed (everyone at the
  end, or everyone but one, who is one step off), which says what each respondent answered
  to within one step and that every one of them got the support note. Such a group shows bands.
- a band, and a band set against an earlier exact figure of the same group, is shown only when
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


def near_scale_end(total: float, count: int, lo: int, hi: int, step: Fraction) -> bool:
    """Whether an exact sum of `count` answers lies within one step of count·min or count·max."""
    t = exact(total)
    return t <= count * lo + step or t >= count * hi - step


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


def band_pins_someone(
    instrument: Instrument,
    dimension: str,
    band: Band,
    count: int,
    known: tuple[Fraction, int] | None = None,
) -> bool:
    """Whether showing `band` for `count` answers leaves some respondent one possible value.

    `known` is an earlier exact (sum, count) of the same people less some (a pure addition since)
    or plus some (a pure removal since): the reader subtracts it, and the band then bounds the sum
    of the few who differ.
    """
    lo, hi = instrument.scale_min, instrument.scale_max
    step = step_of(instrument, dimension)
    low_sum, high_sum = band_sums(instrument, dimension, band, count)
    if known is None:
        return possible_values(low_sum, high_sum, count, lo, hi, step) == 1
    total, known_count = known
    if count > known_count:  # the newcomers' sum
        few, low_d, high_d = count - known_count, low_sum - total, high_sum - total
    else:  # the leavers' sum
        few, low_d, high_d = known_count - count, total - high_sum, total - low_sum
    # No value at all: the others did not answer as before, and the reader learns only that.
    return possible_values(low_d, high_d, few, lo, hi, step) == 1


BANDS: tuple[Band, ...] = ("ok", "watch", "concern")


def some_band_pins(
    instrument: Instrument, dimension: str, count: int, known: tuple[Fraction, int] | None = None
) -> bool:
    """Whether any band the dimension could show would leave someone one possible value.

    Every band is tried, not only the one the answers fall in, so whether a band is shown never
    depends on the answers: hiding it then says nothing about which band it would have been.
    """
    return any(band_pins_someone(instrument, dimension, b, count, known) for b in BANDS)
