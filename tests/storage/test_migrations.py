"""Alembic builds exactly the schema the code declares, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.storage.db import create_engine_sync
from bot.storage.migrate import downgrade, upgrade
from bot.storage.tables import metadata


def test_migrations_match_the_declared_schema(database_url: str) -> None:
    engine = create_engine_sync(database_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_upgrade_is_repeatable_and_downgrade_reverses(database_url: str) -> None:
    upgrade(database_url)  # already at head: a no-op
    downgrade(database_url, "base")
    engine = create_engine_sync(database_url)
    try:
        with engine.connect() as conn:
            names = set(engine.dialect.get_table_names(conn))
        assert not (names & set(metadata.tables))
    finally:
        engine.dispose()
    upgrade(database_url)
