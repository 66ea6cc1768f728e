"""The check-in conversation: open the pulse form, record one anonymous answer, thank privately;
and `pulse at thu 08:00`, the day and time a person's own invitation arrives in each round."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.breaks import effective, in_working_hours
from bot.domain.events import (
    Actor,
    ButtonPress,
    Command,
    FormErrors,
    FormSubmission,
    Outcome,
    Reply,
    ShowForm,
)
from bot.domain.messages import Card
from bot.domain.ports import Recorded
from bot.domain.pulse import already_answered_card, no_team_card, pulse_card, thanks_card
from bot.domain.pulse_time_cards import (
    pulse_time_card,
    pulse_time_error_card,
    pulse_times_unavailable_card,
)
from bot.domain.pulse_times import PulseTime, own_invitation, parse_pulse_time
from bot.domain.scoring import needs_support_note, parse_answers
from bot.domain.team import Team
from bot.infra import i18n
from handlers.deps import Deps

log = logging.getLogger(__name__)


async def start(deps: Deps, event: Command | ButtonPress) -> Outcome:
    return await _start_for(deps, event.actor)


async def _start_for(deps: Deps, actor: Actor) -> Outcome:
    team = deps.directory.team_of(actor.platform, actor.user_id)
    if team is None:
        return Reply(no_team_card())
    period = deps.calendar.current(team, deps.clock.now())
    if await deps.rounds.answered_in_period(team.id, period.key, actor.platform, actor.user_id):
        return Reply(already_answered_card())
    return ShowForm(pulse_card(deps.instrument, team))


async def submit(deps: Deps, submission: FormSubmission) -> Outcome:
    actor = submission.actor
    team = deps.directory.team_of(actor.platform, actor.user_id)
    if team is None:
        return Reply(no_team_card())
    answers, errors = parse_answers(deps.instrument, submission.values)
    if errors:
        return FormErrors(errors)
    period = deps.calendar.current(team, deps.clock.now())
    recorded = await deps.rounds.record_in_period(
        team.id, period, team.id, actor.platform, actor.user_id, answers
    )
    if recorded is Recorded.ROUND_CLOSED:
        # Closed early by an admin: the answer belongs to the next window, not to a frozen round.
        period = deps.calendar.current(team, period.closes_at)
        recorded = await deps.rounds.record_in_period(
            team.id, period, team.id, actor.platform, actor.user_id, answers
        )
    if recorded is not Recorded.STORED:
        return Reply(already_answered_card())
    log.info("pulse response recorded", extra={"team": team.id})
    return Reply(thanks_card(team, needs_support_note(deps.instrument, answers)))


async def pulse_at(deps: Deps, command: Command) -> Outcome:
    """`pulse at thu 08:00` chooses, `pulse at off` clears, `pulse at` alone shows the choice.

    Bad input changes nothing. A choice applies from the next round to open.
    """
    actor = command.actor
    team = deps.directory.team_of(actor.platform, actor.user_id)
    if team is None:
        return Reply(no_team_card())
    verb, _, rest = command.args.strip().partition(" ")
    if verb.lower() not in ("", "at"):
        return Reply(
            pulse_time_error_card(
                i18n._("“{word}” is not something pulse does.").format(word=verb), actor.platform
            )
        )
    if not deps.pulse_times.enabled:
        return Reply(pulse_times_unavailable_card())
    text = rest.strip()
    if not text:
        chosen = await deps.pulse_times.get(actor.platform, actor.user_id)
    else:
        try:
            chosen = parse_pulse_time(text)
        except ValueError as exc:
            return Reply(pulse_time_error_card(str(exc), actor.platform))
        if chosen is None:
            await deps.pulse_times.clear(actor.platform, actor.user_id)
        else:
            await deps.pulse_times.set(actor.platform, actor.user_id, chosen)
    return Reply(await _when_card(deps, team, actor, chosen))


async def _when_card(deps: Deps, team: Team, actor: Actor, chosen: PulseTime | None) -> Card:
    """When the next invitation arrives, read in the person's own time zone."""
    now = deps.clock.now()
    eff = effective(await deps.breaks.get(actor.platform, actor.user_id), team)
    period = deps.calendar.current(team, now)
    open_now = period.opens_at <= now
    if open_now:
        period = deps.calendar.current(team, period.closes_at)
    at: datetime | None = None
    if chosen is not None:
        remind_after = timedelta(hours=team.pulse.remind_after_hours)
        at = own_invitation(chosen, eff.tz, period.opens_at, period.closes_at, remind_after)
    return pulse_time_card(
        chosen,
        _reading(at or period.opens_at, eff.tz),
        too_late=chosen.describe() if chosen is not None and at is None else None,
        off_shift=at is not None and not in_working_hours(eff, at),
        open_now=open_now,
        remind_after_hours=team.pulse.remind_after_hours,
        platform=actor.platform,
    )


def _reading(when: datetime, tz: ZoneInfo) -> str:
    """ "Thursday 03 December, 08:00 (Europe/London)", in the person's language."""
    moment = i18n.format_datetime(when.astimezone(tz), "EEEE dd MMMM, HH:mm")
    return f"{moment} ({tz.key})"
