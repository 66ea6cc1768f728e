"""The kudos migration builds its tables on both backends and can be undone."""

from __future__ import annotations

from sqlalchemy import inspect

from bot.storage.db import create_engine_sync
from bot.storage.migrate import downgrade, upgrade

KUDOS_TABLES = {"kudos", "kudos_recipients", "kudos_name_optouts"}


def _tables(url: str) -> set[str]:
    engine = create_engine_sync(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_builds_kudos_tables(database_url: str) -> None:
    assert _tables(database_url) >= KUDOS_TABLES


def test_downgrade_and_upgrade_again(sqlite_url: str) -> None:
    downgrade(sqlite_url, "0002_teams")
    assert not KUDOS_TABLES & _tables(sqlite_url)
    assert "outbox" in _tables(sqlite_url)
    upgrade(sqlite_url)
    assert _tables(sqlite_url) >= KUDOS_TABLES
