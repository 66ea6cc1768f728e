"""Release rules over time: what they cost in released team-weeks, and what they protect.

A team lead who knows who answered each week can subtract two weekly figures whose respondents
differ by one person: n2·mean2 - n1·mean1 is that person's score, give or take how much everyone
else's answers moved in between. A minimum group size alone (k, 5 by default) does nothing
against it.
Production's release rules (bot.domain.rollup.freeze_period) show bands instead of exact
figures when a team's respondents are an earlier exact week's give or take fewer than k people
(within the trend window), or when a sum sits at the scale's end, each dimension's band only
where no band could pin an answer (the others are hidden that week); and they withhold a week
whose exact figures, with the window's other exact releases, would leave one person's answer a
linear combination of them (bot.domain.combine). This bench measures both sides of that trade
on simulated teams:

- cost: the share of team-weeks released with exact figures, shown as bands only (at least one
  dimension's band), or withheld, by reason (`decision.reasons`: too few responses; bands only
  with no band safe to show; several weeks together would isolate someone, `NARROWS`;
  complementary suppression, "protects ...", which needs a parent group and so stays at 0
  here); and the share of dimension-weeks shown, exact or as a band, among the team-weeks'
  dimensions with at least k answering, so that hiding some dimensions' bands shows its cost;
- protection: how often the attackers below recover one person's score on a dimension, beside
  the baseline of guessing that person's score is the team's released mean.

Simulation (deterministic for a seed): each team has 6-12 members and one lead who is not a
member (so no reader is counted out of the answers). Teams stand alone: they share an
organisation that has no departments and no lead of its own, which the release rules leave out
of the tree, so each team is a release tree of its own, exactly as if each were its own
organisation. Each team draws a participation rate
(60-95%; each person answers a week with that probability) and a drift rate (10-30%: each week,
each person's answer to each item moves by one point with that probability, up or down,
inwards at the scale's ends, else stays). Starting answers are the team's centre per item
(drawn in 2-4) plus personal spread, on the 1-5 scale of the default instrument
(bot/data/respite-pulse.yaml, scored with `dimension_scores`).

Two rules on the same answers:

- BEFORE: a team-week's exact figures are released whenever at least k people answered;
- AFTER: `freeze_period` as the freeze job calls it each week (scheduler/digest.py): people
  keyed by `mark`, and `prior` = the exact releases of the previous HISTORY_ROUNDS - 1 frozen
  periods as bot/storage/digest.py returns them: each group's people and region
  (`FrozenPeriod.people` and `FrozenPeriod.regions`; a team standing alone has its people as
  its region).

The attacker is a lead of the team who knows who answered each week. For every pair of weeks
within the trend window (HISTORY_ROUNDS weeks) whose respondents differ by exactly one person (a
pure addition or removal):

- both weeks exact: estimate = n2·mean2 - n1·mean1 (or the reverse, for a removal);
- one week exact, the other bands only: the band bounds the banded week's sum, so the person's
  score lies in an interval (cut to the scale); the estimate is its midpoint. Only dimensions
  whose band is shown are attacked.

Estimates are rounded to the dimension's grid (steps of 1/items) and kept on the scale, and
compared with the person's true score that week: "exact" (equal), "<=0.5" and "<=1" (off by at
most that; on a one-item dimension the grid is whole points, so "<=0.5" is "exact" there). Rates
are given per attempt (pair x dimension) and per person-week targeted (the attacker trusts the
pairs closest in time, where the least drift has crept in, and averages their estimates before
rounding). The baseline guesses the team's released figure for the target's week (its exact
mean, or its band's midpoint), rounded the same way, over the same targets. Hits by weeks apart
show how drift blunts the subtraction.

A second attacker uses ALL the exact team-weeks of each window of HISTORY_ROUNDS consecutive
weeks at once, taking everyone's answers as unchanged: whoever's unit vector over people lies in
the span of the window's answered-vectors (exact rational arithmetic) is solved for, and the
same combination of the released sums estimates their score in each exact week of the window
they answered (baseline: that week's exact team mean). Production's window check is meant to
leave this attacker no target at all; under BEFORE it finds many. A last block shows a lead who
keeps every digest and pairs, or solves together, weeks further apart than the window, which the
rules do not look at.

Target (issue): the attacker no better than the team-mean guess, with at least 80% of
team-weeks still released. Both "exact" and "exact or bands" are printed as released.

    python bench/release_rate.py                  # 300 teams, 26 weeks (about 20 s)
    python bench/release_rate.py --quick          # a short trial run
    python bench/release_rate.py --participation 0.8-0.95 --members 8-14 --drift 0-0.05 --k 4
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Literal

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import load_instrument
from bot.domain.bounds import band_sums, near_scale_end, step_of
from bot.domain.digest import HISTORY_ROUNDS
from bot.domain.disclosure import BANDS_ONLY, NARROWS
from bot.domain.instrument import Instrument
from bot.domain.messages import Platform
from bot.domain.org import OrgChart, period_of
from bot.domain.privacy import effective_threshold
from bot.domain.rollup import FrozenPeriod, TeamRound, freeze_period
from bot.domain.scoring import Band, Tally, dimension_scores
from bot.domain.team import DEFAULT_MIN_GROUP_SIZE, MIN_GROUP_SIZE_FLOOR, Team

FIRST_MONDAY = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
PLATFORM = Platform.SLACK
WINDOW = HISTORY_ROUNDS  # weeks a digest's trend shows: pairs closer than this are compared
PRIOR_PERIODS = HISTORY_ROUNDS - 1  # what the freeze job passes as `prior`

Shown = Literal["exact", "bands", "withheld"]
# Why a team-week is withheld, by `decision.reasons`: BANDS_ONLY on a group that shows no band
# means that no dimension's band was safe to show that week.
WHY = {"too few responses": "few", BANDS_ONLY: "no band", NARROWS: "narrows"}


def why_withheld(reason: str) -> str:
    if reason in WHY:
        return WHY[reason]
    if reason.startswith(("protects ", "would reveal ")):
        return "protects"  # complementary suppression (needs a parent group: none here)
    return "other"


def mark(platform: Platform, user_id: str) -> str:
    return f"{platform.value}:{user_id}"


@dataclass(slots=True)
class SimTeam:
    team: Team
    rate: float
    drift: float
    # Per week: who answered, each respondent's dimension scores, and the team's tally.
    answered: list[frozenset[str]] = field(default_factory=list)
    scores: list[dict[str, dict[str, float]]] = field(default_factory=list)
    tallies: list[Tally] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one rule shows of one team-week."""

    shown: Shown
    bands: Mapping[str, Band] | None = None
    why: str = ""


def parse_range(text: str) -> tuple[float, float]:
    lo, _, hi = text.partition("-")
    low, high = float(lo), float(hi or lo)
    if high < low:
        raise argparse.ArgumentTypeError(f"range {text!r}: the second end is below the first")
    return low, high


def simulate(
    instrument: Instrument,
    rng: random.Random,
    teams: int,
    weeks: int,
    members: tuple[int, int],
    participation: tuple[float, float],
    drift: tuple[float, float],
    min_group_size: int,
) -> list[SimTeam]:
    lo, hi = instrument.scale_min, instrument.scale_max
    items = [item.id for item in instrument.items]
    out: list[SimTeam] = []
    for t in range(teams):
        tid = f"t{t:04d}"
        size = rng.randint(int(members[0]), int(members[1]))
        people = [f"U{t:04d}{m:02d}" for m in range(size)]
        team = Team(
            id=tid,
            name=f"Team {t}",
            platform=PLATFORM,
            timezone="UTC",
            members=frozenset(people),
            leads=frozenset({f"L{t:04d}"}),
            min_group_size=min_group_size,
        )
        sim = SimTeam(team, rng.uniform(*participation), rng.uniform(*drift))
        centre = {item: rng.uniform(2.0, 4.0) for item in items}
        state = {
            p: {item: min(hi, max(lo, round(rng.gauss(centre[item], 0.8)))) for item in items}
            for p in people
        }
        for week in range(weeks):
            if week:
                for p in people:
                    answers = state[p]
                    for item in items:
                        if rng.random() < sim.drift:
                            step = rng.choice((-1, 1))
                            if not lo <= answers[item] + step <= hi:
                                step = -step
                            answers[item] += step
            answered = [p for p in people if rng.random() < sim.rate]
            scores = {p: dimension_scores(instrument, state[p]) for p in answered}
            tally = Tally()
            for p in answered:
                tally.add(scores[p])
            sim.answered.append(frozenset(answered))
            sim.scores.append(scores)
            sim.tallies.append(tally)
        out.append(sim)
    return out


def naive_rule(sims: Sequence[SimTeam], weeks: int) -> dict[str, list[Outcome]]:
    """BEFORE: exact figures whenever at least k people answered, else nothing."""
    return {
        s.team.id: [
            Outcome("exact")
            if s.tallies[w].respondents >= s.team.min_group_size
            else Outcome("withheld", why="few")
            for w in range(weeks)
        ]
        for s in sims
    }


def production_rule(
    instrument: Instrument, sims: Sequence[SimTeam], weeks: int
) -> dict[str, list[Outcome]]:
    """AFTER: `freeze_period` each week, with the previous periods' exact releases as prior."""
    org = OrgChart(name="Bench")  # no departments, no organisation lead: each team stands alone
    teams = [s.team for s in sims]
    out: dict[str, list[Outcome]] = {s.team.id: [] for s in sims}
    frozen: list[FrozenPeriod] = []
    for week in range(weeks):
        opens = FIRST_MONDAY + timedelta(weeks=week)
        period = period_of(opens)
        rounds = [
            TeamRound(
                s.team.id,
                f"r{s.team.id}-{week}",
                period,
                opens + timedelta(hours=72),
                len(s.team.members),
                s.tallies[week],
                frozenset(mark(PLATFORM, p) for p in s.answered[week]),
            )
            for s in sims
        ]
        # As the freeze job passes them (bot/storage/digest.py `prior_releases`): every group
        # released, with exact figures (its people and region) or as bands.
        prior = [r for f in frozen[-PRIOR_PERIODS:] for r in f.releases()]
        result = freeze_period(
            org, teams, period, rounds, instrument=instrument, mark=mark, prior=prior
        )
        frozen.append(result)
        for s in sims:
            g = result.group(s.team.id)
            if g is None:
                raise AssertionError(f"{s.team.id} missing from {period}")
            if g.released:
                out[s.team.id].append(Outcome("exact"))
            elif g.bands:  # the dimensions whose band is safe to show; the others are hidden
                out[s.team.id].append(Outcome("bands", g.bands))
            else:
                reason = result.decision.reasons.get(g.group_id, "")
                out[s.team.id].append(Outcome("withheld", why=why_withheld(reason)))
    return out


@dataclass(slots=True)
class Hits:
    """How many estimates were exact, within 0.5, within 1, out of how many."""

    exact: int = 0
    half: int = 0
    one: int = 0
    total: int = 0

    def add(self, estimate: float, truth: float) -> None:
        off = abs(estimate - truth)
        self.total += 1
        self.exact += off < 1e-9
        self.half += off <= 0.5 + 1e-9
        self.one += off <= 1 + 1e-9

    def rate(self, which: str) -> float:
        return getattr(self, which) / self.total if self.total else math.nan


@dataclass(slots=True)
class Attack:
    """One attacker's results: per attempt and per person-week, beside the baseline."""

    attempts: int = 0
    per_attempt: Hits = field(default_factory=Hits)
    baseline: Hits = field(default_factory=Hits)
    per_target: Hits = field(default_factory=Hits)
    by_gap: dict[int, Hits] = field(default_factory=dict)
    target_baseline: Hits = field(default_factory=Hits)
    # (team, person, week) -> per dimension: (weeks apart, raw estimate)s, truth, guess.
    targets: dict[tuple[str, str, int], dict[str, tuple[list[tuple[int, float]], float, float]]] = (
        field(default_factory=dict)
    )

    def record(
        self,
        target: tuple[str, str, int],
        gap: int,
        dim: str,
        raw: float,
        truth: float,
        guess: float,
        grid: Callable[[str, float], float],
    ) -> None:
        self.per_attempt.add(grid(dim, raw), truth)
        self.by_gap.setdefault(gap, Hits()).add(grid(dim, raw), truth)
        self.baseline.add(guess, truth)
        per_dim = self.targets.setdefault(target, {})
        per_dim.setdefault(dim, ([], truth, guess))[0].append((gap, raw))

    def close(self, grid: Callable[[str, float], float]) -> None:
        """Per person-week: the attacker trusts the pairs closest in time (the least drift in
        between) and averages their estimates."""
        for per_dim in self.targets.values():
            for dim, (found, truth, guess) in per_dim.items():
                nearest = min(gap for gap, _raw in found)
                raws = [raw for gap, raw in found if gap == nearest]
                self.per_target.add(grid(dim, sum(raws) / len(raws)), truth)
                self.target_baseline.add(guess, truth)


Grid = Callable[[str, float], float]


def grid_of(instrument: Instrument) -> Grid:
    """Rounds an estimate to the dimension's grid of possible scores, kept on the scale."""
    lo, hi = instrument.scale_min, instrument.scale_max
    steps = {dim: float(step_of(instrument, dim)) for dim in instrument.dimensions}

    def grid(dim: str, value: float) -> float:
        step = steps[dim]
        value = min(float(hi), max(float(lo), value))
        return lo + math.floor((value - lo) / step + 0.5) * step

    return grid


def team_guess(
    instrument: Instrument, grid: Grid, s: SimTeam, shown: Outcome, week: int, dim: str
) -> float:
    """The baseline: the team's released figure for the week (its exact mean, or its band's
    midpoint), rounded to the grid."""
    tally = s.tallies[week]
    n = tally.counts[dim]
    if shown.shown == "exact":
        return grid(dim, tally.sums[dim] / n)
    assert shown.bands is not None
    low, high = band_sums(instrument, dim, shown.bands[dim], n)
    return grid(dim, float(low + high) / 2 / n)


def attacks(
    instrument: Instrument,
    sims: Sequence[SimTeam],
    outcomes: Mapping[str, Sequence[Outcome]],
    weeks: int,
    span: int,
) -> tuple[Attack, Attack]:
    """The exact-figures attacker and the bands attacker over pairs of weeks closer than
    `span`."""
    grid = grid_of(instrument)

    def mean_guess(s: SimTeam, week: int, dim: str) -> float:
        return team_guess(instrument, grid, s, outcomes[s.team.id][week], week, dim)

    exact_attack, band_attack = Attack(), Attack()
    for s in sims:
        shows = outcomes[s.team.id]
        for w2 in range(weeks):
            for w1 in range(max(0, w2 - span + 1), w2):
                a1, a2 = s.answered[w1], s.answered[w2]
                if a1 < a2 and len(a2 - a1) == 1:
                    (person,), week, added = a2 - a1, w2, True
                elif a2 < a1 and len(a1 - a2) == 1:
                    (person,), week, added = a1 - a2, w1, False
                else:
                    continue
                kinds = {shows[w1].shown, shows[w2].shown}
                if kinds == {"exact"}:
                    attack = exact_attack
                elif kinds == {"exact", "bands"}:
                    attack = band_attack
                else:
                    continue
                big, small = (w2, w1) if added else (w1, w2)
                target = (s.team.id, person, week)
                dims = s.scores[week][person]
                if attack is band_attack:
                    banded = shows[w1].bands or shows[w2].bands
                    assert banded is not None
                    dims = {dim: truth for dim, truth in dims.items() if dim in banded}
                if not dims:
                    continue
                attack.attempts += 1
                for dim, truth in dims.items():
                    guess = mean_guess(s, week, dim)
                    if attack is exact_attack:
                        raw = s.tallies[big].sums[dim] - s.tallies[small].sums[dim]
                    else:
                        raw = _band_midpoint(instrument, s, shows, big, small, dim)
                    attack.record(target, w2 - w1, dim, raw, truth, guess, grid)
    exact_attack.close(grid)
    band_attack.close(grid)
    return exact_attack, band_attack


def isolating(rows: Sequence[frozenset[str]]) -> dict[str, list[Fraction]]:
    """People whose unit vector (over the people of `rows`) is a linear combination of the rows'
    vectors, each row being who answered one week: person -> the combination's coefficients.

    Gauss-Jordan in rational arithmetic on [rows | identity]: a reduced row whose people part has
    a single entry is that person's unit vector, and its identity part says how the weeks
    combine into it."""
    people = sorted(frozenset().union(*rows))
    n, m = len(people), len(rows)
    work = [
        [Fraction(int(p in row)) for p in people] + [Fraction(int(i == j)) for j in range(m)]
        for i, row in enumerate(rows)
    ]
    top = 0
    for col in range(n):
        pick = next((i for i in range(top, m) if work[i][col]), None)
        if pick is None:
            continue
        work[top], work[pick] = work[pick], work[top]
        pivot = work[top][col]
        work[top] = [x / pivot for x in work[top]]
        for i in range(m):
            if i != top and work[i][col]:
                f = work[i][col]
                work[i] = [x - f * y for x, y in zip(work[i], work[top], strict=True)]
        top += 1
    out: dict[str, list[Fraction]] = {}
    for row in work[:top]:
        nonzero = [j for j in range(n) if row[j]]
        if len(nonzero) == 1:
            coefs = row[n:]
            person = people[nonzero[0]]
            # Check the combination over people: the person's unit vector, exactly.
            for q in people:
                weight = sum((c for c, r in zip(coefs, rows, strict=True) if q in r), Fraction(0))
                assert weight == (q == person), (person, q, weight)
            out[person] = coefs
    return out


def combination_attack(
    instrument: Instrument,
    sims: Sequence[SimTeam],
    outcomes: Mapping[str, Sequence[Outcome]],
    weeks: int,
    span: int,
) -> Attack:
    """A lead who knows who answered and combines ALL the exact team-weeks of `span`
    consecutive weeks, taking everyone's answers as unchanged over the span.

    For each span, whoever is alone in some linear combination of its exact weeks (their unit
    vector lies in the span of the weeks' answered-vectors; exact rational arithmetic) is solved
    for: the same combination of the released sums estimates their score. Targets are that
    person in each exact week of the span they answered; "weeks apart" is the farthest week the
    combination uses from the target's. The baseline is the target week's exact team mean."""
    grid = grid_of(instrument)
    attack = Attack()
    for s in sims:
        shows = outcomes[s.team.id]
        seen: set[tuple[int, ...]] = set()
        # Spans ending earlier than the first full one hold no week the first full one lacks.
        for end in range(min(span, weeks) - 1, weeks):
            used = tuple(
                w for w in range(max(0, end - span + 1), end + 1) if shows[w].shown == "exact"
            )
            if not used or used in seen:
                continue
            seen.add(used)
            solved = isolating([s.answered[w] for w in used])
            for person, coefs in solved.items():
                terms = [(w, c) for w, c in zip(used, coefs, strict=True) if c]
                for week in used:
                    if person not in s.answered[week]:
                        continue
                    attack.attempts += 1
                    gap = max(abs(w - week) for w, _c in terms)
                    target = (s.team.id, person, week)
                    for dim, truth in s.scores[week][person].items():
                        raw = sum(float(c) * s.tallies[w].sums[dim] for w, c in terms)
                        guess = team_guess(instrument, grid, s, shows[week], week, dim)
                        attack.record(target, gap, dim, raw, truth, guess, grid)
    attack.close(grid)
    return attack


def _band_midpoint(
    instrument: Instrument,
    s: SimTeam,
    shows: Sequence[Outcome],
    big: int,
    small: int,
    dim: str,
) -> float:
    """The middle of the interval the band leaves for the one person between the two weeks."""
    lo, hi = Fraction(instrument.scale_min), Fraction(instrument.scale_max)
    banded = big if shows[big].shown == "bands" else small
    bands = shows[banded].bands
    assert bands is not None
    low_sum, high_sum = band_sums(instrument, dim, bands[dim], s.tallies[banded].counts[dim])
    if banded == big:  # the week with the person is the banded one
        known = Fraction(s.tallies[small].sums[dim]).limit_denominator(10_000)
        low, high = low_sum - known, high_sum - known
    else:
        known = Fraction(s.tallies[big].sums[dim]).limit_denominator(10_000)
        low, high = known - high_sum, known - low_sum
    cut_low, cut_high = max(low, lo), min(high, hi)
    if cut_low <= cut_high:
        low, high = cut_low, cut_high
    return float(low + high) / 2


def why_bands(
    instrument: Instrument,
    sims: Sequence[SimTeam],
    outcomes: Mapping[str, Sequence[Outcome]],
    weeks: int,
) -> tuple[int, int]:
    """Of AFTER's team-weeks with at least k answers not released exact: how many differ from an
    exact week of the window by a pure change of fewer than k people, and how many sit at the
    scale's end (a team-week can be both)."""
    changed = at_end = 0
    lo, hi = instrument.scale_min, instrument.scale_max
    for s in sims:
        shows = outcomes[s.team.id]
        for w in range(weeks):
            tally = s.tallies[w]
            k = s.team.min_group_size
            if shows[w].shown == "exact" or tally.respondents < k:
                continue
            now = s.answered[w]
            earlier_exact = [
                s.answered[v]
                for v in range(max(0, w - PRIOR_PERIODS), w)
                if shows[v].shown == "exact"
            ]
            if any(_few_changed(now, b, k) for b in earlier_exact):
                changed += 1
            if any(
                near_scale_end(tally.sums[d], n, lo, hi, step_of(instrument, d))
                for d, n in tally.counts.items()
            ):
                at_end += 1
    return changed, at_end


def _few_changed(now: frozenset[str], before: frozenset[str], k: int) -> bool:
    if before < now:
        return len(now - before) < k
    if now < before:
        return len(before - now) < k
    return False


def pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    - "


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--teams", type=int, default=300)
    p.add_argument("--weeks", type=int, default=26)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--quick", action="store_true", help="40 teams, 12 weeks: a trial run")
    p.add_argument("--members", type=parse_range, default=(6, 12), help="team size, e.g. 6-12")
    p.add_argument(
        "--participation", type=parse_range, default=(0.6, 0.95), help="per-team rate range"
    )
    p.add_argument(
        "--drift", type=parse_range, default=(0.1, 0.3), help="weekly chance an item moves"
    )
    p.add_argument(
        "--k",
        type=int,
        default=DEFAULT_MIN_GROUP_SIZE,
        help=f"teams' min_group_size (at least {MIN_GROUP_SIZE_FLOOR})",
    )
    args = p.parse_args(argv)
    if args.quick:
        args.teams, args.weeks = min(args.teams, 40), min(args.weeks, 12)
    started = time.perf_counter()
    instrument = load_instrument()
    rng = random.Random(args.seed)
    sims = simulate(
        instrument,
        rng,
        args.teams,
        args.weeks,
        args.members,
        args.participation,
        args.drift,
        args.k,
    )
    weeks = args.weeks
    rules = {
        "BEFORE": naive_rule(sims, weeks),
        "AFTER": production_rule(instrument, sims, weeks),
    }

    def span(r: tuple[float, float], scale: float = 1, unit: str = "") -> str:
        return f"{r[0] * scale:g}-{r[1] * scale:g}{unit}"

    person_weeks = sum(len(s.team.members) for s in sims) * weeks
    answered = sum(len(a) for s in sims for a in s.answered)
    print(
        f"release_rate: {args.teams} teams of {span(args.members)} members, {weeks} weeks, "
        f"seed {args.seed}; teams stand alone (no department, no org lead)"
    )
    print(
        f"participation {span(args.participation, 100, '%')} a team, drift "
        f"{span(args.drift, 100, '%')} an item-week, k={args.k}, trend window {WINDOW} weeks "
        f"(prior = {PRIOR_PERIODS} periods)"
    )
    print(
        f"answered person-weeks: {answered:,} of {person_weeks:,} "
        f"({pct(answered, person_weeks).strip()})"
    )
    print()
    team_weeks = args.teams * weeks
    kinds = ("exact", "bands", "withheld", "few", "no band", "narrows", "protects", "other")
    counts: dict[str, dict[str, int]] = {}
    # Dimension-weeks of team-weeks where at least k answered the dimension: how many are shown,
    # exact or as a band (a bands-only week may hide some dimensions).
    dims_due = 0
    dims_shown: dict[str, dict[str, int]] = {}
    for name, outcomes in rules.items():
        c = dict.fromkeys(kinds, 0)
        d = {"exact": 0, "bands": 0}
        for sim in sims:
            k = effective_threshold(sim.team.min_group_size)
            for w, o in enumerate(outcomes[sim.team.id]):
                c[o.shown] += 1
                if o.shown == "withheld":
                    c[o.why] += 1
                for dim, n in sim.tallies[w].counts.items():
                    if n < k:
                        continue
                    dims_due += name == "BEFORE"
                    if o.shown == "exact":
                        d["exact"] += 1
                    elif o.bands is not None and dim in o.bands:
                        d["bands"] += 1
        counts[name] = c
        dims_shown[name] = d
    changed, at_end = why_bands(instrument, sims, rules["AFTER"], weeks)
    before, after = counts["BEFORE"], counts["AFTER"]
    print(f"team-weeks ({team_weeks:,})                    BEFORE (n>=k)   AFTER (freeze_period)")

    def row(label: str, b: float | None, a: float | None, whole: int = team_weeks) -> None:
        bs = pct(b, whole) if b is not None else "    - "
        as_ = pct(a, whole) if a is not None else "    - "
        print(f"  {label:<40}{bs:>8}        {as_:>8}")

    row("released, exact figures", before["exact"], after["exact"])
    row("shown as bands only (>=1 dimension)", None, after["bands"])
    row("released, exact or bands", before["exact"], after["exact"] + after["bands"])
    row("withheld", before["withheld"], after["withheld"])
    row("  of which fewer than k answered", before["few"], after["few"])
    row("  of which bands only, no band safe", None, after["no band"])
    row("  of which weeks together would isolate", None, after["narrows"])
    row("  of which protects another group", None, after["protects"])
    if after["other"]:
        row("  for another reason", None, after["other"])
    print("  not exact though >=k answered:")
    row("  pure change of <k vs an exact week", None, changed)
    row("  a sum at the scale's end", None, at_end)
    print(f"dimension-weeks with >=k answering ({dims_due:,})")
    b_dims, a_dims = dims_shown["BEFORE"], dims_shown["AFTER"]
    row("shown, exact or band", sum(b_dims.values()), sum(a_dims.values()), dims_due)
    row("  of which as a band", None, a_dims["bands"], dims_due)
    print()

    results: dict[str, tuple[Attack, Attack, Attack, Attack, Attack]] = {}
    for name, outcomes in rules.items():
        exact_a, band_a = attacks(instrument, sims, outcomes, weeks, WINDOW)
        kept, _ = attacks(instrument, sims, outcomes, weeks, weeks)
        combined = combination_attack(instrument, sims, outcomes, weeks, WINDOW)
        combined_all = combination_attack(instrument, sims, outcomes, weeks, weeks)
        results[name] = (exact_a, band_a, kept, combined, combined_all)

    def rates(h: Hits) -> str:
        return "".join(f"{100 * h.rate(w):6.1f}" for w in ("exact", "half", "one"))

    def block(title: str, which: int, unit: str = "pair", none: str = "no pair") -> None:
        print(title)
        for name in rules:
            attack = results[name][which]
            if not attack.attempts:
                print(f"  {name:<7}{none}")
                continue
            label = f"per {unit} x dimension"
            print(
                f"  {name:<7}{label:<32}{attack.attempts:>7,} "
                f"{rates(attack.per_attempt)}  {rates(attack.baseline)}"
            )
            print(
                f"  {'':<7}per person-week x dimension     {len(attack.targets):>7,} "
                f"{rates(attack.per_target)}  {rates(attack.target_baseline)}"
            )

    print("attacker: a lead who knows who answered, on two weeks whose respondents differ by one")
    print(f"{'count':>48}  {'attacker %':^18}  {'team mean %':^18}".rstrip())
    print(f"{'(attempts; person-weeks)':>48}{'exact  <=.5   <=1':>18}  {'exact  <=.5   <=1':>18}")
    block(f"both weeks exact, within the {WINDOW}-week window", 0)
    block(f"one week exact, one bands only (band's midpoint), within {WINDOW} weeks", 1)
    for name, which in (("BEFORE", 0), ("AFTER", 1)):
        attack = results[name][which]
        if attack.attempts:
            by_gap = "  ".join(
                f"{gap}: {100 * attack.by_gap[gap].rate('exact'):.0f}%"
                for gap in sorted(attack.by_gap)
            )
            print(f"  {name:<7}exact hits per attempt, by weeks apart   {by_gap}")
    print("attacker: the same lead, ALL exact weeks of a span solved together (linear algebra)")
    no_target = "no target: nobody alone in any combination of the exact weeks"
    block(f"all exact weeks of each {WINDOW}-week window", 3, "target-span", no_target)
    attack = results["BEFORE"][3]
    if attack.attempts:
        by_gap = "  ".join(
            f"{gap}: {100 * attack.by_gap[gap].rate('exact'):.0f}%" for gap in sorted(attack.by_gap)
        )
        print(f"  BEFORE exact hits per attempt, by weeks apart   {by_gap}")
    print("a lead who keeps every digest, beyond the window (the rules do not look that far):")
    block("  both weeks exact, any two weeks", 2)
    block(f"  all exact weeks of the {weeks} weeks solved together", 4, "target", no_target)
    print()

    def edge(name: str, which: int) -> str:
        attack = results[name][which]
        if not attack.attempts:
            return "no pair" if which < 3 else "no target"
        mine, mean = attack.per_attempt, attack.baseline
        each, base = attack.per_target, attack.target_baseline
        return (
            f"{mine.rate('exact') / mean.rate('exact'):.2f} per attempt, "
            f"{each.rate('exact') / base.rate('exact'):.2f} per person-week"
        )

    def beats_mean(name: str) -> bool:
        return any(
            a.per_attempt.rate("exact") > a.baseline.rate("exact")
            or a.per_target.rate("exact") > a.target_baseline.rate("exact")
            for a in (results[name][0], results[name][1], results[name][3])
            if a.attempts
        )

    b_exact, a_exact = before["exact"], after["exact"]
    a_shown = after["exact"] + after["bands"]
    print(
        f"ratio AFTER/BEFORE, team-weeks released: exact {a_exact / max(b_exact, 1):.2f}, "
        f"exact or bands {a_shown / max(b_exact, 1):.2f}; dimension-weeks shown "
        f"{sum(a_dims.values()) / max(sum(b_dims.values()), 1):.2f}"
    )
    print("ratio attacker/team mean, exact hits in the window:")
    print(f"  BEFORE, both weeks exact        {edge('BEFORE', 0)}")
    print(f"  BEFORE, all exact weeks solved  {edge('BEFORE', 3)}")
    print(f"  AFTER, both weeks exact         {edge('AFTER', 0)}")
    print(f"  AFTER, one week bands only      {edge('AFTER', 1)}")
    print(f"  AFTER, all exact weeks solved   {edge('AFTER', 3)}")

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    print(
        f"target AFTER, >=80% of team-weeks released: exact {pct(a_exact, team_weeks).strip()} "
        f"{verdict(a_exact >= 0.8 * team_weeks)}; exact or bands "
        f"{pct(a_shown, team_weeks).strip()} {verdict(a_shown >= 0.8 * team_weeks)} "
        f"(dimension-weeks shown {pct(sum(a_dims.values()), dims_due).strip()})"
    )
    print(
        "target AFTER, attacker no better than the team mean in the window: "
        f"{verdict(not beats_mean('AFTER'))} (BEFORE: {verdict(not beats_mean('BEFORE'))})"
    )
    print(f"({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
