"""Scoring: from one person's answers to dimension scores, and from many to team figures.

A team figure is kept as a count and a sum per dimension rather than a mean, because sums add up
across teams (roll-ups) and are what the privacy rules reason about.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from bot.domain.instrument import Instrument
from bot.infra.i18n import _

Band = Literal["ok", "watch", "concern"]


def parse_answers(
    instrument: Instrument, raw: Mapping[str, str]
) -> tuple[dict[str, int], dict[str, str]]:
    """Check a submission: every item answered once, inside the scale. Returns answers, errors."""
    answers: dict[str, int] = {}
    errors: dict[str, str] = {}
    lo, hi = instrument.scale_min, instrument.scale_max
    for item in instrument.items:
        value = raw.get(item.id)
        if value is None or str(value).strip() == "":
            errors[item.id] = _("Please choose an answer.")
            continue
        try:
            number = int(str(value).strip())
        except ValueError:
            errors[item.id] = _("Please choose one of the options ({low} to {high}).").format(
                low=lo, high=hi
            )
            continue
        if not lo <= number <= hi:
            errors[item.id] = _("Please choose one of the options ({low} to {high}).").format(
                low=lo, high=hi
            )
            continue
        answers[item.id] = number
    return answers, errors


def dimension_scores(instrument: Instrument, answers: Mapping[str, int]) -> dict[str, float]:
    """One person's score per dimension: the mean of its items, reverse-keyed items flipped."""
    per_dim: dict[str, list[int]] = {}
    for item in instrument.items:
        if item.id not in answers:
            continue
        value = answers[item.id]
        if item.reverse:
            value = instrument.scale_min + instrument.scale_max - value
        per_dim.setdefault(item.dimension, []).append(value)
    return {dim: sum(vals) / len(vals) for dim, vals in per_dim.items()}


def needs_support_note(instrument: Instrument, answers: Mapping[str, int]) -> bool:
    """Whether this person's own answers show high strain. Computed in memory, never stored."""
    scores = dimension_scores(instrument, answers)
    if not scores:
        return False
    strains = [instrument.to_strain(dim, mean) for dim, mean in scores.items()]
    return (
        max(strains) >= instrument.note_any_dimension_at
        or sum(strains) / len(strains) >= instrument.note_mean_at
    )


def band(instrument: Instrument, dimension: str, mean: float) -> Band:
    strain = instrument.to_strain(dimension, mean)
    if strain >= instrument.concern_at:
        return "concern"
    if strain >= instrument.watch_at:
        return "watch"
    return "ok"


@dataclass(slots=True)
class Tally:
    """Respondent count and per-dimension sums of one group in one round."""

    respondents: int = 0
    sums: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, scores: Mapping[str, float]) -> None:
        self.respondents += 1
        for dim, value in scores.items():
            self.sums[dim] = self.sums.get(dim, 0.0) + value
            self.counts[dim] = self.counts.get(dim, 0) + 1

    def merge(self, other: Tally) -> None:
        self.respondents += other.respondents
        for dim, value in other.sums.items():
            self.sums[dim] = self.sums.get(dim, 0.0) + value
            self.counts[dim] = self.counts.get(dim, 0) + other.counts.get(dim, 0)

    def means(self) -> dict[str, float]:
        return {dim: self.sums[dim] / n for dim, n in self.counts.items() if n}


def tally(instrument: Instrument, responses: Iterable[Mapping[str, int]]) -> Tally:
    result = Tally()
    for answers in responses:
        result.add(dimension_scores(instrument, answers))
    return result
