"""SQLite statements run inline on the event loop, over aiosqlite's own interface.

aiosqlite hands every call (cursor, execute, fetch, close, commit) to a worker thread and back
through the event loop: about 60 microseconds of CPU a call, ten calls a short transaction, where
SQLite itself answers an indexed query in a few microseconds. Respite's statements are short and,
in WAL mode, a reader never waits, so running them on the loop is cheaper and no less responsive.
The price is that a long statement holds the loop while it runs: the longest, the digest job's
reads for a thousand teams, take tens of milliseconds each; an organisation that size belongs on
PostgreSQL, whose driver does not hold the loop.

Nothing may wait inside SQLite, since that would stop the loop: the engine keeps a single
connection per process (see `bot.storage.db`), so coroutines queue for it on the pool, and SQLite's
busy timeout is 0. When another connection holds the write lock (a CLI command on the same file,
or a second engine), the statement fails at once with SQLITE_BUSY and is retried here after an
asynchronous sleep, for as long as the busy timeout allows. With IMMEDIATE transactions in WAL
mode it is `BEGIN IMMEDIATE` that meets the lock; any statement that fails with SQLITE_BUSY has
changed nothing, so running it again is safe.

SQLAlchemy's aiosqlite dialect drives the connection; only aiosqlite's queue to the worker thread
is replaced by a call in place.
"""

from __future__ import annotations

import asyncio
import functools
import json
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Generator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite
from sqlalchemy import JSON
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.util import greenlet_spawn

_SQLITE = sqlite.dialect()


class _CallInPlace:
    """Stands in for the queue aiosqlite's worker thread reads: each call runs at once."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as exc:  # handed to the awaiting caller, as the worker thread would
            if future is not None and not future.done():
                future.set_exception(exc)
            return
        if future is not None and not future.done():
            future.set_result(result)


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    """Another connection holds a lock (SQLITE_BUSY). Not SQLITE_LOCKED: that is a conflict
    within this connection, which waiting cannot clear."""
    code: int | None = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) == sqlite3.SQLITE_BUSY
    return "database is locked" in str(exc)


class InlineConnection(aiosqlite.Connection):
    def __init__(self, connector: Callable[[], sqlite3.Connection], busy_timeout_s: float) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _CallInPlace()  # type: ignore[assignment]
        self._busy_timeout_s = busy_timeout_s

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        deadline = time.monotonic() + self._busy_timeout_s
        pause = 0.001
        while True:
            try:
                return fn(*args, **kwargs)
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or time.monotonic() >= deadline:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.05)

    def __await__(self) -> Generator[Any, None, aiosqlite.Connection]:
        # No worker thread to start.
        return self._connect().__await__()


def connect(database: str, busy_timeout_s: float) -> InlineConnection:
    """An unopened connection; SQLAlchemy's `async_creator` awaits it."""

    def connector() -> sqlite3.Connection:
        # Opened and used on the loop's thread; the pool may close it from another at exit.
        # timeout=0: never wait inside SQLite (see above).
        return sqlite3.connect(database, timeout=0, check_same_thread=False, isolation_level=None)

    return InlineConnection(connector, busy_timeout_s)


@functools.lru_cache(maxsize=64)
def _compiled(statement: Executable) -> SQLCompiler:
    assert isinstance(statement, ClauseElement)
    compiled = statement.compile(dialect=_SQLITE)
    assert isinstance(compiled, SQLCompiler)  # SQLite's paramstyle is positional ("qmark")
    for bind in compiled.binds.values():
        # Values go to the driver as they are (a mapping as JSON text): a type that converts its
        # values (a date time, for one) would be stored unlike SQLAlchemy stores it.
        if not isinstance(bind.type, JSON) and bind.type.bind_processor(_SQLITE) is not None:
            raise TypeError(f"{bind.key}: {bind.type!r} needs SQLAlchemy's conversion")
    return compiled


class Direct:
    """Core statements compiled once and run straight on the connection.

    SQLAlchemy's execution machinery (events, execution context, result wrapping) costs about
    60 microseconds a statement, several times what SQLite takes to run a check-in's statements;
    the check-in's read and write skip it. Parameters are plain values; a mapping is stored as
    JSON text, as SQLAlchemy's JSON type would store it.
    """

    def __init__(self, connection: InlineConnection) -> None:
        self._connection = connection

    async def run(self, statement: Executable, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        compiled = _compiled(statement)
        bound = compiled.construct_params(dict(params))  # with the statement's own literals
        values = tuple(
            json.dumps(v) if isinstance(v, Mapping) else v
            for v in (bound[name] for name in compiled.positiontup or ())
        )
        async with self._connection.execute(compiled.string, values) as cursor:
            row = await cursor.fetchone()
            return None if row is None else tuple(row)


@asynccontextmanager
async def _driver(engine: AsyncEngine) -> AsyncIterator[InlineConnection]:
    """The pooled connection, checked out and returned (reset included) by the pool itself:
    without a SQLAlchemy Connection around it, half the cost of `engine.connect()`."""
    pooled = await engine.raw_connection()
    try:
        driver = pooled.driver_connection
        assert isinstance(driver, InlineConnection)
        yield driver
    finally:
        # Returning it may reset it (a rollback through the async driver): in a greenlet.
        await greenlet_spawn(pooled.close)


@asynccontextmanager
async def direct_transaction(engine: AsyncEngine) -> AsyncIterator[Direct]:
    """An IMMEDIATE transaction on the pooled connection, committed unless the block raises."""
    async with _driver(engine) as driver:
        await driver.execute("BEGIN IMMEDIATE")
        try:
            yield Direct(driver)
        except BaseException:
            await driver.rollback()
            raise
        await driver.commit()


async def direct_read(
    engine: AsyncEngine, statement: Executable, params: Mapping[str, Any]
) -> tuple[Any, ...] | None:
    """The first row of one query, outside any explicit transaction: SQLite reads a single
    statement from one snapshot, and takes no write lock for it."""
    async with _driver(engine) as driver:
        return await Direct(driver).run(statement, params)
