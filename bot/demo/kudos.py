"""`respite demo`, continued: a week of recognition in the demo team and its Friday roundup.

It goes through the same router, handlers, store, outbox and scheduler job as `respite serve`;
the console stands in for the chat platform and the fixed clock walks through the week.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.app.compose import Respite
from bot.domain.events import Actor, ButtonPress, Command, Outcome, Reply, ShowForm
from bot.domain.kudos_cards import WITHDRAW
from bot.domain.messages import Button, Platform
from bot.infra.clock import FixedClock
from bot.platforms.console.render import card_text
from bot.platforms.console.sender import ConsoleSender
from handlers import router
from scheduler import kudos
from scheduler.delivery import deliver_due


@dataclass(frozen=True)
class Step:
    day: int  # 0 = Monday
    time: str
    giver: str
    command: str
    args: str
    mentions: tuple[str, ...] = ()
    say: str = ""


WEEK = (
    Step(
        0,
        "17:40",
        "u-ana",
        "kudos",
        "hard-session You stayed with the Hendersons through a really painful session and "
        "still checked on me afterwards.",
        ("u-fatima",),
        "Ana recognises Fatima after a hard family session:",
    ),
    Step(
        1,
        "09:15",
        "u-ben",
        "kudos",
        "anon cover Thank you both for taking my clients while my daughter was ill.",
        ("u-chloe", "u-dev"),
        "Ben thanks Chloe and Dev anonymously:",
    ),
    Step(
        1,
        "12:30",
        "u-chloe",
        "kudos",
        "self-care I finally took a lunch break!",
        ("u-chloe",),
        "Chloe tries to recognise herself:",
    ),
    Step(
        2,
        "16:05",
        "u-dev",
        "kudos",
        "consult Your formulation of the Tuesday case changed how I work with him.",
        ("u-george",),
        "Dev thanks George for a consultation:",
    ),
    Step(
        2,
        "16:20",
        "u-eli",
        "kudos",
        "self-care <!channel> you left on time every day this week. Inspiring!",
        ("u-hana",),
        "Eli's message carries text that looks like a broadcast; it is shown literally:",
    ),
    Step(
        3,
        "10:00",
        "u-fatima",
        "kudos-names",
        "off",
        (),
        "Fatima asks not to be named in roundups:",
    ),
)


async def show_recognition(
    respite: Respite, clock: FixedClock, console: ConsoleSender, write: Callable[[str], None]
) -> None:
    deps = respite.deps
    team = deps.directory.team("demo")
    assert team is not None and team.kudos_channel
    tz = ZoneInfo(team.timezone)
    today = clock.now().astimezone(tz).date()
    monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    start = datetime(monday.year, monday.month, monday.day, tzinfo=tz)
    write(
        f"\n══ Recognition week: {start:%A %d %B %Y} ══\n"
        f"Kudos are posted in {team.kudos_channel} and each person recognised is told privately; "
        f"at most {team.kudos_daily_limit} a day per giver."
    )

    async def run(step: Step) -> Outcome:
        hour, minute = (int(x) for x in step.time.split(":"))
        clock.set(start + timedelta(days=step.day, hours=hour, minutes=minute))
        actor = Actor(Platform.CONSOLE, step.giver)
        write(f"\n  {clock.now().astimezone(tz):%a %H:%M} {step.say}")
        if step.command == "kudos":
            outcome = await router.on_command(
                deps, Command(actor, "kudos", step.args, step.mentions)
            )
        else:
            outcome = await router.on_command(
                deps, Command(actor, "respite", f"{step.command} {step.args}")
            )
        _show_private(outcome, console, write)
        await _deliver_quietly(respite, write)
        return outcome

    withdrawable: str | None = None
    anonymous: str | None = None
    for step in WEEK:
        outcome = await run(step)
        if step.giver == "u-dev" and isinstance(outcome, Reply):
            withdrawable = _button_value(outcome)
        if step.giver == "u-ben" and isinstance(outcome, Reply):
            anonymous = _button_value(outcome)

    if withdrawable:
        clock.set(start + timedelta(days=3, hours=11))
        write(
            f"\n  {clock.now().astimezone(tz):%a %H:%M} George would rather not be in the "
            "channel and takes it down:"
        )
        outcome = await router.on_button(
            deps, ButtonPress(Actor(Platform.CONSOLE, "u-george"), WITHDRAW, withdrawable)
        )
        _show_private(outcome, console, write)

    friday = start + timedelta(days=4, hours=16)
    clock.set(friday + timedelta(minutes=1))
    write(f"\n  {clock.now().astimezone(tz):%a %H:%M} The weekly roundup is posted:")
    await kudos.tick(deps)
    await kudos.tick(deps)  # a second run (another replica, a retry) posts nothing more
    while await deliver_due(respite.runtime.queue, respite.senders, deps.clock):
        pass
    if deps.kudos is not None:
        count = await deps.kudos.kudos_count(team.id, start, friday)
        write(f"\n  The leads' digest will show {count} kudos given in {team.name} this week.")
        kept = await deps.kudos.get(anonymous) if anonymous else None
        if kept is not None:
            write(
                "  Ben's anonymous kudos from Tuesday is stored with giver: "
                f"{kept.giver_id or 'none'}, withdrawal tag: {kept.giver_tag or 'erased'}, "
                f"time: {kept.created_at.astimezone(tz):%a %H:%M} (its hour; the minute tick "
                "erases the tag once the 24-hour quota window has passed)."
            )


def _show_private(outcome: Outcome, console: ConsoleSender, write: Callable[[str], None]) -> None:
    if isinstance(outcome, Reply | ShowForm):
        write("    only they see:")
        write(card_text(outcome.card, indent="      ", names=console.names))


def _button_value(outcome: Reply) -> str | None:
    buttons: tuple[Button, ...] = outcome.card.buttons
    return buttons[0].value if buttons else None


async def _deliver_quietly(respite: Respite, write: Callable[[str], None]) -> None:
    """Recipients' private notes go through the outbox; print how many, not each one."""
    quiet = ConsoleSender(lambda _text: None)
    total = 0
    while sent := await deliver_due(
        respite.runtime.queue, {Platform.CONSOLE: quiet}, respite.deps.clock
    ):
        total += sent
    if total:
        write(f"    ({total} private note(s) delivered to the people recognised)")
