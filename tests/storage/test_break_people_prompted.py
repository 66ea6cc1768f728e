"""Break uptake stands on the people a prompt reached: distinct people per team-week, counted
when a prompt is sent rather than queued, kept as keyed hashes and only for a few weeks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.break_cards import prompt_card, protect_tomorrow_card
from bot.domain.breaks import PROMPT_LIFETIME, BreakSettings, week_bounds
from bot.domain.messages import Card, Platform, Recipient
from bot.domain.org import period_window
from bot.domain.ports import Hold, OutboxItem, QueuedPrompt
from bot.domain.team import Team
from bot.infra.clock import FixedClock
from bot.storage.breaks import SqlBreakStore
from bot.storage.breaks_uptake import MARKS_KEPT
from bot.storage.db import create_engine_async, session_factory
from bot.storage.outbox import SqlOutbox
from bot.storage.tables import break_people_prompted, outbox
from scheduler.delivery import deliver_due

LONDON = ZoneInfo("Europe/London")
PEOPLE = frozenset(f"U{i}" for i in range(6))
TEAM = Team("riverside", "Riverside", Platform.SLACK, "Europe/London", PEOPLE, frozenset(), 5)
MONDAY = datetime(2027, 6, 21, tzinfo=LONDON)  # local week 2027-W25
WEEK = period_window("2027-W25")


class Sender:
    def __init__(self) -> None:
        self.sent: list[tuple[str | None, str]] = []

    async def send(self, recipient: Recipient, card: Card) -> str | None:
        self.sent.append((recipient.user_id, card.title))
        return None

    async def delete(self, recipient: Recipient, ref: str) -> None:
        return None


@dataclass
class OutOfHours:
    """Boundaries that hold some people (off work, Do Not Disturb) until well after a prompt's
    deadline, so their prompts are dropped; everyone else may be messaged."""

    held: Collection[str]
    asked: list[str] = field(default_factory=list)

    async def prepare(self, recipients: object, now: datetime) -> None:
        return None

    async def hold(self, recipient: Recipient, now: datetime) -> Hold | None:
        self.asked.append(recipient.user_id or "")
        if recipient.user_id in self.held:
            return Hold(now + timedelta(hours=3), "outside working hours")
        return None


@dataclass
class World:
    engine: AsyncEngine
    store: SqlBreakStore
    box: SqlOutbox
    clock: FixedClock
    sender: Sender = field(default_factory=Sender)

    async def queue(self, user: str, at: datetime, note: bool = False) -> None:
        """A prompt (or the end-of-day note) queued for one person, as the tick queues it."""
        to = Recipient(Platform.SLACK, user_id=user)
        slot = f"{at.astimezone(LONDON):%Y-%m-%dT%H:%M}"
        card = protect_tomorrow_card(Platform.SLACK) if note else prompt_card(0, slot, to.platform)
        key = f"break-note:{to.key}:{slot}" if note else f"break:{to.key}:{slot}"
        week = week_bounds(LONDON, at)
        prompt = QueuedPrompt(
            key, to, card, at, at + PROMPT_LIFETIME, TEAM.id, week, counted=not note
        )
        assert await self.store.commit([prompt], []) == 1

    async def deliver(self, at: datetime, boundaries: OutOfHours | None = None) -> int:
        self.clock.set(at)
        total = 0
        senders = {Platform.SLACK: self.sender}
        while sent := await deliver_due(self.box, senders, self.clock, boundaries=boundaries):
            total += sent
        return total

    async def marks(self) -> list[tuple[str, datetime]]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(break_people_prompted.c.team_id, break_people_prompted.c.week_start)
            )
            return sorted((team_id, start) for team_id, start in rows)


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[World]:
    engine = create_engine_async(database_url)
    sessions = session_factory(engine)
    store = SqlBreakStore(sessions, {TEAM.id: TEAM}.get, mark_key=b"k" * 32)
    clock = FixedClock(MONDAY)
    box = SqlOutbox(sessions, clock.now, fan_outs=[store.fan_out], on_sent=[store.prompt_sent])
    await store.ensure_people(TEAM.id, TEAM.platform, PEOPLE, MONDAY)
    yield World(engine, store, box, clock)
    await engine.dispose()


async def test_one_person_prompted_all_week_is_one_person_not_seven_prompts(
    world: World,
) -> None:
    # Five of six pause for the week: they still have breaks on, so uptake is released.
    back = (MONDAY + timedelta(days=7)).date()
    for i in range(1, 6):
        await world.store.save(BreakSettings("slack", f"U{i}", TEAM.id, paused_until=back), MONDAY)
    for day in range(7):
        at = MONDAY + timedelta(days=day, hours=10, minutes=50)
        await world.queue("U0", at)
        assert await world.deliver(at) == 1
    assert await world.store.break_uptake(TEAM.id, *WEEK) == (7, 0, 0)
    assert await world.store.people_prompted(TEAM.id, *WEEK) == 1


async def test_prompts_dropped_outside_hours_or_too_late_are_not_people_prompted(
    world: World,
) -> None:
    at = MONDAY + timedelta(days=1, hours=10, minutes=50)
    for user in sorted(PEOPLE):
        await world.queue(user, at)
    boundaries = OutOfHours(held={"U1", "U2", "U3", "U4", "U5"})
    assert await world.deliver(at, boundaries) == 1
    assert sorted(boundaries.asked) == sorted(PEOPLE)  # each was asked about, five dropped
    async with world.engine.connect() as conn:
        statuses = (
            await conn.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status))
        ).all()
    assert dict(statuses) == {"sent": 1, "dropped": 5}
    # A prompt found after its deadline is dropped unsent too.
    later = MONDAY + timedelta(days=2, hours=10, minutes=50)
    await world.queue("U1", later)
    assert await world.deliver(later + PROMPT_LIFETIME + timedelta(minutes=1)) == 0
    assert await world.store.break_uptake(TEAM.id, *WEEK) == (7, 0, 0)
    assert await world.store.people_prompted(TEAM.id, *WEEK) == 1


async def test_one_person_prompted_many_times_counts_once(world: World) -> None:
    for day in range(5):
        for hour in (10, 11, 14, 15):
            at = MONDAY + timedelta(days=day, hours=hour, minutes=50)
            await world.queue("U0", at)
            assert await world.deliver(at) == 1
    # The end-of-day note is not a break prompt: it makes nobody a person prompted.
    note_at = MONDAY + timedelta(days=4, hours=17)
    await world.queue("U1", note_at, note=True)
    assert await world.deliver(note_at) == 1
    # The next week, the same person again.
    next_week = MONDAY + timedelta(days=8, hours=10, minutes=50)
    await world.queue("U0", next_week)
    assert await world.deliver(next_week) == 1
    assert await world.store.break_uptake(TEAM.id, *WEEK) == (20, 0, 0)
    assert await world.store.people_prompted(TEAM.id, *WEEK) == 1
    # One mark per team-week, and one person over both weeks.
    assert await world.marks() == [
        (TEAM.id, week_bounds(LONDON, MONDAY)[0]),
        (TEAM.id, week_bounds(LONDON, next_week)[0]),
    ]
    two_weeks = (WEEK[0], WEEK[1] + timedelta(weeks=1))
    assert await world.store.people_prompted(TEAM.id, *two_weeks) == 1
    assert await world.store.people_prompted_counts(*two_weeks) == {TEAM.id: 1}


async def test_a_prompt_sent_after_midnight_counts_in_the_week_of_its_moment(
    world: World,
) -> None:
    sunday = MONDAY + timedelta(days=6, hours=23, minutes=50)
    await world.queue("U0", sunday)
    # Sent fifteen minutes late (the platform asked to slow down): Monday of the next week.
    assert await world.deliver(sunday + timedelta(minutes=15)) == 1
    assert await world.marks() == [(TEAM.id, week_bounds(LONDON, MONDAY)[0])]
    assert await world.store.people_prompted(TEAM.id, *WEEK) == 1


async def test_marks_are_removed_weeks_after_their_week(world: World) -> None:
    first = MONDAY + timedelta(hours=10, minutes=50)
    second = first + timedelta(weeks=1)
    for at in (first, second):
        for user in ("U0", "U1"):
            await world.queue(user, at)
        assert await world.deliver(at) == 2
    first_end = week_bounds(LONDON, first)[1]
    # Kept while a digest may still be frozen from them.
    await world.store.fan_out(first_end + MARKS_KEPT - timedelta(minutes=1))
    assert len(await world.marks()) == 4
    assert await world.store.people_prompted(TEAM.id, *WEEK) == 2
    # The worker fans out every few seconds; past the time kept, the old week's marks go.
    await world.store.fan_out(first_end + MARKS_KEPT + timedelta(hours=1))
    assert await world.marks() == [(TEAM.id, week_bounds(LONDON, second)[0])] * 2
    assert await world.store.people_prompted(TEAM.id, *WEEK) == 0
    assert await world.store.forget_prompted(first_end + timedelta(weeks=1, seconds=1)) == 2
    assert await world.marks() == []


async def test_a_failing_listener_leaves_the_row_sent(world: World) -> None:
    async def broken(item: OutboxItem, now: datetime) -> None:
        raise RuntimeError("the database went away")

    world.box.on_sent.insert(0, broken)
    at = MONDAY + timedelta(hours=10, minutes=50)
    await world.queue("U0", at)
    assert await world.deliver(at) == 1
    # Not sent again once the claim's lease is over, and the others still heard of the send.
    assert await world.deliver(at + timedelta(hours=1)) == 0
    assert world.sender.sent == [("U0", world.sender.sent[0][1])]
    assert await world.store.people_prompted(TEAM.id, *WEEK) == 1


async def test_a_reader_prompted_is_counted_out(world: World) -> None:
    """A lead who takes prompts knows their own presses: five people prompted, the lead among
    them, are four that protect each other from that lead."""
    at = MONDAY + timedelta(hours=10, minutes=50)
    for user in ("U0", "U1", "U2", "U3", "U4"):
        await world.queue(user, at)
    assert await world.deliver(at) == 5
    assert await world.store.people_prompted(TEAM.id, *WEEK) == 5
    lead = [(Platform.SLACK, "U0")]
    assert await world.store.people_prompted(TEAM.id, *WEEK, lead) == 4
    # A reader who was not prompted changes nothing.
    assert await world.store.people_prompted(TEAM.id, *WEEK, [(Platform.SLACK, "U5")]) == 5
