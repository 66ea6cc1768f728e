"""The check-in conversation: open the pulse form, record one anonymous answer, thank privately."""

from __future__ import annotations

import logging

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
from bot.domain.ports import Recorded
from bot.domain.pulse import already_answered_card, no_team_card, pulse_card, thanks_card
from bot.domain.scoring import needs_support_note, parse_answers
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
        following = deps.calendar.current(team, period.closes_at)
        recorded = await deps.rounds.record_in_period(
            team.id, following, team.id, actor.platform, actor.user_id, answers
        )
    if recorded is not Recorded.STORED:
        return Reply(already_answered_card())
    log.info("pulse response recorded", extra={"team": team.id})
    return Reply(thanks_card(team, needs_support_note(deps.instrument, answers)))
