"""Digest variants every renderer is tested on: released, suppressed, a mixed department, and a
first round with no trend. Built from frozen figures, the way the store hands them over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.config import load_instrument
from bot.domain.digest import GroupDigest, build_group_digest
from bot.domain.instrument import Instrument
from bot.domain.rollup import GroupFigures
from bot.domain.scoring import Tally

INSTRUMENT: Instrument = load_instrument()
PERIODS = ("2026-W44", "2026-W45", "2026-W46", "2026-W47", "2026-W48", "2026-W49")
CLOSED = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
GAP = "2026-W46"


def tally(respondents: int, means: dict[str, float]) -> Tally:
    t = Tally(respondents=respondents)
    for dim, mean in means.items():
        t.sums[dim] = mean * respondents
        t.counts[dim] = respondents
    return t


def means(step: int) -> dict[str, float]:
    return {
        "exhaustion": 2.6 + 0.3 * step,
        "detachment": 2.2 + 0.1 * step,
        "accomplishment": 3.8 - 0.1 * step,
        "demands": 3.0 + 0.2 * step,
        "resources": 3.4 - 0.15 * step,
    }


def figures(
    group_id: str,
    period: str,
    released: bool,
    respondents: int = 7,
    step: int = 0,
    kind: str = "team",
    name: str = "Riverside Therapy",
    parent: str | None = "dept-a",
    members: int = 9,
    kudos: int | None = None,
    breaks: tuple[int, int, int] | None = None,
) -> GroupFigures:
    return GroupFigures(
        period=period,
        group_id=group_id,
        kind=kind,  # type: ignore[arg-type]
        name=name,
        parent_id=parent,
        min_group_size=5,
        released=released,
        closed_at=CLOSED - timedelta(weeks=PERIODS[::-1].index(period)),
        members=members if released else None,
        tally=tally(respondents, means(step)) if released else None,
        round_id=f"r-{group_id}-{period}" if kind == "team" else None,
        kudos=kudos if released else None,
        breaks=breaks if released else None,
    )


def released_team() -> GroupDigest:
    """Six rounds, the third suppressed, exhaustion rising: a trend with a gap and an alert."""
    history = [
        figures("riverside", p, released=p != GAP, step=i, kudos=1, breaks=(20, 4, 10))
        for i, p in enumerate(PERIODS)
    ]
    d = build_group_digest(INSTRUMENT, history[::-1])
    assert d is not None
    return d


def suppressed_team() -> GroupDigest:
    history = [figures("harbour", p, released=p != PERIODS[-1], name="Harbour") for p in PERIODS]
    d = build_group_digest(INSTRUMENT, history[::-1])
    assert d is not None
    return d


def mixed_department() -> GroupDigest:
    """A released department with one released team and two withheld ones."""
    history = [
        figures(
            "dept-a",
            p,
            True,
            respondents=16,
            step=1,
            kind="department",
            name="Adult Services",
            parent="organisation",
            members=22,
        )
        for p in PERIODS[-3:]
    ]
    children = [
        figures("riverside", PERIODS[-1], True, respondents=9, step=1, name="Riverside Therapy"),
        figures("harbour", PERIODS[-1], False, name="Harbour"),
        figures("lighthouse", PERIODS[-1], False, name="Lighthouse"),
    ]
    d = build_group_digest(INSTRUMENT, history[::-1], children)
    assert d is not None
    return d


def first_round() -> GroupDigest:
    d = build_group_digest(INSTRUMENT, [figures("newteam", PERIODS[-1], True, name="New Team")])
    assert d is not None
    return d


VARIANTS = {
    "released": released_team,
    "suppressed": suppressed_team,
    "mixed_department": mixed_department,
    "first_round": first_round,
}
