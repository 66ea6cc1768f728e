"""The words Slack's and Teams' own views carry (a modal's Close and Cancel, a form's error
messages, apologies) come in the reader's language, and every translation fits its platform."""

from __future__ import annotations

import json

import pytest

from bot.domain.commands import vocabulary
from bot.domain.messages import Card, translated
from bot.infra.i18n import LOCALES, _, use_locale
from bot.platforms.msteams.bot import NOT_SAVED as TEAMS_NOT_SAVED
from bot.platforms.msteams.bot import PRIVATE_NOTE, SORRY
from bot.platforms.msteams.render import form_errors_card
from bot.platforms.slack import render as slack_render
from bot.platforms.slack.app import UNSHOWN, moved_to_messages
from bot.platforms.slack.submission_budget import NOT_SAVED, NOT_SAVED_CARD
from tests.support.msteams_harness import TeamsHarness
from tests.support.roster import CLINICIANS
from tests.support.slack_harness import SlackHarness
from tests.support.waiting import settle

U1 = CLINICIANS[0]
SLACK_VIEW_LABEL = 24  # a modal's title, submit and close (Block Kit)
SLACK_PLACEHOLDER = 150  # a select's placeholder (Block Kit)
SLACK_FIELD_ERROR = 150  # what `form_errors` keeps of a field's error
TEAMS_TITLE = 32  # a Teams command menu title


@pytest.mark.parametrize("locale", LOCALES)
def test_every_translation_fits_its_platform(locale: str) -> None:
    with use_locale(locale):
        for label in (slack_render.CLOSE, slack_render.CANCEL, "Submit"):
            assert len(_(label)) <= SLACK_VIEW_LABEL, (locale, _(label))
        for placeholder in (slack_render.CHOOSE_PEOPLE, slack_render.CHOOSE_PERSON):
            assert len(_(placeholder)) <= SLACK_PLACEHOLDER
        assert len(_(NOT_SAVED)) <= SLACK_FIELD_ERROR
        assert all(len(word) <= TEAMS_TITLE for word in vocabulary().values())


@pytest.mark.parametrize("locale", ["de", "es"])
def test_the_platforms_ready_cards_are_translated(locale: str) -> None:
    cards: list[Card] = [SORRY, PRIVATE_NOTE, UNSHOWN, NOT_SAVED_CARD]
    with use_locale(locale):
        for card in cards:
            shown = translated(card)
            assert shown.title != card.title and shown.blocks != card.blocks
        assert _(TEAMS_NOT_SAVED) != TEAMS_NOT_SAVED
        two = moved_to_messages((Card("a"), Card("b")))
        assert "2" in str(two.blocks[0]) and "Respite" in two.title
        refused = form_errors_card({"caseload": "x", "sleep": "y"})
        assert refused.title != "Nothing was saved yet" and str(refused.blocks[0]).startswith("2 ")


# Through the real paths ------------------------------------------------------------------------


async def test_a_german_slack_users_check_in_modal_says_abbrechen(slack_app: SlackHarness) -> None:
    h = slack_app
    before = len(h.fake.responses)
    assert (await h.slack.slash("/respite", "sprache de", U1)).status == 200
    await settle(h.respite)
    assert len(h.fake.responses) > before
    assert "Sprache: Deutsch" in str(h.fake.responses[-1])

    opened = len(h.fake.called("views.open"))
    assert (await h.slack.slash("/checkin", "", U1)).status == 200
    await settle(h.respite)
    assert len(h.fake.called("views.open")) > opened
    view = h.fake.called("views.open")[-1].params["view"]
    view = view if isinstance(view, dict) else json.loads(view)
    assert view["close"]["text"] == "Abbrechen" and view["submit"]["text"] == "Absenden"

    # The same card for an English reader is rendered apart, not taken from the German cache.
    opened = len(h.fake.called("views.open"))
    assert (await h.slack.slash("/checkin", "", CLINICIANS[1])).status == 200
    await settle(h.respite)
    assert len(h.fake.called("views.open")) > opened
    english = h.fake.called("views.open")[-1].params["view"]
    english = english if isinstance(english, dict) else json.loads(english)
    assert english["close"]["text"] == "Cancel"


async def test_a_spanish_teams_users_form_speaks_spanish(teams_app: TeamsHarness) -> None:
    h = teams_app
    activity = h.teams.activity("message_text.json", 1, text="chequeo")
    activity["locale"] = "es-MX"
    assert (await h.teams.post(activity)).status == 200
    form = h.connector.of("reply", "send")[-1].body["attachments"][0]["content"]
    inputs = [e for e in form["body"] if e.get("type") == "Input.ChoiceSet"]
    assert inputs and all(e["errorMessage"] == "Elija una respuesta, por favor." for e in inputs)
