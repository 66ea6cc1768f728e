"""The outbox never sends a row twice or loses one; the lease elects one scheduler."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, null
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.messages import Card, Mention, Paragraph, Platform, Recipient, card_to_dict
from bot.storage.db import create_engine_async, session_factory
from bot.storage.lease import SqlLease
from bot.storage.outbox import SqlOutbox
from bot.storage.tables import outbox, outbox_cards

NOW = datetime(2026, 11, 30, 10, tzinfo=UTC)
SLACK = [Platform.SLACK]


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine_async(database_url)
    yield session_factory(engine)
    await engine.dispose()


def _card(i: int) -> Card:
    return Card(title=f"card {i}", blocks=("hello", Paragraph(("hi ", Mention("U1", "Ana")))))


async def test_enqueue_is_unique_by_key_and_round_trips_cards(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    box = SqlOutbox(sessions, lambda: NOW)
    to = Recipient(Platform.SLACK, user_id="U1")
    assert await box.enqueue("k1", to, _card(1), NOW)
    assert not await box.enqueue("k1", to, _card(2), NOW)
    [item] = await box.claim(NOW, 10, 60, SLACK)
    assert item.card == _card(1)
    assert item.recipient == to
    assert item.attempts == 1


async def test_a_row_may_carry_a_card_many_rows_share(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    box = SqlOutbox(sessions, lambda: NOW)
    shared = {"id": "c" * 32, "card": card_to_dict(_card(7)), "created_at": NOW}
    row = {
        "platform": "slack",
        "status": "pending",
        "attempts": 0,
        "not_before": NOW,
        "created_at": NOW,
    }
    async with sessions.begin() as s:
        await s.execute(insert(outbox_cards).values(shared))
        for user in ("U1", "U2"):
            to = {"platform": "slack", "user_id": user}
            values = row | {"key": f"k-{user}", "recipient": to, "card_id": shared["id"]}
            await s.execute(insert(outbox).values(values))
    claimed = await box.claim(NOW, 10, 60, SLACK)
    assert [(i.recipient.user_id, i.card) for i in claimed] == [("U1", _card(7)), ("U2", _card(7))]
    # A row holds its own card or a shared one: never neither, never both.
    for card, card_id in ((null(), None), (card_to_dict(_card(1)), shared["id"])):
        to = {"platform": "slack", "user_id": "U3"}
        values = row | {"key": "k-bad", "recipient": to, "card": card, "card_id": card_id}
        with pytest.raises(IntegrityError):
            async with sessions.begin() as s:
                await s.execute(insert(outbox).values(values))


async def test_concurrent_claimers_get_disjoint_rows(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    box = SqlOutbox(sessions, lambda: NOW)
    for i in range(40):
        await box.enqueue(f"k{i}", Recipient(Platform.SLACK, user_id=f"U{i}"), _card(i), NOW)
    batches = await asyncio.gather(*(box.claim(NOW, 7, 60, SLACK) for _ in range(8)))
    ids = [item.id for batch in batches for item in batch]
    assert len(ids) == len(set(ids)) == 40


async def test_a_lapsed_claim_is_claimed_again_and_settled_rows_are_not(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    box = SqlOutbox(sessions, lambda: NOW)
    to = Recipient(Platform.SLACK, user_id="U1")
    await box.enqueue("a", to, _card(1), NOW)
    await box.enqueue("b", to, _card(2), NOW)
    first = await box.claim(NOW, 10, 60, SLACK)
    assert len(first) == 2
    assert await box.mark_sent(first[0], NOW)
    assert await box.claim(NOW + timedelta(seconds=30), 10, 60, SLACK) == []
    again = await box.claim(NOW + timedelta(seconds=61), 10, 60, SLACK)  # the worker died mid-send
    assert [i.key for i in again] == [first[1].key]
    assert again[0].attempts == 2
    assert await box.defer(again[0], NOW + timedelta(minutes=5), "429")
    assert await box.claim(NOW + timedelta(minutes=4), 10, 60, SLACK) == []
    assert len(await box.claim(NOW + timedelta(minutes=5), 10, 60, SLACK)) == 1
    assert await box.pending_count() == 1


async def test_a_lapsed_claim_cannot_settle_a_row_claimed_again(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A slow batch outlives its lease, another worker claims the row again: whatever the slow
    worker reports afterwards must not touch the row the second worker holds."""
    box = SqlOutbox(sessions, lambda: NOW)
    to = Recipient(Platform.SLACK, user_id="U1")
    for key in "abcde":
        await box.enqueue(key, to, _card(1), NOW)
    slow = {i.key: i for i in await box.claim(NOW, 10, 60, SLACK)}
    later = NOW + timedelta(seconds=61)
    fresh = {i.key: i for i in await box.claim(later, 10, 60, SLACK)}
    assert set(fresh) == set(slow) == set("abcde")
    assert not await box.mark_sent(slow["a"], later)
    assert not await box.defer(slow["b"], later, "429")
    assert not await box.hold(slow["c"], later, "do not disturb")
    assert not await box.drop(slow["d"], "too late")
    assert not await box.fail(slow["e"], "gone")
    # None of that settled anything: the rows are still the second worker's, unsent.
    assert await box.claim(later + timedelta(seconds=30), 10, 60, SLACK) == []
    assert await box.pending_count() == 5
    for key in "abcde":
        assert await box.mark_sent(fresh[key], later)
    assert not await box.mark_sent(fresh["a"], later)  # settled once only
    assert await box.pending_count() == 0


async def test_cancel_removes_only_unsent_messages_with_the_prefix(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    box = SqlOutbox(sessions, lambda: NOW)
    to = Recipient(Platform.SLACK, user_id="U1")
    await box.enqueue("kudos-dm:k1:sent", to, _card(1), NOW)
    [sent] = await box.claim(NOW, 10, 60, SLACK)
    await box.mark_sent(sent, NOW)
    await box.enqueue("kudos-dm:k1:a", to, _card(2), NOW)
    await box.enqueue("kudos-dm:k1:b", to, _card(3), NOW + timedelta(hours=1))
    await box.enqueue("kudos-dm:k10:a", to, _card(4), NOW)
    await box.enqueue("kudos-dm:k1%", to, _card(5), NOW + timedelta(hours=2))
    assert await box.cancel("kudos-dm:k1:") == 2
    assert await box.cancel("kudos-dm:k1:") == 0
    with pytest.raises(ValueError, match="every message"):
        await box.cancel("")
    left = await box.claim(NOW + timedelta(days=1), 10, 60, SLACK)
    assert sorted(i.key for i in left) == ["kudos-dm:k1%", "kudos-dm:k10:a"]


async def test_lease_has_one_holder_and_passes_on_when_it_lapses(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    a = SqlLease(sessions, "scheduler", "a")
    b = SqlLease(sessions, "scheduler", "b")
    results = await asyncio.gather(a.acquire(NOW, 30), b.acquire(NOW, 30))
    assert sorted(results) == [False, True]
    leader, standby = (a, b) if results[0] else (b, a)
    assert await leader.acquire(NOW + timedelta(seconds=10), 30)  # renew
    assert not await standby.acquire(NOW + timedelta(seconds=20), 30)
    assert await standby.acquire(NOW + timedelta(seconds=41), 30)  # the leader stopped renewing
    assert not await leader.acquire(NOW + timedelta(seconds=42), 30)
    await standby.release()
    assert await leader.acquire(NOW + timedelta(seconds=43), 30)


async def test_rows_wait_for_a_process_that_can_send_them(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    box = SqlOutbox(sessions, lambda: NOW)
    await box.enqueue("s", Recipient(Platform.SLACK, user_id="U1"), _card(1), NOW)
    await box.enqueue("t", Recipient(Platform.TEAMS, user_id="aad-1"), _card(2), NOW)
    assert await box.claim(NOW, 10, 60, []) == []
    assert [i.key for i in await box.claim(NOW, 10, 60, [Platform.TEAMS])] == ["t"]
    assert [i.key for i in await box.claim(NOW, 10, 60, SLACK)] == ["s"]
