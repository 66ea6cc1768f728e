"""The translation tables: Teams activities to events, and cards to safe Adaptive Card text."""

from __future__ import annotations

from typing import Any

import pytest
from botbuilder.schema import Activity

from bot.domain.events import ButtonPress, Command, FormSubmission, Outcome, Reply
from bot.domain.messages import Card, Mention, Paragraph, text_card
from bot.platforms.msteams import inbound
from bot.platforms.msteams.activity import card_activity
from bot.platforms.msteams.render import escape_markdown, mention_entity, render
from handlers import router
from handlers.deps import Deps
from tests.support.msteams_driver import BOT_ID, TEAM_ID, aad, load, member
from tests.support.msteams_harness import TeamsHarness


def _activity(name: str, **changes: Any) -> Activity:
    data = load(name)
    data.update(changes)
    return Activity().deserialize(data)


def test_text_becomes_a_command_with_actor_and_timezone() -> None:
    event = inbound.translate(_activity("message_text.json", text="checkin"))
    assert isinstance(event, Command)
    assert event.name == "checkin"
    assert event.actor.user_id == "6f1c4a2e-0b7d-4e57-9a8c-1d2e3f4a5b61"  # the AAD object id
    assert event.actor.timezone == "Europe/London"
    word = inbound.translate(_activity("message_text.json", text="privacy now"))
    assert isinstance(word, Command) and (word.name, word.args) == ("respite", "privacy now")


def test_channel_mention_of_the_bot_is_stripped() -> None:
    event = inbound.translate(_activity("channel_mention.json"))
    assert isinstance(event, Command) and event.name == "checkin" and event.args == ""


def test_only_a_one_to_one_chat_is_private() -> None:
    """A channel or group chat shows the command's text to others; handlers refuse secrets there."""
    personal = inbound.translate(_activity("message_text.json", text="breaks status"))
    channel = inbound.translate(_activity("channel_mention.json"))
    group = load("channel_mention.json")
    group["conversation"].update(conversationType="groupChat", id="19:group@thread.v2")
    in_group = inbound.translate(Activity().deserialize(group))
    assert isinstance(personal, Command) and personal.private is True
    assert isinstance(channel, Command) and channel.private is False
    assert isinstance(in_group, Command) and in_group.private is False


def test_other_mentions_are_kept_apart_from_the_bot_mention() -> None:
    activity = _activity(
        "channel_mention.json",
        text="<at>Respite</at> kudos <at>Ben</at> for covering",
        entities=[
            {"type": "mention", "text": "<at>Respite</at>", "mentioned": {"id": BOT_ID}},
            {
                "type": "mention",
                "text": "<at>Ben</at>",
                "mentioned": {"id": "29:ben", "name": "Ben"},
            },
        ],
    )
    others, marked = inbound.mentions(activity)
    assert marked == ["<at>Respite</at>", "<at>Ben</at>"]
    assert [m.teams_user_id for m in others] == ["29:ben"]
    assert inbound.command_text(activity) == "kudos for covering"


def test_submit_value_becomes_a_form_submission_and_buttons_a_press() -> None:
    submit = inbound.translate(_activity("message_submit.json"))
    assert isinstance(submit, FormSubmission)
    assert submit.form_id == "pulse" and submit.context == "harbour"
    assert dict(submit.values) == {"drained": "4", "recharged": "2"}
    press = inbound.translate(
        _activity(
            "message_submit.json",
            value={"respite_action": "checkin.start", "respite_value": "harbour"},
        )
    )
    assert isinstance(press, ButtonPress) and press.action_id == "checkin.start"
    assert press.value == "harbour"


async def test_a_word_added_later_and_mentions_reach_its_handler(
    teams_app: TeamsHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A feature adding a word to the routing tables works on Teams with no adapter change."""
    seen: list[Command] = []

    async def kudos(deps: Deps, command: Command) -> Outcome:
        seen.append(command)
        return Reply(text_card("Kudos sent"))

    monkeypatch.setitem(router.SUBCOMMANDS, "applaud", kudos)
    teams_app.connector.team_members[TEAM_ID] = [member(2, "Ben")]
    activity = teams_app.teams.activity(
        "channel_mention.json",
        1,
        text="<at>Respite</at> applaud <at>Ben</at> thanks for covering",
    )
    activity["entities"] = [
        {
            "type": "mention",
            "text": "<at>Respite</at>",
            "mentioned": {"id": BOT_ID, "name": "Respite"},
        },
        {
            "type": "mention",
            "text": "<at>Ben</at>",
            "mentioned": {"id": member(2)["id"], "name": "Ben"},
        },
    ]
    assert (await teams_app.teams.post(activity)).status == 200
    assert len(seen) == 1
    assert seen[0].name == "applaud"
    assert seen[0].args == "thanks for covering"
    assert seen[0].mentions == (aad(2),)  # resolved to the AAD object id through Teams


def test_text_cannot_inject_markup_links_or_mentions() -> None:
    hostile = "<at>Everyone</at> **bold** [click](https://evil.example) _x_ {{DATE(x)}}\n- item"
    escaped = escape_markdown(hostile)
    assert "<at>" not in escaped and "<" not in escaped
    assert "[click](" not in escaped and "\\[click\\]\\(" in escaped
    assert "**" not in escaped and "{{" not in escaped
    assert "\n\\- item" in escaped
    message = render(
        Card(title="t", blocks=(Paragraph(("Hi <at>x</at> ", Mention(aad(1), "Ana"))),))
    )
    assert message.text == "Hi &lt;at&gt;x&lt;/at&gt; <at>Ana</at>"
    assert message.entities == (
        {"type": "mention", "text": "<at>Ana</at>", "mentioned": {"id": aad(1), "name": "Ana"}},
    )
    activity = card_activity(Card(title="t", blocks=(Paragraph((Mention(aad(1), "Ana"),)),)))
    assert activity.text_format == "xml" and activity.entities[0].type == "mention"


def test_mentions_are_built_only_from_resolved_ids() -> None:
    with pytest.raises(ValueError):
        mention_entity(Mention("Ana Lopez", "Ana"))
    assert mention_entity(Mention("29:1abc", "Ana"))["mentioned"]["id"] == "29:1abc"
