"""Alembic environment: runs migrations on the sync driver of DATABASE_URL."""

from __future__ import annotations

import os

from alembic import context

from bot.storage.db import create_engine_sync
from bot.storage.tables import metadata

config = context.config
url = config.attributes.get("database_url") or os.environ.get(
    "DATABASE_URL", "sqlite:///respite.db"
)


def run() -> None:
    engine = create_engine_sync(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
