"""The digest's reading, its suggested actions and the exhaustion alert: explicit rules."""

from __future__ import annotations

import pytest

from bot.domain.digest import exhaustion_worsening, suggest_actions
from bot.domain.scoring import Band
from tests.support.digest_variants import (
    INSTRUMENT,
    first_round,
    mixed_department,
    released_team,
    suppressed_team,
)

OK: dict[str, Band] = {
    "exhaustion": "ok",
    "detachment": "ok",
    "accomplishment": "ok",
    "demands": "ok",
    "resources": "ok",
}


def levers(bands: dict[str, Band], **kw: object) -> list[str]:
    return [a.lever for a in suggest_actions({**OK, **bands}, **kw)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("bands", "kw", "expected"),
    [
        ({}, {}, ["recognition"]),  # nothing raised: one action, naming what works
        ({"demands": "concern"}, {}, ["caseload"]),
        ({"demands": "concern", "exhaustion": "watch"}, {}, ["caseload", "documentation"]),
        ({"demands": "watch"}, {"worsening": True}, ["documentation", "autonomy"]),
        ({"resources": "watch"}, {}, ["supervision"]),
        ({"detachment": "concern"}, {}, ["supervision"]),
        ({"accomplishment": "watch"}, {}, ["recognition"]),
        ({}, {"kudos": 0, "members": 8}, ["recognition"]),
        ({}, {"kudos": 5, "members": 8}, ["recognition"]),  # fallback, not the low-kudos rule
        ({}, {"breaks": (20, 3, 15)}, ["autonomy"]),
        ({}, {"breaks": (5, 0, 5)}, ["recognition"]),  # too few prompts to read anything into
        (
            {
                "demands": "concern",
                "exhaustion": "concern",
                "resources": "concern",
                "accomplishment": "concern",
            },
            {"worsening": True},
            ["caseload", "documentation", "supervision"],
        ),
    ],
)
def test_action_rules(bands: dict[str, Band], kw: dict[str, object], expected: list[str]) -> None:
    assert levers(bands, **kw) == expected


def test_one_to_three_distinct_actions_whatever_the_bands() -> None:
    import itertools

    values: tuple[Band, ...] = ("ok", "watch", "concern")
    for combo in itertools.product(values, repeat=5):
        bands = dict(zip(OK, combo, strict=True))
        for worsening in (False, True):
            acts = suggest_actions(bands, worsening=worsening)
            assert 1 <= len(acts) <= 3
            assert len({a.lever for a in acts}) == len(acts)


def test_fallback_reason_differs_from_low_kudos_reason() -> None:
    low = suggest_actions(OK, kudos=0, members=8)[0]
    fine = suggest_actions(OK, kudos=5, members=8)[0]
    assert "Little recognition" in low.why and "Little recognition" not in fine.why


def test_exhaustion_worsening_needs_two_consecutive_rises_between_released_rounds() -> None:
    assert exhaustion_worsening(INSTRUMENT, [2.0, 2.5, 3.0])
    assert not exhaustion_worsening(INSTRUMENT, [2.0, 2.5])
    assert not exhaustion_worsening(INSTRUMENT, [2.0, 3.0, 2.9])
    assert not exhaustion_worsening(INSTRUMENT, [2.0, 2.02, 3.0])  # first step too small
    assert exhaustion_worsening(INSTRUMENT, [3.5, 2.0, 2.5, 3.0])  # only the last three count


def test_released_digest_reads_trend_with_gap_and_alert() -> None:
    d = released_team()
    assert not d.suppressed
    assert d.respondents == 7
    ex = next(line for line in d.dimensions if line.id == "exhaustion")
    assert ex.trend[2] is None  # the suppressed round is a gap, not a zero
    assert all(v is not None for i, v in enumerate(ex.trend) if i != 2)
    assert d.released_periods == (True, True, False, True, True, True)
    assert d.exhaustion_alert is not None
    assert 1 <= len(d.actions) <= 3
    assert d.kudos == 1 and d.breaks == (20, 4, 10)
    assert ex.change == pytest.approx(0.3)


def test_suppressed_digest_carries_no_figure() -> None:
    d = suppressed_team()
    assert d.suppressed and d.respondents is None and d.members is None
    assert d.dimensions == () and d.actions == () and d.kudos is None


def test_mixed_department_lists_withheld_teams_without_figures() -> None:
    d = mixed_department()
    assert d.kind == "department" and not d.suppressed
    withheld = [c for c in d.children if not c.released]
    assert {c.group_id for c in withheld} == {"harbour", "lighthouse"}
    assert all(c.respondents is None and c.exhaustion is None for c in withheld)


def test_first_round_has_no_change_and_no_alert() -> None:
    d = first_round()
    assert all(line.change is None for line in d.dimensions)
    assert d.exhaustion_alert is None
