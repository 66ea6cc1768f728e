"""The Teams contacts table on both backends: upsert merges, references survive, removal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import inspect

from bot.domain.ports.addresses import Address
from bot.infra.clock import FixedClock
from bot.storage.addresses import SqlAddressBook
from bot.storage.db import create_engine_async, create_engine_sync, session_factory

REF = {"conversation": {"id": "a:1"}, "serviceUrl": "https://smba.example/"}


def test_migration_builds_the_table(database_url: str) -> None:
    engine = create_engine_sync(database_url)
    try:
        columns = {c["name"] for c in inspect(engine).get_columns("teams_contacts")}
    finally:
        engine.dispose()
    assert {"kind", "key", "reference", "teams_user_id", "tenant_id", "service_url"} <= columns


async def test_upsert_merges_and_keeps_what_it_is_not_told(
    database_url: str, clock: FixedClock
) -> None:
    engine = create_engine_async(database_url)
    store = SqlAddressBook(session_factory(engine))
    try:
        await store.upsert(Address("user", "aad-1", reference=REF, tenant_id="t1"), clock.now())
        clock.advance(timedelta(minutes=1))
        # A roster read later knows the Teams id and name but not the conversation.
        await store.upsert(
            Address("user", "aad-1", teams_user_id="29:x", name="Ana", service_url="https://s/"),
            clock.now(),
        )
        got = await store.get("user", "aad-1")
        assert got is not None
        assert got.reference == REF and got.tenant_id == "t1"
        assert (got.teams_user_id, got.name, got.service_url) == ("29:x", "Ana", "https://s/")
        assert got.updated_at == datetime(2026, 11, 30, tzinfo=UTC)  # the day it changed

        await store.upsert(
            Address("user", "aad-2", service_url="https://s/", tenant_id="t1"), clock.now()
        )
        await store.upsert(
            Address("channel", "19:c", reference=REF, tenant_id="t2", service_url="https://s2/"),
            clock.now(),
        )
        assert [c.key for c in await store.keys("user")] == ["aad-1", "aad-2"]
        assert (await store.any_in_tenant("t2")).key == "19:c"  # type: ignore[union-attr]
        anyone = await store.any_in_tenant("t1", with_reference=True)
        assert anyone is not None and anyone.key == "aad-1"
        assert await store.any_in_tenant("t9") is None
        await store.remove("user", "aad-1")
        assert await store.get("user", "aad-1") is None
        assert await store.get("channel", "19:c") is not None
    finally:
        await engine.dispose()
