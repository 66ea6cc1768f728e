"""The lead's digest: group-level figures, their trend, and what the pattern suggests.

The reading follows Job Demands-Resources: burnout grows when demands outweigh resources, so the
digest points at the organisational levers a clinic controls (caseload limits, protected time for
documentation, supervision and case consultation, recognition, autonomy over schedule) rather
than at individual self-care. Every figure comes from frozen period figures that the release
rules allowed (bot.domain.rollup, bot.domain.privacy); a suppressed period shows nothing.

The words a digest carries (reading, alert, actions) are kept as their English catalog entries,
marked with `N_`, and translated where the digest is shown: one digest serves leads who read
different languages, and each reads it inside their own `use_locale`.

This module holds the rules (what a digest says, and which actions it suggests); how a digest is
shown (the card, the JSON export, the chart's data) lives in bot.domain.digest_present.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.domain.instrument import Instrument
from bot.domain.org import GroupKind
from bot.domain.rollup import GroupFigures
from bot.domain.scoring import Band, band
from bot.infra.i18n import N_

HISTORY_ROUNDS = 6
EXHAUSTION_ALERT = N_(
    "Exhaustion has worsened two released rounds in a row: act on it this week, before it shows "
    "up as sickness absence or people leaving."
)
# A change smaller than this between two released rounds is not called a change.
WORSENING_STEP = 0.05

# One wording for every suppressed group: saying *why* (too few answers here, or protecting a
# smaller sibling) would itself tell a reader something about a group below the threshold.
SUPPRESSED_TEXT = N_(
    "Not enough responses this round to report without risking anyone's anonymity (too few "
    "answers here, or a figure that would let a smaller group's answers, or one person's set "
    "beside an earlier week's, be worked out). Nothing from this round is shown."
)


@dataclass(frozen=True, slots=True)
class DimensionLine:
    id: str
    label: str  # the instrument file's own wording
    mean: float | None  # None: shown as a band only
    band: Band
    change: float | None
    # Means over the trend window, oldest first; None where a round released nothing.
    trend: tuple[float | None, ...] = ()
    # The label in each language the instrument file translates it into.
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Action:
    """One suggested organisational action and the rule that chose it (English catalog entries,
    translated where they are shown)."""

    lever: str
    title: str
    why: str


@dataclass(frozen=True, slots=True)
class ChildLine:
    """A team of a department (or a department of the organisation) in the same period."""

    group_id: str
    name: str
    kind: GroupKind
    released: bool
    respondents: int | None
    members: int | None
    exhaustion: float | None
    exhaustion_band: Band | None
    bands_only: bool = False


@dataclass(frozen=True, slots=True)
class GroupDigest:
    group_id: str
    kind: GroupKind
    name: str
    period: str
    round_id: str
    closed_at: datetime
    min_group_size: int
    suppressed: bool
    respondents: int | None
    members: int | None
    dimensions: tuple[DimensionLine, ...]
    reading: str
    actions: tuple[Action, ...] = ()
    exhaustion_alert: str | None = None
    kudos: int | None = None
    breaks: tuple[int, int, int] | None = None
    periods: tuple[str, ...] = ()  # the trend window, oldest first
    released_periods: tuple[bool, ...] = ()
    children: tuple[ChildLine, ...] = ()
    # Released as bands without numbers (nor a count): see digest_present.BANDS_ONLY_TEXT.
    bands_only: bool = False

    @property
    def participation(self) -> float | None:
        if self.respondents is None or not self.members:
            return None
        return self.respondents / self.members


# --- building -------------------------------------------------------------------------------


def _labels(instrument: Instrument, dim: str) -> dict[str, str]:
    """A dimension's label in every language the instrument file carries."""
    return {
        lang: wording.dimensions.get(dim, instrument.dimensions[dim].label)
        for lang, wording in instrument.translations.items()
    }


def _strain(instrument: Instrument, dim: str, mean: float) -> float:
    return instrument.to_strain(dim, mean)


def exhaustion_worsening(instrument: Instrument, released_means: Sequence[float]) -> bool:
    """True when exhaustion worsened in each of the last two steps between released rounds.

    `released_means` are the exhaustion means of released rounds, oldest first.
    """
    if len(released_means) < 3:
        return False
    a, b, c = (_strain(instrument, "exhaustion", m) for m in released_means[-3:])
    return b - a >= WORSENING_STEP and c - b >= WORSENING_STEP


def build_group_digest(
    instrument: Instrument,
    history: Sequence[GroupFigures],
    children: Sequence[GroupFigures] = (),
) -> GroupDigest | None:
    """Digest of the newest frozen period in `history` (newest first); None before any."""
    if not history:
        return None
    window = list(reversed(history[:HISTORY_ROUNDS]))  # oldest first
    latest = history[0]
    periods = tuple(g.period for g in window)
    released = tuple(g.released and g.tally is not None for g in window)
    child_lines = tuple(_child_line(instrument, c) for c in children)
    base: dict[str, Any] = {
        "group_id": latest.group_id,
        "kind": latest.kind,
        "name": latest.name,
        "period": latest.period,
        "round_id": latest.round_id or latest.period,
        "closed_at": latest.closed_at,
        "min_group_size": latest.min_group_size,
        "periods": periods,
        "released_periods": released,
        "children": child_lines,
    }
    if latest.bands is not None and not latest.released:
        return _bands_only_digest(instrument, base, window, latest.bands)
    if not latest.released or latest.tally is None:
        return GroupDigest(
            **base,
            suppressed=True,
            respondents=None,
            members=None,
            dimensions=(),
            reading=SUPPRESSED_TEXT,
        )
    window_means = [g.tally.means() if g.released and g.tally else None for g in window]
    means = latest.tally.means()
    prev_means = next((m for m in reversed(window_means[:-1]) if m is not None), {})
    lines = tuple(
        DimensionLine(
            id=dim.id,
            label=dim.label,
            labels=_labels(instrument, dim.id),
            mean=round(means[dim.id], 2),
            band=band(instrument, dim.id, means[dim.id]),
            change=round(means[dim.id] - prev_means[dim.id], 2) if dim.id in prev_means else None,
            trend=tuple(
                round(m[dim.id], 2) if m is not None and dim.id in m else None for m in window_means
            ),
        )
        for dim in instrument.dimensions.values()
        if dim.id in means
    )
    exhaustion_series = [m["exhaustion"] for m in window_means if m and "exhaustion" in m]
    worsening = exhaustion_worsening(instrument, exhaustion_series)
    bands = {line.id: line.band for line in lines}
    return GroupDigest(
        **base,
        suppressed=False,
        respondents=latest.tally.respondents,
        members=latest.members,
        dimensions=lines,
        reading=jdr_reading(bands),
        actions=suggest_actions(
            bands,
            worsening=worsening,
            kudos=latest.kudos,
            members=latest.members,
            breaks=latest.breaks,
        ),
        exhaustion_alert=EXHAUSTION_ALERT if worsening else None,
        kudos=latest.kudos,
        breaks=latest.breaks,
    )


def _bands_only_digest(
    instrument: Instrument,
    base: Mapping[str, Any],
    window: Sequence[GroupFigures],
    bands: Mapping[str, Band],
) -> GroupDigest:
    """A digest with each dimension's band and the actions they call for, and no number for this
    period: no mean, no change, no count. Earlier released periods keep their trend points."""
    earlier = [g.tally.means() if g.released and g.tally else None for g in window[:-1]]
    lines = tuple(
        DimensionLine(
            id=dim.id,
            label=dim.label,
            labels=_labels(instrument, dim.id),
            mean=None,
            band=bands[dim.id],
            change=None,
            trend=(
                *(round(m[dim.id], 2) if m is not None and dim.id in m else None for m in earlier),
                None,
            ),
        )
        for dim in instrument.dimensions.values()
        if dim.id in bands
    )
    return GroupDigest(
        **base,
        suppressed=False,
        bands_only=True,
        respondents=None,
        members=None,
        dimensions=lines,
        reading=jdr_reading(bands),
        actions=suggest_actions(bands),
    )


def _child_line(instrument: Instrument, child: GroupFigures) -> ChildLine:
    if not child.released or child.tally is None:
        ex_band = child.bands.get("exhaustion") if child.bands is not None else None
        return ChildLine(
            child.group_id,
            child.name,
            child.kind,
            False,
            None,
            None,
            None,
            ex_band,
            bands_only=child.bands is not None,
        )
    means = child.tally.means()
    ex = means.get("exhaustion")
    return ChildLine(
        child.group_id,
        child.name,
        child.kind,
        True,
        child.tally.respondents,
        child.members,
        round(ex, 2) if ex is not None else None,
        band(instrument, "exhaustion", ex) if ex is not None else None,
    )


# --- reading and actions ----------------------------------------------------------------------


def jdr_reading(bands: Mapping[str, Band]) -> str:
    """One plain-language line on what the pattern suggests (its English catalog entry)."""
    demands = bands.get("demands", "ok")
    resources = bands.get("resources", "ok")
    exhaustion = bands.get("exhaustion", "ok")
    if demands == "concern" and resources != "ok":
        return N_(
            "Demands are high and resources thin: the pattern most linked to burnout. Easing "
            "caseload or protecting documentation time will do more than encouraging self-care."
        )
    if demands == "concern":
        return N_(
            "Demands are high but the team still feels supported. Protect that support, and look "
            "at caseload and documentation time before it wears down."
        )
    if resources == "concern":
        return N_(
            "Demands are manageable but resources are low: supervision, case consultation and a "
            "say over schedules are the levers to pull."
        )
    if exhaustion == "concern":
        return N_(
            "Exhaustion is high although demands and resources look balanced: review case mix "
            "and emotional load, and ask the team what is draining them."
        )
    if "watch" in (demands, resources, exhaustion):
        return N_(
            "Demands and resources are close to tipping. Check caseload and supervision now, "
            "while it is still easy to adjust."
        )
    return N_("Demands and resources look in balance; keep protecting what makes that so.")


LEVERS = {
    "caseload": N_("Set caseload limits"),
    "documentation": N_("Protect time for documentation"),
    "supervision": N_("Supervision and case consultation"),
    "recognition": N_("Recognise the work"),
    "autonomy": N_("Autonomy over schedule"),
}

# Break prompts taken below this share, out of at least BREAKS_MIN_PROMPTS, read as "no room".
BREAKS_LOW_SHARE = 0.3
BREAKS_MIN_PROMPTS = 10


@dataclass(frozen=True, slots=True)
class Signals:
    """What the action rules look at; every field comes from released figures only."""

    bands: Mapping[str, Band]
    worsening: bool = False
    kudos: int | None = None
    members: int | None = None
    breaks: tuple[int, int, int] | None = None

    def at_least(self, dim: str, level: Band) -> bool:
        order = {"ok": 0, "watch": 1, "concern": 2}
        got = self.bands.get(dim)
        return got is not None and order[got] >= order[level]


@dataclass(frozen=True, slots=True)
class Rule:
    lever: str
    when: Callable[[Signals], bool]
    why: str


def _breaks_low(s: Signals) -> bool:
    if s.breaks is None:
        return False
    prompted, done, _skipped = s.breaks
    return prompted >= BREAKS_MIN_PROMPTS and done / prompted < BREAKS_LOW_SHARE


def _kudos_low(s: Signals) -> bool:
    return s.kudos is not None and bool(s.members) and s.kudos < max(1, (s.members or 0) // 4)


# In priority order; the first three distinct levers that fire are suggested.
RULES: tuple[Rule, ...] = (
    Rule(
        "caseload",
        lambda s: s.at_least("demands", "concern"),
        N_(
            "Demands are at concern level: pause new intakes or cap caseloads per clinician until "
            "they ease."
        ),
    ),
    Rule(
        "documentation",
        lambda s: (
            s.at_least("demands", "watch") and (s.at_least("exhaustion", "watch") or s.worsening)
        ),
        N_(
            "Demands and exhaustion are both raised: protect a weekly block for notes and letters, "
            "free of clients and meetings."
        ),
    ),
    Rule(
        "supervision",
        lambda s: s.at_least("resources", "watch"),
        N_(
            "Resources are low: make sure everyone has regular supervision and a place to bring "
            "difficult cases."
        ),
    ),
    Rule(
        "supervision",
        lambda s: s.at_least("detachment", "watch") or s.at_least("secondary_stress", "watch"),
        N_(
            "Distance from clients is growing: case consultation and reflective supervision help "
            "before cynicism sets in."
        ),
    ),
    Rule(
        "autonomy",
        lambda s: s.worsening,
        N_(
            "Exhaustion keeps rising: let clinicians shape how their sessions are spaced and when "
            "they take breaks."
        ),
    ),
    Rule(
        "autonomy",
        _breaks_low,
        N_(
            "Few break prompts are taken: schedules leave no room; give clinicians a say over gaps "
            "between sessions."
        ),
    ),
    Rule(
        "autonomy",
        lambda s: s.at_least("exhaustion", "concern"),
        N_("Exhaustion is high: give clinicians a say over their schedule and case mix."),
    ),
    Rule(
        "recognition",
        lambda s: s.at_least("accomplishment", "watch"),
        N_(
            "Sense of accomplishment is low: name the difference the work makes, in team meetings "
            "and one to one."
        ),
    ),
    Rule(
        "recognition",
        _kudos_low,
        N_(
            "Little recognition was shared this period: leads can start by thanking people for "
            "specific pieces of work."
        ),
    ),
)

FALLBACK = Rule(
    "recognition",
    lambda s: True,
    N_("Nothing is raised: tell the team what is working and keep protecting it."),
)


def suggest_actions(
    bands: Mapping[str, Band],
    *,
    worsening: bool = False,
    kudos: int | None = None,
    members: int | None = None,
    breaks: tuple[int, int, int] | None = None,
) -> tuple[Action, ...]:
    """One to three organisational actions, chosen by the explicit rules in RULES."""
    signals = Signals(bands, worsening, kudos, members, breaks)
    chosen: list[Action] = []
    for rule in RULES:
        if len(chosen) == 3:
            break
        if any(a.lever == rule.lever for a in chosen) or not rule.when(signals):
            continue
        chosen.append(Action(rule.lever, LEVERS[rule.lever], rule.why))
    if not chosen:
        chosen.append(Action(FALLBACK.lever, LEVERS[FALLBACK.lever], FALLBACK.why))
    return tuple(chosen)
