"""Alembic, driven from code so `respite db upgrade` and `respite serve` need no alembic.ini."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.exc import OperationalError

from bot.storage.db import sync_url

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["database_url"] = database_url
    return cfg


class DatabaseUnavailable(Exception):
    """The database did not answer in time; the message is one line fit for an admin."""


def upgrade(database_url: str, revision: str = "head") -> None:
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
    command.downgrade(alembic_config(database_url), revision)
