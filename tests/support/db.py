"""Real databases for tests: a fresh SQLite file, or a throwaway PostgreSQL database.

PostgreSQL tests skip with a reason when the server is unreachable, unless
RESPITE_REQUIRE_POSTGRES=1 (CI), where an unreachable server fails the run instead.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import delete, text

from bot.storage.db import create_engine_sync
from bot.storage.migrate import upgrade
from bot.storage.tables import metadata

PG_BASE = os.environ.get("RESPITE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def require_postgres() -> bool:
    return os.environ.get("RESPITE_REQUIRE_POSTGRES") == "1"


def postgres_reachable() -> str | None:
    """None when reachable, else the reason."""
    try:
        with psycopg.connect(PG_BASE, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"PostgreSQL not reachable at {PG_BASE}: {exc}".strip()
    return None


class PostgresDatabase:
    """A database of its own for this test session, dropped at the end."""

    def __init__(self) -> None:
        self.name = f"respite_test_{os.getpid()}_{secrets.token_hex(3)}"
        base = psycopg.conninfo.conninfo_to_dict(PG_BASE)
        with psycopg.connect(PG_BASE, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        base["dbname"] = self.name
        user = base.get("user", "postgres")
        host = base.get("host", "127.0.0.1")
        port = base.get("port", "5432")
        self.url = f"postgresql://{user}@{host}:{port}/{self.name}"
        upgrade(self.url)

    def truncate(self) -> None:
        engine = create_engine_sync(self.url)
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        engine.dispose()

    def drop(self) -> None:
        with psycopg.connect(PG_BASE, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class SqliteTemplate:
    """Migrate once per session, copy the file for each test."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "template.db"
        upgrade(f"sqlite:///{self.path}")

    def fresh(self, target: Path) -> str:
        shutil.copyfile(self.path, target)
        return f"sqlite:///{target}"


def postgres_or_skip() -> None:
    reason = postgres_reachable()
    if reason is None:
        return
    if require_postgres():
        pytest.fail(f"{reason} (RESPITE_REQUIRE_POSTGRES=1: PostgreSQL tests may not skip)")
    pytest.skip(reason)


def iter_backends() -> Iterator[object]:
    yield pytest.param("sqlite", id="sqlite")
    yield pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres)


def run_sql(url: str, statement: str, **params: object) -> list[Any]:
    """One SQL statement in its own transaction on a fresh engine: the rows it returns, if any.
    For tests that set a database up below the stores (migrations, seeded rows)."""
    engine = create_engine_sync(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return list(result) if result.returns_rows else []
    finally:
        engine.dispose()


def empty_tables(database_url: str) -> None:
    """Delete every row, children first, for tests that run several worlds on one database."""
    engine = create_engine_sync(database_url)
    try:
        with engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                conn.execute(delete(table))
    finally:
        engine.dispose()
