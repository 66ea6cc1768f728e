"""Opening, reminding and closing pulse rounds.

Every job is idempotent and keyed by (team, period): it looks at what is due now, so it is safe to
run twice, from two processes, or late after downtime. Messages go through the outbox with one
key per intended message, which is what makes a second run send nothing new.

Someone who chose a pulse time of their own (`pulse at thu 08:00`) is invited at that time
instead of at the opening. The opening keeps when (`PulseTimes.plan`); the tick queues their
invitation, and later their reminder, when each falls due, only if they have not answered by
then, as the round's reminder does. An answer takes nothing back, so it changes nothing in the
outbox: its backlog in /metrics never moves at the moment someone answers. A choice made or
cleared while a round is open applies from the next one: the round's reminder skips exactly the
people the opening planned for, so nobody misses a reminder or has two.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.breaks import effective
from bot.domain.messages import Recipient
from bot.domain.ports import Round
from bot.domain.ports.pulse import OwnTimes
from bot.domain.pulse import invitation_card, reminder_card
from bot.domain.pulse_times import (
    INVITE,
    KINDS,
    REMIND,
    own_invitation,
    own_key,
    own_reminder,
    round_key,
)
from bot.domain.team import Team
from bot.infra.i18n import format_datetime, use_locale
from handlers.deps import Deps
from scheduler.digest import freeze_due
from scheduler.report import JobReport

log = logging.getLogger(__name__)


def _local(team: Team, when: datetime) -> str:
    """A moment on the team's clock, in the current language ("Thursday 03 Dec, 10:00")."""
    return format_datetime(when.astimezone(ZoneInfo(team.timezone)))


def _require_team(deps: Deps, team_id: str) -> Team:
    team = deps.directory.team(team_id)
    if team is None:
        raise LookupError(f"no team with id {team_id!r} in the roster")
    return team


async def own_invitations(
    deps: Deps, team: Team, rnd: Round, users: Collection[str]
) -> dict[str, datetime]:
    """When each of these people who chose a pulse time of their own is invited to this round,
    for those whose time falls after the opening and early enough before the close
    (`bot.domain.pulse_times`); everyone else is invited when the round opens."""
    chosen = await deps.pulse_times.of_people(team.platform, users)
    settings = await deps.breaks.of_people(team.platform, chosen) if chosen else {}
    remind_after = timedelta(hours=team.pulse.remind_after_hours)
    due: dict[str, datetime] = {}
    for user, pulse_time in chosen.items():
        tz = effective(settings.get(user), team).tz
        at = own_invitation(pulse_time, tz, rnd.opens_at, rnd.closes_at, remind_after)
        if at is not None and at > rnd.opens_at:
            due[user] = at
    return due


async def _invited_at_opening(deps: Deps, team: Team, rnd: Round, users: list[str]) -> set[str]:
    """Which of these people the round's opening invited already: their invitation is in the
    outbox, under the key the opening queues it with."""
    by_key = {round_key(INVITE, rnd.id, Recipient(team.platform, user_id=u).key): u for u in users}
    return {by_key[key] for key in await deps.outbox.existing(by_key)}


async def _queue_for_non_responders(
    deps: Deps, team: Team, rnd: Round, kind: str, now: datetime, opening: bool = False
) -> int:
    """One message per member who has not answered, in each one's language, keyed so a second
    run queues nothing. Who answered and who is invited at their own time are read once for
    the whole team; only the cards are built per language.

    At the opening, people whose own pulse time falls in the round are not invited yet: the
    round keeps when they are (`PulseTimes.plan`) and the pulse tick queues it then
    (`queue_own`). At the round's reminder, the people it invites at their own time are skipped,
    their reminder being their own. Who that is comes from the round's record
    (`PulseTimes.planned`), not from the current choice: a time chosen or cleared while the
    round is open applies from the next one.
    """
    answered = await deps.rounds.participants(rnd.id)
    waiting = [user for user in sorted(team.members) if (team.platform, user) not in answered]
    own = set(await deps.pulse_times.planned(rnd.id, team.platform, waiting))
    if opening:
        # An opening run again keeps the way each person was first invited.
        unplanned = [user for user in waiting if user not in own]
        invited = await _invited_at_opening(deps, team, rnd, unplanned)
        new = await own_invitations(deps, team, rnd, [u for u in unplanned if u not in invited])
        remind_after = timedelta(hours=team.pulse.remind_after_hours)
        await deps.pulse_times.plan(
            rnd.id,
            team.platform,
            {
                user: OwnTimes(at, own_reminder(max(at, now), rnd.closes_at, remind_after))
                for user, at in new.items()
            },
        )
        own |= new.keys()
    card_for = invitation_card if kind == INVITE else reminder_card
    asked = [user for user in waiting if user not in own]
    queued = 0
    # Each language's card goes to the members who read it (bot/domain/language.py).
    for locale, members in (await deps.languages.groups(team.platform, asked, team.id)).items():
        with use_locale(locale):
            card = card_for(team, _local(team, rnd.closes_at))
        for user in sorted(members):
            recipient = Recipient(team.platform, user_id=user)
            # Held outside working hours, but of no use once the round has closed.
            key = round_key(kind, rnd.id, recipient.key)
            if await deps.outbox.enqueue(key, recipient, card, now, rnd.closes_at, holds=True):
                queued += 1
    return queued


async def queue_own(deps: Deps, rnd: Round) -> int:
    """Queue the round's own invitations and reminders whose moment has come, for the people who
    have not answered by then, as the round's reminder does at its own time. Nothing is taken
    back when someone answers: whoever answered first is simply not asked. What is queued
    already the outbox says (`Outbox.existing`); a reminder comes only once its invitation is
    queued."""
    team = _require_team(deps, rnd.team_id)
    now = deps.clock.now()
    due = await deps.pulse_times.due(rnd.id, now)
    if not due:
        return 0
    answered = await deps.rounds.participants(rnd.id)
    plans = [
        plan
        for plan in due
        if plan.user_id in team.members and (team.platform, plan.user_id) not in answered
    ]
    keys = {
        (plan.user_id, kind): own_key(kind, rnd.id, Recipient(team.platform, plan.user_id).key)
        for plan in plans
        for kind in KINDS
    }
    held = await deps.outbox.existing(keys.values())
    kinds: dict[str, str] = {}
    for plan in plans:
        if keys[plan.user_id, INVITE] not in held:
            kinds[plan.user_id] = INVITE
        elif (
            plan.remind_at is not None
            and plan.remind_at <= now
            and keys[plan.user_id, REMIND] not in held
        ):
            kinds[plan.user_id] = REMIND
    queued = 0
    for locale, members in (await deps.languages.groups(team.platform, kinds, team.id)).items():
        with use_locale(locale):
            closes = _local(team, rnd.closes_at)
            cards = {INVITE: invitation_card(team, closes), REMIND: reminder_card(team, closes)}
        for user in sorted(members):
            recipient = Recipient(team.platform, user_id=user)
            kind = kinds[user]
            if await deps.outbox.enqueue(
                keys[user, kind], recipient, cards[kind], now, rnd.closes_at, holds=True
            ):
                queued += 1
    return queued


async def open_round(deps: Deps, team_id: str, report: JobReport | None = None) -> Round:
    """Open the team's current round (creating it if needed) and invite who has not answered."""
    report = report or JobReport()
    team = _require_team(deps, team_id)
    now = deps.clock.now()
    rnd = await deps.rounds.ensure(team.id, deps.calendar.current(team, now))
    if rnd.is_closed:
        report.say(f"{team.id}: round {rnd.period_key} is already closed; nothing to open")
        return rnd
    queued = await _queue_for_non_responders(deps, team, rnd, INVITE, now, opening=True)
    await deps.rounds.mark_invited(rnd.id, now)
    if now >= rnd.remind_at:
        # Opened late (after downtime, or by hand): the invitation is also the reminder.
        await deps.rounds.mark_reminded(rnd.id, now)
    report.say(
        f"{team.id}: round {rnd.period_key} open until {_local(team, rnd.closes_at)}; "
        f"{queued} invitation(s) queued"
    )
    return rnd


async def send_reminders(deps: Deps, rnd: Round, report: JobReport | None = None) -> int:
    report = report or JobReport()
    team = _require_team(deps, rnd.team_id)
    now = deps.clock.now()
    if rnd.is_closed or now >= rnd.closes_at:
        return 0
    queued = await _queue_for_non_responders(deps, team, rnd, REMIND, now)
    await deps.rounds.mark_reminded(rnd.id, now)
    report.say(f"{team.id}: round {rnd.period_key}: {queued} reminder(s) queued")
    return queued


async def close_round(
    deps: Deps, rnd: Round, report: JobReport | None = None, *, freeze: bool = True
) -> bool:
    """Close a round: freeze its figures and shuffle its answers; then, unless the caller will
    do it once for many rounds, freeze any period now complete and queue its digests."""
    report = report or JobReport()
    team = _require_team(deps, rnd.team_id)
    now = deps.clock.now()
    closed = await deps.rounds.close(rnd.id, len(team.members), now)
    await deps.pulse_times.end_round(rnd.id)
    if not closed:
        report.say(f"{team.id}: round {rnd.period_key} was already closed")
    else:
        report.say(f"{team.id}: round {rnd.period_key} closed; answers re-written in random order")
    if freeze:
        await freeze_due(deps, report)
    return closed


async def close_team_round(deps: Deps, team_id: str, report: JobReport | None = None) -> bool:
    """Close the team's oldest open round now, whatever its scheduled close (admin command)."""
    report = report or JobReport()
    team = _require_team(deps, team_id)
    candidates = [r for r in await deps.rounds.open_rounds() if r.team_id == team.id]
    if not candidates:
        report.say(f"{team.id}: no open round to close")
        return False
    return await close_round(deps, candidates[0], report)


async def tick(deps: Deps, report: JobReport | None = None) -> JobReport:
    """Do whatever is due now: open, remind (the round's reminder, and own invitations and
    reminders as each falls due), close. Catches up after downtime."""
    report = report or JobReport()
    now = deps.clock.now()
    for team in deps.directory.teams():
        period = deps.calendar.latest_start(team, now)
        if period is None or now >= period.closes_at:
            continue
        existing = await deps.rounds.find(team.id, period.key)
        if existing is None or (existing.invited_at is None and not existing.is_closed):
            await open_round(deps, team.id, report)
    for rnd in await deps.rounds.open_rounds():
        if deps.directory.team(rnd.team_id) is None:
            continue  # team removed from the roster; its round stays open and unreported
        if now >= rnd.closes_at:
            await close_round(deps, rnd, report, freeze=False)
            continue
        if now >= rnd.remind_at and rnd.reminded_at is None:
            await send_reminders(deps, rnd, report)
        own = await queue_own(deps, rnd)
        if own:
            report.say(f"{rnd.team_id}: round {rnd.period_key}: {own} own-time message(s) queued")
    await freeze_due(deps, report)
    return report
