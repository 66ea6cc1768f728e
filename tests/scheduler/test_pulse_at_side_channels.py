"""What an admin reads at the moment someone answers, when people chose their own pulse time.

Threat: the admin scrapes `/metrics` (the outbox backlog by state) beside the interactions
counter. Before own pulse times, an answer changed nothing in the outbox: the round's reminder
read participation once, at reminder time, which docs/privacy.md accepts. An answer that takes
back its own queued invitation and reminder makes the held backlog drop at the very scrape the
submission lands in, which says who (one of the few with an own time, and which one by how many
messages left) answered, and when.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.storage.backlog import outbox_backlog
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


@pytest.mark.xfail(
    strict=True,
    reason="answering takes back own invitations at once (handlers/pulse.py _cancel_own)",
)
async def test_an_answer_leaves_the_outbox_backlog_as_it_was(slack_app: SlackHarness) -> None:
    h = slack_app
    for user in ("U001", "U002"):
        resp = await h.slack.slash("/respite", "pulse at thu 08:00", user)
        assert resp.status == 200
    h.clock.set(utc(11, 30, 10))
    await pulse.tick(h.respite.deps)
    await deliver_all(h.respite, h.clock, boundaries=True)
    h.clock.set(utc(12, 1, 9))
    before = await _backlog(h)
    assert ("slack", "held", 4) in before  # two own invitations and two own reminders
    await answer_on_slack(h, "U001", CALM)
    assert await _backlog(h) == before
