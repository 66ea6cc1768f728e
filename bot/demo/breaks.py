"""`respite demo`, part two: one day of break prompts for two clinicians in different time zones.

Ana works in London and keeps her sessions in a calendar, so her prompts land in the gaps after
sessions end; Ben works from New York on fixed break times. Everything goes through the real
tick, outbox, boundaries and handlers; only the platform (console) and the clock differ.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.adapters.calendar_feed import IcsCalendarFeed
from bot.app.compose import build
from bot.config import parse_roster
from bot.demo.settings import demo_settings
from bot.domain.break_cards import BREAK_DONE, BREAK_SNOOZE
from bot.domain.events import Actor, ButtonPress, Command, Reply
from bot.domain.messages import Card, Platform, Recipient
from bot.infra.clock import FixedClock
from bot.infra.i18n import N_, _, format_time, ngettext
from bot.platforms.console.render import card_text
from bot.storage.migrate import upgrade
from handlers import router
from scheduler.breaks import BreakTicker
from scheduler.delivery import deliver_due

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
DAY = datetime(2027, 1, 5, 0, 0, tzinfo=LONDON)  # a Tuesday
CALENDAR = Path(__file__).resolve().parents[1] / "data" / "demo-calendar.ics"
NAMES = {"u-ana": N_("Ana (London, calendar)"), "u-ben": N_("Ben (New York, fixed times)")}

ROSTER: dict[str, list[dict[str, object]]] = {
    "teams": [
        {
            "id": "riverside",
            "name": "Riverside Therapy",
            "platform": "console",
            "timezone": "Europe/London",
            "members": list(NAMES),
            "leads": ["u-lee"],
            "working_hours": "09:00-17:30",
            "working_days": "mon-fri",
            "breaks": {"enabled": True, "times": ["10:50", "11:50", "14:50", "15:50"]},
        }
    ]
}


def roster(language: str = "en") -> dict[str, list[dict[str, object]]]:
    """The roster, with the team speaking `language` when the demo is told in another one."""
    if language == "en":
        return ROSTER
    return {"teams": [{**team, "language": language} for team in ROSTER["teams"]]}


class _DaySender:
    """Prints one line per delivered message, and the first prompt in full."""

    def __init__(self, clock: FixedClock, write: Callable[[str], None]) -> None:
        self._clock = clock
        self._write = write
        self.sent: list[tuple[Recipient, Card]] = []

    async def send(self, recipient: Recipient, card: Card) -> str | None:
        self.sent.append((recipient, card))
        now = self._clock.now()
        user = recipient.user_id or ""
        who = _(NAMES[user]) if user in NAMES else user or "?"
        self._write(
            _("  {london} London · {new_york} New York  → {who}: {title}").format(
                london=format_time(now.astimezone(LONDON), "HH:mm"),
                new_york=format_time(now.astimezone(NEW_YORK), "HH:mm"),
                who=who,
                title=card.title,
            )
        )
        if len(self.sent) == 1:
            self._write(card_text(card, indent="      "))
        return str(len(self.sent))

    async def delete(self, recipient: Recipient, ref: str) -> None:
        return None


async def run_breaks_demo(write: Callable[[str], None] = print, language: str = "en") -> None:
    tmp = tempfile.mkdtemp(prefix="respite-demo-breaks-")
    url = f"sqlite:///{Path(tmp) / 'breaks.db'}"
    try:
        await asyncio.to_thread(upgrade, url)
        clock = FixedClock(DAY)
        sender = _DaySender(clock, write)
        respite = await build(
            demo_settings(url),
            clock=clock,
            roster=parse_roster(roster(language)),
            senders={Platform.CONSOLE: sender},
            calendar_feed=IcsCalendarFeed(allow_files=True),
        )
        try:
            await _day(respite.deps, respite.runtime, clock, sender, write)
        finally:
            await respite.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


async def _day(
    deps: object,
    runtime: object,
    clock: FixedClock,
    sender: _DaySender,
    write: Callable[[str], None],
) -> None:
    from handlers.deps import Deps
    from scheduler.runner import Runtime

    assert isinstance(deps, Deps) and isinstance(runtime, Runtime)
    ticker = next(t for t in runtime.extra_ticks if isinstance(t, BreakTicker))
    write(
        "\n══ "
        + _("Break prompts: one working day (Tuesday 5 January 2027)")
        + " ══\n"
        + _(
            "Ana works 09:00-17:30 in London and shares her clinic calendar (a file here; an "
            "https address in real use): prompts land after a session ends when ten free minutes "
            "follow, never during one. Ben works the same hours from New York, where Respite "
            "learned his time zone from the platform, and gets the team's fixed times. Nothing "
            "reaches anyone outside their working hours."
        )
    )
    ben = Actor(Platform.CONSOLE, "u-ben", timezone="America/New_York")
    await router.on_command(deps, Command(ben, "respite", "breaks status"))
    ana = Actor(Platform.CONSOLE, "u-ana")
    await ticker.tick(deps)  # gives everyone in the roster a schedule
    settings = await deps.breaks.get(Platform.CONSOLE, "u-ana")
    assert settings is not None
    await deps.breaks.save(replace(settings, calendar_url=str(CALENDAR)), clock.now())
    reply = await router.on_command(deps, Command(ana, "respite", "breaks status"))
    assert isinstance(reply, Reply)
    write(_("\n  Ana asks for her settings (/respite breaks status):"))
    write(card_text(reply.card, indent="      "))
    write("")

    end = datetime(2027, 1, 6, 0, 0, tzinfo=NEW_YORK)
    pressed: set[str] = set()
    while clock.now() < end:
        await ticker.tick(deps)
        while await deliver_due(
            runtime.queue, runtime.senders, clock, boundaries=runtime.boundaries
        ):
            pass
        for recipient, card in sender.sent:
            user = recipient.user_id or ""
            done = next((b for b in card.buttons if b.action_id == BREAK_DONE), None)
            if done is None or done.value in pressed:
                continue
            pressed.add(done.value)
            if user == "u-ana" and len(pressed) == 1:
                await router.on_button(deps, ButtonPress(ana, BREAK_DONE, done.value))
                write(_("      Ana presses {button}.").format(button=_("Done")))
            elif user == "u-ben" and "T11:50" in done.value:
                await router.on_button(deps, ButtonPress(ben, BREAK_SNOOZE, done.value))
                write(
                    _("      Ben presses {button}; it comes back ten minutes later.").format(
                        button=_("Snooze 10 min")
                    )
                )
        clock.advance(timedelta(minutes=5))

    week_start = datetime(2027, 1, 4, 0, 0, tzinfo=LONDON)
    team = deps.directory.team("riverside")
    assert team is not None
    uptake = await deps.breaks.break_uptake("riverside", week_start, week_start + timedelta(days=7))
    if any(uptake):
        prompted, done_count, skipped = uptake
        write(
            _(
                "\n  Kept for the team, per week only (never per person): {prompted} prompts, "
                "{done} done, {skipped} skipped so far this week."
            ).format(prompted=prompted, done=done_count, skipped=skipped)
        )
    else:
        write(
            ngettext(
                "\n  Prompts, Done and Skip are counted for the team and the week only, never per "
                "person, and a lead sees them only when at least {minimum} people have "
                "break prompts on. With {members} here, the lead's digest has no uptake "
                "line at all: so few people's counts would say what each of them did.",
                "\n  Prompts, Done and Skip are counted for the team and the week only, never per "
                "person, and a lead sees them only when at least {minimum} people have "
                "break prompts on. With {members} here, the lead's digest has no uptake "
                "line at all: so few people's counts would say what each of them did.",
                team.min_group_size,
            ).format(minimum=team.min_group_size, members=len(team.members))
        )
