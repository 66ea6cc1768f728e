"""Kudos cards on Teams without the network: pickers, names for mentions, picker submissions."""

from __future__ import annotations

from datetime import UTC, datetime

from botbuilder.schema import Activity

from bot.config import parse_roster
from bot.domain.events import FormSubmission
from bot.domain.kudos import Kudos
from bot.domain.kudos_cards import (
    channel_card,
    form_card,
    names_card,
    no_channel_card,
    not_allowed_card,
    recipient_card,
    sent_card,
    usage_card,
    withdrawn_card,
)
from bot.domain.messages import Card, Mention, Paragraph, Platform
from bot.platforms.msteams.activity import card_activity
from bot.platforms.msteams.inbound import translate
from bot.platforms.msteams.render import People, render
from tests.support.card_schema import assert_valid, schema_validator
from tests.support.msteams_driver import aad, load
from tests.support.msteams_harness import teams_roster

TEAM = parse_roster(teams_roster(kudos_channel="19:general@thread.tacv2")).team_list[0]
KUDOS = Kudos(
    id="abc123",
    team_id=TEAM.id,
    platform=Platform.TEAMS,
    recipients=(aad(2), aad(3)),
    category="support",
    message="Thank you",
    anonymous=False,
    giver_id=aad(1),
    giver_tag=None,
    created_at=datetime(2026, 11, 30, 9, tzinfo=UTC),
    channel_id="19:general@thread.tacv2",
)
PEOPLE = People(
    names={aad(1): "Ana", aad(2): "Ben", aad(3): "Cy"},
    choices=((aad(2), "Ben"), (aad(3), "Cy")),
)


def test_every_kudos_card_validates_with_and_without_people() -> None:
    validator = schema_validator()
    cards: list[Card] = [
        form_card(TEAM),
        channel_card(KUDOS),
        recipient_card(KUDOS),
        sent_card(KUDOS),
        names_card(True),
        names_card(False),
        no_channel_card(TEAM),
        not_allowed_card(),
        usage_card(),
        withdrawn_card(),
    ]
    for card in cards:
        for people in (None, People(), PEOPLE):
            assert_valid(validator, render(card, people).card)


def test_mentions_are_named_from_people_and_unknown_ones_stay_generic() -> None:
    message = render(channel_card(KUDOS), People(names={aad(1): "Ana", aad(2): "Ben"}))
    assert (
        message.text == "<at>Ana</at> recognised <at>Ben</at> and <at>colleague</at>: supported me"
    )
    assert [e["mentioned"] for e in message.entities] == [
        {"id": aad(1), "name": "Ana"},
        {"id": aad(2), "name": "Ben"},
        {"id": aad(3), "name": "colleague"},
    ]
    assert "@Ana recognised @Ben" in message.card["fallbackText"]
    # A name the handler gave is kept.
    named = Card("t", blocks=(Paragraph((Mention(aad(1), "Dr Ana"),)),))
    assert render(named, PEOPLE).text == "<at>Dr Ana</at>"


def test_picker_is_a_multi_select_of_the_people_offered() -> None:
    card = render(form_card(TEAM), PEOPLE).card
    picker = next(b for b in card["body"] if b.get("id") == "recipients")
    assert picker == {
        "type": "Input.ChoiceSet",
        "id": "recipients",
        "label": "Who would you like to recognise?",
        "style": "compact",
        "isMultiSelect": True,
        "isRequired": True,
        "errorMessage": "Please choose someone.",
        "choices": [{"title": "Ben", "value": aad(2)}, {"title": "Cy", "value": aad(3)}],
    }
    activity = card_activity(form_card(TEAM), PEOPLE)
    assert activity.attachments[0].content == card


def test_picker_choices_arrive_as_space_separated_ids() -> None:
    raw = load("message_submit.json")
    raw["value"] = {
        "respite_form": "kudos",
        "respite_context": TEAM.id,
        "respite_pickers": "recipients",
        "recipients": f"{aad(2)},{aad(3)}",
        "message": "a, b, c",
    }
    event = translate(Activity().deserialize(raw))
    assert isinstance(event, FormSubmission)
    assert event.values == {"recipients": f"{aad(2)} {aad(3)}", "message": "a, b, c"}
