"""Kudos on Slack alone: `/kudos` typed with mentions, the modal's Slack elements, the daily
limit, withdrawing from a command's reply, and Slack's errors. The flow every platform shares
(the form, anonymity, who may withdraw) is in tests/flows/test_kudos.py."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from bot.domain.kudos import STORED_GRAIN
from tests.support.roster import CLINICIANS, roster_data
from tests.support.slack_harness import SlackHarness
from tests.support.slack_kudos import (
    KUDOS_CHANNEL,
    button_value,
    channel_posts,
    kudos_rows,
    open_form,
    slash,
    texts,
)
from tests.support.waiting import settle

GIVER, ANA, BEN, CARA = CLINICIANS[0], CLINICIANS[1], CLINICIANS[2], CLINICIANS[3]


@pytest.fixture
def harness_roster() -> dict[str, Any]:
    return roster_data(kudos_channel=KUDOS_CHANNEL, kudos_daily_limit=3)


async def test_slash_kudos_posts_to_channel_with_mentions(slack_app: SlackHarness) -> None:
    reply = await slash(
        slack_app, f"<@{ANA}|ana> <@{BEN}> cover thank you for taking my 4pm", GIVER
    )
    assert reply["text"].startswith("Kudos sent")
    [post] = channel_posts(slack_app)
    assert post.params["blocks"] == [
        {"type": "header", "text": {"type": "plain_text", "text": "🤝 Recognition"}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"<@{GIVER}> recognised <@{ANA}> and <@{BEN}>: covered for a colleague",
                "verbatim": True,
            },
        },
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "thank you for taking my 4pm", "verbatim": True},
        },
    ]
    assert post.params["text"] == (
        "🤝 Recognition\n<@U001> recognised <@U002> and <@U003>: covered for a colleague\n"
        "thank you for taking my 4pm"
    )
    [row] = await kudos_rows(slack_app)
    assert row.giver_id == GIVER and not row.anonymous and row.category == "cover"
    assert row.channel_ref == f"{KUDOS_CHANNEL}:1700000000.000001"
    # Each recipient is told privately, through the outbox.
    assert await slack_app.deliver() == 2
    dms = {c.params["channel"]: c for c in slack_app.fake.called("chat.postMessage")[1:]}
    assert set(dms) == {ANA, BEN}
    assert f"<@{GIVER}> recognised you: covered for a colleague" in texts(dms[ANA].params["blocks"])


async def test_the_form_is_a_modal_of_slack_elements(slack_app: SlackHarness) -> None:
    view = await open_form(slack_app, GIVER)
    assert view["callback_id"] == "kudos"
    kinds = {b["block_id"]: b["element"]["type"] for b in view["blocks"] if b["type"] == "input"}
    assert kinds == {
        "recipients": "multi_users_select",
        "category": "radio_buttons",
        "visibility": "radio_buttons",
        "message": "plain_text_input",
    }
    values = {
        "recipients": f"{ANA} {BEN} {CARA}",
        "category": "hard-session",
        "visibility": "named",
        "message": "You held that session with such care.",
    }
    body = await (await slack_app.slack.submit(view, values, GIVER)).json()
    assert body["response_action"] == "update"
    assert body["view"]["title"]["text"] == "Kudos sent"
    [post] = channel_posts(slack_app)
    assert f"<@{GIVER}> recognised <@{ANA}>, <@{BEN}> and <@{CARA}>: held a hard session" in texts(
        post.params["blocks"]
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (f"<@{GIVER}> thanks me", "can't send one to yourself"),
        ("<@U0STRANGER> thanks", "not on it"),
        (f"<@{ANA}>", "Add a few words"),
        (f"<@{ANA}> " + "x" * 501, "this one has 501"),
        ("thanks everyone", "Mention at least one colleague"),
    ],
)
async def test_refusals_say_why(slack_app: SlackHarness, text: str, reason: str) -> None:
    reply = await slash(slack_app, text, GIVER)
    assert reply["text"].startswith("Kudos not sent")
    assert reason in reply["text"]
    assert channel_posts(slack_app) == []
    assert await kudos_rows(slack_app) == []


async def test_form_refusals_keep_the_modal_open(slack_app: SlackHarness) -> None:
    view = await open_form(slack_app, GIVER)
    values = {"recipients": f"{GIVER} U0STRANGER", "category": "other", "visibility": "named"}
    values["message"] = "  \u0000 "
    body = await (await slack_app.slack.submit(view, values, GIVER)).json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"recipients", "message"}
    assert "yourself" in body["errors"]["recipients"]
    assert await kudos_rows(slack_app) == []


async def test_daily_limit_counts_named_and_anonymous_alike(slack_app: SlackHarness) -> None:
    await slash(slack_app, f"<@{ANA}> one", GIVER)
    await slash(slack_app, f"<@{BEN}> anon two", GIVER)
    slack_app.clock.advance(timedelta(hours=1))
    await slash(slack_app, f"<@{CARA}> three", GIVER)
    refused = await slash(slack_app, f"<@{ANA}> four", GIVER)
    assert "daily limit of 3" in refused["text"]
    assert "Monday 09:00" not in refused["text"] and "Tuesday 09:00" in refused["text"]
    assert len(await kudos_rows(slack_app)) == 3
    # Someone else's quota is their own.
    assert (await slash(slack_app, f"<@{ANA}> from Ben", BEN))["text"].startswith("Kudos sent")
    # A day after the first, one more is allowed.
    slack_app.clock.advance(timedelta(hours=23, minutes=1))
    assert (await slash(slack_app, f"<@{ANA}> five", GIVER))["text"].startswith("Kudos sent")


async def test_giver_withdraws_with_the_button(slack_app: SlackHarness) -> None:
    reply = await slash(slack_app, f"<@{ANA}> support thank you", GIVER)
    kudos_id = button_value(reply["blocks"], "kudos-withdraw")
    before = len(slack_app.fake.responses)
    await slack_app.slack.click("kudos-withdraw", kudos_id, GIVER)
    await settle(slack_app.respite)
    assert len(slack_app.fake.responses) > before
    assert slack_app.fake.responses[-1]["text"].startswith("Kudos withdrawn")
    [deleted] = slack_app.fake.called("chat.delete")
    assert deleted.params == {"channel": KUDOS_CHANNEL, "ts": "1700000000.000001"}
    assert await kudos_rows(slack_app) == []


async def test_anonymous_giver_can_withdraw_only_while_the_tag_lasts(
    slack_app: SlackHarness,
) -> None:
    from scheduler import kudos

    first = await slash(slack_app, f"<@{ANA}> anon thanks", GIVER)
    first_id = button_value(first["blocks"], "kudos-withdraw")
    second = await slash(slack_app, f"<@{BEN}> anonymous thanks", GIVER)
    second_id = button_value(second["blocks"], "kudos-withdraw")
    done = await slash(slack_app, f"withdraw {first_id}", GIVER)
    assert done["text"].startswith("Kudos withdrawn")
    slack_app.clock.advance(timedelta(hours=24) + STORED_GRAIN)
    await kudos.tick(slack_app.respite.deps)
    [row] = await kudos_rows(slack_app)
    assert row.giver_tag is None and row.giver_id is None
    refused = await slash(slack_app, f"withdraw {second_id}", GIVER)
    assert "can't withdraw" in refused["text"]


async def test_channel_post_failure_keeps_nothing(slack_app: SlackHarness) -> None:
    slack_app.fake.script("chat.postMessage", 200, {"ok": False, "error": "not_in_channel"})
    reply = await slash(slack_app, f"<@{ANA}> thanks", GIVER)
    assert "could not be reached" in reply["text"]
    assert await kudos_rows(slack_app) == []
    assert await slack_app.deliver() == 0


async def test_kudos_alone_without_channel_says_why(
    database_url: str, fake_slack: Any, clock: Any
) -> None:
    from tests.support.slack_harness import start_slack_harness

    h, session = await start_slack_harness(database_url, fake_slack, clock, roster_data())
    try:
        reply = await slash(h, "", GIVER)
        assert "no recognition channel" in reply["text"]
        assert not fake_slack.called("views.open")
    finally:
        await session.close()
        await h.server.close()
        await h.respite.close()


async def test_concurrent_sends_cannot_exceed_the_daily_limit(slack_app: SlackHarness) -> None:
    await asyncio.gather(
        *(slack_app.slack.slash("/kudos", f"<@{ANA}> thanks {i}", GIVER) for i in range(6))
    )
    await settle(slack_app.respite)
    assert len(slack_app.fake.responses) == 6
    outcomes = sorted(r["text"].split("\n")[0] for r in slack_app.fake.responses)
    assert outcomes == ["Kudos not sent"] * 3 + ["Kudos sent"] * 3
    assert len(await kudos_rows(slack_app)) == 3
    assert len(channel_posts(slack_app)) == 3


async def test_help_lists_kudos(slack_app: SlackHarness) -> None:
    reply = await slash(slack_app, "help", GIVER, command="/respite")
    assert "/kudos @someone [category] message" in reply["text"]
    assert "kudos-names: off or on" in reply["text"]
    usage = await slash(slack_app, "help", GIVER)
    assert "/kudos withdraw &lt;id&gt;" in usage["text"]  # escaped like all text


async def test_withdraw_keeps_the_record_until_the_post_is_gone(slack_app: SlackHarness) -> None:
    reply = await slash(slack_app, f"<@{ANA}> thanks", GIVER)
    kudos_id = button_value(reply["blocks"], "kudos-withdraw")
    slack_app.fake.script("chat.delete", 200, {"ok": False, "error": "service_unavailable"})
    busy = await slash(slack_app, f"withdraw {kudos_id}", GIVER)
    assert busy["text"].startswith("Kudos not withdrawn yet")
    assert len(await kudos_rows(slack_app)) == 1
    done = await slash(slack_app, f"withdraw {kudos_id}", GIVER)
    assert done["text"].startswith("Kudos withdrawn")
    assert len(slack_app.fake.called("chat.delete")) == 2
    assert await kudos_rows(slack_app) == []


async def test_a_post_already_removed_in_slack_still_withdraws(slack_app: SlackHarness) -> None:
    reply = await slash(slack_app, f"<@{ANA}> thanks", GIVER)
    kudos_id = button_value(reply["blocks"], "kudos-withdraw")
    slack_app.fake.script("chat.delete", 200, {"ok": False, "error": "message_not_found"})
    done = await slash(slack_app, f"withdraw {kudos_id}", ANA)
    assert done["text"].startswith("Kudos withdrawn")
    assert await kudos_rows(slack_app) == []


async def test_respite_kudos_takes_escaped_mentions_channels_and_links(
    slack_app: SlackHarness,
) -> None:
    """`/respite` is escaped too (deploy/slack/manifest.yaml), so `/respite kudos @ana` arrives
    as Slack's markup and reaches the same handler as `/kudos`."""
    reply = await slash(
        slack_app,
        f"kudos <@{ANA}|ana> cover thanks for <#C0123|general> and <https://wiki.example/a?x=1&amp;y=2>",
        GIVER,
        command="/respite",
    )
    assert reply["text"].startswith("Kudos sent")
    [row] = await kudos_rows(slack_app)
    assert row.category == "cover"
    assert row.message == "thanks for #general and https://wiki.example/a?x=1&y=2"
    [post] = channel_posts(slack_app)
    assert f"<@{GIVER}> recognised <@{ANA}>:" in texts(post.params["blocks"])
