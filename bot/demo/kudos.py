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
from bot.infra.i18n import N_, _, format_datetime, ngettext
from bot.platforms.console.render import card_text
from bot.platforms.console.sender import ConsoleSender
from handlers import router
from scheduler import kudos
from scheduler.delivery import deliver_due

# How the week's Monday is written: a date pattern (CLDR), so each language orders it its own way.
WEEK_DATE = N_("EEEE dd MMMM y")


@dataclass(frozen=True)
class Step:
    day: int  # 0 = Monday
    time: str
    giver: str
    command: str
    args: str  # the command's keywords, typed as they are in every language
    message: str = ""  # what the giver writes, marked for translation
    mentions: tuple[str, ...] = ()
    say: str = ""  # the narration, marked for translation

    def text(self) -> str:
        """The command's text as the giver types it in the demo's language."""
        return f"{self.args} {_(self.message)}" if self.message else self.args


WEEK = (
    Step(
        0,
        "17:40",
        "u-ana",
        "kudos",
        "hard-session",
        N_(
            "You stayed with the Hendersons through a really painful session and "
            "still checked on me afterwards."
        ),
        ("u-fatima",),
        N_("Ana recognises Fatima after a hard family session:"),
    ),
    Step(
        1,
        "09:15",
        "u-ben",
        "kudos",
        "anon cover",
        N_("Thank you both for taking my clients while my daughter was ill."),
        ("u-chloe", "u-dev"),
        N_("Ben thanks Chloe and Dev anonymously:"),
    ),
    Step(
        1,
        "12:30",
        "u-chloe",
        "kudos",
        "self-care",
        N_("I finally took a lunch break!"),
        ("u-chloe",),
        N_("Chloe tries to recognise herself:"),
    ),
    Step(
        2,
        "16:05",
        "u-dev",
        "kudos",
        "consult",
        N_("Your formulation of the Tuesday case changed how I work with him."),
        ("u-george",),
        N_("Dev thanks George for a consultation:"),
    ),
    Step(
        2,
        "16:20",
        "u-eli",
        "kudos",
        "self-care",
        N_("<!channel> you left on time every day this week. Inspiring!"),
        ("u-hana",),
        N_("Eli's message carries text that looks like a broadcast; it is shown literally:"),
    ),
    Step(
        3,
        "10:00",
        "u-fatima",
        "kudos-names",
        "off",
        "",
        (),
        N_("Fatima asks not to be named in roundups:"),
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
        "\n══ "
        + _("Recognition week: {date}").format(date=format_datetime(start, _(WEEK_DATE)))
        + " ══\n"
        + _(
            "Kudos are posted in {channel} and each person recognised is told privately; "
            "at most {limit} a day per giver."
        ).format(channel=team.kudos_channel, limit=team.kudos_daily_limit)
    )

    def at() -> str:
        return format_datetime(clock.now().astimezone(tz), "EEE HH:mm")

    async def run(step: Step) -> Outcome:
        hour, minute = (int(x) for x in step.time.split(":"))
        clock.set(start + timedelta(days=step.day, hours=hour, minutes=minute))
        actor = Actor(Platform.CONSOLE, step.giver)
        write(f"\n  {at()} {_(step.say)}")
        if step.command == "kudos":
            outcome = await router.on_command(
                deps, Command(actor, "kudos", step.text(), step.mentions)
            )
        else:
            outcome = await router.on_command(
                deps, Command(actor, "respite", f"{step.command} {step.text()}")
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
        write(f"\n  {at()} " + _("George would rather not be in the channel and takes it down:"))
        outcome = await router.on_button(
            deps, ButtonPress(Actor(Platform.CONSOLE, "u-george"), WITHDRAW, withdrawable)
        )
        _show_private(outcome, console, write)

    friday = start + timedelta(days=4, hours=16)
    clock.set(friday + timedelta(minutes=1))
    write(f"\n  {at()} " + _("The weekly roundup is posted:"))
    await kudos.tick(deps)
    await kudos.tick(deps)  # a second run (another replica, a retry) posts nothing more
    while await deliver_due(respite.runtime.queue, respite.senders, deps.clock):
        pass
    if not deps.kudos.enabled:
        return
    count = await deps.kudos.kudos_count(team.id, start, friday)
    write(
        ngettext(
            "\n  The leads' digest will show {count} kudos given in {team} this week.",
            "\n  The leads' digest will show {count} kudos given in {team} this week.",
            count,
        ).format(count=count, team=team.name)
    )
    kept = await deps.kudos.get(anonymous) if anonymous else None
    if kept is not None:
        write(
            _(
                "  Ben's anonymous kudos from Tuesday is stored with giver: "
                "{giver}, withdrawal tag: {tag}, "
                "time: {time} (its hour; the minute tick "
                "erases the tag once the 24-hour quota window has passed)."
            ).format(
                giver=kept.giver_id or _("none"),
                tag=kept.giver_tag or _("erased"),
                time=format_datetime(kept.created_at.astimezone(tz), "EEE HH:mm"),
            )
        )


def _show_private(outcome: Outcome, console: ConsoleSender, write: Callable[[str], None]) -> None:
    if isinstance(outcome, Reply | ShowForm):
        write(_("    only they see:"))
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
        write(
            ngettext(
                "    ({count} private note(s) delivered to the people recognised)",
                "    ({count} private note(s) delivered to the people recognised)",
                total,
            ).format(count=total)
        )
