"""Engines for the embedded default (SQLite) and production (PostgreSQL).

One `DATABASE_URL` names the database; the async driver serves the app and the sync driver serves
Alembic. SQLite runs in WAL mode with IMMEDIATE transactions so that `respite serve` and a CLI
command can share one file without lost updates or spurious "database is locked" errors. Its
statements run on the event loop over one connection per process (`bot.storage.sqlite_inline`).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.storage import sqlite_inline

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 15_000


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


def create_engine_async(raw: str, **kwargs: Any) -> AsyncEngine:
    url = async_url(raw)
    if url.get_backend_name() == "sqlite":
        # The file path is all that is used of a SQLite URL: query options (`?mode=ro`, `uri=true`)
        # and `connect_args` do not reach the connection, which sqlite_inline opens itself.
        database = url.database or ":memory:"
        if database != ":memory:":
            # One connection: coroutines queue for it on the pool, not in SQLite's busy handler.
            kwargs.setdefault("pool_size", 1)
            kwargs.setdefault("max_overflow", 0)
        engine = create_async_engine(
            url,
            async_creator=lambda: sqlite_inline.connect(database, SQLITE_BUSY_TIMEOUT_MS / 1000),
            **kwargs,
        )
        # The busy timeout is kept by the connection, waiting off the loop (see sqlite_inline).
        _sqlite_setup(engine.sync_engine, busy_timeout_ms=0)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def create_engine_sync(raw: str, **kwargs: Any) -> Engine:
    from sqlalchemy import create_engine

    url = sync_url(raw)
    engine = create_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        _sqlite_setup(engine)
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
