"""Hostile text through the real Teams path: every outgoing payload is checked exactly.

The same strings as the Slack test (tests/data/hostile_strings.json) go in as Teams sends them:
typed into the kudos form (Action.Submit values, raw) and typed after an @mention in the team's
channel (message text, HTML-escaped by Teams, with mention entities). What reaches the fake
connector must carry no mention entity the bot did not build from a resolved id, no HTML, no
markdown link or formatting, no date function; the text shows exactly what was typed.
"""

from __future__ import annotations

import re
from typing import Any

from jsonschema import Draft6Validator

from bot.demo.bot_connector import ConnectorCall
from tests.support.card_schema import assert_valid, schema_validator
from tests.support.msteams_driver import aad
from tests.support.msteams_harness import TeamsHarness
from tests.support.msteams_kudos import (
    card_of,
    channel_posts,
    expected_mention,
    install,
    kudos_rows,
    kudos_teams,
    say_kudos,
    send_form,
    teams_literal,
)
from tests.support.slack_kudos import hostile_strings

__all__ = ["kudos_teams"]

HOSTILE = hostile_strings()
# Characters the neutral clean-up removes: controls and bidirectional overrides.
REMOVED = dict.fromkeys(map(ord, "\u0000\u0007\u202e\u202c"))
BOT_MENTION = re.compile(r"<at>Person \d</at>")
UNESCAPED = re.compile(r"(?<!\\)[\[\]()*_`~#|!]")


def cleaned(text: str) -> str:
    return text.translate(REMOVED).strip()


def strings_of(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in strings_of(value)]
    if isinstance(node, list):
        return [s for item in node for s in strings_of(item)]
    return []


def assert_safe(call: ConnectorCall, allowed: list[dict[str, Any]]) -> None:
    """Only the given bot-built mentions; no HTML, markdown or template syntax anywhere else."""
    body = call.body
    assert body.get("entities", []) == allowed
    text = body.get("text") or ""
    assert BOT_MENTION.sub("", text).count("<") == 0, text
    for block in card_of(call)["body"]:
        for value in strings_of(block):
            assert "<" not in value and ">" not in value, value
            assert "{{" not in value, value
            if block.get("type") == "TextBlock" and value == block.get("text"):
                # Every markdown character is escaped, so nothing can become a link or format.
                assert not UNESCAPED.search(value.replace("\\\\", "")), value


def expected_post(message: str, giver: int, recipient: int) -> dict[str, Any]:
    line = f"<at>Person {giver}</at> recognised <at>Person {recipient}</at>: other"
    return {
        "text": line,
        "entities": [expected_mention(giver), expected_mention(recipient)],
        "summary": "✨ Recognition",
        "body": [
            {
                "type": "TextBlock",
                "text": "✨ Recognition",
                "wrap": True,
                "size": "Medium",
                "weight": "Bolder",
                "style": "heading",
            },
            {"type": "TextBlock", "text": teams_literal(message), "wrap": True},
        ],
        # Plain text: shown as written, never as markdown.
        "fallbackText": (
            f"✨ Recognition\n@Person {giver} recognised @Person {recipient}: other\n{message}"
        ),
    }


def actual_post(call: ConnectorCall) -> dict[str, Any]:
    card = card_of(call)
    return {
        "text": call.body["text"],
        "entities": call.body["entities"],
        "summary": call.body["summary"],
        "body": card["body"],
        "fallbackText": card["fallbackText"],
    }


async def test_hostile_form_messages_reach_teams_as_literal_text(
    kudos_teams: TeamsHarness,
) -> None:
    h = kudos_teams
    await install(h)
    validator: Draft6Validator = schema_validator()
    for hostile in HOSTILE:
        before = len(channel_posts(h))
        await send_form(h, 1, [2], hostile)
        posts = channel_posts(h)
        assert len(posts) == before + 1, hostile
        post = posts[-1]
        assert actual_post(post) == expected_post(cleaned(hostile), 1, 2), hostile
        assert_safe(post, [expected_mention(1), expected_mention(2)])
        assert_valid(validator, card_of(post))
    stored = await kudos_rows(h)
    assert [k.message for k in stored] == [cleaned(s) for s in HOSTILE]

    # The recipient's private notes carry the same literal text and only the giver's mention.
    assert await h.deliver() == len(HOSTILE)
    notes = [
        c
        for c in h.connector.of("send", "reply")
        if card_of(c)["body"][0]["text"] == "You were recognised"
    ]
    assert len(notes) == len(HOSTILE)
    for note, hostile in zip(notes, HOSTILE, strict=True):
        assert note.body["text"] == "<at>Person 1</at> recognised you: other"
        assert card_of(note)["body"][1]["text"] == teams_literal(cleaned(hostile))
        assert_safe(note, [expected_mention(1)])
        assert_valid(validator, card_of(note))


async def test_hostile_text_after_a_channel_mention_reaches_teams_as_literal_text(
    kudos_teams: TeamsHarness,
) -> None:
    h = kudos_teams
    await install(h)
    for hostile in HOSTILE:
        before = len(channel_posts(h))
        await say_kudos(h, 3, [4], hostile, channel=True)
        posts = channel_posts(h)
        assert len(posts) == before + 1, hostile
        # The command's text is read as one line, like Slack's slash command text.
        message = cleaned(" ".join(hostile.split()))
        assert actual_post(posts[-1]) == expected_post(message, 3, 4), hostile
        assert_safe(posts[-1], [expected_mention(3), expected_mention(4)])
    # Nothing anyone typed produced a mention: every entity sent is one the bot built.
    for call in h.connector.of("send", "reply", "update"):
        for entity in call.body.get("entities") or []:
            if entity.get("type") == "mention":
                assert BOT_MENTION.fullmatch(entity["text"]), entity


async def test_hostile_display_names_cannot_forge_markup(kudos_teams: TeamsHarness) -> None:
    h = kudos_teams
    hostile_name = '<at>Boss</at> <b>x</b> & "q"'
    await install(h, names={2: hostile_name})
    await send_form(h, 1, [2], "Thank you.")
    [post] = channel_posts(h)
    escaped = '&lt;at&gt;Boss&lt;/at&gt; &lt;b&gt;x&lt;/b&gt; &amp; "q"'
    assert post.body["text"] == f"<at>Person 1</at> recognised <at>{escaped}</at>: other"
    assert post.body["entities"] == [
        expected_mention(1),
        {
            "type": "mention",
            "text": f"<at>{escaped}</at>",
            "mentioned": {"id": aad(2), "name": hostile_name},
        },
    ]
