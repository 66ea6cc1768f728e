"""The outbox worker: different recipients side by side, one recipient in order (a batch that
outlives its claim: test_outbox_claim_renewal.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from bot.domain.messages import Card, Platform, Recipient
from bot.domain.ports import DeliveryDeferred, OutboxItem
from bot.infra.clock import FixedClock
from bot.storage.db import create_engine_async, session_factory
from bot.storage.outbox import SqlOutbox
from scheduler.delivery import deliver_due


class SlowSender:
    """Each send takes a little while, as a Web API call does; records what overlapped."""

    def __init__(self) -> None:
        self.in_flight: dict[str, int] = {}
        self.most_at_once = 0
        self.sent: list[tuple[str, str]] = []

    async def send(self, recipient: Recipient, card: Card) -> str | None:
        user = recipient.user_id or ""
        assert not self.in_flight.get(user), f"two messages to {user} at once"
        self.in_flight[user] = 1
        self.most_at_once = max(self.most_at_once, sum(self.in_flight.values()))
        await asyncio.sleep(0.01)
        self.sent.append((user, card.title))
        self.in_flight[user] = 0
        return None

    async def delete(self, recipient: Recipient, ref: str) -> None:
        return None


@pytest.fixture
async def box(database_url: str, clock: FixedClock) -> AsyncIterator[SqlOutbox]:
    engine = create_engine_async(database_url)
    yield SqlOutbox(session_factory(engine), clock.now)
    await engine.dispose()


async def test_recipients_are_served_side_by_side_up_to_the_bound(
    box: SqlOutbox, clock: FixedClock
) -> None:
    for i in range(30):
        to = Recipient(Platform.SLACK, user_id=f"U{i:02d}")
        await box.enqueue(f"k{i:02d}", to, Card(title="hi"), clock.now())
    sender = SlowSender()
    sent = await deliver_due(box, {Platform.SLACK: sender}, clock, limit=30, concurrency=8)
    assert sent == 30
    assert sender.most_at_once == 8
    assert sorted(u for u, _ in sender.sent) == [f"U{i:02d}" for i in range(30)]
    assert await box.pending_count() == 0


async def test_one_recipient_gets_messages_one_at_a_time_in_queue_order(
    box: SqlOutbox, clock: FixedClock
) -> None:
    ana = Recipient(Platform.SLACK, user_id="UANA")
    for i in range(5):
        await box.enqueue(f"ana{i}", ana, Card(title=f"ana {i}"), clock.now())
        other = Recipient(Platform.SLACK, user_id=f"U{i}")
        await box.enqueue(f"other{i}", other, Card(title="hi"), clock.now())
    sender = SlowSender()
    assert await deliver_due(box, {Platform.SLACK: sender}, clock) == 10
    assert [t for u, t in sender.sent if u == "UANA"] == [f"ana {i}" for i in range(5)]
    assert sender.most_at_once > 1  # the others went beside her


class BrokenSettle(SqlOutbox):
    """Settling one recipient's row fails, as a lost database connection would."""

    async def mark_sent(self, item: OutboxItem, now: datetime) -> bool:
        if item.recipient.user_id == "UBAD":
            raise ConnectionError("database went away")
        return await super().mark_sent(item, now)


async def test_an_error_in_one_line_leaves_the_others_to_finish_then_is_raised(
    database_url: str, clock: FixedClock
) -> None:
    engine = create_engine_async(database_url)
    try:
        box = BrokenSettle(session_factory(engine), clock.now)
        for user in ("UBAD", "U1", "U2", "U3"):
            to = Recipient(Platform.SLACK, user_id=user)
            await box.enqueue(f"k-{user}", to, Card(title="hi"), clock.now())
        sender = SlowSender()
        with pytest.raises(ConnectionError):
            await deliver_due(box, {Platform.SLACK: sender}, clock)
        # Nobody's send was cut off half way: the others went out and were settled.
        assert sorted(u for u, _ in sender.sent) == ["U1", "U2", "U3", "UBAD"]
        assert await box.pending_count() == 1  # UBAD's row waits for its lease to lapse
    finally:
        await engine.dispose()


def test_the_concurrency_setting_defaults_to_the_workers_own_and_is_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pydantic import ValidationError

    from bot.config import Settings
    from scheduler.delivery import CONCURRENCY

    assert Settings().outbox_concurrency == CONCURRENCY
    monkeypatch.setenv("OUTBOX_CONCURRENCY", "4")
    assert Settings().outbox_concurrency == 4
    for bad in ("0", "65", "many"):
        monkeypatch.setenv("OUTBOX_CONCURRENCY", bad)
        with pytest.raises(ValidationError, match="outbox_concurrency"):
            Settings()


class SlowDown(SlowSender):
    """The platform asks to slow down for one recipient's messages (a 429 past the client's
    own retries); everything else goes."""

    def __init__(self, refuse: str) -> None:
        super().__init__()
        self.refuse = refuse
        self.asked: list[str] = []

    async def send(self, recipient: Recipient, card: Card) -> str | None:
        self.asked.append(recipient.user_id or "")
        if recipient.user_id == self.refuse:
            raise DeliveryDeferred(30.0, "ratelimited")
        return await super().send(recipient, card)


async def test_what_waits_behind_a_deferred_message_waits_as_long(
    box: SqlOutbox, clock: FixedClock
) -> None:
    ana = Recipient(Platform.SLACK, user_id="UANA")
    for i in range(3):
        await box.enqueue(f"ana{i}", ana, Card(title=f"ana {i}"), clock.now())
    sender = SlowDown(refuse="UANA")
    assert await deliver_due(box, {Platform.SLACK: sender}, clock) == 0
    assert sender.asked == ["UANA"]  # the two behind the first were not tried ahead of it
    assert await deliver_due(box, {Platform.SLACK: sender}, clock) == 0  # all wait 30 s
    clock.advance(timedelta(seconds=31))
    sender.refuse = ""
    assert await deliver_due(box, {Platform.SLACK: sender}, clock) == 3
    assert [t for _, t in sender.sent] == ["ana 0", "ana 1", "ana 2"]


async def test_a_platform_that_asks_to_slow_down_gets_no_more_sends_from_the_batch(
    box: SqlOutbox, clock: FixedClock
) -> None:
    for user in ("UANA", "U1", "U2", "U3"):
        to = Recipient(Platform.SLACK, user_id=user)
        await box.enqueue(f"k-{user}", to, Card(title="hi"), clock.now())
    teams = Recipient(Platform.TEAMS, user_id="29:ben")
    await box.enqueue("k-ben", teams, Card(title="hi"), clock.now())
    slack, other = SlowDown(refuse="UANA"), SlowSender()
    # One line at a time, so that Ana's line comes first and the rest start after her 429.
    senders = {Platform.SLACK: slack, Platform.TEAMS: other}
    assert await deliver_due(box, senders, clock, concurrency=1) == 1
    assert slack.asked == ["UANA"] and [u for u, _ in other.sent] == ["29:ben"]
    assert await box.pending_count() == 4
    clock.advance(timedelta(seconds=31))
    slack.refuse = ""
    assert await deliver_due(box, senders, clock) == 4
