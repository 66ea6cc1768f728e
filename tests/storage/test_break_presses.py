"""A Done or Skip counts once, and only for a break prompt sent to the person who pressed it:
the mark of a press lives in the database (so it holds across restarts and replicas), names
nobody, and goes once its prompt can no longer be pressed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.messages import Platform
from bot.domain.team import Team
from bot.storage.breaks import SqlBreakStore
from bot.storage.breaks_uptake import PRESS_WINDOW
from bot.storage.db import create_engine_async, session_factory
from bot.storage.tables import break_presses, break_uptake
from tests.support.break_presses import prompt_sent

PEOPLE = frozenset(f"U{i}" for i in range(6))
TEAM = Team("riverside", "Riverside", Platform.SLACK, "UTC", PEOPLE, frozenset(), 5)
SENT = datetime(2027, 6, 22, 10, 50, tzinfo=UTC)
SLOT = "2027-06-22T10:50"
WEEK = (datetime(2027, 6, 21, tzinfo=UTC), datetime(2027, 6, 28, tzinfo=UTC))
KEY = b"k" * 32


def _store(engine: AsyncEngine, key: bytes = KEY) -> SqlBreakStore:
    return SqlBreakStore(session_factory(engine), {TEAM.id: TEAM}.get, mark_key=key)


async def _press(
    store: SqlBreakStore, user: str, slot: str = SLOT, outcome: str = "done", at: datetime = SENT
) -> bool:
    return await store.acknowledge(
        Platform.SLACK, user, slot, outcome, TEAM.id, WEEK, at + timedelta(minutes=2)
    )


async def _uptake(engine: AsyncEngine) -> tuple[int, int]:
    async with engine.connect() as conn:
        row = (await conn.execute(select(break_uptake.c.done, break_uptake.c.skipped))).first()
    return (0, 0) if row is None else (int(row.done), int(row.skipped))


async def test_only_a_prompt_sent_to_the_presser_counts_and_only_once(engine: AsyncEngine) -> None:
    store = _store(engine)
    await prompt_sent(engine, Platform.SLACK, "U1", SLOT, SENT)
    await prompt_sent(engine, Platform.SLACK, "U2", SLOT, SENT, status="dropped")
    await prompt_sent(engine, Platform.SLACK, "U3", SLOT, SENT, status="pending")
    # Slot strings made up, or of another day, or the slot with something after it.
    for forged in ("", "anything", f"{SLOT}x", "2027-06-23T10:50", SLOT.replace("10:50", "10:51")):
        assert not await _press(store, "U1", forged)
    # The prompt sent to U1, pressed by people it was not sent to (U2's was dropped unsent, U3's
    # is still waiting, U4 has none, and the same id on Teams is someone else).
    for user in ("U2", "U3", "U4"):
        assert not await _press(store, user)
    assert not await store.acknowledge(
        Platform.TEAMS, "U1", SLOT, "done", TEAM.id, WEEK, SENT + timedelta(minutes=2)
    )
    assert await _uptake(engine) == (0, 0)
    # Its own person: once, whatever the button and however often.
    assert await _press(store, "U1")
    presses = [_press(store, "U1", outcome=o) for o in ("done", "skipped") * 25]
    assert not any(await asyncio.gather(*presses))
    assert await _uptake(engine) == (1, 0)


async def test_a_press_holds_across_restarts_and_replicas(engine: AsyncEngine) -> None:
    await prompt_sent(engine, Platform.SLACK, "U1", SLOT, SENT)
    await prompt_sent(engine, Platform.SLACK, "U2", SLOT, SENT)
    first, second = _store(engine), _store(engine)  # two processes sharing the server secret
    assert await _press(first, "U1")
    assert not await _press(second, "U1")
    restarted = _store(engine)
    assert not await _press(restarted, "U1", outcome="skipped")
    assert await _press(restarted, "U2", outcome="skipped")
    assert await _uptake(engine) == (1, 1)


async def test_parallel_presses_on_many_connections_count_once(database_url: str) -> None:
    engines = [create_engine_async(database_url) for _ in range(5)]
    try:
        await prompt_sent(engines[0], Platform.SLACK, "U1", SLOT, SENT)
        stores = [_store(e) for e in engines]
        counted = await asyncio.gather(*(_press(stores[i % 5], "U1") for i in range(50)))
        assert sum(counted) == 1
        assert await _uptake(engines[0]) == (1, 0)
    finally:
        for e in engines:
            await e.dispose()


async def test_a_press_counts_within_a_day_of_its_prompt(engine: AsyncEngine) -> None:
    store = _store(engine)
    await prompt_sent(engine, Platform.SLACK, "U1", SLOT, SENT)
    await prompt_sent(engine, Platform.SLACK, "U2", SLOT, SENT)
    late = SENT + PRESS_WINDOW
    assert not await store.acknowledge(Platform.SLACK, "U1", SLOT, "done", TEAM.id, WEEK, late)
    in_time = late - timedelta(minutes=1)
    assert await store.acknowledge(Platform.SLACK, "U2", SLOT, "done", TEAM.id, WEEK, in_time)
    assert await _uptake(engine) == (1, 0)


async def test_the_mark_names_nobody_and_goes_when_its_prompt_can_no_longer_count(
    engine: AsyncEngine,
) -> None:
    store = _store(engine)
    await prompt_sent(engine, Platform.SLACK, "U1", SLOT, SENT)
    await prompt_sent(engine, Platform.SLACK, "U2", SLOT, SENT + timedelta(hours=5))
    assert await _press(store, "U1")
    assert await _press(store, "U2", at=SENT + timedelta(hours=5))
    async with engine.connect() as conn:
        marks = (await conn.execute(select(break_presses))).all()
    assert {tuple(m._mapping) for m in marks} == {("mark", "forget_after")}
    # No person, slot, team or outcome in plain; only the day after which the mark may go,
    # the same for every prompt of a day, so it dates no press.
    for m in marks:
        assert all(s not in m.mark for s in ("U1", "U2", SLOT, TEAM.id, "done"))
    assert {m.forget_after for m in marks} == {datetime(2027, 6, 24, tzinfo=UTC)}
    # The marks are keyed by the server secret: a store with another key knows none of them.
    assert await _press(_store(engine, b"x" * 32), "U1")
    # Kept while a press could still count, gone after.
    assert await store.forget_presses(SENT + PRESS_WINDOW) == 0
    assert await store.forget_presses(datetime(2027, 6, 24, tzinfo=UTC)) == 3
    async with engine.connect() as conn:
        assert (await conn.execute(select(break_presses))).all() == []
