"""`/respite help|privacy|digest` through signed Slack requests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestServer

from bot.cli.serve import metrics_app
from scheduler import pulse
from tests.support.pulse_answers import CALM, answer_on_slack
from tests.support.roster import CLINICIANS, LEAD
from tests.support.slack_harness import SlackHarness
from tests.support.waiting import settle


async def _reply(h: SlackHarness, text: str, user: str) -> dict[str, Any]:
    before = len(h.fake.responses)
    resp = await h.slack.slash("/respite", text, user)
    assert resp.status == 200
    await settle(h.respite)
    assert len(h.fake.responses) > before
    reply: dict[str, Any] = h.fake.responses[-1]
    assert reply["response_type"] == "ephemeral"
    return reply


async def test_help_and_unknown_words(slack_app: SlackHarness) -> None:
    assert (
        "one-minute anonymous check-in" in (await _reply(slack_app, "help", CLINICIANS[0]))["text"]
    )
    assert "one-minute anonymous check-in" in (await _reply(slack_app, "", CLINICIANS[0]))["text"]
    unknown = await _reply(slack_app, "frobnicate", CLINICIANS[0])
    assert "I don't know “frobnicate”" in unknown["text"]
    assert "privacy" in unknown["text"]


async def test_privacy_states_what_is_stored_and_the_threshold(slack_app: SlackHarness) -> None:
    text = (await _reply(slack_app, "privacy", CLINICIANS[0]))["text"]
    assert "without your name" in text
    assert "never joined" in text
    assert "at least 5 people" in text
    # Release is per week (ISO period), once the rounds of that week have closed.
    assert "week by week, once the rounds of that week have closed" in text
    assert "after it closes" not in text
    # Roll-ups and the protection against subtraction.
    assert "Department and organisation leads" in text
    assert "a second is hidden too" in text
    # What the other features store.
    assert "calendar feed address" in text and "never shown back or written to logs" in text
    assert "stores no giver" in text and "about a day" in text
    assert "/respite kudos-names off" in text
    # What is kept after a round and after a week, and for how long.
    assert "encrypted" in text and "deleted" in text
    assert "for six weeks a keyed code" in text
    assert "A lead who answers is not counted" in text
    assert "docs/privacy.md" in text


async def test_help_names_every_lead_and_every_word(slack_app: SlackHarness) -> None:
    text = (await _reply(slack_app, "help", CLINICIANS[0]))["text"]
    assert "a team, a department or the organisation" in text
    assert "team leads: the latest team digest" not in text
    for word in ("checkin", "help", "privacy", "digest", "kudos", "kudos-names", "breaks"):
        assert f"/respite {word}:" in text, word


async def test_digest_on_demand_for_leads_only(slack_app: SlackHarness) -> None:
    h = slack_app
    assert "No digest yet" in (await _reply(h, "digest", LEAD))["text"]
    h.clock.advance(timedelta(hours=1))
    await pulse.tick(h.respite.deps)
    for user in CLINICIANS[:6]:
        await answer_on_slack(h, user, CALM)
    h.clock.advance(timedelta(hours=72))
    await pulse.tick(h.respite.deps)
    lead_view = await _reply(h, "digest", LEAD)
    assert "6 of 8" in lead_view["text"]
    assert "Emotional exhaustion" in lead_view["text"]
    refused = await _reply(h, "digest", CLINICIANS[0])
    assert "only a team's leads" in refused["text"].lower()
    assert "Emotional exhaustion" not in refused["text"]


async def test_metrics_count_interactions_without_user_ids(slack_app: SlackHarness) -> None:
    await _reply(slack_app, "help", CLINICIANS[0])
    # The public port does not serve metrics; their own listener does.
    async with slack_app.slack.session.get(slack_app.server.make_url("/metrics")) as resp:
        assert resp.status == 404
    metrics = TestServer(metrics_app(), host="127.0.0.1")
    await metrics.start_server()
    try:
        async with slack_app.slack.session.get(metrics.make_url("/metrics")) as resp:
            assert resp.status == 200
            text = await resp.text()
    finally:
        await metrics.close()
    assert 'respite_interactions_total{kind="command",platform="slack"}' in text
    assert CLINICIANS[0] not in text
