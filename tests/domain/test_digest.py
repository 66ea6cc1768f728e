"""The lead's digest from frozen figures: suppression, change since the last released period,
and the JD-R reading."""

from __future__ import annotations

import pytest

from bot.config import load_instrument
from bot.domain.digest import build_group_digest, jdr_reading
from bot.domain.digest_present import digest_card, digest_json
from bot.domain.rollup import GroupFigures
from bot.domain.scoring import Tally
from tests.support.digest_variants import CLOSED, PERIODS

INSTRUMENT = load_instrument()


def figures(period: str, respondents: int, level: float, released: bool = True) -> GroupFigures:
    """A team's frozen period as the store hands it over: a suppressed one carries no figure."""
    t = Tally()
    for _ in range(respondents):
        t.add(
            {
                "exhaustion": level,
                "detachment": level,
                "accomplishment": 6 - level,
                "demands": level,
                "resources": 6 - level,
            }
        )
    return GroupFigures(
        period=period,
        group_id="t1",
        kind="team",
        name="Riverside",
        parent_id=None,
        min_group_size=5,
        released=released,
        closed_at=CLOSED,
        members=8 if released else None,
        tally=t if released else None,
        round_id=f"r-{period}",
    )


def test_no_history_no_digest() -> None:
    assert build_group_digest(INSTRUMENT, []) is None


def test_suppressed_period_releases_nothing_not_even_the_count() -> None:
    d = build_group_digest(
        INSTRUMENT, [figures(PERIODS[-1], 3, 4.0, released=False), figures(PERIODS[-2], 6, 2.0)]
    )
    assert d is not None and d.suppressed
    data = digest_json(d)
    assert data["respondents"] is None and data["members"] is None
    assert data["dimensions"] == {}
    assert data["suppressed"] is True
    assert data["participation"] is None
    # Nothing from the earlier released period leaks into a suppressed digest either.
    assert "6" not in digest_card(d).fallback.replace("2026", "")


def test_change_is_against_the_previous_released_period() -> None:
    history = [
        figures(PERIODS[-1], 6, 4.0),
        figures(PERIODS[-2], 3, 1.0, released=False),
        figures(PERIODS[-3], 7, 3.0),
    ]
    d = build_group_digest(INSTRUMENT, history)
    assert d is not None and not d.suppressed
    data = digest_json(d)
    assert data["respondents"] == 6
    assert data["dimensions"]["exhaustion"]["change"] == pytest.approx(1.0)  # vs W-3, not W-2
    assert data["dimensions"]["exhaustion"]["band"] == "concern"
    assert data["dimensions"]["exhaustion"]["trend"] == [3.0, None, 4.0]
    assert data["dimensions"]["resources"]["mean"] == pytest.approx(2.0)
    assert data["dimensions"]["resources"]["band"] == "concern"


def test_first_released_period_has_no_change() -> None:
    d = build_group_digest(INSTRUMENT, [figures(PERIODS[-1], 5, 2.0)])
    assert d is not None
    assert all(line.change is None for line in d.dimensions)
    assert "first reported round" in digest_card(d).fallback


@pytest.mark.parametrize(
    ("bands", "expected"),
    [
        ({"demands": "concern", "resources": "concern"}, "caseload"),
        ({"demands": "concern", "resources": "ok"}, "still feels supported"),
        ({"demands": "ok", "resources": "concern"}, "supervision"),
        ({"exhaustion": "concern", "demands": "ok", "resources": "ok"}, "case mix"),
        ({"demands": "watch", "resources": "ok"}, "close to tipping"),
        ({"demands": "ok", "resources": "ok"}, "in balance"),
    ],
)
def test_jdr_reading_names_the_lever(bands: dict[str, str], expected: str) -> None:
    assert expected in jdr_reading(bands)  # type: ignore[arg-type]
