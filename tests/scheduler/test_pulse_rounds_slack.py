"""A whole scheduled round on Slack: invitations, button -> modal, reminders, close, digest."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.tables import pulse_rounds
from scheduler import pulse
from tests.support.pulse_answers import CALM, HEAVY, answer_on_slack
from tests.support.roster import CLINICIANS, LEAD
from tests.support.slack_harness import SlackHarness


def _texts(call_params: dict[str, Any]) -> str:
    parts = [call_params.get("text", "")]
    for block in call_params.get("blocks", []):
        if "text" in block and isinstance(block["text"], dict):
            parts.append(block["text"]["text"])
        for f in block.get("fields", []) or []:
            parts.append(f["text"])
        for e in block.get("elements", []) or []:
            if isinstance(e, dict) and "text" in e and isinstance(e["text"], str):
                parts.append(e["text"])
    return "\n".join(parts)


async def _dms_to(h: SlackHarness, user: str) -> list[dict[str, Any]]:
    return [c.params for c in h.fake.called("chat.postMessage") if c.params["channel"] == user]


async def test_scheduled_round_end_to_end(slack_app: SlackHarness) -> None:
    h = slack_app
    deps = h.respite.deps
    # 09:00 Monday: nothing is due yet.
    await pulse.tick(deps)
    assert await h.deliver() == 0

    # 10:00: the round opens and every member gets one DM with a Start check-in button.
    h.clock.advance(timedelta(hours=1))
    await pulse.tick(deps)
    await pulse.tick(deps)  # a second run changes nothing
    assert await h.deliver() == len(CLINICIANS)
    for user in CLINICIANS:
        dms = await _dms_to(h, user)
        assert len(dms) == 1
        actions = [b for b in dms[0]["blocks"] if b["type"] == "actions"]
        assert actions[0]["elements"][0]["action_id"] == "checkin.start"

    # Five clinicians answer through the button and modal.
    for user in CLINICIANS[:5]:
        await answer_on_slack(h, user, CALM if user != CLINICIANS[0] else HEAVY)

    # 48 h later: one reminder, only to the three who have not answered.
    h.clock.advance(timedelta(hours=48))
    await pulse.tick(deps)
    await pulse.tick(deps)
    assert await h.deliver() == 3
    for user in CLINICIANS[5:]:
        assert len(await _dms_to(h, user)) == 2
    for user in CLINICIANS[:5]:
        assert len(await _dms_to(h, user)) == 1

    # 72 h: the round closes, and the lead gets a digest with released figures.
    h.clock.advance(timedelta(hours=24))
    await pulse.tick(deps)
    await pulse.tick(deps)
    assert await h.deliver() == 1
    digest = await _dms_to(h, LEAD)
    assert len(digest) == 1
    text = _texts(digest[0])
    assert "5 of 8" in text
    assert "Emotional exhaustion" in text
    assert "first reported round" in text
    async with AsyncSession(h.respite.engine) as s:
        closed = (await s.execute(select(pulse_rounds.c.closed_at))).scalar_one()
    assert closed is not None


async def test_round_below_threshold_is_suppressed_without_counts(
    slack_app: SlackHarness,
) -> None:
    h = slack_app
    deps = h.respite.deps
    h.clock.advance(timedelta(hours=1))
    await pulse.tick(deps)
    for user in CLINICIANS[:4]:
        await answer_on_slack(h, user, CALM)
    h.clock.advance(timedelta(hours=72))
    await pulse.tick(deps)
    await h.deliver()
    digest = await _dms_to(h, LEAD)
    assert len(digest) == 1
    text = _texts(digest[0])
    assert "Not enough responses" in text
    assert "4 of 8" not in text and "Respondents" not in text
    assert "Emotional exhaustion" not in text


async def test_catch_up_after_downtime_opens_the_current_round(slack_app: SlackHarness) -> None:
    h = slack_app
    # The process was down at 10:00 Monday and comes back on Tuesday: the round still opens.
    h.clock.advance(timedelta(hours=25))
    report = await pulse.tick(h.respite.deps)
    assert any("open until" in line for line in report.lines)
    assert await h.deliver() == len(CLINICIANS)


async def test_catch_up_after_the_reminder_time_sends_one_message_each(
    slack_app: SlackHarness,
) -> None:
    h = slack_app
    # Down from Monday 09:00 until Wednesday 12:00, past the 48 h reminder: one message each.
    h.clock.advance(timedelta(hours=51))
    await pulse.tick(h.respite.deps)
    await pulse.tick(h.respite.deps)
    assert await h.deliver() == len(CLINICIANS)
    for user in CLINICIANS:
        assert len(await _dms_to(h, user)) == 1


async def test_slack_429_is_retried_after_retry_after(slack_app: SlackHarness) -> None:
    h = slack_app
    h.clock.advance(timedelta(hours=1))
    # Slack rate-limits three times in a row: the client's handler waits Retry-After twice,
    # then the outbox defers the row by Retry-After, and with it the rest of the batch: Slack
    # said to slow down, so nobody else is sent to until then. (One message at a time, so that
    # the three 429s fall on the same message.)
    h.fake.script(
        "chat.postMessage",
        429,
        {"ok": False, "error": "ratelimited"},
        headers={"Retry-After": "1"},
        times=3,
    )
    await pulse.tick(h.respite.deps)
    assert await h.deliver(concurrency=1) == 0
    assert len(h.fake.called("chat.postMessage")) == 3
    h.clock.advance(timedelta(seconds=2))
    assert await h.deliver() == len(CLINICIANS)
    assert len(h.fake.called("chat.postMessage")) == 3 + len(CLINICIANS)
    delivered = {c.params["channel"] for c in h.fake.called("chat.postMessage")}
    assert delivered == set(CLINICIANS)
