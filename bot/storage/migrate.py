"""Alembic, driven from code so `respite db upgrade` and `respite serve` need no alembic.ini.

Replicas started together (`respite serve` runs the upgrade on start) would race on a fresh
PostgreSQL database: each sees no version table, each creates it and the tables, and all but one
fail on a duplicate. So an upgrade first takes a PostgreSQL advisory lock, held by a connection
of its own for as long as Alembic runs: the others wait, then find the database at head and do
nothing. On SQLite each migration commits on its own, so two processes could take turns between
migrations and run the same one twice; an exclusive lock on a file named for the database (in
the temporary directory, so nothing is left beside the database) serialises them the same way.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from bot.storage.db import create_engine_sync, sync_url

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")

# The advisory lock key that serialises upgrades of one database ("respite" in ASCII). Advisory
# locks are per database, so databases sharing a server do not wait for each other.
MIGRATION_LOCK_KEY = 0x72657370697465


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["database_url"] = database_url
    return cfg


class DatabaseUnavailable(Exception):
    """The database did not answer in time; the message is one line fit for an admin."""


@contextmanager
def migration_lock(database_url: str) -> Iterator[None]:
    """Hold the database's migration lock (see above)."""
    url = sync_url(database_url)
    if url.get_backend_name() == "sqlite":
        with _file_lock(url.database):
            yield
        return
    if url.get_backend_name() != "postgresql":
        yield
        return
    engine = create_engine_sync(database_url)
    try:
        # Autocommit: the lock belongs to the session, and no transaction is left open meanwhile.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            started = time.monotonic()
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            waited = time.monotonic() - started
            if waited >= 1:
                log.info("waited %.1f s for another process's migrations", waited)
            try:
                yield
            finally:
                # Closing the connection would release it too, should this fail.
                with suppress(SQLAlchemyError):
                    conn.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY}
                    )
    finally:
        engine.dispose()


@contextmanager
def _file_lock(database: str | None) -> Iterator[None]:
    """An exclusive lock for upgrades of one SQLite file, held until the block ends."""
    if not database or database == ":memory:":
        yield
        return
    name = hashlib.sha256(str(Path(database).resolve()).encode()).hexdigest()[:32]
    path = Path(tempfile.gettempdir()) / f"respite-migrate-{name}.lock"
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade(database_url: str, revision: str = "head") -> None:
    with migration_lock(database_url):
        command.upgrade(alembic_config(database_url), revision)


def upgrade_when_ready(database_url: str, wait_seconds: float = 60.0) -> None:
    """Apply migrations, waiting for a database that is still starting (containers, restarts)."""
    deadline = time.monotonic() + wait_seconds
    delay = 0.5
    while True:
        try:
            upgrade(database_url)
            return
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            where = sync_url(database_url).render_as_string(hide_password=True)
            if time.monotonic() + delay > deadline:
                raise DatabaseUnavailable(
                    f"the database at {where} is not reachable: {reason}"
                ) from None
            log.warning("waiting for the database at %s: %s", where, reason)
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def downgrade(database_url: str, revision: str) -> None:
    with migration_lock(database_url):
        command.downgrade(alembic_config(database_url), revision)
