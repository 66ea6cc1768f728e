"""Replicas started together upgrade one fresh database: every upgrade succeeds, one head remains.

Each upgrade runs in a process of its own (as replicas do), and all are released at once by a
barrier, repeated on several fresh databases: without the migration lock they race on creating
Alembic's version table and the first tables, and most of them fail.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
from collections.abc import Iterator
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from bot.storage.db import create_engine_sync
from bot.storage.migrate import alembic_config, upgrade
from bot.storage.tables import metadata
from tests.support.db import PG_BASE, iter_backends, postgres_or_skip, run_sql

REPLICAS = 6
ROUNDS = 3


def _upgrade_together(url: str, barrier: Barrier, results: Any) -> None:
    """One replica's start-up: wait for the others, then upgrade."""
    barrier.wait(timeout=120)
    try:
        upgrade(url)
    except Exception as exc:
        results.put(f"{type(exc).__name__}: {str(exc).strip().splitlines()[0]}")
    else:
        results.put("ok")


def _fresh_postgres() -> Iterator[str]:
    postgres_or_skip()
    name = f"respite_race_{os.getpid()}_{secrets.token_hex(3)}"
    base = psycopg.conninfo.conninfo_to_dict(PG_BASE)
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield (
            f"postgresql://{base.get('user', 'postgres')}@{base.get('host', '127.0.0.1')}:"
            f"{base.get('port', '5432')}/{name}"
        )
    finally:
        with psycopg.connect(PG_BASE, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _fresh(backend: str, tmp_path: Path, round_no: int) -> Iterator[str]:
    if backend == "postgresql":
        yield from _fresh_postgres()
    else:
        yield f"sqlite:///{tmp_path / f'race-{round_no}.db'}"


def _race(url: str) -> list[str]:
    # Forked, the replicas start with Respite already imported, so they reach the barrier soon.
    fork = multiprocessing.get_context("fork")
    barrier = fork.Barrier(REPLICAS)
    results = fork.Queue()
    replicas = [
        fork.Process(target=_upgrade_together, args=(url, barrier, results))
        for _ in range(REPLICAS)
    ]
    for replica in replicas:
        replica.start()
    outcomes = [results.get(timeout=300) for _ in replicas]
    for replica in replicas:
        replica.join(timeout=60)
    return outcomes


@pytest.mark.parametrize("backend", list(iter_backends()))
def test_replicas_upgrading_a_fresh_database_together_all_succeed(
    backend: str, tmp_path: Path
) -> None:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    expected = {table.name for table in metadata.sorted_tables}
    for round_no in range(ROUNDS):
        for url in _fresh(backend, tmp_path, round_no):
            outcomes = _race(url)
            assert outcomes == ["ok"] * REPLICAS, f"round {round_no}: {outcomes}"
            assert run_sql(url, "SELECT version_num FROM alembic_version") == [(head,)]
            engine = create_engine_sync(url)
            try:
                with engine.connect() as conn:
                    assert expected <= set(inspect(conn).get_table_names())
            finally:
                engine.dispose()
