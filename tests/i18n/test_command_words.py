"""Command words in every shipped language: Teams shows and accepts them in the reader's
language, Slack shows the English words (fixed in its manifest) and accepts the others too."""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain.commands import ARGUMENTS, canonical, spellings, vocabulary
from bot.infra.i18n import LOCALES, use_locale
from handlers import router
from tests.support.msteams_harness import TeamsHarness
from tests.support.roster import CLINICIANS
from tests.support.slack_harness import SlackHarness
from tests.support.waiting import settle

U1, U2 = CLINICIANS[:2]
TEAMS_TITLE_LIMIT = 32  # a Teams command menu title


def _groups() -> dict[str, tuple[str, ...]]:
    """Each set of words read in one place: the umbrella's words, and each command's arguments."""
    return {"(umbrella)": tuple(router.SUBCOMMANDS), **ARGUMENTS}


@pytest.mark.parametrize("group", sorted(_groups()))
def test_no_word_reads_as_two_words_in_any_language(group: str) -> None:
    owner: dict[str, str] = {}
    for english in _groups()[group]:
        for spelled in spellings(english):
            assert owner.setdefault(spelled, english) == english, (
                f"{group}: {spelled!r} spells both {owner[spelled]!r} and {english!r}"
            )


def test_every_word_is_translated_as_one_short_word() -> None:
    words = {w for group in _groups().values() for w in group}
    assert words <= set(vocabulary())
    for locale in LOCALES:
        with use_locale(locale):
            for english, shown in vocabulary().items():
                assert shown and " " not in shown and len(shown) <= TEAMS_TITLE_LIMIT
                if locale != "en":
                    assert english in {"kudos", "status"} or shown != english, (locale, english)


def test_canonical_ignores_case_and_accents_and_knows_every_language() -> None:
    umbrella = tuple(router.SUBCOMMANDS)
    assert canonical("HILFE", umbrella) == canonical("ayuda", umbrella) == "help"
    assert canonical("Pausen", umbrella) == canonical("pausas", umbrella) == "breaks"
    assert canonical("zuruckziehen", ("withdraw",)) == "withdraw"
    assert canonical("Zurückziehen", ("withdraw",)) == "withdraw"
    assert canonical("Privacidad", umbrella) == "privacy"
    assert canonical("nonsense", umbrella) is None and canonical("", umbrella) is None


# Teams ---------------------------------------------------------------------------------------


async def _teams_say(h: TeamsHarness, text: str, locale: str, n: int = 1) -> dict[str, Any]:
    activity = h.teams.activity("message_text.json", n, text=text)
    activity["locale"] = locale
    before = len(h.connector.of("reply", "send"))
    assert (await h.teams.post(activity)).status == 200
    sent = h.connector.of("reply", "send")
    assert len(sent) > before
    card: dict[str, Any] = sent[-1].body["attachments"][0]["content"]
    return card


async def test_a_german_teams_user_types_hilfe_and_reads_german_words(
    teams_app: TeamsHarness,
) -> None:
    h = teams_app
    card = str(await _teams_say(h, "hilfe", "de-DE"))
    assert "Respite hilft Ihrem Team, Burnout zu erkennen und zu lindern" in card
    assert "• pausen:" in card and "• datenschutz:" in card and "• breaks:" not in card
    assert "• einchecken:" in card and "• sprache:" in card
    assert "status, ein, aus, um, arbeitszeit, pausieren" in card and "(einchecken)" in card
    assert "aus oder ein: ob" in card

    german = await _teams_say(h, "pausen status", "de-DE")
    english = await _teams_say(h, "breaks status", "de-DE")
    assert german == english
    assert str(await _teams_say(h, "Pausen Status", "de-DE")) == str(english)

    unknown = str(await _teams_say(h, "tanzen", "de-DE"))
    assert "Ich kenne „tanzen“ nicht" in unknown and "pausen" in unknown

    spanish = str(await _teams_say(h, "ayuda", "es-ES", n=2))
    assert "• pausas:" in spanish and "• privacidad:" in spanish
    english_help = str(await _teams_say(h, "help", "en-GB", n=2))
    assert "• pausas:" not in english_help


# Slack ---------------------------------------------------------------------------------------


async def _slack_say(h: SlackHarness, text: str, user: str) -> str:
    before = len(h.fake.responses)
    assert (await h.slack.slash("/respite", text, user)).status == 200
    await settle(h.respite)
    assert len(h.fake.responses) > before
    return str(h.fake.responses[-1])


async def test_a_spanish_slack_user_may_type_ayuda_and_reads_english_words(
    slack_app: SlackHarness,
) -> None:
    h = slack_app
    await _slack_say(h, "language es", U1)
    shown = await _slack_say(h, "ayuda", U1)
    assert shown == await _slack_say(h, "help", U1)
    assert "/respite breaks:" in shown and "/respite pausas" not in shown
    assert "status, on, off, at, hours" in shown and "off / on: si" in shown
    assert "Respite ayuda a su equipo a detectar" in shown
    unknown = await _slack_say(h, "bailar", U1)
    assert "No conozco «bailar»" in unknown and "breaks" in unknown and "pausas" not in unknown

    english = await _slack_say(h, "dance", U2)
    assert "I don't know “dance”" in english and "Try one of: breaks, checkin" in english
