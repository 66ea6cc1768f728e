"""Slack command text to neutral text and mentions."""

from __future__ import annotations

import pytest

from bot.platforms.slack.inbound import split_mentions


@pytest.mark.parametrize(
    ("text", "plain", "mentions"),
    [
        ("<@U001> <@U002|ben> cover thanks", "cover thanks", ("U001", "U002")),
        ("thanks <@W0ABC> and <@U001>, again <@U001>", "thanks and , again", ("W0ABC", "U001")),
        ("a &amp; b &lt;c&gt;", "a & b <c>", ()),
        ("&amp;lt;!here&amp;gt;", "&lt;!here&gt;", ()),
        ("<!channel> <!here|here> <!everyone>", "@channel here @everyone", ()),
        ("<!subteam^S0123|@clinicians> <!subteam^S0123>", "@clinicians @group", ()),
        (
            "<http://evil.example|innocent> <https://ok.example>",
            "innocent (http://evil.example) https://ok.example",
            (),
        ),
        ("<#C0123|general> <@not-an-id>", "#general @not-an-id", ()),
    ],
)
def test_split_mentions(text: str, plain: str, mentions: tuple[str, ...]) -> None:
    assert split_mentions(text) == (plain, mentions)
