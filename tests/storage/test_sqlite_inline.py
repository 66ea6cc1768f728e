"""SQLite statements on the event loop: another writer is waited for without stopping it."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.storage import sqlite_inline
from bot.storage.db import create_engine_async


async def _ticks_while(work: asyncio.Future[Any]) -> int:
    ticks = 0
    while not work.done():
        await asyncio.sleep(0.005)
        ticks += 1
    return ticks


async def test_a_second_engine_waits_for_the_write_lock_off_the_loop(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first, second = create_engine_async(url), create_engine_async(url)
    try:
        async with first.begin() as conn:
            await conn.execute(text("CREATE TABLE notes (who TEXT)"))
        order: list[str] = []

        async def hold_the_lock() -> None:
            async with first.begin() as conn:
                await conn.execute(text("INSERT INTO notes VALUES ('first')"))
                await asyncio.sleep(0.2)  # the transaction yields to the loop, lock held
                order.append("first commits")

        async def write_meanwhile() -> None:
            await asyncio.sleep(0.02)
            async with second.begin() as conn:
                order.append("second begins")
                await conn.execute(text("INSERT INTO notes VALUES ('second')"))

        work = asyncio.ensure_future(asyncio.gather(hold_the_lock(), write_meanwhile()))
        ticks = await _ticks_while(work)
        await work
        # The loop went on while the second engine waited: had the wait been in SQLite's busy
        # handler, the first transaction could never have committed.
        assert order == ["first commits", "second begins"]
        assert ticks > 0
        async with second.connect() as conn:
            rows = (await conn.execute(text("SELECT who FROM notes ORDER BY rowid"))).all()
        assert [r.who for r in rows] == ["first", "second"]
    finally:
        await first.dispose()
        await second.dispose()


async def test_a_lock_held_past_the_busy_timeout_is_a_clear_error(tmp_path: Path) -> None:
    path = str(tmp_path / "locked.db")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("PRAGMA journal_mode = WAL")
    other.execute("CREATE TABLE t (x INTEGER)")
    other.execute("BEGIN IMMEDIATE")  # another process's long write
    conn = await sqlite_inline.connect(path, busy_timeout_s=0.05)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await conn.execute("BEGIN IMMEDIATE")
        other.execute("COMMIT")
        await conn.execute("BEGIN IMMEDIATE")
        await conn.execute("INSERT INTO t VALUES (1)")
        await conn.commit()
    finally:
        await conn.close()
        other.close()
    check = sqlite3.connect(path)
    assert check.execute("SELECT x FROM t").fetchall() == [(1,)]
    check.close()


async def test_errors_reach_the_caller_and_the_connection_stays_usable(tmp_path: Path) -> None:
    conn = await sqlite_inline.connect(str(tmp_path / "e.db"), busy_timeout_s=1.0)
    try:
        await conn.execute("CREATE TABLE u (x INTEGER PRIMARY KEY)")
        await conn.execute("INSERT INTO u VALUES (1)")
        with pytest.raises(sqlite3.IntegrityError):
            await conn.execute("INSERT INTO u VALUES (1)")
        cursor = await conn.execute("SELECT count(*) FROM u")
        assert await cursor.fetchall() == [(1,)]
    finally:
        await conn.close()


async def test_a_direct_transaction_commits_or_rolls_back_as_a_whole(tmp_path: Path) -> None:
    from sqlalchemy import (
        JSON,
        Column,
        Integer,
        MetaData,
        String,
        Table,
        bindparam,
        func,
        insert,
        select,
    )

    meta = MetaData()
    notes = Table("notes", meta, Column("id", String), Column("n", Integer), Column("doc", JSON))
    engine = create_engine_async(f"sqlite:///{tmp_path / 'direct.db'}")
    try:
        async with engine.begin() as conn:
            await conn.run_sync(meta.create_all)
        add = insert(notes).values(id=func.hex(func.randomblob(4)), n=1, doc={"fixed": True})
        add_doc = insert(notes).values(n=2, doc=bindparam("doc")).returning(notes.c.n)
        async with sqlite_inline.direct_transaction(engine) as tx:
            assert await tx.run(add, {}) is None  # no rows to return
            assert await tx.run(add_doc, {"doc": {"caseload": 4}}) == (2,)
        with pytest.raises(RuntimeError):
            async with sqlite_inline.direct_transaction(engine) as tx:
                await tx.run(add_doc, {"doc": {"caseload": 5}})
                raise RuntimeError("half-way")
        async with engine.connect() as conn:
            rows = (await conn.execute(select(notes.c.n, notes.c.doc, notes.c.id))).all()
        assert sorted((n, doc) for n, doc, _ in rows) == [
            (1, {"fixed": True}),
            (2, {"caseload": 4}),
        ]
        assert [len(row_id) for n, _, row_id in rows if n == 1] == [8]  # randomblob(4), in hex
    finally:
        await engine.dispose()


async def test_a_direct_read_takes_no_write_lock_and_needs_none(tmp_path: Path) -> None:
    from sqlalchemy import bindparam

    path = tmp_path / "read.db"
    engine = create_engine_async(f"sqlite:///{path}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
            await conn.execute(text("INSERT INTO t VALUES (7)"))
        writer = sqlite3.connect(str(path), isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
        writer.execute("INSERT INTO t VALUES (8)")
        query = text("SELECT count(*), max(x) FROM t WHERE x >= :low").bindparams(bindparam("low"))
        assert await sqlite_inline.direct_read(engine, query, {"low": 0}) == (1, 7)
        writer.execute("COMMIT")
        writer.close()
        assert await sqlite_inline.direct_read(engine, query, {"low": 0}) == (2, 8)
    finally:
        await engine.dispose()


async def test_a_value_sqlalchemy_would_convert_is_refused_not_stored_differently(
    tmp_path: Path,
) -> None:
    from sqlalchemy import Column, MetaData, Table, insert

    from bot.storage.types import UtcDateTime

    stamps = Table("stamps", MetaData(), Column("at", UtcDateTime()))
    engine = create_engine_async(f"sqlite:///{tmp_path / 'types.db'}")
    try:
        with pytest.raises(TypeError, match="at"):
            async with sqlite_inline.direct_transaction(engine) as tx:
                await tx.run(insert(stamps), {"at": "2026-11-30 10:00:00"})
    finally:
        await engine.dispose()
