"""Simulated weeks for break prompts: a fixed clock moved from one planned moment to the next.

The clock jumps to the earliest of the next planned moment (a person's or a shared plan's), the next
queued message, and an hour ahead, then runs the real minute tick and the real outbox worker
with the real boundaries. Hour steps make sure idle ticks happen too.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app.compose import Respite, build
from bot.config import Settings, parse_roster
from bot.domain.break_cards import rotate
from bot.domain.events import Actor, Command, Outcome
from bot.domain.messages import Card, Platform, Recipient
from bot.domain.ports import CalendarFeed
from bot.infra.clock import FixedClock
from bot.storage.tables import break_fanouts, break_people, break_plans, outbox
from handlers import router
from scheduler.breaks import BreakTicker
from scheduler.delivery import deliver_due
from tests.support.roster import roster_data


@dataclass
class Sent:
    at: datetime
    recipient: Recipient
    card: Card


@dataclass
class Recorder:
    """A Sender that records what would have been delivered, and when."""

    clock: FixedClock
    sent: list[Sent] = field(default_factory=list)

    async def send(self, recipient: Recipient, card: Card) -> str | None:
        self.sent.append(Sent(self.clock.now(), recipient, card))
        return f"ref{len(self.sent)}"

    async def delete(self, recipient: Recipient, ref: str) -> None:
        return None

    def to(self, user: str, title_part: str = "short break") -> list[Sent]:
        return [s for s in self.sent if s.recipient.user_id == user and title_part in s.card.title]


async def build_sim(
    database_url: str,
    clock: FixedClock,
    roster: dict[str, Any],
    calendar_feed: CalendarFeed | None = None,
) -> tuple[Respite, Recorder]:
    recorder = Recorder(clock)
    respite = await build(
        Settings(database_url=database_url),
        clock=clock,
        roster=parse_roster(roster),
        senders={Platform.SLACK: recorder},
        calendar_feed=calendar_feed,
    )
    return respite, recorder


def ticker(respite: Respite) -> BreakTicker:
    found = [t for t in respite.runtime.extra_ticks if isinstance(t, BreakTicker)]
    assert len(found) == 1
    return found[0]


async def deliver(respite: Respite) -> int:
    total = 0
    rt = respite.runtime
    while sent := await deliver_due(rt.queue, rt.senders, rt.deps.clock, boundaries=rt.boundaries):
        total += sent
    return total


async def schedules(respite: Respite) -> list[tuple[str, Any, Any, Any]]:
    """Each person's (user, next moment, slot, last practice), theirs or their plan's."""
    plans = {p.id: p for p in await rows(respite, break_plans)}
    found = []
    for r in await rows(respite, break_people):
        last = r.last_practice
        if r.plan_id is None:
            found.append((r.user_id, r.next_at, r.next_slot, last))
            continue
        plan = plans[r.plan_id]
        for _ in range(plan.sent - r.plan_sent):
            last = rotate(last, r.practice_stride)
        found.append((r.user_id, plan.next_at, plan.next_slot, last))
    return sorted(found)


async def fan_out(*processes: Respite) -> int:
    """Turn plans' prompts into outbox rows, as each outbox worker does before it claims; the
    processes side by side."""

    async def one(respite: Respite) -> int:
        assert respite.deps.breaks is not None
        return await respite.deps.breaks.fan_out(respite.deps.clock.now())

    return sum(await asyncio.gather(*(one(r) for r in processes)))


async def next_moment(respite: Respite) -> datetime | None:
    async with AsyncSession(respite.engine) as s:
        a = await s.scalar(select(func.min(break_people.c.next_at)))
        c = await s.scalar(select(func.min(break_plans.c.next_at)))
        b = await s.scalar(
            select(func.min(outbox.c.not_before)).where(outbox.c.status == "pending")
        )
    from bot.storage.types import UtcDateTime

    kinds = UtcDateTime()
    moments = [
        kinds.process_result_value(v, respite.engine.dialect) for v in (a, b, c) if v is not None
    ]
    return min((m for m in moments if m is not None), default=None)


async def run_until(respite: Respite, clock: FixedClock, until: datetime) -> None:
    t = ticker(respite)
    while clock.now() < until:
        await t.tick(respite.deps)
        await deliver(respite)
        nxt = await next_moment(respite)
        step = clock.now() + timedelta(hours=1)
        target = min(step, nxt) if nxt is not None and nxt > clock.now() else step
        clock.set(max(target, clock.now() + timedelta(seconds=30)))
    await t.tick(respite.deps)
    await deliver(respite)


async def command(respite: Respite, user: str, text: str, tz: str | None = None) -> Outcome:
    actor = Actor(Platform.SLACK, user, timezone=tz)
    return await router.on_command(respite.deps, Command(actor, "respite", text))


async def rows(respite: Respite, table: Any) -> list[Any]:
    async with AsyncSession(respite.engine) as s:
        return list((await s.execute(select(table))).all())


WITH_TEAM = roster_data(
    members=[f"U{i:03d}" for i in range(1, 25)],
    breaks={"enabled": True, "times": ["10:50", "10:55"]},
)


async def team_gone_with_a_prompt_pending(
    database_url: str, closing: list[Respite]
) -> tuple[Respite, Respite, FixedClock]:
    """At 10:55:05 Riverside's plan is due again, with its 10:50 prompt not yet fanned out (the
    workers are behind), and a restart's roster no longer has the team. Returns the process
    from before and the one after the restart."""
    clock = FixedClock(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    respite, _ = await build_sim(database_url, clock, WITH_TEAM)
    closing.append(respite)
    await ticker(respite).tick(respite.deps)
    clock.set(datetime(2026, 11, 30, 10, 50, 5, tzinfo=UTC))
    await ticker(respite).tick(respite.deps)
    assert len(await rows(respite, break_fanouts)) == 1
    other = roster_data(members=["UX001"])
    gone = other | {"teams": [other["teams"][0] | {"id": "hillside", "name": "Hillside"}]}
    clock.set(datetime(2026, 11, 30, 10, 55, 5, tzinfo=UTC))
    without, _ = await build_sim(database_url, clock, gone)
    closing.append(without)
    return respite, without, clock
