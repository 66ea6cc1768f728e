"""A Slack message's top-level `text` (what notifications and screen readers read) names people
as Slack mentions built from user ids, while user text stays escaped and can mention no one."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.domain.messages import Card, Field, Mention, Paragraph
from bot.platforms.msteams.activity import card_activity
from bot.platforms.slack.render import fallback_text
from tests.support.roster import CLINICIANS, roster_data
from tests.support.slack_harness import SlackHarness
from tests.support.slack_kudos import KUDOS_CHANNEL, channel_posts, slack_escape, slash

GIVER, ANA = CLINICIANS[0], CLINICIANS[1]
# Typed in Slack, then sent escaped as Slack sends its reserved characters.
TYPED = "<@W0BAD0001> <!here> <!subteam^S0123|@all> & thanks"


@pytest.fixture
def harness_roster() -> dict[str, Any]:
    return roster_data(kudos_channel=KUDOS_CHANNEL, kudos_daily_limit=50)


def test_mentions_in_the_fallback_are_slack_mentions() -> None:
    card = Card(
        title="You were recognised",
        blocks=(Paragraph((Mention("W111", "Ana"), " recognised you: cover")), "<@U999> & co"),
        fields=(Field("<!here>", "a > b"),),
        note="<!channel>",
    )
    assert fallback_text(card) == (
        "You were recognised\n<@W111> recognised you: cover\n&lt;@U999&gt; &amp; co\n"
        "&lt;!here&gt;: a &gt; b\n&lt;!channel&gt;"
    )


def test_a_fallback_mention_needs_a_well_formed_id() -> None:
    card = Card(title="t", blocks=(Paragraph((Mention("U001>|<!channel"),)),))
    with pytest.raises(ValueError, match="not a Slack user id"):
        fallback_text(card)


def test_teams_and_the_console_get_no_slack_syntax() -> None:
    card = Card(title="t", blocks=(Paragraph((Mention("29:1abc", "Ana"), " recognised you")),))
    assert card.fallback == "t\n@Ana recognised you"
    assert "<@" not in json.dumps(card_activity(card).serialize())


async def test_kudos_notifications_mention_people_and_never_the_message(
    slack_app: SlackHarness,
) -> None:
    sent = await slash(slack_app, f"<@{ANA}|ana> {slack_escape(TYPED)}", GIVER)
    assert sent["text"].startswith(f"Kudos sent\nYour recognition of <@{ANA}> is posted.\n")
    [post] = channel_posts(slack_app)
    message = slack_escape(TYPED)
    assert post.params["text"] == (
        f"✨ Recognition\n<@{GIVER}> recognised <@{ANA}>: other\n{message}"
    )
    assert await slack_app.deliver() == 1
    dm = slack_app.fake.called("chat.postMessage")[-1]
    assert dm.params["channel"] == ANA
    assert dm.params["text"].startswith(
        f"You were recognised\n<@{GIVER}> recognised you: other\n{message}\n"
    )
    for text in (sent["text"], post.params["text"], dm.params["text"]):
        assert text.count("<") == text.count("<@"), text
        assert "<@W0BAD0001" not in text and "<!" not in text
