"""Every digest variant through every renderer in German and Spanish: the words translated, the
numbers written as the locale writes them (a decimal comma), the HTML marked with its language,
and the withheld wording the same for every withheld group and free of any count."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.adapters.charts import MatplotlibCharts, render_trend
from bot.adapters.digest_html import digest_html
from bot.domain.digest import GroupDigest
from bot.domain.digest_present import digest_card, digest_json, trend_chart
from bot.domain.messages import Card, Image
from bot.infra.i18n import use_locale
from bot.platforms.console.render import card_text
from bot.platforms.msteams.activity import card_activity
from bot.platforms.msteams.render import adaptive_card
from bot.platforms.slack.render import message_blocks
from tests.support.card_schema import assert_valid, schema_validator
from tests.support.digest_variants import GAP, INSTRUMENT, VARIANTS

TEAMS_MESSAGE_LIMIT = 28_000
GENERATED = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)

# What each language must show, and English it must not.
WORDS: dict[str, dict[str, Any]] = {
    "de": {
        "released": ("Emotionale Erschöpfung", "Vorgeschlagene Maßnahmen", "Antwortende"),
        "participation": "Beteiligung:",
        "suppressed": ("Nicht genug Antworten",),
        "withheld": "nicht gezeigt",
        "alert": "zwei veröffentlichte Runden in Folge",
        "first": "erste berichtete Runde",
        "closed": "Runde geschlossen am 3. Dezember 2026",
        "chart": "Liniendiagramm",
    },
    "es": {
        "released": ("Agotamiento emocional", "Acciones sugeridas", "Participantes"),
        "participation": "Participación:",
        "suppressed": ("No hay suficientes respuestas",),
        "withheld": "no se muestra",
        "alert": "dos rondas publicadas seguidas",
        "first": "primera ronda publicada",
        "closed": "Ronda cerrada el 3 de diciembre de 2026",
        "chart": "Gráfico de líneas",
    },
}
ENGLISH = ("Respondents", "Suggested actions", "Not enough responses", "not shown", "Latest:")
DECIMAL_COMMA = re.compile(r"\d,\d\d")


def _card(digest: GroupDigest) -> Card:
    chart = trend_chart(INSTRUMENT, digest)
    image = (
        Image(MatplotlibCharts().trend_png(chart), chart.alt_text, chart.title) if chart else None
    )
    return digest_card(digest, image)


def _html(digest: GroupDigest) -> str:
    chart = trend_chart(INSTRUMENT, digest)
    rendered = render_trend(chart) if chart else None
    section = (digest, rendered, chart.alt_text if chart else None)
    return digest_html("Respite", [section], GENERATED)


def _everything(name: str) -> dict[str, str]:
    """One variant as each platform and format delivers it, in the current language."""
    digest = VARIANTS[name]()
    card = _card(digest)
    blocks = message_blocks(card)
    assert all(len(json.dumps(b)) < 3500 for b in blocks)
    teams = adaptive_card(card)
    assert_valid(schema_validator(), teams)
    assert len(json.dumps(card_activity(card).serialize())) < TEAMS_MESSAGE_LIMIT
    alt = card.image.alt_text if card.image else ""
    return {
        "slack": json.dumps(blocks, ensure_ascii=False) + alt,
        "teams": json.dumps(teams, ensure_ascii=False),
        "text": card_text(card, indent=""),
        "json": json.dumps(digest_json(digest), ensure_ascii=False),
        "html": _html(digest),
    }


@pytest.mark.parametrize("locale", ["de", "es"])
def test_a_released_digest_in_every_renderer(locale: str) -> None:
    words = WORDS[locale]
    with use_locale(locale):
        out = _everything("released")
    for renderer, text in out.items():
        for word in words["released"]:
            if word != words["released"][0] and renderer in ("json", "html"):
                continue  # the export names its figures by key; the page has its own headings
            assert word in text, (renderer, word)
        assert words["alert"] in text, renderer
        assert renderer == "json" or DECIMAL_COMMA.search(text), renderer
        for english in ENGLISH:
            assert english not in text, (renderer, english)
    assert f'<html lang="{locale}">' in out["html"]
    assert words["participation"] in out["html"] and words["released"][1] in out["html"]
    assert words["closed"] in out["html"]
    assert words["chart"] in out["html"] and GAP in out["html"]
    data = json.loads(out["json"])
    assert data["language"] == locale
    assert data["dimensions"]["exhaustion"]["mean"] == pytest.approx(4.1)  # numbers stay numbers
    assert data["dimensions"]["exhaustion"]["band"] in ("ok", "watch", "concern")  # keys stay


@pytest.mark.parametrize("locale", ["de", "es"])
def test_a_suppressed_digest_says_nothing_but_that_it_is_withheld(locale: str) -> None:
    with use_locale(locale):
        out = _everything("suppressed")
        card = digest_card(VARIANTS["suppressed"]())
    for renderer, text in out.items():
        assert WORDS[locale]["suppressed"][0] in text, renderer
        assert WORDS[locale]["released"][1] not in text, renderer
    # The only number a withheld digest shows is the minimum group size (5).
    said = card_text(card, indent="")
    assert set(re.findall(r"\d+", said.replace(VARIANTS["suppressed"]().period, ""))) == {"5"}


@pytest.mark.parametrize("locale", ["de", "es"])
def test_withheld_teams_of_a_department_read_alike(locale: str) -> None:
    with use_locale(locale):
        out = _everything("mixed_department")
        card = digest_card(VARIANTS["mixed_department"]())
    withheld = {f.label: f.value for f in card.fields if f.label in ("Harbour", "Lighthouse")}
    # Both withheld teams carry one wording, so neither says why, and neither a count.
    assert len(set(withheld.values())) == 1
    assert not re.search(r"\d", next(iter(withheld.values())))
    assert WORDS[locale]["withheld"] in next(iter(withheld.values()))
    assert ("9 von 9" if locale == "de" else "9 de 9") in out["text"]
    assert ("9 von 9" if locale == "de" else "9 de 9") in out["html"]


@pytest.mark.parametrize("locale", ["de", "es"])
def test_a_first_round_has_no_trend(locale: str) -> None:
    with use_locale(locale):
        out = _everything("first_round")
    assert WORDS[locale]["first"] in out["text"]
    assert " → " not in out["text"]
    assert 'class="trend"' not in out["html"]


def test_english_stays_the_default() -> None:
    out = _everything("released")
    assert '<html lang="en">' in out["html"]
    assert "Respondents: 7 of 9 (78%)" in out["text"]
    assert "Round closed December 3, 2026" in out["html"]
