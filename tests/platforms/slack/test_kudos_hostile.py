"""Hostile text through the real Slack path: every outgoing payload is checked exactly.

The strings live in tests/data/hostile_strings.json so other platforms' tests can feed the same
list. A kudos message must reach Slack escaped (`&`, `<`, `>`), with no broadcast, no user-group
ping, no disguised link; the only mentions are those the bot built from resolved user ids.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from bot.domain.messages import Card, Field, Mention, Paragraph
from bot.platforms.slack.render import message_blocks
from tests.support.fakes.slack_api import Call
from tests.support.roster import CLINICIANS, roster_data
from tests.support.slack_harness import SlackHarness
from tests.support.slack_kudos import (
    KUDOS_CHANNEL,
    channel_posts,
    hostile_strings,
    kudos_rows,
    open_form,
    slack_escape,
    slash,
)

GIVER, ANA = CLINICIANS[0], CLINICIANS[1]
HOSTILE = hostile_strings()
# Characters the neutral clean-up removes: controls and bidirectional overrides.
REMOVED = dict.fromkeys(map(ord, "\u0000\u0007\u202e\u202c"))
ANGLE = re.compile(r"<[^>]*>")


def cleaned(text: str) -> str:
    return text.translate(REMOVED).strip()


@pytest.fixture
def harness_roster() -> dict[str, Any]:
    return roster_data(kudos_channel=KUDOS_CHANNEL, kudos_daily_limit=50)


def all_text(params: dict[str, Any]) -> list[str]:
    """Every string Slack would parse as text in a chat.postMessage call."""
    found = [params.get("text", "")]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    found.append(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(params.get("blocks", []))
    return found


def assert_safe(call: Call, allowed: set[str]) -> None:
    for text in all_text(call.params):
        for markup in ANGLE.findall(text):
            assert markup in {f"<@{u}>" for u in allowed}, (markup, text)
        assert "<!" not in text and "<http" not in text and "<mailto" not in text


def expected_channel_payload(message: str) -> dict[str, Any]:
    return {
        "text": f"✨ Recognition\n<@{GIVER}> recognised <@{ANA}>: other\n" + slack_escape(message),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "✨ Recognition"}},
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"<@{GIVER}> recognised <@{ANA}>: other",
                    "verbatim": True,
                },
            },
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": slack_escape(message), "verbatim": True},
            },
        ],
    }


def posted(call: Call) -> dict[str, Any]:
    return {"text": call.params["text"], "blocks": call.params["blocks"]}


@pytest.mark.parametrize("hostile", HOSTILE)
async def test_hostile_text_from_the_form(slack_app: SlackHarness, hostile: str) -> None:
    view = await open_form(slack_app, GIVER)
    values = {"recipients": ANA, "category": "other", "visibility": "named", "message": hostile}
    body = await (await slack_app.slack.submit(view, values, GIVER)).json()
    assert body["response_action"] == "update", body
    [post] = channel_posts(slack_app)
    assert posted(post) == expected_channel_payload(cleaned(hostile))
    assert_safe(post, {GIVER, ANA})
    # The recipient's private note carries the same text, just as safely.
    assert await slack_app.deliver() == 1
    dm = slack_app.fake.called("chat.postMessage")[-1]
    assert dm.params["channel"] == ANA
    assert {"type": "mrkdwn", "text": slack_escape(cleaned(hostile)), "verbatim": True} in [
        b.get("text") for b in dm.params["blocks"]
    ]
    assert_safe(dm, {GIVER})
    [row] = await kudos_rows(slack_app)
    assert row.message == cleaned(hostile)


@pytest.mark.parametrize("hostile", HOSTILE)
async def test_hostile_text_typed_in_a_slash_command(slack_app: SlackHarness, hostile: str) -> None:
    """As Slack sends typed text: its three reserved characters arrive escaped."""
    await slash(slack_app, f"<@{ANA}|ana> {slack_escape(hostile)}", GIVER)
    [post] = channel_posts(slack_app)
    assert posted(post) == expected_channel_payload(cleaned(hostile))
    assert_safe(post, {GIVER, ANA})


@pytest.mark.parametrize("hostile", HOSTILE)
async def test_slack_markup_in_a_slash_command(slack_app: SlackHarness, hostile: str) -> None:
    """As Slack sends its own markup (a typed @here becomes `<!here>`): never passed through."""
    reply = await slash(slack_app, f"<@{ANA}> {hostile}", GIVER)
    if "<@U0BAD0001" in hostile:
        # A mention is a recipient, and this one is not on the team.
        assert "not on it" in reply["text"]
        assert channel_posts(slack_app) == []
        return
    [post] = channel_posts(slack_app)
    assert_safe(post, {GIVER, ANA})
    assert post.params["blocks"][1]["text"]["text"] == f"<@{GIVER}> recognised <@{ANA}>: other"


async def test_markup_becomes_readable_words(slack_app: SlackHarness) -> None:
    await slash(
        slack_app,
        f"<@{ANA}> <!here> <!subteam^S0123ABCD|@clinicians> <http://evil.example|innocent> "
        "<#C0GENERAL|general> &amp;lt;!channel&amp;gt;",
        GIVER,
    )
    [post] = channel_posts(slack_app)
    assert post.params["blocks"][2]["text"]["text"] == (
        "@here @clinicians innocent (http://evil.example) #general &amp;lt;!channel&amp;gt;"
    )


def test_mentions_only_from_well_formed_ids() -> None:
    card = Card(title="t", blocks=(Paragraph(("hi ", Mention("U001>|<!channel"))),))
    with pytest.raises(ValueError, match="not a Slack user id"):
        message_blocks(card)


def test_fields_are_escaped_once() -> None:
    blocks = message_blocks(Card(title="t", fields=(Field("A & B", "<!here>"),)))
    assert json.dumps(blocks[-1]).count("&amp;") == 1
    assert blocks[-1]["fields"][0]["text"] == "*A &amp; B*\n&lt;!here&gt;"
