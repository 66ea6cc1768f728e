"""A pulse round on Slack where half the team works nights: invitations and reminders reach each
person at the start of their own shift, through the real outbox worker and its boundaries, and
nobody is messaged off shift."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from scheduler import pulse
from tests.support.delivery import deliver_all
from tests.support.roster import CLINICIANS, LEAD, roster_data
from tests.support.slack_harness import SlackHarness
from tests.support.waiting import settle

DAYS, NIGHTS = CLINICIANS[:4], CLINICIANS[4:]
CALM = {
    "drained": "2",
    "recharged": "4",
    "going_through_motions": "2",
    "made_a_difference": "4",
    "caseload": "3",
    "supported": "4",
}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
async def harness_roster() -> dict[str, Any]:
    # Europe/London in winter is UTC, so the times below read the same in both.
    return roster_data(timezone="Europe/London", breaks={"enabled": False})


async def _reply_to(h: SlackHarness, user: str, text: str) -> dict[str, Any]:
    before = len(h.fake.responses)
    resp = await h.slack.slash("/respite", text, user)
    assert resp.status == 200
    await settle(h.respite)
    assert len(h.fake.responses) > before
    reply: dict[str, Any] = h.fake.responses[-1]
    return reply


async def _answer(h: SlackHarness, user: str) -> None:
    before = len(h.fake.called("views.open"))
    await h.slack.click("checkin.start", "riverside", user)
    await settle(h.respite)
    assert len(h.fake.called("views.open")) > before
    view = h.fake.called("views.open")[-1].params["view"]
    resp = await h.slack.submit(view, CALM, user)
    assert (await resp.json())["response_action"] == "update"


async def test_half_the_team_on_nights(slack_app: SlackHarness) -> None:
    h = slack_app
    deps = h.respite.deps
    for user in NIGHTS:
        reply = await _reply_to(h, user, "breaks hours 19:00-07:30 mon-thu")
        assert "Working hours saved" in str(reply)
        assert "19:00-07:30 (overnight) mon-thu" in str(reply)
    seen = 0
    sent: list[tuple[datetime, str, str]] = []

    async def at(moment: datetime, tick: bool = False) -> None:
        nonlocal seen
        h.clock.set(moment)
        if tick:
            await pulse.tick(deps)
        await deliver_all(h.respite, h.clock, boundaries=True)
        calls = h.fake.called("chat.postMessage")
        for call in calls[seen:]:
            kind = "remind" if "reminder" in str(call.params.get("text", "")).lower() else "invite"
            sent.append((moment, call.params["channel"], kind))
        seen = len(calls)

    await at(utc(2026, 11, 30, 10, 0), tick=True)  # Monday: the round opens
    await at(utc(2026, 11, 30, 18, 59))
    await at(utc(2026, 11, 30, 19, 0))  # the night shift starts
    await _answer(h, DAYS[0])
    await at(utc(2026, 12, 1, 2, 0))
    await _answer(h, NIGHTS[0])  # at 02:00 on Tuesday, inside Monday's night shift
    await at(utc(2026, 12, 1, 7, 30))
    await at(utc(2026, 12, 2, 10, 0), tick=True)  # Wednesday: reminders are due
    await at(utc(2026, 12, 2, 18, 59))
    await at(utc(2026, 12, 2, 19, 0))
    await at(utc(2026, 12, 3, 10, 0), tick=True)  # Thursday: the round closes

    # The lead's digest goes when the round closes, inside the team's day hours.
    assert [(m, u) for m, u, _k in sent if u == LEAD] == [(utc(2026, 12, 3, 10, 0), LEAD)]
    sent = [s for s in sent if s[1] != LEAD]
    kinds = {(m, u): k for m, u, k in sent}
    assert sorted((m, u) for m, u, _k in sent) == sorted(
        [(utc(2026, 11, 30, 10, 0), u) for u in DAYS]
        + [(utc(2026, 11, 30, 19, 0), u) for u in NIGHTS]
        + [(utc(2026, 12, 2, 10, 0), u) for u in DAYS[1:]]
        + [(utc(2026, 12, 2, 19, 0), u) for u in NIGHTS[1:]]
    )
    assert all(kinds[(utc(2026, 12, 2, 19, 0), u)] == "remind" for u in NIGHTS[1:])
    assert all(kinds[(utc(2026, 11, 30, 19, 0), u)] == "invite" for u in NIGHTS)
    # Nobody off shift: day people between 08:00 and 18:00, night people from 19:00 to 07:30.
    for moment, user, _kind in sent:
        if user in DAYS:
            assert 8 <= moment.hour < 18, (moment, user)
        else:
            assert moment.hour >= 19 or moment.hour * 60 + moment.minute < 7 * 60 + 30
