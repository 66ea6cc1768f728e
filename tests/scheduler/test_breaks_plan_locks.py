"""Races between the tick, the outbox's fan-out and people's own writes, on PostgreSQL.

Each statement there sees what has committed by the time it starts, and rows are locked as they
are met, so these races need their own tests; on SQLite every writer holds the database's one
write lock for its whole transaction, and none of them can happen. Every writer takes the plans
first (a join and a person leaving for share, a move or a removal for update), in plan order.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import update

from bot.app.compose import Respite
from bot.domain.breaks import BreakSettings
from bot.domain.messages import Platform
from bot.domain.ports import PlanStep
from bot.infra.clock import FixedClock
from bot.storage import breaks_fanout as fanout_sql
from bot.storage import breaks_plans as plans_sql
from bot.storage.breaks import SqlBreakStore
from bot.storage.tables import break_people, outbox
from tests.support.breaks_sim import (
    build_sim,
    command,
    fan_out,
    rows,
    team_gone_with_a_prompt_pending,
    ticker,
)
from tests.support.db import PostgresDatabase
from tests.support.roster import roster_data

PEOPLE = [f"U{i:03d}" for i in range(1, 25)]
SLOT = "2026-11-30T10:50"
AT_SLOT = datetime(2026, 11, 30, 10, 50, tzinfo=UTC)


@pytest.fixture
def database_url(postgres_database: PostgresDatabase) -> str:
    """PostgreSQL only (see above)."""
    postgres_database.truncate()
    return postgres_database.url


async def test_a_setting_saved_while_the_plan_moves_loses_no_prompt(
    database_url: str, closing: list[Respite], monkeypatch: pytest.MonkeyPatch
) -> None:
    """U001 saves a setting at 10:50:05 just as the tick moves the team's plan. Were the move to
    commit after leaving read the plan's pending fan-outs (none yet) but before it read the
    plan's prompt count, U001 would leave counting a prompt never queued for them, and the
    fan-out would no longer find them on the plan."""
    clock = FixedClock(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    tick_proc, _ = await build_sim(database_url, clock, roster_data(members=PEOPLE))
    user_proc, _ = await build_sim(database_url, clock, roster_data(members=PEOPLE))
    closing.extend([tick_proc, user_proc])
    await ticker(tick_proc).tick(tick_proc.deps)  # everyone on the team's plan, due 10:50
    clock.set(datetime(2026, 11, 30, 10, 50, 5, tzinfo=UTC))
    store_t = tick_proc.deps.breaks
    (plan,) = (await store_t.due_schedules(clock.now())).plans
    original = fanout_sql.fanouts_where

    moving: list[asyncio.Task[int]] = []

    async def tick_moves_in_between(conn: Any, where: Any) -> list[Any]:
        found = await original(conn, where)
        if not moving:
            move = ticker(tick_proc).move(tick_proc.deps, plan, clock.now())
            moving.append(asyncio.create_task(store_t.move_plans([move])))
            await asyncio.sleep(0.5)  # the tick's move commits here, unless it must wait
        return found

    monkeypatch.setattr(fanout_sql, "fanouts_where", tick_moves_in_between)
    settings = BreakSettings(Platform.SLACK.value, "U001", "riverside", enabled=True)
    await user_proc.deps.breaks.save(settings, clock.now())
    await asyncio.gather(*moving)
    monkeypatch.undo()
    await fan_out(tick_proc)
    keys = {r.key for r in await rows(tick_proc, outbox)}
    assert f"break:slack:u:U002:{SLOT}" in keys
    (u001,) = [p for p in await rows(tick_proc, break_people) if p.user_id == "U001"]
    # Either U001 got 10:50 and their rotation counts it, or neither (they left first).
    assert (f"break:slack:u:U001:{SLOT}" in keys) == (u001.last_practice is not None)


async def test_a_setting_saved_while_a_retired_plan_is_removed_does_not_deadlock(
    database_url: str, closing: list[Respite], monkeypatch: pytest.MonkeyPatch
) -> None:
    """U001 saves a setting while a tick retires their plan (its team is gone), which still has
    a prompt to fan out. Leaving fans it out and then changes U001's row; retiring changes
    every follower's row and then removes the fan-out. Both take the plan first, so one waits
    for the other."""
    respite, without, clock = await team_gone_with_a_prompt_pending(database_url, closing)
    (plan,) = (await without.deps.breaks.due_schedules(clock.now())).plans
    retire = ticker(without).move(without.deps, plan, clock.now())
    assert retire.step is PlanStep.RETIRE
    original = fanout_sql.fanouts_where
    retiring: list[asyncio.Task[int]] = []

    async def retire_meanwhile(conn: Any, where: Any) -> list[Any]:
        found = await original(conn, where)  # the fan-out row, locked
        if not retiring:
            retiring.append(asyncio.create_task(without.deps.breaks.move_plans([retire])))
            await asyncio.sleep(0.5)  # the retire locks the plan and its followers
        return found

    monkeypatch.setattr(fanout_sql, "fanouts_where", retire_meanwhile)
    settings = BreakSettings(Platform.SLACK.value, "U001", "riverside", enabled=True)
    saving = asyncio.create_task(respite.deps.breaks.save(settings, clock.now()))
    done = await asyncio.gather(saving, return_exceptions=True)
    done += await asyncio.gather(*retiring, return_exceptions=True)
    # Neither is aborted as a deadlock victim.
    assert [type(d).__name__ for d in done if isinstance(d, BaseException)] == []


async def test_overlapping_ticks_join_and_move_two_plans_without_deadlock(
    database_url: str, closing: list[Respite], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two plans (the team's, and twelve people's own 10:50/15:00) are due at 10:50, and one
    person planned alone is due at each plan's slot. Tick B joins them while tick A moves the
    plans. Taken in the order of their settings, the joins would lock the plans in the opposite
    order to the moves (by plan id), each tick holding a plan the other wants."""
    clock = FixedClock(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    roster = roster_data(members=PEOPLE)
    first, _ = await build_sim(database_url, clock, roster)
    second, _ = await build_sim(database_url, clock, roster)
    closing.extend([first, second])
    await ticker(first).tick(first.deps)
    for user in PEOPLE[12:]:
        await command(first, user, "breaks at 10:50 15:00")
    await ticker(first).tick(first.deps)  # their own plan, due at 10:50 like the team's
    await ticker(second).sync_people(second.deps, clock.now())
    clock.set(datetime(2026, 11, 30, 10, 50, 5, tzinfo=UTC))
    async with first.engine.begin() as conn:  # one of each planned alone, due at the slot
        await conn.execute(
            update(break_people)
            .where(break_people.c.user_id.in_(["U001", "U013"]))
            .values(plan_id=None, plan_sent=None, next_at=AT_SLOT, next_slot=SLOT)
        )
    store_a, store_b = first.deps.breaks, second.deps.breaks
    assert isinstance(store_b, SqlBreakStore)
    due_a = await store_a.due_schedules(clock.now())
    assert len(due_a.plans) == 2
    tick_b = ticker(second)
    due_b = await store_b.due_schedules(clock.now())
    joins = [tick_b.join(second.deps, g, clock.now()) for g in due_b.groups]
    join_order = [
        plans_sql.plan_id(plans_sql.group_key(j.group).plan())
        for j in sorted(joins, key=lambda j: repr(j.group.match))
    ]
    assert len(set(join_order)) == 2
    assert join_order != sorted(join_order)  # the orders conflict (a fact of these settings)

    original = store_b.plans._join
    first_joined, go = asyncio.Event(), asyncio.Event()

    async def pausing(conn: Any, j: Any, now: datetime) -> tuple[int, int]:
        result = await original(conn, j, now)
        if not first_joined.is_set():
            first_joined.set()
            await go.wait()
        return result

    monkeypatch.setattr(store_b.plans, "_join", pausing)
    joining = asyncio.create_task(store_b.join_plans(joins, clock.now()))
    await first_joined.wait()
    moves = [ticker(first).move(first.deps, p, clock.now()) for p in due_a.plans]
    moving = asyncio.create_task(store_a.move_plans(moves))
    await asyncio.sleep(0.5)
    go.set()
    done = await asyncio.gather(joining, moving, return_exceptions=True)
    # Neither is aborted as a deadlock victim.
    assert [type(d).__name__ for d in done if isinstance(d, BaseException)] == []
