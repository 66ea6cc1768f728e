"""Exact figures, bands, or nothing: what each group of a period may show, and why.

The tree rules (bot.domain.privacy) decide which groups of one period may show anything at all,
so that no withheld group and no single answer lies in the span of what is shown. This module
adds what those rules cannot see: the ends of the scale, the weeks before, and the bands shown
instead of numbers. Its rules, and the reader each one is for:

0. Several rounds in a week: a person who answered twice weighs twice in the sums; such a week
   shows bands (the threshold already counts people, not answers).
1. A sum near the end of the scale (a lead who knows how many answered). Every sum a reader can
   take exactly (a group's total, a region's, a difference between two weeks of nearly the same
   people) must lie more than one answer step from its extreme: 5.00 from 5 of 5 says everyone
   answered 5, 4.90 that four did and one gave 4.5. Within one step the group shows bands. A
   reader who answered knows their own answer, so the margin is taken with their answer at the
   other end. (Whether bands are shown then depends on the answers: "bands only" tells a reader
   that the sum is within one step of an end, which still leaves each respondent two values.)
2. A pure change of fewer than k people (the same lead next week): a group whose people differ
   from an exact release of the trend window (its own or another group's) by a pure addition or
   removal of fewer than k shows bands, not numbers: subtracting would give those few answers.
3. Combinations of weeks (the same lead, keeping every digest): groups are withheld one by one
   until no person's answer lies in the span of the window's exact figures (bot.domain.combine),
   in the worst case that everyone answered as before.
4. Bands that pin (any of the above): a dimension's band is shown only if no band it could show,
   set against everything exact around it (the region it sits in, the released groups inside it,
   an earlier week of nearly the same people), leaves anyone a single possible value. Every band
   is tried, not only the one the answers fall in, so a hidden band says nothing.
"""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from bot.domain.bounds import BANDS, band_sums, exact, near_scale_end, possible_values, step_of
from bot.domain.combine import exposed
from bot.domain.instrument import Instrument
from bot.domain.privacy import GroupNode, ReleaseDecision, decide_release
from bot.domain.scoring import Band, Tally, band

BANDS_ONLY = "bands only"
NARROWS = "withheld: would narrow an answer"


@dataclass(frozen=True, slots=True)
class Group:
    """What the rules need to know about one group of the period."""

    parent: str | None
    k: int
    readable: bool
    tally: Tally
    people: frozenset[str]  # keyed marks of everyone under it who answered
    readers: frozenset[str]  # keyed marks of everyone who reads it


@dataclass(frozen=True, slots=True)
class PriorRelease:
    """A group's release in a period of the trend window: who answered, and its exact figures
    (with its region: its people less those of the released groups nearest below it, disjoint
    within a period) or, for a group shown as bands only, its bands."""

    period: str
    group_id: str
    people: frozenset[str]
    tally: Tally | None  # None for a group shown as bands only
    region: frozenset[str] = frozenset()
    bands: Mapping[str, Band] | None = None


@dataclass(frozen=True, slots=True)
class Change:
    """How a group's people this week differ from an earlier release's, readers apart: a reader
    knows their own answers, so their part of a difference is known to them, not to us."""

    prior: PriorRelease
    joined: int
    left: int
    readers_joined: int
    readers_left: int
    readers_both: int

    @property
    def pure(self) -> bool:
        return self.joined == 0 or self.left == 0

    def own_range(self, instrument: Instrument) -> tuple[int, int]:
        """The least and most the readers' own answers can add to this week's sum less the
        earlier one: joining readers add theirs, leaving ones take theirs away, and readers
        in both weeks may have changed theirs by up to the scale's width."""
        lo, hi = instrument.scale_min, instrument.scale_max
        width = hi - lo
        return (
            self.readers_joined * lo - self.readers_left * hi - self.readers_both * width,
            self.readers_joined * hi - self.readers_left * lo + self.readers_both * width,
        )


@dataclass(frozen=True, slots=True)
class Disclosure:
    decision: ReleaseDecision
    # The regions of the groups shown with exact figures that somebody reads.
    regions: dict[str, frozenset[str]]
    # The bands shown by groups shown as bands only (a dimension left out is hidden).
    bands: dict[str, dict[str, Band]]


def disclose(
    instrument: Instrument,
    groups: Mapping[str, Group],
    nodes: Sequence[GroupNode],
    prior: Sequence[PriorRelease],
) -> Disclosure:
    """Decide what every group of the period shows (see the module docstring)."""
    withheld = _before_the_tree(instrument, groups, prior)
    known = frozenset().union(*(g.readers for g in groups.values()))
    before = [p.region for p in prior if p.region]
    smallest = min((g.k for g in groups.values()), default=2)
    exposed_before = exposed(before, known, smallest)
    while True:
        decision = decide_release(nodes, withheld)
        exact_ids = _exact(groups, decision)
        regions = regions_of({g: groups[g].people for g in exact_ids}, _parents(groups))
        region_tallies = _region_tallies(groups, exact_ids)
        at_end = [
            g
            for g in sorted(exact_ids)
            if _near_end_tally(
                instrument, region_tallies[g], _readers_in(groups[g].readers, regions[g])
            )
        ]
        if at_end:
            for g in at_end:
                withheld[g] = BANDS_ONLY
            continue
        now = [r for r in regions.values() if r]
        new = exposed([*before, *now], known, smallest) - exposed_before
        if new:
            withheld[_to_withhold(groups, regions, new, before)] = NARROWS
            continue
        bands = _shown_bands(instrument, groups, decision, exact_ids, prior)
        return Disclosure(decision, regions, bands)


def regions_of(
    released: Mapping[str, frozenset[str]], parent: Mapping[str, str | None]
) -> dict[str, frozenset[str]]:
    """Each released group's people less those of the released groups nearest below it."""
    below: dict[str, set[str]] = {}
    for gid, members in released.items():
        up = _nearest(parent, released, gid)
        if up is not None:
            below.setdefault(up, set()).update(members)
    return {gid: members - below.get(gid, set()) for gid, members in released.items()}


# --- helpers over the tree -------------------------------------------------------------------


def _parents(groups: Mapping[str, Group]) -> dict[str, str | None]:
    return {gid: g.parent for gid, g in groups.items()}


def _nearest(parent: Mapping[str, str | None], among: Container[str], gid: str) -> str | None:
    """The nearest group above `gid` that is in `among`."""
    up = parent.get(gid)
    while up is not None and up not in among:
        up = parent.get(up)
    return up


def _exact(groups: Mapping[str, Group], decision: ReleaseDecision) -> set[str]:
    """Groups shown with exact figures to somebody."""
    return {g for g in decision.released if groups[g].readable}


def _region_tallies(groups: Mapping[str, Group], exact_ids: set[str]) -> dict[str, Tally]:
    """Each exact group's figures less those of the exact groups nearest below it: what a
    reader can take as the sum of the people of its region."""
    parent = _parents(groups)
    out: dict[str, Tally] = {}
    for gid in exact_ids:
        out[gid] = Tally()
        out[gid].merge(groups[gid].tally)
    for child in exact_ids:
        up = _nearest(parent, exact_ids, child)
        if up is None:
            continue
        t, region = groups[child].tally, out[up]
        region.respondents -= t.respondents
        for dim, total in t.sums.items():
            region.sums[dim] = region.sums.get(dim, 0.0) - total
            region.counts[dim] = region.counts.get(dim, 0) - t.counts.get(dim, 0)
    return out


def _readers_in(readers: frozenset[str], people: frozenset[str]) -> int:
    return len(readers & people)


def _to_withhold(
    groups: Mapping[str, Group],
    regions: Mapping[str, frozenset[str]],
    exposed_now: set[str],
    before: Sequence[frozenset[str]],
) -> str:
    """The released group to withhold so fewer people are exposed: one whose region holds an
    exposed person, else one sharing people with an earlier region that does; the smallest."""
    holders = [g for g, r in regions.items() if r & exposed_now]
    if not holders:
        linked = set().union(*(r for r in before if r & exposed_now))
        holders = [g for g, r in regions.items() if r & linked] or list(regions)
    return min(holders, key=lambda g: (groups[g].readable, len(regions[g]), g))


# --- rule 1: sums near the end of the scale ---------------------------------------------------


def _near_end_tally(instrument: Instrument, tally: Tally, readers: int = 0) -> bool:
    lo, hi = instrument.scale_min, instrument.scale_max
    return any(
        near_scale_end(tally.sums[dim], n, lo, hi, step_of(instrument, dim), readers)
        for dim, n in tally.counts.items()
        if n > 0 and dim in instrument.dimensions
    )


def _difference_near_end(
    instrument: Instrument, dim: str, difference: Fraction, change: Change
) -> bool:
    """Whether the joiners' sum less the leavers' (`difference`, with everyone else as before)
    comes within one step of its extreme, for any part the readers' own answers could take out
    of it: that would say what the few who changed answered."""
    lo, hi = instrument.scale_min, instrument.scale_max
    step = step_of(instrument, dim)
    top = change.joined * hi - change.left * lo - step
    bottom = change.joined * lo - change.left * hi + step
    own_low, own_high = change.own_range(instrument)
    return difference - own_low >= top or difference - own_high <= bottom


def _difference_values(
    instrument: Instrument, dim: str, low: Fraction, high: Fraction, change: Change
) -> int:
    """The fewest values left to one of the few who changed, if the joiners' sum less the
    leavers' lies in [low, high] before the readers take their own part out (every part they
    could take is tried). No value at all means the others did not answer as before."""
    lo, hi = instrument.scale_min, instrument.scale_max
    step = step_of(instrument, dim)
    own_low, own_high = change.own_range(instrument)
    owns = [own_low + i * step for i in range(int((own_high - own_low) / step) + 1)]
    j_low, j_high = Fraction(change.joined * lo), Fraction(change.joined * hi)
    l_low, l_high = Fraction(change.left * lo), Fraction(change.left * hi)
    fewest = 99
    for own in owns:
        a, b = low - own, high - own
        joiners = (max(j_low, a + l_low), min(j_high, b + l_high))
        leavers = (max(l_low, j_low - b), min(l_high, j_high - a))
        for count, (x, y) in ((change.joined, joiners), (change.left, leavers)):
            if count > 0 and x <= y:
                left = possible_values(x, y, count, lo, hi, step)
                if left > 0:
                    fewest = min(fewest, left)
    return fewest


# --- rules 1 and 2 against the weeks before ---------------------------------------------------


def _before_the_tree(
    instrument: Instrument, groups: Mapping[str, Group], prior: Sequence[PriorRelease]
) -> dict[str, str]:
    """Groups whose exact figures may not be shown whatever the tree rules say: a total near the
    end of the scale; a pure change of fewer than k people against an exact release of the
    window; or a change with fewer than k people on one side whose difference with an exact
    release would sit near its extreme, or, against a release shown as bands (whose sum the
    reader knows only to a band), would leave one of the few two values or fewer."""
    index = _index(prior)
    out: dict[str, str] = {}
    for gid, g in groups.items():
        if not g.tally.respondents:
            continue
        if _answered_twice(g.tally) or _near_end_tally(
            instrument, g.tally, _readers_in(g.readers, g.people)
        ):
            out[gid] = BANDS_ONLY
            continue
        for change in _changes(g, index):
            exact_before = change.prior.tally is not None
            if exact_before and change.pure and change.joined + change.left < g.k:
                out[gid] = BANDS_ONLY
                break
            if change.joined >= g.k and change.left >= g.k:
                continue
            if _difference_shows_few(instrument, g, change):
                out[gid] = BANDS_ONLY
                break
    return out


def _answered_twice(tally: Tally) -> bool:
    """Whether someone answered more than one round of the week (more answers than people).
    Their answers then weigh twice in the sums, which the checks across weeks, made on people,
    cannot follow: such a week shows bands. (check-config warns of schedules that do this.)"""
    return any(n > tally.respondents for n in tally.counts.values())


def _difference_shows_few(instrument: Instrument, g: Group, change: Change) -> bool:
    """Whether this week's exact sums, set against an earlier release, would say too much about
    the few who joined or left (see `_before_the_tree`)."""
    p = change.prior
    for dim, n in g.tally.counts.items():
        if n <= 0 or dim not in instrument.dimensions:
            continue
        now = exact(g.tally.sums[dim])
        if p.tally is not None:
            if dim in p.tally.counts and _difference_near_end(
                instrument, dim, now - exact(p.tally.sums[dim]), change
            ):
                return True
        elif p.bands is not None and dim in p.bands:
            low, high = band_sums(instrument, dim, p.bands[dim], len(p.people))
            if _difference_values(instrument, dim, now - high, now - low, change) <= 2:
                return True
    return False


def _index(prior: Sequence[PriorRelease]) -> dict[str, list[PriorRelease]]:
    """Earlier releases by each person in them."""
    index: dict[str, list[PriorRelease]] = {}
    for p in prior:
        for person in p.people:
            index.setdefault(person, []).append(p)
    return index


def _changes(g: Group, index: Mapping[str, list[PriorRelease]]) -> list[Change]:
    """Earlier releases that differ from the group by fewer than k people on at least one side,
    with how many joined and left since, readers apart. People shared are counted through the
    index, one pass over the group's people, so a large group costs no set operations."""
    shared: dict[int, int] = {}
    found: dict[int, PriorRelease] = {}
    for person in g.people:
        if person in g.readers:
            continue
        for p in index.get(person, ()):
            shared[id(p)] = shared.get(id(p), 0) + 1
            found[id(p)] = p
    now = len(g.people - g.readers)
    out = []
    for key, p in found.items():
        before = len(p.people) - len(g.readers & p.people)
        joined, left = now - shared[key], before - shared[key]
        if not (joined or left) or (joined >= g.k and left >= g.k):
            continue
        mine_now = {r for r in g.readers if r in g.people}
        mine_then = {r for r in g.readers if r in p.people}
        out.append(
            Change(
                p,
                joined,
                left,
                len(mine_now - mine_then),
                len(mine_then - mine_now),
                len(mine_now & mine_then),
            )
        )
    return out


# --- rule 4: which bands may be shown ---------------------------------------------------------


def _interval(instrument: Instrument, dim: str, count: int) -> tuple[Fraction, Fraction]:
    return Fraction(count * instrument.scale_min), Fraction(count * instrument.scale_max)


Interval = tuple[Fraction, Fraction]

# Beyond this many distinct ways the other parts' bands can add up, a container's dimension is
# hidden rather than searched: a rare case (many banded groups side by side), decided the safe way.
_MOST_SUMS = 5000


def _sums_of(options: Sequence[Sequence[tuple[int, int]]]) -> set[tuple[int, int]] | None:
    """Every interval the parts' sum can lie in, one option (band) per part; None past
    _MOST_SUMS. Bands of one part are adjacent, so sums repeat a lot and the set stays small."""
    out = {(0, 0)}
    for opts in options:
        out = {(a + low, b + high) for a, b in out for low, high in opts}
        if len(out) > _MOST_SUMS:
            return None
    return out


def _parts_pin(
    instrument: Instrument,
    dim: str,
    totals: Sequence[Interval],
    parts: Sequence[tuple[int, Sequence[Interval]]],
    readers: int = 0,
) -> bool:
    """Whether knowing that parts add up to a sum in one of `totals` leaves someone in one part
    a single possible value, for any choice of the parts' options (each part: `count` answers
    whose sum lies in one of its intervals, a band each). `readers` answers of the last part are
    a reader's own, known to them (tried at every value).

    Sums lie on the grid of answer steps, so they are counted in steps, as integers: the same
    arithmetic as fractions, many times faster."""
    per = step_of(instrument, dim).denominator  # steps per scale point
    lo, hi = instrument.scale_min * per, instrument.scale_max * per

    def units(interval: Interval) -> tuple[int, int]:
        return int(interval[0] * per), int(interval[1] * per)

    total_units = [units(t) for t in totals]
    part_units = [(count, [units(o) for o in opts]) for count, opts in parts]
    for j, (count, own_options) in enumerate(part_units):
        if count <= 0:
            continue
        others = _sums_of([opts for i, (_c, opts) in enumerate(part_units) if i != j])
        if others is None:
            return True
        mine = readers if j == len(parts) - 1 else 0
        owns = range(mine * lo, mine * hi + 1) if mine else range(1)
        for t_low, t_high in total_units:
            for s_low, s_high in others:
                for own_low, own_high in own_options:
                    low = max(own_low, t_low - s_high)
                    high = min(own_high, t_high - s_low)
                    if high < low:
                        continue  # this combination cannot happen
                    for own in owns:
                        if _one_value(low - own, high - own, count - mine, lo, hi):
                            return True
    return False


def _one_value(low: int, high: int, count: int, lo: int, hi: int) -> bool:
    """Whether `count` answers (each lo..hi, in steps) with a sum in [low, high] leave one of
    them a single possible value."""
    if count <= 0:
        return False
    first = max(lo, low - (count - 1) * hi)
    last = min(hi, high - (count - 1) * lo)
    return last == first


def _shown_bands(
    instrument: Instrument,
    groups: Mapping[str, Group],
    decision: ReleaseDecision,
    exact_ids: set[str],
    prior: Sequence[PriorRelease],
) -> dict[str, dict[str, Band]]:
    banded = {g for g, why in decision.reasons.items() if why == BANDS_ONLY and groups[g].readable}
    hidden: dict[str, set[str]] = {g: set() for g in banded}
    parent = _parents(groups)
    index = _index(prior)
    # Against an earlier exact week of nearly the same people.
    for gid in banded:
        g = groups[gid]
        for change in _changes(g, index):
            p = change.prior
            if p.tally is None or (change.joined >= g.k or change.left >= g.k):
                continue
            for dim, n in g.tally.counts.items():
                if n <= 0 or dim not in p.tally.counts or dim not in instrument.dimensions:
                    continue
                known = exact(p.tally.sums[dim])
                for b in BANDS:
                    low, high = band_sums(instrument, dim, b, n)
                    # Joiners' sum less leavers' lies in the band less the earlier sum.
                    if _difference_values(instrument, dim, low - known, high - known, change) == 1:
                        hidden[gid].add(dim)
                        break
    # Inside every group shown, exactly or as bands: its total, the exact groups and banded
    # groups nearest below it, and the rest of its people.
    shown = exact_ids | banded
    for container in shown:
        c = groups[container]
        inner = [g for g in shown if _nearest(parent, shown, g) == container]
        inner_banded = [g for g in inner if g in banded]
        inner_exact = [g for g in inner if g in exact_ids]
        inside = frozenset().union(*(groups[g].people for g in inner))
        own_readers = len(c.readers & (c.people - inside))
        for dim, n in c.tally.counts.items():
            if n <= 0 or dim not in instrument.dimensions:
                continue
            fixed = [
                (groups[g].tally.counts.get(dim, 0), exact(groups[g].tally.sums.get(dim, 0.0)))
                for g in inner_exact
            ]
            fixed_sum = sum((s for _c, s in fixed), Fraction(0))
            counts = [groups[g].tally.counts.get(dim, 0) for g in inner_banded]
            rest = n - sum(counts) - sum(c_ for c_, _s in fixed)
            if container in banded:
                totals = [band_sums(instrument, dim, b, n) for b in BANDS]
            else:
                totals = [(exact(c.tally.sums[dim]), exact(c.tally.sums[dim]))]
            totals = [(low - fixed_sum, high - fixed_sum) for low, high in totals]
            parts: list[tuple[int, Sequence[Interval]]] = [
                (count, [band_sums(instrument, dim, b, count) for b in BANDS])
                for count in counts
                if count > 0
            ]
            parts.append((rest, [_interval(instrument, dim, rest)]))
            pinned = _parts_pin(instrument, dim, totals, parts, own_readers)
            if pinned:
                for gid in [container, *inner_banded]:
                    if gid in hidden:
                        hidden[gid].add(dim)
    out: dict[str, dict[str, Band]] = {}
    for gid in banded:
        t = groups[gid].tally
        bands = {
            dim: band(instrument, dim, t.sums[dim] / n)
            for dim, n in t.counts.items()
            if n > 0 and dim in instrument.dimensions and dim not in hidden[gid]
        }
        if bands:
            out[gid] = bands
    return out
