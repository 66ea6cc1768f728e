"""Migration 0004_breaks goes down and up again on both backends."""

from __future__ import annotations

from sqlalchemy import inspect

from bot.storage.db import create_engine_sync
from bot.storage.migrate import downgrade, upgrade


def _shape(url: str) -> tuple[set[str], set[str], set[str]]:
    engine = create_engine_sync(url)
    try:
        insp = inspect(engine)
        tables = set(insp.get_table_names())
        outbox = {c["name"] for c in insp.get_columns("outbox")}
        indexes = (
            {i["name"] for i in insp.get_indexes("break_people")}
            if "break_people" in tables
            else set()
        )
        return tables, outbox, {n for n in indexes if n}
    finally:
        engine.dispose()


def test_breaks_migration_down_and_up(database_url: str) -> None:
    tables, outbox, indexes = _shape(database_url)
    assert {"break_people", "break_uptake"} <= tables
    assert "drop_after" in outbox
    assert "ix_break_people_next_at" in indexes
    try:
        downgrade(database_url, "0003_kudos")
        tables, outbox, _ = _shape(database_url)
        assert not {"break_people", "break_uptake"} & tables
        assert "drop_after" not in outbox
    finally:
        upgrade(database_url)
    tables, outbox, _ = _shape(database_url)
    assert {"break_people", "break_uptake"} <= tables and "drop_after" in outbox
