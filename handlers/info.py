"""Help and privacy: what Respite does, what it stores, and who sees what.

Every command in these texts is spelled the way the reader types it on their platform
(`bot.domain.commands`), and every privacy statement is one the code keeps: release per period
(`bot.domain.rollup`, `scheduler.digest`), roll-ups with complementary suppression
(`bot.domain.privacy`), what breaks and kudos store (`bot.storage.breaks`, `handlers.kudos`).
"""

from __future__ import annotations

from bot.domain.commands import ARGUMENTS, own, shown, types_bare_words, umbrella
from bot.domain.events import Command, Outcome, Reply
from bot.domain.messages import Card, Platform
from bot.infra.i18n import _
from handlers.deps import Deps


def help_topics(platform: Platform) -> tuple[tuple[str, str], ...]:
    """(word, what it does) for each word, with commands written for `platform`."""
    checkin, kudos = own(platform, "checkin"), own(platform, "kudos")
    return (
        ("checkin", _("a one-minute anonymous check-in ({checkin})").format(checkin=checkin)),
        (
            "pulse",
            _(
                "at thu 08:00: the day and time your check-in invitation arrives in each round; "
                "at off for your team's time; at alone shows your choice"
            ),
        ),
        ("help", _("this message")),
        ("privacy", _("what Respite stores and who can see what")),
        (
            "digest",
            _(
                "for leads of a team, a department or the organisation: the latest digest of the "
                "groups you lead"
            ),
        ),
        (
            "kudos",
            _(
                "recognise colleagues for the work behind the work ({kudos} @someone [category] "
                "message, or {kudos} alone for a form); `{kudos} withdraw <id>` takes one back"
            ).format(kudos=kudos),
        ),
        (
            "kudos-names",
            _("{off} or {on}: whether weekly recognition roundups name you").format(
                off=shown(platform, "off"), on=shown(platform, "on")
            ),
        ),
        (
            "breaks",
            _("break prompts between sessions: {words}").format(
                words=", ".join(shown(platform, w) for w in ARGUMENTS["breaks"])
            ),
        ),
        ("language", _("the language Respite speaks to you: de, en, es, or auto")),
    )


async def help_(deps: Deps, command: Command) -> Outcome:
    platform = command.actor.platform
    prefix = umbrella(platform)
    lines = tuple(
        f"• {prefix}{shown(platform, word)}: {what}" for word, what in help_topics(platform)
    )
    how = (
        _("Send Respite one of these words, in your 1:1 chat with it or with an @mention.")
        if types_bare_words(platform)
        else _("Type {command} followed by one of these words.").format(command=prefix.strip())
    )
    return Reply(
        Card(
            title=_("Respite helps your team notice and ease burnout"),
            blocks=(
                _(
                    "Once a week you get a one-minute anonymous check-in. Leads see group results "
                    "only, and only when enough people answer."
                ),
                *lines,
            ),
            note=how,
        )
    )


async def privacy(deps: Deps, command: Command) -> Outcome:
    actor = command.actor
    team = deps.directory.team_of(actor.platform, actor.user_id)
    threshold = (
        _(
            "In {team}, results are shown only when at least {k} people answer; below that, not "
            "even the number of answers is shown."
        ).format(team=team.name, k=team.min_group_size)
        if team
        else _("Results are shown only when enough people answer (at least 5 by default).")
    )
    names = f"`{umbrella(actor.platform)}kudos-names off`"
    return Reply(
        Card(
            title=_("Your privacy in Respite"),
            blocks=(
                _(
                    "What is stored: while a round is open, your answers, encrypted, without your "
                    "name, your user id or the time you answered. Separately, that you took part, "
                    "so you get no reminder and cannot answer twice. The two are never joined. "
                    "When the round closes its answers are added into team totals and deleted; "
                    "when the week's figures are frozen, the record that you took part is deleted "
                    "too."
                ),
                _(
                    "What is kept after that: the week's team totals that were shown, and for six "
                    "weeks a keyed code for each person who answered (not your name, and never "
                    "with an answer), so that a week whose answers come from nearly the same "
                    "people as an earlier week is shown without numbers: subtracting the two would "
                    "single someone out."
                ),
                _(
                    "What is not stored: any note Respite showed you about your own answers. It is "
                    "worked out when you submit and shown only to you, and the thank-you looks the "
                    "same size to anyone watching the network whether it carries that note or not."
                ),
                _(
                    "Who sees what: your team's leads see team averages, the band and the trend, "
                    "never an individual answer. Department and organisation leads see the same "
                    "for the teams they hold together. {threshold} A lead who answers is not "
                    "counted towards that minimum. When only one team of a department would be "
                    "hidden, a second is hidden too, so no hidden figure can be worked out by "
                    "subtraction; and when nearly everyone gave the same extreme answer, only the "
                    "band is shown."
                ).format(threshold=threshold),
                _(
                    "When: results are released week by week, once the rounds of that week have "
                    "closed (or the week is over), and never change after."
                ),
                _(
                    "Breaks: your break settings are stored, and your calendar feed address if you "
                    "give one; it is never shown back or written to logs. For break prompts only "
                    "team totals of Done and Skip are kept, never who pressed what, and they are "
                    "shown only when enough people were actually prompted that week."
                ),
                _(
                    "Kudos: the message, who it recognises, and who gave it, shown unless they "
                    "chose anonymous. An anonymous kudos stores no giver and only the hour it was "
                    "given; for about a day a keyed tag lets its giver withdraw it and a keyed "
                    "count keeps the daily limit, then both are erased. {command} keeps you out of "
                    "weekly roundups."
                ).format(command=names),
                _(
                    "The whole list, table by table, with how long each thing is kept: "
                    "docs/privacy.md in Respite's documentation."
                ),
            ),
        )
    )
