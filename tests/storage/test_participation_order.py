"""Who took part in a round is stored without the order in which they answered: neither
PostgreSQL's hidden columns (xmin, ctid) nor where SQLite put each row's bytes in its page give
the order of submission back."""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from bot.config import load_instrument
from bot.domain.messages import Platform
from bot.domain.ports import Period
from bot.storage.db import create_engine_async, session_factory
from bot.storage.pulse import SqlRoundStore
from tests.support.db import PostgresDatabase, require_postgres

SECRET = b"participation-test-secret-0123456789abcdef"
START = datetime(2026, 11, 30, 10, tzinfo=UTC)
PERIOD = Period("2026-W49", START, START + timedelta(hours=48), START + timedelta(hours=72))
ANSWERS = {"drained": 3, "recharged": 3, "caseload": 4, "supported": 2}
# Twelve people answer in an order that is neither their ids' order nor its reverse: if storage
# kept the order of arrival, it would show. A random order matching it has odds of 1 in 12!.
SUBMITTED = [f"U{n:02d}" for n in (7, 2, 11, 0, 5, 9, 1, 10, 4, 8, 3, 6)]


async def submit_everyone(store: SqlRoundStore) -> str:
    rnd = await store.ensure("t1", PERIOD)
    for user in SUBMITTED:
        assert await store.record_response(rnd.id, "t1", Platform.SLACK, user, ANSWERS)
    return rnd.id


@pytest.fixture
async def pg_store(postgres_database: PostgresDatabase) -> AsyncIterator[SqlRoundStore]:
    postgres_database.truncate()
    engine = create_engine_async(postgres_database.url)
    yield SqlRoundStore(session_factory(engine), load_instrument(), SECRET)
    await engine.dispose()


@pytest.mark.postgres
async def test_hidden_columns_give_no_order_of_submission(pg_store: SqlRoundStore) -> None:
    round_id = await submit_everyone(pg_store)
    async with pg_store._sessions() as s:
        rows = (
            await s.execute(
                text(
                    "SELECT user_id, xmin::text AS xmin FROM pulse_participation"
                    " WHERE round_id = :r ORDER BY ctid"
                ),
                {"r": round_id},
            )
        ).all()
    assert sorted(r.user_id for r in rows) == sorted(SUBMITTED)
    assert len({r.xmin for r in rows}) == 1  # all written by the last submission
    assert [r.user_id for r in rows] != SUBMITTED


@pytest.mark.postgres
async def test_no_participation_row_is_left_dead_in_its_authors_transaction(
    pg_store: SqlRoundStore,
) -> None:
    """A row inserted and re-written away in one transaction would stay, until VACUUM, as a
    dead version with xmin = xmax: the newcomer's transaction, naming them."""
    async with pg_store._sessions() as s:
        try:
            await s.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
            await s.commit()
        except Exception as exc:  # the contrib module ships with PostgreSQL's server packages
            if require_postgres():
                raise
            pytest.skip(f"pageinspect is not available: {exc}")
    await submit_everyone(pg_store)
    async with pg_store._sessions() as s:
        tuples = (
            await s.execute(
                text(
                    "SELECT t_xmin::text AS xmin, t_xmax::text AS xmax FROM generate_series(0,"
                    " (pg_relation_size('pulse_participation')"
                    " / current_setting('block_size')::int) - 1) AS page,"
                    " heap_page_items(get_raw_page('pulse_participation', page::int))"
                    " WHERE t_xmin IS NOT NULL"
                )
            )
        ).all()
    assert len(tuples) > len(SUBMITTED)  # live rows and dead versions from the re-writes
    assert [t for t in tuples if t.xmin == t.xmax] == []


def _write_order_in_page(path: str, table: str) -> list[str]:
    """User ids of a one-page WITHOUT ROWID table in the order SQLite wrote their cells.

    A leaf page keeps its cell pointers in key order, but a new cell's bytes are taken from the
    top of the free space, just below the cell written before it: so the higher a cell's offset,
    the earlier it was written.
    """
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,))
        (page_no,) = root.fetchone()
        keys = [u for (u,) in conn.execute(f"SELECT user_id FROM {table}")]  # noqa: S608
    with open(path, "rb") as f:
        f.seek((page_no - 1) * page_size)
        page = f.read(page_size)
    assert page[0] == 0x0A, "expected one leaf page of an index b-tree"
    (cells,) = struct.unpack(">H", page[3:5])
    offsets = struct.unpack(f">{cells}H", page[8 : 8 + 2 * cells])
    assert len(keys) == cells  # in key order, as the pointers are
    return [key for _, key in sorted(zip(offsets, keys, strict=True), reverse=True)]


async def test_sqlite_page_layout_gives_no_order_of_submission(sqlite_url: str) -> None:
    engine = create_engine_async(sqlite_url)
    try:
        store = SqlRoundStore(session_factory(engine), load_instrument(), SECRET)
        await submit_everyone(store)
    finally:
        await engine.dispose()
    written = _write_order_in_page(sqlite_url.split(":///", 1)[1], "pulse_participation")
    assert sorted(written) == sorted(SUBMITTED)
    assert written != SUBMITTED
