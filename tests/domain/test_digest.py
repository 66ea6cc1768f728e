"""The lead's digest: suppression, change since the last released round, and the JD-R reading."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.config import load_instrument
from bot.domain.digest import build_team_digest, digest_card, digest_json, jdr_reading
from bot.domain.messages import Platform
from bot.domain.ports import RoundFigures
from bot.domain.scoring import Tally
from bot.domain.team import Team

TEAM = Team("t1", "Riverside", Platform.SLACK, "UTC", frozenset({"a"}), frozenset({"L"}), 5)
CLOSED = datetime(2026, 12, 3, 10, tzinfo=UTC)


def figures(week: int, respondents: int, level: float) -> RoundFigures:
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
    return RoundFigures(
        f"r{week}",
        "t1",
        f"2026-11-{2 + week:02d}T10:00+00:00",
        CLOSED + timedelta(weeks=week),
        8,
        t,
    )


def test_no_history_no_digest() -> None:
    assert build_team_digest(load_instrument(), TEAM, []) is None


def test_suppressed_round_releases_nothing_not_even_the_count() -> None:
    d = build_team_digest(load_instrument(), TEAM, [figures(2, 3, 4.0), figures(1, 6, 2.0)])
    assert d is not None and d.suppressed
    data = digest_json(d)
    assert data["respondents"] is None
    assert data["dimensions"] == {}
    assert data["suppressed"] is True
    assert "3" not in digest_card(d).fallback.replace("2026", "")


def test_change_is_against_the_previous_released_round() -> None:
    history = [figures(3, 6, 4.0), figures(2, 3, 1.0), figures(1, 7, 3.0)]
    d = build_team_digest(load_instrument(), TEAM, history)
    assert d is not None and not d.suppressed
    data = digest_json(d)
    assert data["respondents"] == 6
    assert data["dimensions"]["exhaustion"]["change"] == pytest.approx(1.0)  # vs week 1, not 2
    assert data["dimensions"]["exhaustion"]["band"] == "concern"
    assert data["dimensions"]["resources"]["mean"] == pytest.approx(2.0)
    assert data["dimensions"]["resources"]["band"] == "concern"


def test_first_released_round_has_no_change() -> None:
    d = build_team_digest(load_instrument(), TEAM, [figures(1, 5, 2.0)])
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
