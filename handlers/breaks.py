"""`/respite breaks ...` (Teams: `breaks ...`) and the buttons on a break prompt.

A command is parsed completely before anything is stored, and all of a person's settings are
written in one statement, so a malformed command changes nothing. The calendar address is a
secret: it is stored, and never shown back, not even in part; and it is refused when typed where
others can read it (a Teams channel), since by then the channel has seen it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.domain.break_cards import PRACTICES, prompt_card
from bot.domain.breaks import (
    PROMPT_LIFETIME,
    SNOOZE,
    BreakSettings,
    CommandError,
    Effective,
    describe_times,
    effective,
    next_fixed_slot,
    parse_command,
    shift_day,
    usage,
    week_bounds,
    zone,
)
from bot.domain.commands import canonical, word
from bot.domain.events import Actor, ButtonPress, Command, Outcome, Reply
from bot.domain.messages import Card, Field, Platform
from bot.domain.ports import BreakStore
from bot.domain.shifts import describe_work
from bot.domain.team import Team
from bot.infra.i18n import N_, _, format_date, format_datetime
from handlers.deps import Deps

PAUSE_BUTTON_DAYS = 7


def _reply(
    title: str, *blocks: str, fields: tuple[Field, ...] = (), note: str | None = None
) -> Reply:
    return Reply(Card(title=title, blocks=blocks, fields=fields, note=note))


# In English here; `_in_language` translates them when they are sent, inside the actor's
# language (the router sets it).
NOT_SET_UP = _reply(
    N_("Break prompts are not set up here"), N_("Ask your Respite admin to enable them.")
)
NOT_MEMBER = _reply(
    N_("Break prompts are for team members"),
    N_("You are not in a team in Respite's roster yet; ask your admin to add you."),
)
SAVED_TITLES = {
    "at": N_("Break times saved"),
    "hours": N_("Working hours saved"),
    "pause": N_("Break prompts paused"),
    "zone": N_("Time zone saved"),
}


def _in_language(reply: Reply) -> Reply:
    """One of the replies above in the current language."""
    return _reply(_(reply.card.title), *(_(str(block)) for block in reply.card.blocks))


async def _load(deps: Deps, actor: Actor) -> tuple[BreakStore, Team, BreakSettings] | Reply:
    store = deps.breaks
    if not store.enabled:
        return _in_language(NOT_SET_UP)
    team = deps.directory.team_of(actor.platform, actor.user_id)
    if team is None:
        return _in_language(NOT_MEMBER)
    stored = await store.get(actor.platform, actor.user_id)
    current = replace(
        stored or BreakSettings(actor.platform.value, actor.user_id, team.id), team_id=team.id
    )
    if current.timezone is None and zone(actor.timezone):
        current = replace(current, timezone=actor.timezone)
        await store.save(current, deps.clock.now())
    return store, team, current


def status_fields(
    settings: BreakSettings, team: Team, eff: Effective, deps: Deps
) -> tuple[Field, ...]:
    now = deps.clock.now()

    def team_default(value: str, own: object) -> str:
        return value if own is not None else _("{value} (team default)").format(value=value)

    on = _("on") if eff.enabled else _("off")
    zone_name = eff.tz.key
    fields = [
        Field(_("Break prompts"), team_default(on, settings.enabled)),
        Field(_("Times"), team_default(describe_times(eff.times), settings.times)),
        Field(_("Working hours"), team_default(describe_work(eff.work), settings.work)),
        Field(
            _("Time zone"),
            zone_name
            if settings.timezone is not None
            else _("{zone} (team's)").format(zone=zone_name),
        ),
    ]
    today = shift_day(eff, now)
    if eff.paused_until and eff.paused_until > today:
        fields.append(Field(_("Paused until"), format_date(eff.paused_until, "EEEE dd MMMM yyyy")))
    if eff.skip_date == today:
        fields.append(Field(_("Today"), _("skipped")))
    fields.append(
        Field(
            _("Calendar"),
            _("connected (address kept private)") if eff.calendar else _("not connected"),
        )
    )
    if eff.enabled:
        if eff.calendar:
            nxt = _("after your sessions end, when a gap of 10 minutes or more follows")
        else:
            slot = next_fixed_slot(eff, now)
            nxt = (
                format_datetime(slot.at.astimezone(eff.tz), "EEE dd MMM, HH:mm")
                if slot
                else _("none planned")
            )
        fields.append(Field(_("Next prompt"), nxt))
    return tuple(fields)


def calendar_in_public(platform: Platform) -> Reply:
    return _reply(
        _("Send your calendar address privately"),
        _(
            "A calendar address is a secret: anyone who has it can read your calendar. Nothing "
            "was saved. Send it in your 1:1 chat with Respite instead: {command}"
        ).format(command=word(platform, "breaks calendar https://…/basic.ics")),
        note=_(
            "If the address was a private feed link, consider resetting it in your calendar's "
            "settings, since the conversation has now seen it."
        ),
    )


async def command(deps: Deps, cmd: Command) -> Outcome:
    words = cmd.args.lower().split()
    # The router has read the first word back to English; "off" may be in any language.
    off = len(words) == 2 and canonical(words[1], ("off",)) is not None
    if not cmd.private and words[:1] == ["calendar"] and not off:
        return calendar_in_public(cmd.actor.platform)
    loaded = await _load(deps, cmd.actor)
    if isinstance(loaded, Reply):
        return loaded
    store, team, current = loaded
    now = deps.clock.now()
    today = shift_day(effective(current, team), now)  # "3d" counts from the shift under way
    typed = word(cmd.actor.platform, "breaks")
    try:
        change = parse_command(cmd.args, today, typed)
    except CommandError as exc:
        return _reply(
            _("That breaks command didn't work"), str(exc), note=_("Nothing was changed.")
        )
    updated = current
    title = _("Your break settings")
    if change.action == "on":
        updated, title = replace(current, enabled=True), _("Break prompts are on")
    elif change.action == "off":
        updated, title = replace(current, enabled=False), _("Break prompts are off")
    elif change.action == "resume":
        updated = replace(current, paused_until=None, skip_date=None)
        title = _("Break prompts resumed")
    elif change.action == "calendar":
        url = change.values["calendar_url"]
        assert url is None or isinstance(url, str)
        updated = replace(current, calendar_url=url, calendar_warned=False)
        title = _("Calendar connected") if url else _("Calendar disconnected")
    elif change.action == "hours" and "calendar" in change.values:
        if not current.calendar_url:
            return _reply(
                _("Connect your calendar first"),
                _(
                    "Your shifts can come from your calendar once it is connected: {command} "
                    "(in your 1:1 chat with Respite)."
                ).format(command=word(cmd.actor.platform, "breaks calendar https://…/basic.ics")),
                note=_("Nothing was changed."),
            )
        keyword = change.values["calendar"]
        assert isinstance(keyword, str)
        # The weekly hours stay, for when the feed cannot be read.
        work = replace(effective(current, team).work, calendar=keyword, rota=None)
        updated, title = replace(current, work=work), _(SAVED_TITLES["hours"])
    elif change.action != "status":
        updated = replace(current, **change.values)  # type: ignore[arg-type]
        title = _(SAVED_TITLES[change.action])
    if change.action != "status":
        await store.save(updated, now)
    eff = effective(updated, team)
    note = _("Change them with: {usage}").format(usage=usage(typed))
    blocks: tuple[str, ...] = ()
    if change.action == "hours":
        blocks = (_("Respite sends nothing outside these hours, on days off or on team holidays."),)
    if change.action == "calendar" and updated.calendar_url:
        blocks = (
            _(
                "Prompts now land in the gap after a session ends, never during an event. "
                "Your calendar address is kept private and never shown again."
            ),
        )
    return _reply(title, *blocks, fields=status_fields(updated, team, eff, deps), note=note)


def _slot_and_practice(value: str) -> tuple[str, int | None]:
    slot, _, practice = value.partition("|")
    return slot[:40], int(practice) if practice.isdigit() else None


async def _count(
    deps: Deps, store: BreakStore, team: Team, press: ButtonPress, outcome: str
) -> None:
    slot, _ = _slot_and_practice(press.value)
    now = deps.clock.now()
    week = week_bounds(ZoneInfo(team.timezone), now)
    await store.acknowledge(
        press.actor.platform, press.actor.user_id, slot, outcome, team.id, week, now
    )


async def done(deps: Deps, press: ButtonPress) -> Outcome:
    loaded = await _load(deps, press.actor)
    if isinstance(loaded, Reply):
        return loaded
    store, team, _current = loaded
    await _count(deps, store, team, press, "done")
    return _reply(_("Nicely done"), _("Thank you for looking after yourself between sessions."))


async def snooze(deps: Deps, press: ButtonPress) -> Outcome:
    loaded = await _load(deps, press.actor)
    if isinstance(loaded, Reply):
        return loaded
    _store, _team, _current = loaded
    slot, practice = _slot_and_practice(press.value)
    now = deps.clock.now()
    index = practice if practice is not None and 0 <= practice < len(PRACTICES) else 0
    recipient = press.actor.recipient
    await deps.outbox.enqueue(
        f"break-snooze:{recipient.key}:{slot}:{now:%Y%m%dT%H%M}",
        recipient,
        prompt_card(index, slot, recipient.platform),
        now + SNOOZE,
        drop_after=now + SNOOZE + PROMPT_LIFETIME,
    )
    return _reply(_("Snoozed for 10 minutes"), _("I'll bring this break back shortly."))


async def skip_today(deps: Deps, press: ButtonPress) -> Outcome:
    loaded = await _load(deps, press.actor)
    if isinstance(loaded, Reply):
        return loaded
    store, team, current = loaded
    now = deps.clock.now()
    today = shift_day(effective(current, team), now)  # a night shift's small hours: its start day
    await store.save(replace(current, skip_date=today), now)
    await _count(deps, store, team, press, "skipped")
    return _reply(
        _("No more break prompts today"),
        _("See you tomorrow. {command} undoes it.").format(
            command=word(press.actor.platform, "breaks resume")
        ),
    )


async def pause(deps: Deps, press: ButtonPress) -> Outcome:
    loaded = await _load(deps, press.actor)
    if isinstance(loaded, Reply):
        return loaded
    store, team, current = loaded
    now = deps.clock.now()
    until = shift_day(effective(current, team), now) + timedelta(days=PAUSE_BUTTON_DAYS)
    await store.save(replace(current, paused_until=until), now)
    return _reply(
        _("Break prompts paused for a week"),
        _("They start again on {date}. {command} restarts them sooner.").format(
            date=format_date(until, "EEEE dd MMMM"),
            command=word(press.actor.platform, "breaks resume"),
        ),
    )
