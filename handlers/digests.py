"""Digests for leads: built from frozen figures of closed rounds, shown only to a team's leads."""

from __future__ import annotations

from bot.domain.digest import TeamDigest, build_team_digest, digest_card
from bot.domain.events import Command, Outcome, Reply
from bot.domain.messages import Card
from bot.domain.team import Team
from handlers.deps import Deps

HISTORY_ROUNDS = 6


async def latest_digest(deps: Deps, team: Team) -> TeamDigest | None:
    history = await deps.rounds.released(team.id, HISTORY_ROUNDS)
    return build_team_digest(deps.instrument, team, history)


async def on_demand(deps: Deps, command: Command) -> Outcome:
    actor = command.actor
    teams = deps.directory.teams_led_by(actor.platform, actor.user_id)
    if not teams:
        return Reply(
            Card(
                title="Digests are for team leads",
                blocks=(
                    "Only a team's leads can read its digest. Everyone's own answers stay "
                    "anonymous; see `privacy` for what is shared.",
                ),
            )
        )
    cards = []
    for team in teams:
        digest = await latest_digest(deps, team)
        cards.append(
            digest_card(digest)
            if digest
            else Card(
                title=f"No digest yet for {team.name}",
                blocks=("A digest appears after the team's first check-in round closes.",),
            )
        )
    return Reply(cards[0], extra=tuple(cards[1:]))
