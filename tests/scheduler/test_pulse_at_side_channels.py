"""What an admin reads at the moment someone answers, when people chose their own pulse time.

Threat: the admin scrapes `/metrics` (the outbox backlog by state) beside the interactions
counter. Before own pulse times, an answer changed nothing in the outbox: the round's reminder
read participation once, at reminder time, which docs/privacy.md accepts. Own invitations and
reminders work the same way: the pulse tick queues each when it falls due, for whoever has not
answered by then, and an answer takes nothing back. Were an answer to take back its own queued
messages, the backlog would drop at the very scrape the submission lands in, which says who
(one of the few with an own time) answered, and when.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.backlog import outbox_backlog
from bot.storage.tables import outbox, pulse_own_times
from scheduler import pulse
from tests.support.delivery import deliver_all
from tests.support.pulse_answers import CALM, answer_on_slack
from tests.support.roster import roster_data
from tests.support.slack_harness import SlackHarness


def utc(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
async def harness_roster() -> dict[str, Any]:
    # Opens Monday 30 November 10:00 (UTC), reminds after a day, closes on Saturday.
    return roster_data(
        timezone="Europe/London",
        breaks={"enabled": False},
        pulse={"cron": "0 10 * * mon", "open_hours": 120, "remind_after_hours": 24},
    )


async def _backlog(h: SlackHarness) -> list[tuple[str, str, int]]:
    groups = await outbox_backlog(h.respite.engine, h.clock.now())
    return sorted((g.platform, g.state, g.rows) for g in groups)


async def _stored(h: SlackHarness) -> tuple[list[tuple[str, str]], list[tuple[Any, ...]]]:
    """Every outbox row (key, status) and every own-time plan: what an answer must not touch."""
    async with AsyncSession(h.respite.engine) as s:
        rows = sorted((r.key, r.status) for r in await s.execute(select(outbox)))
        plans = sorted(tuple(r) for r in await s.execute(select(pulse_own_times)))
    return rows, plans


async def test_an_answer_leaves_the_outbox_backlog_as_it_was(slack_app: SlackHarness) -> None:
    h = slack_app
    for user in ("U001", "U002", "U003"):
        resp = await h.slack.slash("/respite", "pulse at thu 08:00", user)
        assert resp.status == 200
    h.clock.set(utc(11, 30, 10))
    await pulse.tick(h.respite.deps)
    await deliver_all(h.respite, h.clock, boundaries=True)

    # Before their own time: nothing of theirs is queued, and an answer queues or drops nothing.
    h.clock.set(utc(12, 1, 9))
    before = (await _backlog(h), await _stored(h))
    assert len(before[1][1]) == 3  # the round keeps the three own times
    await answer_on_slack(h, "U001", CALM)
    assert (await _backlog(h), await _stored(h)) == before

    h.clock.set(utc(12, 1, 10))  # the round's reminders, to the others
    await pulse.tick(h.respite.deps)
    await deliver_all(h.respite, h.clock, boundaries=True)

    # Their own time: the tick invites those who have not answered (U002, U003), not U001.
    h.clock.set(utc(12, 3, 8))
    await pulse.tick(h.respite.deps)
    before = (await _backlog(h), await _stored(h))
    assert ("slack", "due", 2) in before[0]
    own = [key for key, _status in before[1][0] if key.endswith(":own")]
    assert len(own) == 2 and not [key for key in own if "U001" in key]
    # U002 answers while their invitation waits in the outbox: it stays, the backlog too.
    await answer_on_slack(h, "U002", CALM)
    assert (await _backlog(h), await _stored(h)) == before

    # A day on, only U003, who still has not answered, is reminded.
    await deliver_all(h.respite, h.clock, boundaries=True)
    h.clock.set(utc(12, 4, 8))
    await pulse.tick(h.respite.deps)
    rows, _plans = await _stored(h)
    reminders = [key for key, _status in rows if key.startswith("pulse-remind:")]
    assert [key for key in reminders if key.endswith(":own")] == [
        key for key in reminders if key.endswith(":slack:u:U003:own")
    ]
    assert len([key for key in reminders if key.endswith(":own")]) == 1
