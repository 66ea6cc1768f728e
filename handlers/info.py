"""Help and privacy: what Respite does, what it stores, and who sees what."""

from __future__ import annotations

from bot.domain.events import Command, Outcome, Reply
from bot.domain.messages import Card
from handlers.deps import Deps

HELP_TOPICS = (
    ("checkin", "a one-minute anonymous check-in (Slack: /checkin)"),
    ("help", "this message"),
    ("privacy", "what Respite stores and who can see what"),
    ("digest", "team leads: the latest team digest"),
    (
        "kudos",
        "recognise colleagues for the work behind the work (Slack: /kudos @someone [category] "
        "message, or /kudos alone for a form); `kudos withdraw <id>` takes one back",
    ),
    ("kudos-names", "off or on: whether weekly recognition roundups name you"),
    ("breaks", "break prompts between sessions: status, on, off, at, hours, pause, resume"),
)


async def help_(deps: Deps, command: Command) -> Outcome:
    lines = tuple(f"• {word}: {what}" for word, what in HELP_TOPICS)
    return Reply(
        Card(
            title="Respite helps your team notice and ease burnout",
            blocks=(
                "Once a week you get a one-minute anonymous check-in. Your lead sees team results "
                "only, and only when enough people answer.",
                *lines,
            ),
            note="Slack: /respite <word>. Teams: send the word to Respite.",
        )
    )


async def privacy(deps: Deps, command: Command) -> Outcome:
    actor = command.actor
    team = deps.directory.team_of(actor.platform, actor.user_id)
    threshold = (
        f"In {team.name}, results are shown only when at least {team.min_group_size} people "
        "answer a round; below that, not even the number of answers is shown."
        if team
        else "Results are shown only when enough people answer a round (at least 5 by default)."
    )
    return Reply(
        Card(
            title="Your privacy in Respite",
            blocks=(
                "What is stored: your answers, without your name, your user id or the time you "
                "answered, under a random id. Separately, that you took part in a round, so you "
                "get no reminder and cannot answer twice. The two are never joined, and when a "
                "round closes its answers are re-written in random order.",
                "What is not stored: any note Respite showed you about your own answers. It is "
                "worked out when you submit and shown only to you.",
                "Who sees what: your team lead sees team averages, the band and the trend, "
                "never an individual answer. " + threshold,
                "Results of a round are released only after it closes, and never change after.",
            ),
        )
    )
