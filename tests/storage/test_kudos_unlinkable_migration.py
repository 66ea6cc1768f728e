"""Migration 0013 brings kudos stored before it to what new code writes, on SQLite and PostgreSQL:
named kudos lose their giver hash, anonymous ones their exact time, Teams contacts theirs; the
quota still counts what was given in the last day; and it can be undone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import inspect

from bot.domain.kudos import GiverKey, giver
from bot.domain.messages import Platform
from bot.storage.db import create_engine_async, create_engine_sync, session_factory
from bot.storage.kudos import SqlKudosStore
from bot.storage.migrate import downgrade, upgrade
from bot.storage.types import UtcDateTime
from tests.support.kudos_rows import a_kudos

BEFORE = "0012_release_memory"
KEY = GiverKey(b"s" * 32)
ANA = giver(KEY, Platform.SLACK, "U001")
BEN = giver(KEY, Platform.SLACK, "U002")

# The tables as they were before the migration.
OLD_KUDOS = sa.table(
    "kudos",
    sa.column("id", sa.String()),
    sa.column("team_id", sa.String()),
    sa.column("platform", sa.String()),
    sa.column("category", sa.String()),
    sa.column("message", sa.Text()),
    sa.column("anonymous", sa.Boolean()),
    sa.column("giver_id", sa.String()),
    sa.column("giver_hash", sa.String()),
    sa.column("created_at", UtcDateTime()),
    sa.column("channel_id", sa.String()),
)
RECIPIENTS = sa.table(
    "kudos_recipients",
    sa.column("kudos_id", sa.String()),
    sa.column("user_id", sa.String()),
    sa.column("position", sa.Integer()),
)
CONTACTS = sa.table(
    "teams_contacts",
    sa.column("kind", sa.String()),
    sa.column("key", sa.String()),
    sa.column("updated_at", UtcDateTime()),
)


@pytest.fixture
def before_0013(database_url: str) -> Iterator[str]:
    """The database at the revision before this migration; at head again afterwards."""
    downgrade(database_url, BEFORE)
    try:
        yield database_url
    finally:
        upgrade(database_url)


def _old_kudos(
    kudos_id: str, anonymous: bool, who: str, hashed: str, at: datetime
) -> dict[str, object]:
    return {
        "id": kudos_id,
        "team_id": "riverside",
        "platform": "slack",
        "category": "support",
        "message": "thank you",
        "anonymous": anonymous,
        "giver_id": None if anonymous else who,
        "giver_hash": hashed,
        "created_at": at,
        "channel_id": "C1",
    }


def _read(url: str, query: sa.Select[tuple[object, ...]]) -> list[tuple[object, ...]]:
    engine = create_engine_sync(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(query)]
    finally:
        engine.dispose()


async def test_existing_rows_are_erased_and_coarsened(before_0013: str) -> None:
    url = before_0013
    now = datetime.now(UTC)
    named_at = now - timedelta(hours=1, minutes=13, seconds=5)
    anonymous_at = now - timedelta(hours=2, minutes=47, seconds=31, microseconds=7)
    old_at = now - timedelta(hours=30, minutes=5)
    contact_at = anonymous_at
    engine = create_engine_sync(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.insert(OLD_KUDOS),
                [
                    _old_kudos("named", False, ANA.user_id, ANA.hash, named_at),
                    _old_kudos("anon", True, ANA.user_id, ANA.hash, anonymous_at),
                    _old_kudos("old", True, BEN.user_id, BEN.hash, old_at),
                ],
            )
            conn.execute(
                sa.insert(RECIPIENTS),
                [{"kudos_id": k, "user_id": "U003", "position": 0} for k in ("named", "anon")],
            )
            conn.execute(
                sa.insert(CONTACTS), [{"kind": "user", "key": "aad-1", "updated_at": contact_at}]
            )
    finally:
        engine.dispose()

    upgrade(url)

    kudos_t = sa.table(
        "kudos",
        sa.column("id", sa.String()),
        sa.column("giver_tag", sa.String()),
        sa.column("created_at", UtcDateTime()),
    )
    stored = dict(
        (k, (tag, at))
        for k, tag, at in _read(
            url, sa.select(kudos_t.c.id, kudos_t.c.giver_tag, kudos_t.c.created_at)
        )
    )

    def hour(moment: datetime) -> datetime:
        return moment.replace(minute=0, second=0, microsecond=0)

    assert stored == {
        "named": (None, named_at),
        "anon": (None, hour(anonymous_at)),
        "old": (None, hour(old_at)),
    }
    quota = sa.table(
        "kudos_quota", sa.column("giver_hash", sa.String()), sa.column("given_at", UtcDateTime())
    )
    # The anonymous kudos still in the window is counted by its giver's hash, the old one not.
    assert _read(url, sa.select(quota.c.giver_hash, quota.c.given_at)) == [(ANA.hash, anonymous_at)]
    assert _read(url, sa.select(CONTACTS.c.updated_at)) == [
        (contact_at.replace(hour=0, minute=0, second=0, microsecond=0),)
    ]
    assert len(_read(url, sa.select(RECIPIENTS.c.kudos_id))) == 2  # nothing lost on the way

    # The quota holds across the upgrade: one named and one anonymous kudos today.
    async_engine = create_engine_async(url)
    try:
        store = SqlKudosStore(session_factory(async_engine))
        assert await store.add_within_quota(a_kudos(ANA, True, now), ANA, 2, now) is not None
        assert await store.add_within_quota(a_kudos(ANA, True, now), ANA, 3, now) is None
    finally:
        await async_engine.dispose()


def test_downgrade_restores_the_old_columns(before_0013: str) -> None:
    url = before_0013
    upgrade(url, "0013_kudos_unlinkable")
    downgrade(url, BEFORE)
    engine = create_engine_sync(url)
    try:
        insp = inspect(engine)
        assert "kudos_quota" not in insp.get_table_names()
        assert "giver_hash" in {c["name"] for c in insp.get_columns("kudos")}
        assert "ix_kudos_giver_hash" in {i["name"] for i in insp.get_indexes("kudos")}
    finally:
        engine.dispose()
