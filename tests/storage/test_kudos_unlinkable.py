"""The kudos store keeps the daily quota without a value that joins an anonymous kudos to its
giver, on SQLite and PostgreSQL: named kudos count by giver id, anonymous ones in the quota
ledger, together."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.domain.kudos import QUOTA_WINDOW, QuotaRefusal
from bot.storage.db import session_factory
from bot.storage.kudos import SqlKudosStore
from bot.storage.tables import kudos as kudos_t
from bot.storage.tables import kudos_quota
from tests.support.kudos_rows import ANA, BEN, NOW, a_kudos


@pytest.fixture
def store(engine: AsyncEngine) -> SqlKudosStore:
    return SqlKudosStore(session_factory(engine))


async def ledger(engine: AsyncEngine) -> list[tuple[str, datetime]]:
    async with AsyncSession(engine) as s:
        rows = await s.execute(select(kudos_quota.c.giver_hash, kudos_quota.c.given_at))
        return [(h, at) for h, at in rows]


async def test_named_and_anonymous_kudos_count_together(store: SqlKudosStore) -> None:
    first = NOW - timedelta(hours=5)
    assert await store.add_within_quota(a_kudos(ANA, False, first), ANA, 3, first) is None
    assert await store.add_within_quota(a_kudos(ANA, True), ANA, 3, NOW) is None
    assert await store.add_within_quota(a_kudos(BEN, True), BEN, 3, NOW) is None
    assert await store.add_within_quota(a_kudos(ANA, False), ANA, 3, NOW) is None
    refusal = QuotaRefusal(3, first + QUOTA_WINDOW)
    assert await store.add_within_quota(a_kudos(ANA, True), ANA, 3, NOW) == refusal
    assert await store.add_within_quota(a_kudos(ANA, False), ANA, 3, NOW) == refusal
    # Once the first has left the window, one more fits.
    later = first + QUOTA_WINDOW + timedelta(seconds=1)
    assert await store.add_within_quota(a_kudos(ANA, True, later), ANA, 3, later) is None
    assert await store.add_within_quota(a_kudos(ANA, True, later), ANA, 3, later) is not None


async def test_concurrent_sends_of_one_giver_stay_within_the_limit(
    store: SqlKudosStore, engine: AsyncEngine
) -> None:
    sends = [a_kudos(ANA, anonymous=i % 2 == 0) for i in range(8)]
    results = await asyncio.gather(*(store.add_within_quota(k, ANA, 3, NOW) for k in sends))
    assert sum(r is None for r in results) == 3
    async with AsyncSession(engine) as s:
        kept = await s.scalar(select(func.count()).select_from(kudos_t))
    assert kept == 3


async def test_only_anonymous_kudos_enter_the_ledger_and_named_ones_carry_no_hash(
    store: SqlKudosStore, engine: AsyncEngine
) -> None:
    named, anonymous = a_kudos(ANA, False), a_kudos(ANA, True)
    await store.add_within_quota(named, ANA, 5, NOW)
    await store.add_within_quota(anonymous, ANA, 5, NOW)
    assert await ledger(engine) == [(ANA.hash, NOW)]
    stored_named, stored_anonymous = await store.get(named.id), await store.get(anonymous.id)
    assert stored_named is not None and stored_named.giver_tag is None
    assert stored_anonymous is not None and stored_anonymous.giver_id is None
    assert stored_anonymous.giver_tag not in (None, ANA.hash)
    assert stored_anonymous.created_at == NOW.replace(minute=0)


async def test_the_store_refuses_to_keep_what_would_name_an_anonymous_giver(
    store: SqlKudosStore,
) -> None:
    anonymous = a_kudos(ANA, True)
    with pytest.raises(ValueError, match="no giver id"):
        await store.add_within_quota(replace(anonymous, giver_id=ANA.user_id), ANA, 5, NOW)
    named = a_kudos(ANA, False)
    with pytest.raises(ValueError, match="no tag"):
        await store.add_within_quota(replace(named, giver_tag="x"), ANA, 5, NOW)
    with pytest.raises(ValueError, match="giver's id"):
        await store.add_within_quota(named, BEN, 5, NOW)


async def test_a_discarded_kudos_gives_its_quota_back(
    store: SqlKudosStore, engine: AsyncEngine
) -> None:
    """A kudos whose post failed was never given: its ledger entry goes with it."""
    kept = a_kudos(ANA, True, NOW - timedelta(minutes=1))
    await store.add_within_quota(kept, ANA, 2, NOW - timedelta(minutes=1))
    failed = a_kudos(ANA, True)
    assert await store.add_within_quota(failed, ANA, 2, NOW) is None
    await store.discard(failed.id, ANA, NOW)
    assert await store.get(failed.id) is None
    assert await ledger(engine) == [(ANA.hash, NOW - timedelta(minutes=1))]
    assert await store.add_within_quota(a_kudos(ANA, True), ANA, 2, NOW) is None


async def test_forgetting_givers_keeps_the_tag_for_the_whole_window(
    store: SqlKudosStore, engine: AsyncEngine
) -> None:
    anonymous = a_kudos(ANA, True)  # given at 09:30, stored at 09:00

    async def forget_at(later: timedelta) -> int:
        """What the minute tick forgets `later` after the kudos was given."""
        return await store.forget_givers(NOW + later - QUOTA_WINDOW)

    await store.add_within_quota(anonymous, ANA, 5, NOW)
    assert await forget_at(QUOTA_WINDOW - timedelta(minutes=1)) == 0
    assert await forget_at(QUOTA_WINDOW) == 1  # the ledger entry
    assert await ledger(engine) == []
    # A day after 09:30 the tag still lets its giver withdraw; by 10:00 it is gone.
    found = await store.get(anonymous.id)
    assert found is not None and found.giver_tag is not None
    assert await forget_at(QUOTA_WINDOW + timedelta(minutes=29)) == 0
    assert await forget_at(QUOTA_WINDOW + timedelta(minutes=30)) == 1
    found = await store.get(anonymous.id)
    assert found is not None and found.giver_tag is None
