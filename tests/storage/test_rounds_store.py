"""RoundStore on real SQL: one answer per person per round, closing is atomic and final."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import load_instrument
from bot.domain.messages import Platform
from bot.domain.ports import Period, Recorded
from bot.storage.db import create_engine_async, session_factory
from bot.storage.digest import SqlDigestStore, release_mark_key
from bot.storage.pulse import SqlRoundStore
from bot.storage.sealed import AnswerSeal
from bot.storage.tables import pulse_responses
from tests.support.db import PostgresDatabase, require_postgres

SECRET = b"rounds-store-test-secret-0123456789abcdef"
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
    yield SqlRoundStore(session_factory(engine), load_instrument(), SECRET)
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
    units_before = {a for a, _ in await store.answers(rnd.id)}
    closed_at = START + timedelta(hours=72)
    assert await store.close(rnd.id, 8, closed_at)
    assert not await store.close(rnd.id, 8, closed_at)  # a second close changes nothing
    assert not await store.record_response(rnd.id, "t1", Platform.SLACK, "U9", ANSWERS)
    assert await store.answers(rnd.id) == []  # tallied, then deleted
    assert units_before == {"t1"}
    [figures] = await digest_store(store).pending_rounds()
    assert figures.members == 8
    assert figures.tally.respondents == 6
    assert figures.tally.means()["demands"] == pytest.approx(5.0)
    assert figures.tally.means()["exhaustion"] == pytest.approx(4.0)  # 4 and reversed 2 -> 4
    assert figures.closed_at == closed_at


async def test_only_closed_rounds_have_figures(store: SqlRoundStore) -> None:
    for week in range(3):
        start = START + timedelta(weeks=week)
        period = Period(
            f"week-{week}", start, start + timedelta(hours=48), start + timedelta(hours=72)
        )
        rnd = await store.ensure("t1", period)
        await store.record_response(rnd.id, "t1", Platform.SLACK, "U1", ANSWERS)
        if week < 2:
            await store.close(rnd.id, 5, period.closes_at)
    closed = await digest_store(store).pending_rounds()
    assert sorted(r.closed_at for r in closed) == [
        START + timedelta(weeks=w, hours=72) for w in range(2)
    ]
    assert [r.team_id for r in await store.open_rounds()] == ["t1"]


async def test_every_answer_is_rewritten_on_each_submission(store: SqlRoundStore) -> None:
    """The open round's answers get new ids each time anyone answers (both backends)."""
    rnd = await store.ensure("t1", PERIOD)
    seen: set[str] = set()
    for i in range(5):
        assert await store.record_response(rnd.id, "t1", Platform.SLACK, f"U{i}", ANSWERS)
        ids = await _response_ids(store, rnd.id)
        assert len(ids) == i + 1
        assert not ids & seen  # not one id survives a submission
        seen |= ids
    assert not await store.record_response(rnd.id, "t1", Platform.SLACK, "U0", ANSWERS)
    assert await _response_ids(store, rnd.id) & seen == await _response_ids(store, rnd.id)


async def test_racing_submissions_of_different_people_lose_no_answer(
    store: SqlRoundStore,
) -> None:
    rnd = await store.ensure("t1", PERIOD)
    results = await asyncio.gather(
        *(
            store.record_response(rnd.id, "t1", Platform.SLACK, f"U{i}", dict(ANSWERS, caseload=i))
            for i in range(1, 6)
        )
    )
    assert results == [True] * 5
    assert sorted(a["caseload"] for _, a in await store.answers(rnd.id)) == [1, 2, 3, 4, 5]
    assert len(await _response_ids(store, rnd.id)) == 5


async def _response_ids(store: SqlRoundStore, round_id: str) -> set[str]:
    async with store_sessions(store)() as s:
        rows = await s.execute(
            select(pulse_responses.c.id).where(pulse_responses.c.round_id == round_id)
        )
        return {r for (r,) in rows}


def digest_store(store: SqlRoundStore) -> SqlDigestStore:
    return SqlDigestStore(store_sessions(store), mark_key=release_mark_key(SECRET))


def store_sessions(store: SqlRoundStore) -> async_sessionmaker[AsyncSession]:
    return store._sessions


@pytest.fixture
async def pg_store(postgres_database: PostgresDatabase) -> AsyncIterator[SqlRoundStore]:
    postgres_database.truncate()
    engine = create_engine_async(postgres_database.url)
    yield SqlRoundStore(session_factory(engine), load_instrument(), SECRET)
    await engine.dispose()


@pytest.mark.postgres
async def test_no_response_shares_its_transaction_alone_with_a_participant(
    pg_store: SqlRoundStore,
) -> None:
    """PostgreSQL stamps every row with the transaction that wrote it (`xmin`). If an answer
    were written alone beside its author's participation row, the two would share an `xmin`
    that no other answer has, and the answer could be tied to the person."""
    rnd = await pg_store.ensure("t1", PERIOD)
    previous: set[str] = set()
    for i in range(6):
        answers = dict(ANSWERS, caseload=1 + i % 5)
        assert await pg_store.record_response(rnd.id, "t1", Platform.SLACK, f"U{i}", answers)
        async with store_sessions(pg_store)() as s:
            people = (
                await s.execute(
                    text("SELECT xmin::text FROM pulse_participation WHERE round_id = :r"),
                    {"r": rnd.id},
                )
            ).all()
            responses = (
                await s.execute(
                    text("SELECT id, xmin::text FROM pulse_responses WHERE round_id = :r"),
                    {"r": rnd.id},
                )
            ).all()
        assert len(people) == len(responses) == i + 1
        everyone = {rid for rid, _ in responses}
        for (xmin,) in people:
            sharing = {rid for rid, x in responses if x == xmin}
            assert sharing in (set(), everyone)
            if i > 0:
                assert len(sharing) != 1
        assert not everyone & previous  # new ids on every submission
        previous = everyone


@pytest.mark.postgres
async def test_the_newest_answer_is_not_stored_after_the_others(pg_store: SqlRoundStore) -> None:
    """Heap order on PostgreSQL follows the order rows were written. Each answer here is unique,
    so we can see where the newest one lands: after a re-shuffle it must not always be last
    (with ten submissions, always last by chance has a probability under one in three million)."""
    rnd = await pg_store.ensure("t1", PERIOD)
    last_each_time: list[bool] = []
    for i in range(11):
        answers = dict(ANSWERS, caseload=1 + i % 5, supported=1 + i // 5)
        assert await pg_store.record_response(rnd.id, "t1", Platform.SLACK, f"U{i}", answers)
        async with store_sessions(pg_store)() as s:
            stored = (
                await s.execute(
                    text("SELECT sealed FROM pulse_responses WHERE round_id = :r ORDER BY ctid"),
                    {"r": rnd.id},
                )
            ).all()
        if i > 0:
            [newest] = AnswerSeal(SECRET).open_all(rnd.id, [stored[-1][0]])
            last_each_time.append(newest.answers == answers)
    assert not all(last_each_time)


async def test_record_in_period_opens_the_round_once_and_takes_one_answer_each(
    store: SqlRoundStore,
) -> None:
    results = await asyncio.gather(
        *(
            store.record_in_period("t1", PERIOD, "t1", Platform.SLACK, user, ANSWERS)
            for user in ("U1", "U1", "U2", "U1", "U3")
        )
    )
    assert sorted(r.value for r in results) == sorted(
        [Recorded.STORED.value] * 3 + [Recorded.ALREADY_ANSWERED.value] * 2
    )
    rnd = await store.find("t1", PERIOD.key)
    assert rnd is not None
    assert len(await store.answers(rnd.id)) == 3
    assert await store.participants(rnd.id) == {
        (Platform.SLACK, "U1"),
        (Platform.SLACK, "U2"),
        (Platform.SLACK, "U3"),
    }


async def test_record_in_period_refuses_a_closed_round_and_stores_nothing(
    store: SqlRoundStore,
) -> None:
    rnd = await store.ensure("t1", PERIOD)
    assert await store.close(rnd.id, 5, START + timedelta(hours=1))
    result = await store.record_in_period("t1", PERIOD, "t1", Platform.SLACK, "U1", ANSWERS)
    assert result is Recorded.ROUND_CLOSED
    assert await store.answers(rnd.id) == []
    assert not await store.has_answered(rnd.id, Platform.SLACK, "U1")


async def test_answered_in_period(store: SqlRoundStore) -> None:
    assert not await store.answered_in_period("t1", PERIOD.key, Platform.SLACK, "U1")
    await store.ensure("t1", PERIOD)
    assert not await store.answered_in_period("t1", PERIOD.key, Platform.SLACK, "U1")
    await store.record_in_period("t1", PERIOD, "t1", Platform.SLACK, "U1", ANSWERS)
    assert await store.answered_in_period("t1", PERIOD.key, Platform.SLACK, "U1")
    assert not await store.answered_in_period("t1", PERIOD.key, Platform.TEAMS, "U1")
    assert not await store.answered_in_period("t2", PERIOD.key, Platform.SLACK, "U1")


@pytest.mark.postgres
async def test_no_answer_is_left_behind_as_a_dead_row_of_its_authors_transaction(
    pg_store: SqlRoundStore,
) -> None:
    """Until VACUUM, PostgreSQL keeps every deleted row version with the transaction that wrote it
    (`xmin`) and the one that deleted it (`xmax`). An answer inserted and re-shuffled away in the
    same transaction would be a dead version with xmin = xmax = its author's transaction."""
    sessions = store_sessions(pg_store)
    async with sessions() as s:
        try:
            await s.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
            await s.commit()
        except Exception as exc:  # the contrib module ships with PostgreSQL's server packages
            if require_postgres():
                raise
            pytest.skip(f"pageinspect is not available: {exc}")
    for i in range(4):
        answers = dict(ANSWERS, caseload=1 + i)
        stored = await pg_store.record_in_period(
            "t1", PERIOD, "t1", Platform.SLACK, f"U{i}", answers
        )
        assert stored is Recorded.STORED
    async with sessions() as s:
        tuples = (
            await s.execute(
                text(
                    "SELECT t_xmin::text AS xmin, t_xmax::text AS xmax FROM generate_series(0,"
                    " (pg_relation_size('pulse_responses') / current_setting('block_size')::int)"
                    " - 1) AS page, heap_page_items(get_raw_page('pulse_responses', page::int))"
                    " WHERE t_xmin IS NOT NULL"
                )
            )
        ).all()
    assert len(tuples) > 4  # live answers, and dead versions from the re-shuffles
    assert [t for t in tuples if t.xmin == t.xmax] == []
