"""`/respite pulse at thu 08:00` on Slack, through signed slash commands, the real minute tick,
the real outbox worker and its boundaries, on SQLite and PostgreSQL: each person's invitation
comes at their own time in their own zone, their reminder follows it, a time too late in the
round falls back to the opening, and nobody is messaged off shift."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.messages import Platform
from bot.storage.db import session_factory
from bot.storage.forget import PersonKeys, forget_person
from bot.storage.tables import outbox, pulse_own_times, pulse_times
from scheduler import pulse
from tests.support.delivery import deliver_all
from tests.support.roster import LEAD, roster_data
from tests.support.slack_harness import SlackHarness
from tests.support.waiting import settle

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
    # Europe/London in winter is UTC. The round opens Monday 10:00, reminds after a day and
    # closes on Saturday at 10:00; people work 08:00-18:00, Monday to Friday.
    return roster_data(
        timezone="Europe/London",
        breaks={"enabled": False},
        pulse={"cron": "0 10 * * mon", "open_hours": 120, "remind_after_hours": 24},
    )


async def say(h: SlackHarness, user: str, text: str) -> str:
    before = len(h.fake.responses)
    resp = await h.slack.slash("/respite", text, user)
    assert resp.status == 200
    await settle(h.respite)
    assert len(h.fake.responses) > before, text
    return str(h.fake.responses[-1])


async def answer(h: SlackHarness, user: str) -> None:
    before = len(h.fake.called("views.open"))
    await h.slack.click("checkin.start", "riverside", user)
    await settle(h.respite)
    assert len(h.fake.called("views.open")) > before
    view = h.fake.called("views.open")[-1].params["view"]
    resp = await h.slack.submit(view, CALM, user)
    assert (await resp.json())["response_action"] == "update"


async def stored(h: SlackHarness) -> dict[str, tuple[int, int]]:
    async with AsyncSession(h.respite.engine) as s:
        rows = await s.execute(select(pulse_times))
        return {r.user_id: (r.weekday, r.minute) for r in rows}


async def test_commands_choose_show_clear_and_refuse(slack_app: SlackHarness) -> None:
    h = slack_app  # Monday 30 November, 09:00: the round opens at 10:00
    chosen = await say(h, "U001", "pulse at thu 08:00")
    assert "Your check-in invitation comes on Thursday 08:00" in chosen
    assert "Next invitation: Thursday 03 December, 08:00 (Europe/London)" in chosen
    assert "outside your working hours" not in chosen
    assert "/respite pulse at off" in chosen
    assert await stored(h) == {"U001": (3, 8 * 60)}

    shown = await say(h, "U001", "pulse at")
    assert "comes on Thursday 08:00" in shown and "Thursday 03 December, 08:00" in shown

    # Their own zone: 08:00 in Berlin is 07:00 in London.
    await say(h, "U002", "breaks zone Europe/Berlin")
    berlin = await say(h, "U002", "pulse at Thursday 8:00")
    assert "Next invitation: Thursday 03 December, 08:00 (Europe/Berlin)" in berlin

    late = await say(h, "U003", "pulse at sat 09:00")
    assert "too late in that round" in late
    assert "Next invitation: Monday 30 November, 10:00 (Europe/London)" in late

    night = await say(h, "U004", "pulse at wed 20:00")
    assert "Next invitation: Wednesday 02 December, 20:00 (Europe/London)" in night
    assert "outside your working hours" in night and "waits for your next working moment" in night

    before = await stored(h)
    for bad in ("pulse at thu 25:00", "pulse at someday 08:00", "pulse at thu", "pulse soon"):
        refused = await say(h, "U001", bad)
        assert "not" in refused and "/respite pulse at thu 08:00" in refused, bad
        assert "/respite pulse at off" in refused and "Nothing was changed" in refused
    assert await stored(h) == before

    off = await say(h, "U001", "pulse at off")
    assert "comes when your team's round opens" in off
    assert "Next invitation: Monday 30 November, 10:00 (Europe/London)" in off
    assert "U001" not in await stored(h)
    assert "comes when your team's round opens" in await say(h, "U001", "pulse at")

    helped = await say(h, "U005", "help")
    assert "/respite pulse: at thu 08:00" in helped


async def test_a_round_with_own_times(slack_app: SlackHarness) -> None:
    h = slack_app
    deps = h.respite.deps
    await say(h, "U001", "pulse at thu 08:00")
    await say(h, "U002", "breaks zone Europe/Berlin")
    await say(h, "U002", "pulse at thu 08:00")  # 07:00 in London
    await say(h, "U003", "pulse at sat 09:00")  # too late: invited at the opening
    await say(h, "U004", "pulse at wed 20:00")  # off shift: waits for Thursday 08:00
    await say(h, "U006", "pulse at thu 08:00")
    await say(h, "U006", "pulse at off")  # back to the team's time
    await say(h, "U007", "pulse at thu 08:00")  # answers on Tuesday, before their time
    seen = 0
    sent: list[tuple[datetime, str, str]] = []

    async def at(moment: datetime) -> None:
        nonlocal seen
        h.clock.set(moment)
        await pulse.tick(deps)
        await pulse.tick(deps)  # a second tick queues nothing new
        await deliver_all(h.respite, h.clock, boundaries=True)
        calls = h.fake.called("chat.postMessage")
        for call in calls[seen:]:
            text = str(call.params.get("text", "")).lower()
            sent.append(
                (moment, call.params["channel"], "remind" if "reminder" in text else "invite")
            )
        seen = len(calls)

    await at(utc(2026, 11, 30, 10, 0))  # Monday: the round opens
    async with AsyncSession(h.respite.engine) as s:
        keys = set((await s.scalars(select(outbox.c.key))).all())
        planned = set((await s.scalars(select(pulse_own_times.c.user_id))).all())
    # The opening queues nothing at anyone's own time; it keeps who is invited then.
    assert not [k for k in keys if k.endswith(":own")]
    assert planned == {"U001", "U002", "U004", "U007"}
    await at(utc(2026, 12, 1, 9, 0))
    await answer(h, "U007")
    await at(utc(2026, 12, 1, 10, 0))  # Tuesday: the round's reminders
    for moment in (
        utc(2026, 12, 2, 19, 59),
        utc(2026, 12, 2, 20, 0),
        utc(2026, 12, 3, 6, 59),
        utc(2026, 12, 3, 7, 0),
        utc(2026, 12, 3, 7, 59),
        utc(2026, 12, 3, 8, 0),
        utc(2026, 12, 3, 20, 0),
        utc(2026, 12, 4, 6, 59),
        utc(2026, 12, 4, 7, 0),
        utc(2026, 12, 4, 7, 59),
        utc(2026, 12, 4, 8, 0),
        utc(2026, 12, 5, 10, 0),  # Saturday: the round closes
    ):
        await at(moment)

    sent = [s for s in sent if s[1] != LEAD]
    at_opening = ["U003", "U005", "U006", "U008"]
    assert sorted(sent) == sorted(
        [(utc(2026, 11, 30, 10, 0), u, "invite") for u in at_opening]
        + [(utc(2026, 12, 1, 10, 0), u, "remind") for u in at_opening]
        # Their own time in Berlin, then in London; the evening choice waits for the shift.
        + [(utc(2026, 12, 3, 7, 0), "U002", "invite")]
        + [(utc(2026, 12, 3, 8, 0), u, "invite") for u in ("U001", "U004")]
        # A day after their own invitation; the evening one's (Thursday 20:00) waits too.
        + [(utc(2026, 12, 4, 7, 0), "U002", "remind")]
        + [(utc(2026, 12, 4, 8, 0), u, "remind") for u in ("U001", "U004")]
    )
    assert not [s for s in sent if s[1] == "U007"]  # answered first: nothing more
    async with AsyncSession(h.respite.engine) as s:  # a closed round keeps no plans
        assert not (await s.scalars(select(pulse_own_times.c.user_id))).all()
    for moment, user, _kind in sent:
        start = 7 if user == "U002" else 8
        assert moment.weekday() < 5 and start <= moment.hour < start + 10, (moment, user)


async def test_forget_erases_the_choice(slack_app: SlackHarness) -> None:
    h = slack_app
    await say(h, "U001", "pulse at thu 08:00")
    await say(h, "U002", "pulse at fri 09:30")
    h.clock.set(utc(2026, 11, 30, 10, 0))
    await pulse.tick(h.respite.deps)  # the open round keeps when each is invited
    sessions = session_factory(h.respite.engine)
    removed = await forget_person(sessions, PersonKeys(b"x" * 32), Platform.SLACK, "U001")
    assert removed.get("pulse_times") == 1
    assert removed.get("pulse_own_times") == 1
    assert await stored(h) == {"U002": (4, 9 * 60 + 30)}
    async with AsyncSession(h.respite.engine) as s:
        assert (await s.scalars(select(pulse_own_times.c.user_id))).all() == ["U002"]


async def test_choices_made_or_cleared_mid_round_keep_one_reminder(
    slack_app: SlackHarness,
) -> None:
    """A round keeps the way it invited each person: a time chosen after the opening, or cleared
    after it, applies from the next round, so everyone has one invitation and one reminder at
    most, and whoever has answered by their own time is not asked again."""
    h = slack_app
    deps = h.respite.deps
    for user in ("U002", "U003", "U004"):
        await say(h, user, "pulse at thu 08:00")
    sent: list[tuple[datetime, str, str]] = []
    seen = 0

    async def at(moment: datetime) -> None:
        nonlocal seen
        h.clock.set(moment)
        await pulse.tick(deps)
        await deliver_all(h.respite, h.clock, boundaries=True)
        calls = h.fake.called("chat.postMessage")
        for call in calls[seen:]:
            text = str(call.params.get("text", "")).lower()
            kind = "remind" if "reminder" in text else "invite"
            sent.append((moment, call.params["channel"], kind))
        seen = len(calls)

    await at(utc(2026, 11, 30, 10, 0))  # Monday: the round opens
    h.clock.set(utc(2026, 11, 30, 11, 0))
    mid_round = await say(h, "U001", "pulse at thu 08:00")  # invited already at the opening
    assert "A round is open now; its invitation stays as it was." in mid_round
    for user in ("U002", "U003", "U004"):  # the round has planned their own invitations
        await say(h, user, "pulse at off")
    await pulse.open_round(deps, "riverside")  # opened again by hand: nothing new
    await at(utc(2026, 11, 30, 11, 0))
    await at(utc(2026, 12, 1, 9, 0))
    await answer(h, "U003")  # before anything reached them
    for moment in (
        utc(2026, 12, 1, 10, 0),  # Tuesday: the round's reminders
        utc(2026, 12, 3, 8, 0),  # Thursday: the own invitations the opening planned
        utc(2026, 12, 3, 9, 0),
    ):
        await at(moment)
    await answer(h, "U004")  # after their own invitation, before its reminder
    for moment in (
        utc(2026, 12, 4, 8, 0),  # Friday: the own reminders
        utc(2026, 12, 5, 10, 0),  # Saturday: the round closes
    ):
        await at(moment)

    mine = sorted(s for s in sent if s[1] in ("U001", "U002", "U003", "U004"))
    assert mine == sorted(
        [
            (utc(2026, 11, 30, 10, 0), "U001", "invite"),
            (utc(2026, 12, 1, 10, 0), "U001", "remind"),
            (utc(2026, 12, 3, 8, 0), "U002", "invite"),
            (utc(2026, 12, 4, 8, 0), "U002", "remind"),
            (utc(2026, 12, 3, 8, 0), "U004", "invite"),
        ]
    )
    others = sorted((m, u, k) for m, u, k in sent if u in ("U005", "U006", "U007", "U008"))
    assert others == sorted(
        [(utc(2026, 11, 30, 10, 0), u, "invite") for u in ("U005", "U006", "U007", "U008")]
        + [(utc(2026, 12, 1, 10, 0), u, "remind") for u in ("U005", "U006", "U007", "U008")]
    )
