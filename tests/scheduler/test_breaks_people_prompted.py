"""The people behind a week's break uptake, through the whole bot: the real tick, shared plans
and their fan-out, the outbox worker with the real boundaries, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app.compose import Respite
from bot.domain.events import Reply
from bot.domain.org import period_window
from bot.infra.clock import FixedClock
from bot.storage.tables import break_people
from tests.support.breaks_sim import build_sim, command, run_until
from tests.support.roster import roster_data

LONDON = ZoneInfo("Europe/London")
MONDAY = datetime(2027, 6, 21, tzinfo=LONDON)  # local week 2027-W25
WEEK = period_window("2027-W25")


async def _following_a_plan(respite: Respite) -> int:
    async with AsyncSession(respite.engine) as s:
        query = select(func.count()).where(break_people.c.plan_id.is_not(None))
        return int(await s.scalar(query) or 0)


async def test_five_of_six_paused_leave_one_person_behind_the_uptake(
    database_url: str, closing: list[Respite]
) -> None:
    people = [f"U00{i}" for i in range(1, 7)]
    roster = roster_data(
        timezone="Europe/London",
        members=people,
        min_group_size=5,
        working_days="mon-sun",
        breaks={"enabled": True, "times": ["10:50"]},
    )
    clock = FixedClock(MONDAY)
    respite, rec = await build_sim(database_url, clock, roster)
    closing.append(respite)
    for user in people[1:]:
        paused = await command(respite, user, "breaks pause 7d")
        assert isinstance(paused, Reply) and "paused" in paused.card.title.lower()
    await run_until(respite, clock, MONDAY + timedelta(days=7))
    assert len(rec.to("U001")) == 7
    assert all(not rec.to(user) for user in people[1:])
    activity = respite.deps.activity
    # Six have breaks on, so the team-week's count alone would be released...
    assert await activity.break_uptake("riverside", *WEEK) == (7, 0, 0)
    # ...but it is one person's own record.
    assert await activity.people_prompted("riverside", *WEEK) == 1


async def test_a_plan_fanned_out_to_many_counts_each_follower_once(
    database_url: str, closing: list[Respite]
) -> None:
    people = [f"U{i:03d}" for i in range(60)]
    roster = roster_data(timezone="Europe/London", members=people, min_group_size=5)
    clock = FixedClock(MONDAY)
    respite, rec = await build_sim(database_url, clock, roster)
    closing.append(respite)
    await run_until(respite, clock, MONDAY + timedelta(days=2))
    assert await _following_a_plan(respite) == len(people)
    assert all(len(rec.to(user)) == 8 for user in people)  # two days, four times each
    assert await respite.deps.activity.break_uptake("riverside", *WEEK) == (480, 0, 0)
    assert await respite.deps.activity.people_prompted("riverside", *WEEK) == len(people)
