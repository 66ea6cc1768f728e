"""The store gives a kudos once: its marks are checked and written with it, under the giver's
lock, so twenty identical sends from several processes at once store one; a failed post takes
its marks back; lapsed marks go."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.kudos import ONCE_WINDOW, QUOTA_WINDOW, AlreadyGiven, once_marks
from bot.domain.messages import Platform
from bot.storage.db import create_engine_async, session_factory
from bot.storage.kudos import SqlKudosStore
from bot.storage.tables import kudos as kudos_t
from bot.storage.tables import kudos_dedupe
from tests.support.kudos_rows import ANA, BEN, KEY, NOW, a_kudos


def _once(user_id: str, message: str = "thank you", request: str = "") -> tuple[str, ...]:
    return once_marks(KEY, Platform.SLACK, user_id, ("U003",), "support", message, True, request)


async def _count(engine: AsyncEngine, table: Table) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def test_twenty_sends_from_several_processes_store_one(database_url: str) -> None:
    engines = [create_engine_async(database_url) for _ in range(4)]
    try:
        stores = [SqlKudosStore(session_factory(e)) for e in engines]
        sends = [
            stores[i % 4].add_within_quota(a_kudos(ANA, True), ANA, 50, NOW, _once("U001"))
            for i in range(20)
        ]
        results = await asyncio.gather(*sends)
        assert results.count(None) == 1
        assert all(isinstance(r, AlreadyGiven) for r in results if r is not None)
        assert await _count(engines[0], kudos_t) == 1
    finally:
        for e in engines:
            await e.dispose()


async def test_marks_are_of_one_giver_and_one_kudos(engine: AsyncEngine) -> None:
    store = SqlKudosStore(session_factory(engine))
    assert await store.add_within_quota(a_kudos(ANA, True), ANA, 50, NOW, _once("U001")) is None
    # Another giver, another message, another request of the same giver: all given.
    assert await store.add_within_quota(a_kudos(BEN, True), BEN, 50, NOW, _once("U002")) is None
    other = _once("U001", "thanks again")
    assert await store.add_within_quota(a_kudos(ANA, True), ANA, 50, NOW, other) is None
    # The same request again, whatever it now says, gives nothing.
    first = _once("U001", "one", "T1")
    assert await store.add_within_quota(a_kudos(ANA, True), ANA, 50, NOW, first) is None
    replayed = _once("U001", "two", "T1")
    assert isinstance(
        await store.add_within_quota(a_kudos(ANA, True), ANA, 50, NOW, replayed), AlreadyGiven
    )
    assert await _count(engine, kudos_t) == 4


async def test_a_failed_post_takes_its_marks_back(engine: AsyncEngine) -> None:
    store = SqlKudosStore(session_factory(engine))
    kudos = a_kudos(ANA, False)
    once = _once("U001", request="T9")
    assert await store.add_within_quota(kudos, ANA, 50, NOW, once) is None
    await store.discard(kudos.id, ANA, NOW, once)
    retried = replace(a_kudos(ANA, False), created_at=NOW + timedelta(seconds=5))
    assert await store.add_within_quota(retried, ANA, 50, NOW, once) is None


async def test_lapsed_marks_go(engine: AsyncEngine) -> None:
    store = SqlKudosStore(session_factory(engine))
    assert await store.add_within_quota(a_kudos(ANA, True), ANA, 50, NOW, _once("U001")) is None
    assert await _count(engine, kudos_dedupe) == 1
    async with engine.connect() as conn:
        lapses = (await conn.execute(select(kudos_dedupe.c.expires_at))).scalar_one()
    # The minute after the window, never the kudos' own moment.
    assert lapses.second == 0 and lapses.microsecond == 0
    assert NOW + ONCE_WINDOW <= lapses < NOW + ONCE_WINDOW + timedelta(minutes=1)
    # The hourly job forgets lapsed marks even when nobody gives another kudos.
    await store.forget_givers(NOW + timedelta(minutes=5) - QUOTA_WINDOW)
    assert await _count(engine, kudos_dedupe) == 1
    await store.forget_givers(lapses - QUOTA_WINDOW)
    assert await _count(engine, kudos_dedupe) == 0
