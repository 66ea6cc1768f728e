"""Anonymous kudos through the Slack path, on SQLite and PostgreSQL: what the quota keeps of the
giver is given back when the post fails, and the giver can still take the kudos back."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.roster import CLINICIANS, roster_data
from tests.support.slack_harness import SlackHarness
from tests.support.slack_kudos import KUDOS_CHANNEL, button_value, kudos_rows, slash

GIVER, ANA = CLINICIANS[0], CLINICIANS[1]


@pytest.fixture
def harness_roster() -> dict[str, Any]:
    return roster_data(kudos_channel=KUDOS_CHANNEL, kudos_daily_limit=2)


async def test_a_failed_anonymous_post_does_not_use_up_the_quota(slack_app: SlackHarness) -> None:
    slack_app.fake.script("chat.postMessage", 200, {"ok": False, "error": "not_in_channel"})
    failed = await slash(slack_app, f"<@{ANA}> anon thank you", GIVER)
    assert "could not be reached" in failed["text"]
    # The same kudos again (its failed post left nothing that refuses it), then another.
    for message in ("thank you", "thank you again"):
        sent = await slash(slack_app, f"<@{ANA}> anon {message}", GIVER)
        assert sent["text"].startswith("Kudos sent")
    refused = await slash(slack_app, f"<@{ANA}> anon thank you once more", GIVER)
    assert "daily" in refused["text"]


async def test_the_anonymous_giver_alone_can_withdraw_it(slack_app: SlackHarness) -> None:
    sent = await slash(slack_app, f"<@{ANA}> anon thank you", GIVER)
    kudos_id = button_value(sent["blocks"], "kudos-withdraw")
    other = await slash(slack_app, f"withdraw {kudos_id}", CLINICIANS[2])
    assert "can't withdraw" in other["text"]
    done = await slash(slack_app, f"withdraw {kudos_id}", GIVER)
    assert done["text"].startswith("Kudos withdrawn")
    assert await kudos_rows(slack_app) == []
