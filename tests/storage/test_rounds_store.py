"""RoundStore on real SQL: one answer per person per round, closing is atomic and final."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import load_instrument
from bot.domain.messages import Platform
from bot.domain.ports import Period
from bot.storage.db import create_engine_async, session_factory
from bot.storage.rounds import SqlRoundStore

START = datetime(2026, 11, 30, 10, tzinfo=UTC)
PERIOD = Period(
    "2026-11-30T10:00+00:00", START, START + timedelta(hours=48), START + timedelta(hours=72)
)
ANSWERS = {
    "drained": 4,
    "recharged": 2,
    "going_through_motions": 3,
    "made_a_difference": 4,
    "caseload": 5,
    "supported": 2,
}


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlRoundStore]:
    engine = create_engine_async(database_url)
    yield SqlRoundStore(session_factory(engine), load_instrument())
    await engine.dispose()


async def test_concurrent_ensure_yields_one_round(store: SqlRoundStore) -> None:
    rounds = await asyncio.gather(*(store.ensure("t1", PERIOD) for _ in range(8)))
    assert len({r.id for r in rounds}) == 1


async def test_one_answer_per_person_even_when_racing(store: SqlRoundStore) -> None:
    rnd = await store.ensure("t1", PERIOD)
    results = await asyncio.gather(
        *(store.record_response(rnd.id, "t1", Platform.SLACK, "U1", ANSWERS) for _ in range(5))
    )
    assert sorted(results) == [False, False, False, False, True]
    assert len(await store.answers(rnd.id)) == 1
    assert await store.has_answered(rnd.id, Platform.SLACK, "U1")
    assert not await store.has_answered(rnd.id, Platform.SLACK, "U2")


async def test_close_freezes_figures_and_refuses_late_answers(store: SqlRoundStore) -> None:
    rnd = await store.ensure("t1", PERIOD)
    for i in range(6):
        assert await store.record_response(rnd.id, "t1", Platform.SLACK, f"U{i}", ANSWERS)
    ids_before = {a for a, _ in await store.answers(rnd.id)}
    closed_at = START + timedelta(hours=72)
    assert await store.close(rnd.id, 8, closed_at)
    assert not await store.close(rnd.id, 8, closed_at)  # a second close changes nothing
    assert not await store.record_response(rnd.id, "t1", Platform.SLACK, "U9", ANSWERS)
    assert len(await store.answers(rnd.id)) == 6
    assert ids_before == {"t1"}
    [figures] = await store.released("t1", 6)
    assert figures.members == 8
    assert figures.tally.respondents == 6
    assert figures.tally.means()["demands"] == pytest.approx(5.0)
    assert figures.tally.means()["exhaustion"] == pytest.approx(4.0)  # 4 and reversed 2 -> 4
    assert figures.closed_at == closed_at


async def test_released_is_newest_first_and_only_closed(store: SqlRoundStore) -> None:
    for week in range(3):
        start = START + timedelta(weeks=week)
        period = Period(
            f"week-{week}", start, start + timedelta(hours=48), start + timedelta(hours=72)
        )
        rnd = await store.ensure("t1", period)
        await store.record_response(rnd.id, "t1", Platform.SLACK, "U1", ANSWERS)
        if week < 2:
            await store.close(rnd.id, 5, period.closes_at)
    released = await store.released("t1", 6)
    assert [r.period_key for r in released] == ["week-1", "week-0"]
    assert [r.team_id for r in await store.open_rounds()] == ["t1"]
