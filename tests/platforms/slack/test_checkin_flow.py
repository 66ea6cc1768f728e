"""The check-in on Slack alone: the form is a modal opened with the command's trigger_id,
a submission missing an answer keeps it open, forged or stale requests are refused, and the ack
does not wait for the modal. The flow every platform shares is in tests/flows/test_pulse.py."""

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
from tests.support.waiting import settle, until

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
    await settle(h.respite)
    assert len(h.fake.called("views.open")) > before
    call = h.fake.called("views.open")[-1]
    assert call.params["trigger_id"]
    view: dict[str, Any] = call.params["view"]
    return view


async def test_checkin_opens_a_modal_of_radio_buttons(slack_app: SlackHarness) -> None:
    view = await _open_modal(slack_app, CLINICIANS[0])
    assert view["type"] == "modal"
    assert view["callback_id"] == "pulse"
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [b["block_id"] for b in inputs] == list(ANSWERS)
    for block in inputs:
        assert block["element"]["type"] == "radio_buttons"
        assert all(o["text"]["text"] for o in block["element"]["options"])
    context = [b for b in view["blocks"] if b["type"] == "context"]
    assert "Anonymous" in context[-1]["elements"][0]["text"]
    assert "at least 5" in context[-1]["elements"][0]["text"]


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


async def test_forged_and_stale_requests_are_refused(slack_app: SlackHarness) -> None:
    body = slack_app.slack.slash_body("/checkin", "", CLINICIANS[0])
    forged = signed_headers(body, secret="not-the-secret")
    assert (await slack_app.slack.post(body, forged)).status == 401
    stale = signed_headers(body, timestamp=1_600_000_000)
    assert (await slack_app.slack.post(body, stale)).status == 401
    await asyncio.sleep(0.1)
    assert not slack_app.fake.called("views.open")
    assert await _count(slack_app, pulse_participation) == 0


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
    await until(lambda: bool(slack_app.fake.called("views.open")), "views.open asked for")
    assert len(slack_app.respite.inflight) == 1  # asked for, not yet answered
    stopping = asyncio.create_task(slack_app.respite.close())
    await asyncio.sleep(0.2)
    assert not stopping.done()
    release.set()
    await asyncio.wait_for(stopping, 10)
    assert len(slack_app.fake.called("views.open")) == 1
    assert not slack_app.fake.responses  # no "something went wrong" note
    assert "slack listener failed" not in caplog.text
