"""The APScheduler wiring: one leader among replicas, and a stop that never cuts a send in half."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app.compose import Respite, build
from bot.config import Settings, parse_roster
from bot.domain.messages import Card, Platform, Recipient
from bot.infra.clock import FixedClock
from bot.storage.tables import outbox
from scheduler.runner import SchedulerRunner
from tests.support.roster import roster_data
from tests.support.waiting import until


class SlowSender:
    """A sender that blocks until released, to catch a stop in the middle of a send."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.sent: list[Recipient] = []

    async def send(self, recipient: Recipient, card: Card) -> str | None:
        self.started.set()
        await self.release.wait()
        self.sent.append(recipient)
        return "ref"

    async def delete(self, recipient: Recipient, ref: str) -> None:
        return None


async def _respite(url: str, clock: FixedClock, sender: SlowSender) -> Respite:
    roster = parse_roster(roster_data(platform="console"))
    return await build(
        Settings(database_url=url), clock=clock, roster=roster, senders={Platform.CONSOLE: sender}
    )


async def test_stop_waits_for_a_send_in_flight(database_url: str, clock: FixedClock) -> None:
    sender = SlowSender()
    respite = await _respite(database_url, clock, sender)
    await respite.deps.outbox.enqueue(
        "k", Recipient(Platform.CONSOLE, user_id="U001"), Card(title="hello"), clock.now()
    )
    runner = SchedulerRunner(respite.runtime, tick_seconds=3600, outbox_seconds=0.05)
    runner.start()
    await asyncio.wait_for(sender.started.wait(), 10)
    stopping = asyncio.create_task(runner.stop())
    await asyncio.sleep(0.2)
    assert not stopping.done()  # stop is waiting for the send
    sender.release.set()
    await asyncio.wait_for(stopping, 10)
    async with AsyncSession(respite.engine) as s:
        status = (await s.execute(select(outbox.c.status))).scalar_one()
    assert status == "sent"
    assert len(sender.sent) == 1
    await respite.close()


async def test_only_one_replica_leads(database_url: str, clock: FixedClock) -> None:
    a = await _respite(database_url, clock, SlowSender())
    b = await _respite(database_url, clock, SlowSender())
    runners = [SchedulerRunner(r.runtime, tick_seconds=3600, outbox_seconds=3600) for r in (a, b)]
    for r in runners:
        r.start()
    await until(lambda: a.runtime.is_leader or b.runtime.is_leader, "a leader")
    await asyncio.sleep(0.2)
    assert [a.runtime.is_leader, b.runtime.is_leader].count(True) == 1
    for r in runners:
        await r.stop()
    await a.close()
    await b.close()
