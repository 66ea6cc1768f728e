"""The check-in loop through Slack's real protocol path: signed requests into the running app,
the bot's Web API calls landing on a fake Slack server."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.domain.messages import Platform
from bot.storage.tables import pulse_participation, pulse_responses
from tests.support.roster import CLINICIANS
from tests.support.slack_driver import signed_headers
from tests.support.slack_harness import SlackHarness

ANSWERS = {
    "drained": "4",
    "recharged": "2",
    "going_through_motions": "3",
    "made_a_difference": "4",
    "caseload": "5",
    "supported": "2",
}


async def _count(h: SlackHarness, table: Any) -> int:
    from sqlalchemy.ext.asyncio import AsyncSession

    async with AsyncSession(h.respite.engine) as s:
        return int(await s.scalar(select(func.count()).select_from(table)) or 0)


async def _open_modal(h: SlackHarness, user: str) -> dict[str, Any]:
    before = len(h.fake.called("views.open"))
    resp = await h.slack.slash("/checkin", "", user)
    assert resp.status == 200
    for _ in range(100):
        if len(h.fake.called("views.open")) > before:
            break
        await asyncio.sleep(0.02)
    call = h.fake.called("views.open")[-1]
    assert call.params["trigger_id"]
    view: dict[str, Any] = call.params["view"]
    return view


async def test_checkin_opens_modal_with_pulse(slack_app: SlackHarness) -> None:
    view = await _open_modal(slack_app, CLINICIANS[0])
    assert view["type"] == "modal"
    assert view["callback_id"] == "pulse"
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert 5 <= len(inputs) <= 7
    for block in inputs:
        options = block["element"]["options"]
        assert block["element"]["type"] == "radio_buttons"
        assert [o["value"] for o in options] == ["1", "2", "3", "4", "5"]
        assert all(o["text"]["text"] for o in options)
    context = [b for b in view["blocks"] if b["type"] == "context"]
    assert "Anonymous" in context[-1]["elements"][0]["text"]
    assert "at least 5" in context[-1]["elements"][0]["text"]


async def test_submit_records_one_anonymous_answer_and_thanks(slack_app: SlackHarness) -> None:
    view = await _open_modal(slack_app, CLINICIANS[0])
    resp = await slack_app.slack.submit(view, ANSWERS, CLINICIANS[0])
    assert resp.status == 200
    body = await resp.json()
    assert body["response_action"] == "update"
    texts = " ".join(b.get("text", {}).get("text", "") for b in body["view"]["blocks"])
    assert "Thank you" in body["view"]["title"]["text"] or "answers are in" in texts
    # High strain: the private note says so, above the team's resources.
    assert "this week has been heavy" in texts
    assert "Employee Assistance Programme" in texts
    assert await _count(slack_app, pulse_responses) == 1
    assert await _count(slack_app, pulse_participation) == 1


async def test_low_strain_gets_no_support_note(slack_app: SlackHarness) -> None:
    view = await _open_modal(slack_app, CLINICIANS[1])
    calm = {
        "drained": "1",
        "recharged": "5",
        "going_through_motions": "1",
        "made_a_difference": "5",
        "caseload": "2",
        "supported": "5",
    }
    body = await (await slack_app.slack.submit(view, calm, CLINICIANS[1])).json()
    texts = " ".join(b.get("text", {}).get("text", "") for b in body["view"]["blocks"])
    assert "this week has been heavy" not in texts
    # Everyone sees the resources, so the thanks is one size whatever the answers.
    assert "Employee Assistance Programme" in texts


async def test_double_submit_and_retries_store_one_response(slack_app: SlackHarness) -> None:
    view = await _open_modal(slack_app, CLINICIANS[2])
    first, second = await asyncio.gather(
        slack_app.slack.submit(view, ANSWERS, CLINICIANS[2]),
        slack_app.slack.submit(view, ANSWERS, CLINICIANS[2]),
    )
    assert first.status == second.status == 200
    titles = sorted(
        [
            (await first.json())["view"]["title"]["text"],
            (await second.json())["view"]["title"]["text"],
        ]
    )
    assert any("already" in t.lower() for t in titles), titles
    assert await _count(slack_app, pulse_responses) == 1
    # A later /checkin in the same round is refused kindly, without a modal.
    before = len(slack_app.fake.called("views.open"))
    await slack_app.slack.slash("/checkin", "", CLINICIANS[2])
    for _ in range(100):
        if slack_app.fake.responses:
            break
        await asyncio.sleep(0.02)
    assert len(slack_app.fake.called("views.open")) == before
    assert "already checked in" in slack_app.fake.responses[-1]["text"]


async def test_missing_answers_keep_modal_open_and_store_nothing(
    slack_app: SlackHarness,
) -> None:
    view = await _open_modal(slack_app, CLINICIANS[3])
    partial = dict(ANSWERS)
    del partial["caseload"]
    body = await (await slack_app.slack.submit(view, partial, CLINICIANS[3])).json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"caseload"}
    assert await _count(slack_app, pulse_responses) == 0
    assert await _count(slack_app, pulse_participation) == 0


async def test_user_in_no_team_gets_a_clear_answer(slack_app: SlackHarness) -> None:
    await slack_app.slack.slash("/checkin", "", "UOUTSIDER")
    for _ in range(100):
        if slack_app.fake.responses:
            break
        await asyncio.sleep(0.02)
    reply = slack_app.fake.responses[-1]
    assert reply["response_type"] == "ephemeral"
    assert "not on a Respite team" in reply["text"]
    assert not slack_app.fake.called("views.open")


async def test_forged_and_stale_requests_are_refused(slack_app: SlackHarness) -> None:
    body = slack_app.slack.slash_body("/checkin", "", CLINICIANS[0])
    forged = signed_headers(body, secret="not-the-secret")
    assert (await slack_app.slack.post(body, forged)).status == 401
    stale = signed_headers(body, timestamp=1_600_000_000)
    assert (await slack_app.slack.post(body, stale)).status == 401
    await asyncio.sleep(0.1)
    assert not slack_app.fake.called("views.open")
    assert await _count(slack_app, pulse_participation) == 0


async def test_a_retried_delivery_of_the_same_submission_stores_nothing_new(
    slack_app: SlackHarness,
) -> None:
    view = await _open_modal(slack_app, CLINICIANS[4])
    first = await slack_app.slack.submit(view, ANSWERS, CLINICIANS[4])
    assert first.status == 200
    for retry in ("1", "2"):
        resp = await slack_app.slack.submit(view, ANSWERS, CLINICIANS[4])
        assert resp.status == 200, retry
        body = await resp.json()
        assert "already" in body["view"]["title"]["text"].lower()
    assert await _count(slack_app, pulse_responses) == 1
    assert await _count(slack_app, pulse_participation) == 1


async def test_an_answer_after_an_early_close_goes_to_the_next_window(
    slack_app: SlackHarness,
) -> None:
    deps = slack_app.respite.deps
    team = deps.directory.team_of(Platform.SLACK, CLINICIANS[3])
    assert team is not None
    period = deps.calendar.current(team, slack_app.clock.now())
    view = await _open_modal(slack_app, CLINICIANS[3])
    rnd = await deps.rounds.ensure(team.id, period)
    assert await deps.rounds.close(rnd.id, len(team.members), slack_app.clock.now())

    body = await (await slack_app.slack.submit(view, ANSWERS, CLINICIANS[3])).json()
    assert "Thank you" in body["view"]["title"]["text"]
    following = deps.calendar.current(team, period.closes_at)
    assert following.key != period.key
    assert not await deps.rounds.answered_in_period(
        team.id, period.key, Platform.SLACK, CLINICIANS[3]
    )
    assert await deps.rounds.answered_in_period(
        team.id, following.key, Platform.SLACK, CLINICIANS[3]
    )
    assert await _count(slack_app, pulse_responses) == 1


async def test_the_ack_does_not_wait_for_the_modal_and_stopping_lets_it_finish(
    slack_app: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack hears the ack while views.open is still on its way. A process told to stop then
    waits for that call instead of cutting it off, so the clinician still gets the form."""
    release = asyncio.Event()
    slack_app.fake.holds["views.open"] = release
    resp = await asyncio.wait_for(slack_app.slack.slash("/checkin", "", CLINICIANS[0]), 5)
    assert resp.status == 200
    for _ in range(100):
        if slack_app.fake.called("views.open"):
            break
        await asyncio.sleep(0.02)
    assert len(slack_app.respite.inflight) == 1  # asked for, not yet answered
    stopping = asyncio.create_task(slack_app.respite.close())
    await asyncio.sleep(0.2)
    assert not stopping.done()
    release.set()
    await asyncio.wait_for(stopping, 10)
    assert len(slack_app.fake.called("views.open")) == 1
    assert not slack_app.fake.responses  # no "something went wrong" note
    assert "slack listener failed" not in caplog.text
