"""A Teams contact names a person, so it keeps no moment of their turns: only the day its reach
last changed, and a turn that changes nothing writes nothing. Otherwise the time of a turn in
which someone gave an anonymous kudos, or successive backups showing which contact moved, would
point at the giver. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.ports.addresses import Address
from bot.storage.addresses import SqlAddressBook
from bot.storage.db import create_engine_async, session_factory

REF = {"conversation": {"id": "a:1"}, "serviceUrl": "https://smba.example/"}
TURN = datetime(2026, 12, 1, 14, 37, 9, 512, tzinfo=UTC)
DAY = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
async def contacts(database_url: str) -> AsyncIterator[SqlAddressBook]:
    engine = create_engine_async(database_url)
    yield SqlAddressBook(session_factory(engine))
    await engine.dispose()


async def test_a_contact_keeps_the_day_not_the_moment(contacts: SqlAddressBook) -> None:
    await contacts.upsert(Address("user", "aad-1", reference=REF, tenant_id="t1"), TURN)
    got = await contacts.get("user", "aad-1")
    assert got is not None and got.updated_at == DAY


async def test_a_turn_that_changes_nothing_writes_nothing(contacts: SqlAddressBook) -> None:
    ana = Address("user", "aad-1", reference=REF, tenant_id="t1", name="Ana")
    await contacts.upsert(ana, TURN)
    # Days later the same person speaks again: what we know of reaching them is the same.
    await contacts.upsert(ana, TURN + timedelta(days=3))
    await contacts.upsert(Address("user", "aad-1", name="Ana"), TURN + timedelta(days=4))
    got = await contacts.get("user", "aad-1")
    assert got is not None and got.updated_at == DAY
    # A new name is a change: the row moves to that day.
    await contacts.upsert(Address("user", "aad-1", name="Ana B."), TURN + timedelta(days=5))
    got = await contacts.get("user", "aad-1")
    assert got is not None and got.updated_at == DAY + timedelta(days=5)
    assert (got.name, got.reference, got.tenant_id) == ("Ana B.", REF, "t1")
