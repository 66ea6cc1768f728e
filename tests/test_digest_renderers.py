"""Every digest variant through every renderer.

A renderer here takes a digest and its card (with the chart image attached) and returns what a
person would receive, as text for the checks below. To cover another platform, add it to
RENDERERS; the checks are the same for all.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from bot.adapters.charts import MatplotlibCharts, render_trend
from bot.adapters.digest_html import digest_html
from bot.domain.digest import GroupDigest
from bot.domain.digest_present import digest_card, digest_json, trend_chart
from bot.domain.messages import Card, Image
from bot.platforms.console.render import card_text
from bot.platforms.slack.render import message_blocks
from tests.support.digest_variants import GAP, INSTRUMENT, VARIANTS

Renderer = Callable[[GroupDigest, Card], str]
TEAMS_MESSAGE_LIMIT = 28_000


def _slack(_digest: GroupDigest, card: Card) -> str:
    blocks = message_blocks(card)
    assert blocks[0]["type"] == "header"
    assert all(len(json.dumps(b)) < 3500 for b in blocks)
    return json.dumps(blocks, ensure_ascii=False)


def _text(_digest: GroupDigest, card: Card) -> str:
    return card_text(card, indent="")


def _json(digest: GroupDigest, _card: Card) -> str:
    data = digest_json(digest)
    for key in ("team", "round", "suppressed", "respondents", "min_group_size", "dimensions"):
        assert key in data
    for dim in data["dimensions"].values():
        assert {"mean", "band", "change"} <= dim.keys()
    return json.dumps(data, ensure_ascii=False)


def _html(digest: GroupDigest, _card: Card) -> str:
    chart = trend_chart(INSTRUMENT, digest)
    rendered = render_trend(chart) if chart else None
    return digest_html(
        "Digest", [(digest, rendered, chart.alt_text if chart else None)], datetime.now(UTC)
    )


def _teams(_digest: GroupDigest, card: Card) -> str:
    from bot.platforms.msteams.activity import card_activity
    from bot.platforms.msteams.render import adaptive_card
    from tests.support.card_schema import assert_valid, schema_validator

    content = adaptive_card(card)
    assert_valid(schema_validator(), content)
    # Teams refuses a message over about 28 KB; the chart travels inside the card.
    assert len(json.dumps(card_activity(card).serialize())) < TEAMS_MESSAGE_LIMIT
    return json.dumps(content, ensure_ascii=False)


RENDERERS: dict[str, Renderer] = {
    "slack": _slack,
    "teams": _teams,
    "text": _text,
    "json": _json,
    "html": _html,
}


def _card(digest: GroupDigest) -> Card:
    chart = trend_chart(INSTRUMENT, digest)
    image = (
        Image(MatplotlibCharts().trend_png(chart), chart.alt_text, chart.title) if chart else None
    )
    return digest_card(digest, image)


@pytest.fixture(scope="module")
def cards() -> dict[str, tuple[GroupDigest, Card]]:
    return {name: (make(), _card(make())) for name, make in VARIANTS.items()}


@pytest.mark.parametrize("renderer", list(RENDERERS))
def test_released(renderer: str, cards: dict[str, tuple[GroupDigest, Card]]) -> None:
    digest, card = cards["released"]
    out = RENDERERS[renderer](digest, card)
    ex = next(line for line in digest.dimensions if line.id == "exhaustion")
    assert f"{ex.mean:.2f}" in out or str(ex.mean) in out
    assert "7" in out
    assert digest.actions[0].title in out
    assert "worsened two released rounds" in out
    if renderer != "json":
        assert GAP in out or "–" in out  # the gap shows as a gap
    assert card.image is not None and card.image.png.startswith(b"\x89PNG")
    assert GAP in card.image.alt_text


@pytest.mark.parametrize("renderer", list(RENDERERS))
def test_suppressed(renderer: str, cards: dict[str, tuple[GroupDigest, Card]]) -> None:
    digest, card = cards["suppressed"]
    out = RENDERERS[renderer](digest, card)
    assert "Not enough responses" in out
    assert "Respondents" not in out
    assert "Suggested actions" not in out
    # Earlier released rounds are not charted under a suppressed latest round.
    assert card.image is None
    if renderer == "json":
        data = json.loads(out)
        assert data["respondents"] is None and data["dimensions"] == {}


@pytest.mark.parametrize("renderer", list(RENDERERS))
def test_mixed_department(renderer: str, cards: dict[str, tuple[GroupDigest, Card]]) -> None:
    digest, card = cards["mixed_department"]
    out = RENDERERS[renderer](digest, card)
    assert "Adult Services" in out
    assert "Riverside Therapy" in out and "Harbour" in out and "Lighthouse" in out
    assert "9 of 9" in out or '"respondents": 9' in out
    assert "16" in out
    if renderer == "json":
        data = json.loads(out)
        assert data["department"] == "dept-a" and data["team"] is None
        withheld = [c for c in data["children"] if c["suppressed"]]
        assert len(withheld) == 2 and all(c["respondents"] is None for c in withheld)
    else:
        assert "not shown" in out


@pytest.mark.parametrize("renderer", list(RENDERERS))
def test_first_round(renderer: str, cards: dict[str, tuple[GroupDigest, Card]]) -> None:
    digest, card = cards["first_round"]
    out = RENDERERS[renderer](digest, card)
    assert "New Team" in out
    if renderer == "json":
        assert all(d["change"] is None for d in json.loads(out)["dimensions"].values())
    elif renderer == "html":
        assert 'class="trend"' not in out  # no trend table for a single round
    else:
        assert "first reported round" in out
        assert " → " not in out  # no trend line for a single round


def test_html_is_self_contained(cards: dict[str, tuple[GroupDigest, Card]]) -> None:
    digest, card = cards["released"]
    html = _html(digest, card)
    assert "data:image/png;base64," in html
    for needle in ("http://", "https://", "<script", "<link"):
        assert needle not in html
    assert "@media print" in html
