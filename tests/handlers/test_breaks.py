"""handlers/breaks.py called directly: settings kept in memory, presses counted once."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.events import Actor, ButtonPress, Command, Reply
from bot.domain.messages import Platform
from bot.infra.clock import FixedClock
from handlers import breaks
from tests.support.fake_ports import FakeBreaks, FakeOutbox, fake_deps, member

SLOT = "2026-11-30T10:50"


async def test_break_prompts_that_are_off_or_for_outsiders_say_so() -> None:
    off = await breaks.command(fake_deps(), Command(member(1), "breaks", "status"))
    assert isinstance(off, Reply) and "not set up" in off.card.title
    outsider = Actor(Platform.SLACK, "UOUTSIDER")
    reply = await breaks.command(fake_deps(breaks=FakeBreaks()), Command(outsider, "breaks"))
    assert isinstance(reply, Reply) and "for team members" in reply.card.title


async def test_a_command_saves_and_a_bad_one_changes_nothing() -> None:
    store = FakeBreaks()
    deps = fake_deps(breaks=store)
    saved = await breaks.command(deps, Command(member(1), "breaks", "at 14:50 10:50"))
    assert isinstance(saved, Reply) and saved.card.title == "Break times saved"
    kept = store.settings[(Platform.SLACK, member(1).user_id)]
    wrong = await breaks.command(deps, Command(member(1), "breaks", "at 10:50 25:00"))
    assert isinstance(wrong, Reply) and "didn't work" in wrong.card.title
    assert "/respite breaks at 10:50 14:50" in wrong.card.fallback  # hints as Slack types them
    assert store.settings[(Platform.SLACK, member(1).user_id)] == kept


async def test_done_counts_once_and_skip_today_holds_prompts_until_tomorrow() -> None:
    store = FakeBreaks()
    deps = fake_deps(breaks=store, clock=FixedClock(datetime(2026, 11, 30, 10, 51, tzinfo=UTC)))
    for _ in range(2):
        done = await breaks.done(deps, ButtonPress(member(1), "break_done", SLOT))
        assert isinstance(done, Reply) and done.card.title == "Nicely done"
    skipped = await breaks.skip_today(deps, ButtonPress(member(2), "break_skip_today", SLOT))
    assert isinstance(skipped, Reply) and "/respite breaks resume" in skipped.card.fallback
    assert [(user, outcome) for _, user, _, outcome in store.counted] == [
        (member(1).user_id, "done"),
        (member(2).user_id, "skipped"),
    ]
    skip_date = store.settings[(Platform.SLACK, member(2).user_id)].skip_date
    assert skip_date is not None and skip_date.isoformat() == "2026-11-30"


async def test_snooze_queues_the_prompt_again_ten_minutes_on() -> None:
    outbox = FakeOutbox()
    now = datetime(2026, 11, 30, 10, 51, tzinfo=UTC)
    deps = fake_deps(breaks=FakeBreaks(), outbox=outbox, clock=FixedClock(now))
    await breaks.snooze(deps, ButtonPress(member(3), "break_snooze", f"{SLOT}|2"))
    [(recipient, card, not_before)] = outbox.queued.values()
    assert recipient.user_id == member(3).user_id
    assert (not_before - now).total_seconds() == 600
    assert card.title
