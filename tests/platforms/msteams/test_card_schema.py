"""Every card the bot sends to Teams validates against the official Adaptive Cards 1.5 schema.

The schema is read from ../shared/schemas (beside the project), or from the copy under
tests/data/schemas when that folder is absent. Cards are collected from what the bot really
sends through the fake connector over a whole round (form, errors, thanks, already answered, help,
privacy, digest, invitations, reminders, unknown words, expired buttons and forms, the welcome and
the channel note), plus every card builder of the domain and a card using every model feature.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from jsonschema import Draft6Validator

from bot.domain.digest_present import digest_card
from bot.domain.messages import (
    Button,
    Card,
    Choice,
    Field,
    Form,
    Image,
    Mention,
    Paragraph,
    Question,
    TextInput,
    text_card,
)
from bot.domain.pulse import (
    already_answered_card,
    invitation_card,
    no_team_card,
    pulse_card,
    reminder_card,
    thanks_card,
)
from bot.platforms.msteams.activity import card_activity
from bot.platforms.msteams.bot import PRIVATE_NOTE, SORRY
from bot.platforms.msteams.render import adaptive_card, form_errors_card
from scheduler import pulse
from tests.support.card_schema import assert_valid, schema_validator
from tests.support.msteams_driver import TEAM_ID, aad, member
from tests.support.msteams_harness import LEAD, MEMBERS, TeamsHarness
from tests.support.pulse_answers import ANSWERS

PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


@pytest.fixture(scope="module")
def validator() -> Draft6Validator:
    return schema_validator()


def kitchen_sink() -> Card:
    return Card(
        title="Everything *at once* <at>nobody</at>",
        blocks=(
            "Plain text with [a link](https://evil.example) and {{DATE(2026-01-01T00:00:00Z)}}",
            Paragraph(("Thanks ", Mention(aad(1), "Ana <b>Lopez</b>"), " for covering!")),
        ),
        fields=(Field("Respondents", "6 of 8 (75%)"), Field("Mood", "**fine**")),
        questions=(Question("q1", "How was it?", (Choice("1", "Bad"), Choice("2", "Good"))),),
        inputs=(
            TextInput("msg", "Message", placeholder="Say thanks", multiline=True),
            TextInput("opt", "Optional", required=False),
        ),
        buttons=(
            Button("go", "Go", value="x", style="primary"),
            Button("stop", "Stop", style="danger"),
            Button("plain", "Plain"),
        ),
        form=Form("kudos", "Send", context="ctx"),
        note="A note",
        image=Image(PNG_1PX, "A chart of the team's trend", title="Trend"),
    )


def domain_cards() -> list[Card]:
    from bot.config import load_instrument, parse_roster
    from tests.support.msteams_harness import teams_roster

    team = parse_roster(teams_roster()).team_list[0]
    instrument = load_instrument()
    from tests.support.digest_variants import VARIANTS

    digests = [digest_card(make()) for make in VARIANTS.values()]
    return [
        *digests,
        pulse_card(instrument, team),
        invitation_card(team, "Thursday 03 Dec, 10:00"),
        reminder_card(team, "Thursday 03 Dec, 10:00"),
        thanks_card(team, True),
        thanks_card(team, False),
        already_answered_card(),
        no_team_card(),
        form_errors_card({"caseload": "Please choose an answer."}),
        PRIVATE_NOTE,
        SORRY,
        text_card("Hello", "World", note="n"),
        kitchen_sink(),
    ]


def test_domain_cards_validate(validator: Draft6Validator) -> None:
    for card in domain_cards():
        assert_valid(validator, adaptive_card(card))
        activity = card_activity(card)
        assert activity.attachments[0].content_type == "application/vnd.microsoft.card.adaptive"


def test_the_schema_is_really_applied(validator: Draft6Validator) -> None:
    broken = adaptive_card(text_card("Hi"))
    broken["body"][0]["type"] = "Marquee"
    assert list(validator.iter_errors(broken))
    teams_only = dict(adaptive_card(text_card("Hi")), msteams={"width": "Full"})
    assert list(validator.iter_errors(teams_only))


async def test_every_card_sent_in_a_round_validates(
    teams_app: TeamsHarness, validator: Draft6Validator
) -> None:
    h = teams_app
    h.connector.team_members[TEAM_ID] = [member(n) for n in MEMBERS]
    await h.teams.post(h.teams.activity("conversation_update_team.json"))
    await h.teams.post(h.teams.activity("installation_update.json", LEAD))
    await pulse.open_round(h.respite.deps, "harbour")
    await h.deliver()  # invitations, through new 1:1 chats
    form_data = {"respite_form": "pulse", "respite_context": "harbour"}
    for n in MEMBERS[:6]:
        await h.teams.say(n, "checkin")
        await h.teams.submit(n, form_data, ANSWERS, f"form-{n}")
    await h.teams.submit(1, form_data, ANSWERS, "form-1")  # already answered
    await h.teams.submit(7, form_data, {"drained": "9"}, "form-7")  # errors
    for word in ("help", "privacy", "digest", "nonsense"):
        await h.teams.say(7, word)
    await h.teams.post(
        h.teams.activity("message_text.json", 7, value={"respite_action": "gone.button"})
    )
    await h.teams.post(h.teams.activity("message_text.json", 7, value={"respite_form": "gone"}))
    await h.teams.post(h.teams.activity("channel_mention.json", 8))
    h.clock.advance(timedelta(hours=49))
    await pulse.tick(h.respite.deps)  # reminders
    await h.deliver()  # before the close: a frozen week's reminders leave the outbox
    h.clock.advance(timedelta(hours=24))
    await pulse.tick(h.respite.deps)  # close and digest
    await h.deliver()
    await h.teams.say(LEAD, "digest")

    cards = h.connector.cards()
    titles = {c["body"][0]["text"] for c in cards}
    for expected in (
        "Weekly check-in",
        "Thank you",
        "You've already checked in this week",
        "Nothing was saved yet",
        "Your privacy in Respite",
        "That button has expired",
        "That form has expired",
        "I've replied in our private chat",
        "Time for this week's one-minute check-in",
        "A gentle reminder: this week's check-in closes soon",
    ):
        assert expected in titles, (expected, sorted(titles))
    assert any(t.startswith("Respite digest") for t in titles)
    assert len(cards) > 30
    for card in cards:
        assert_valid(validator, card)
