"""Engines for the embedded default (SQLite) and production (PostgreSQL).

One `DATABASE_URL` names the database; the async driver serves the app and the sync driver serves
Alembic. SQLite runs in WAL mode with IMMEDIATE transactions so that `respite serve` and a CLI
command can share one file without lost updates or spurious "database is locked" errors. Its
statements run on the event loop over one connection per process (`bot.storage.sqlite_inline`).

Every wait for the database is bounded (`DatabaseTimeouts`), so a database that hangs (a stalled
host, a lock storm) makes Respite fail in seconds instead of hanging with it: connecting, waiting
for a pooled connection, and each statement. On PostgreSQL a statement is bounded twice: by the
server's `statement_timeout`, which a live but busy server enforces, and by a client-side deadline
a little longer, for a server that answers nothing at all (it cannot report its own timeout).
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass
from typing import Any, Self

import psycopg
from sqlalchemy import Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.storage import sqlite_inline

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 15_000

# How much longer than the server's statement_timeout the client waits for any answer: the server
# reports its own timeout if it can, and only a server that says nothing meets the client's.
CLIENT_DEADLINE_GRACE_SECONDS = 5.0


@dataclass(frozen=True)
class DatabaseTimeouts:
    """Bounds on waits for the database, in seconds (Settings' `database_*_timeout_seconds`).

    On SQLite only `pool` applies: opening the file does not wait, and a statement waits for
    another process's write lock no longer than the busy timeout (`SQLITE_BUSY_TIMEOUT_MS`).
    """

    connect: float = 5.0
    pool: float = 10.0
    statement: float = 30.0

    @property
    def client_deadline(self) -> float:
        """The longest the client waits for one statement, commit or rollback to answer."""
        return self.statement + CLIENT_DEADLINE_GRACE_SECONDS

    @property
    def idle_in_transaction(self) -> float:
        """How long the server keeps a transaction whose client went silent (its locks too)."""
        return 2 * self.statement


class _DeadlineCursor(psycopg.AsyncCursor[Any]):
    """A cursor whose statements give up after the connection's client-side deadline."""

    async def execute(self, *args: Any, **kwargs: Any) -> Self:
        async with asyncio.timeout(_deadline_of(self.connection)):
            return await super().execute(*args, **kwargs)

    async def executemany(self, *args: Any, **kwargs: Any) -> None:
        async with asyncio.timeout(_deadline_of(self.connection)):
            await super().executemany(*args, **kwargs)


class _DeadlineConnection(psycopg.AsyncConnection[Any]):
    """A connection whose commit and rollback give up after its client-side deadline."""

    client_deadline: float | None = None

    async def commit(self) -> None:
        async with asyncio.timeout(self.client_deadline):
            await super().commit()

    async def rollback(self) -> None:
        async with asyncio.timeout(self.client_deadline):
            await super().rollback()


def _deadline_of(connection: psycopg.AsyncConnection[Any]) -> float | None:
    return connection.client_deadline if isinstance(connection, _DeadlineConnection) else None


def _postgres_connect_args(url: URL, timeouts: DatabaseTimeouts) -> dict[str, Any]:
    """psycopg's connection parameters that bound the waits (libpq's, server settings)."""
    server = (
        f"-c statement_timeout={_ms(timeouts.statement)} "
        f"-c idle_in_transaction_session_timeout={_ms(timeouts.idle_in_transaction)}"
    )
    given = url.query.get("options")
    if isinstance(given, str) and given:
        server = f"{given} {server}"
    deadline = timeouts.client_deadline

    async def connect(*args: Any, **kwargs: Any) -> _DeadlineConnection:
        connection = await _DeadlineConnection.connect(*args, **kwargs)
        connection.client_deadline = deadline
        return connection

    return {
        # libpq counts whole seconds and takes no less than 2.
        "connect_timeout": max(2, math.ceil(timeouts.connect)),
        "options": server,
        # A peer that vanished from the network (no reset, no answer) is noticed within the
        # client deadline instead of the kernel's minutes.
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 3,
        "tcp_user_timeout": _ms(deadline),
        "cursor_factory": _DeadlineCursor,
        "async_creator_fn": connect,
    }


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def _url(raw: str) -> URL:
    url = make_url(raw)
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def sync_url(raw: str) -> URL:
    url = _url(raw)
    if url.get_backend_name() == "sqlite":
        return url.set(drivername="sqlite")
    return url


def async_url(raw: str) -> URL:
    url = _url(raw)
    if url.get_backend_name() == "sqlite":
        return url.set(drivername="sqlite+aiosqlite")
    return url


def is_sqlite(raw: str) -> bool:
    return _url(raw).get_backend_name() == "sqlite"


def _sqlite_setup(engine: Engine, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction starts.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
        cur.execute("PRAGMA journal_mode = WAL")
        mode = str(cur.fetchone()[0]).lower()
        if mode not in ("wal", "memory"):  # a file system without shared memory, for one
            log.warning(
                "SQLite stayed in %s journal mode instead of WAL: readers and writers will wait "
                "for each other",
                mode,
            )
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        # Deleted rows are overwritten with zeros, not left in free pages of the file: answers
        # and participation deleted once they have served their purpose must not outlive it in
        # a copy of the file. (The WAL keeps page images until its next checkpoint.)
        cur.execute("PRAGMA secure_delete = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine_async(
    raw: str, timeouts: DatabaseTimeouts | None = None, **kwargs: Any
) -> AsyncEngine:
    url = async_url(raw)
    timeouts = timeouts or DatabaseTimeouts()
    # A failed statement's error never carries its parameters (user ids, keys) into a log.
    kwargs.setdefault("hide_parameters", True)
    if url.get_backend_name() == "sqlite":
        # The file path is all that is used of a SQLite URL: query options (`?mode=ro`, `uri=true`)
        # and `connect_args` do not reach the connection, which sqlite_inline opens itself.
        database = url.database or ":memory:"
        if database != ":memory:":
            # One connection: coroutines queue for it on the pool, not in SQLite's busy handler.
            kwargs.setdefault("pool_size", 1)
            kwargs.setdefault("max_overflow", 0)
            kwargs.setdefault("pool_timeout", timeouts.pool)
        engine = create_async_engine(
            url,
            async_creator=lambda: sqlite_inline.connect(database, SQLITE_BUSY_TIMEOUT_MS / 1000),
            **kwargs,
        )
        # The busy timeout is kept by the connection, waiting off the loop (see sqlite_inline).
        _sqlite_setup(engine.sync_engine, busy_timeout_ms=0)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_timeout", timeouts.pool)
    connect_args = _postgres_connect_args(url, timeouts)
    connect_args.update(kwargs.pop("connect_args", {}))
    return create_async_engine(url, connect_args=connect_args, **kwargs)


def create_engine_sync(
    raw: str, connect_timeout: float = DatabaseTimeouts.connect, **kwargs: Any
) -> Engine:
    """The engine for Alembic and CLI commands: connecting is bounded, statements are not (a
    migration may rightly take minutes)."""
    from sqlalchemy import create_engine

    url = sync_url(raw)
    kwargs.setdefault("hide_parameters", True)
    if url.get_backend_name() == "postgresql":
        connect_args = {"connect_timeout": max(2, math.ceil(connect_timeout))}
        connect_args.update(kwargs.pop("connect_args", {}))
        kwargs["connect_args"] = connect_args
    engine = create_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        _sqlite_setup(engine)
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def dialect_insert(
    on: AsyncSession | AsyncConnection | AsyncEngine, table: Table
) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into `table` in the dialect of `on`'s database.

    Only the dialects' own INSERT has ON CONFLICT (`on_conflict_do_nothing`,
    `on_conflict_do_update`), which upserts need; both dialects spell it alike.
    """
    bind = on.get_bind() if isinstance(on, AsyncSession) else on
    if bind.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
