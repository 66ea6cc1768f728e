"""The cards of recognition: the form, the channel post, the private notes, the weekly roundup.

People are always named with `Mention` parts built from resolved user ids; a giver's message is
a plain text block, which every renderer shows literally (escaped), never as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain import commands
from bot.domain.kudos import (
    CATEGORIES,
    MAX_RECIPIENTS,
    MESSAGE_MAX,
    Kudos,
    QuotaRefusal,
    Refusal,
    Roundup,
    category,
)
from bot.domain.messages import (
    Button,
    Card,
    Choice,
    Form,
    Mention,
    Paragraph,
    Platform,
    Question,
    TextInput,
    UserPicker,
)
from bot.domain.team import Team

KUDOS_FORM = "kudos"
WITHDRAW = "kudos-withdraw"
NAMED = "named"
ANONYMOUS = "anonymous"

ANONYMITY_NOTE = (
    "Anonymous kudos keep no record of who gave them. For 24 hours Respite keeps a keyed hash "
    "of you, only to apply the daily limit and let you withdraw; then the hash is erased and "
    "nothing links this kudos to you."
)


def _people(user_ids: Sequence[str]) -> list[str | Mention]:
    parts: list[str | Mention] = []
    for i, user in enumerate(user_ids):
        if i:
            parts.append(" and " if i == len(user_ids) - 1 else ", ")
        parts.append(Mention(user))
    return parts


def _giver(kudos: Kudos) -> list[str | Mention]:
    if kudos.anonymous or kudos.giver_id is None:
        return ["A colleague"]
    return [Mention(kudos.giver_id)]


def form_card(team: Team) -> Card:
    return Card(
        title="Recognise a colleague",
        blocks=(
            "Name the work, not the output: the hard session someone held, the cover, the "
            "consultation that helped.",
        ),
        pickers=(
            UserPicker(
                "recipients",
                "Who would you like to recognise?",
                max_selected=MAX_RECIPIENTS,
                search_hint="If no names appear as you type, send "
                f"{commands.own(team.platform, 'kudos')} @name message instead.",
            ),
        ),
        questions=(
            Question(
                "category",
                "What for?",
                tuple(Choice(c.key, f"{c.emoji} {c.label.capitalize()}") for c in CATEGORIES),
            ),
            Question(
                "visibility",
                "Show your name?",
                (
                    Choice(NAMED, "Yes, show my name"),
                    Choice(ANONYMOUS, "No, stay anonymous"),
                ),
            ),
        ),
        inputs=(
            TextInput(
                "message",
                "Your message",
                placeholder="What did you notice?",
                max_length=MESSAGE_MAX,
                multiline=True,
            ),
        ),
        form=Form(KUDOS_FORM, "Send", team.id),
        note=f"Posted in {team.name}'s recognition channel; each person is also told privately.",
    )


def channel_card(kudos: Kudos) -> Card:
    cat = category(kudos.category)
    return Card(
        title=f"{cat.emoji} Recognition",
        blocks=(
            Paragraph(
                (*_giver(kudos), " recognised ", *_people(kudos.recipients), f": {cat.label}")
            ),
            kudos.message,
        ),
    )


def recipient_card(kudos: Kudos) -> Card:
    cat = category(kudos.category)
    return Card(
        title="You were recognised",
        blocks=(
            Paragraph((*_giver(kudos), f" recognised you: {cat.label}")),
            kudos.message,
        ),
        buttons=(Button(WITHDRAW, "Take it down", kudos.id),),
        note="It is posted in your team's recognition channel. You may take it down if you "
        "would rather it were not shown.",
    )


def sent_card(kudos: Kudos) -> Card:
    return Card(
        title="Kudos sent",
        blocks=(
            Paragraph(("Your recognition of ", *_people(kudos.recipients), " is posted.")),
            "To take it back: the button below, or "
            f"{commands.own(kudos.platform, 'kudos')} withdraw {kudos.id}.",
        ),
        buttons=(Button(WITHDRAW, "Withdraw", kudos.id, style="danger"),),
        note=ANONYMITY_NOTE if kudos.anonymous else None,
    )


def refused_card(refusals: Sequence[Refusal], platform: Platform = Platform.SLACK) -> Card:
    kudos = commands.own(platform, "kudos")
    return Card(
        title="Kudos not sent",
        blocks=tuple(r.reason for r in refusals),
        note=f"Usage: {kudos} @someone [category] message. Categories: "
        + ", ".join(c.key for c in CATEGORIES)
        + f". Add `anon` first to stay anonymous, or send {kudos} alone for a form.",
    )


def quota_card(refusal: QuotaRefusal, limit: int, team: Team) -> Card:
    when = refusal.next_allowed.astimezone(ZoneInfo(team.timezone))
    return Card(
        title="Kudos not sent",
        blocks=(
            f"You have given {refusal.given} kudos in the last 24 hours, which is the daily "
            f"limit of {limit}. You can give another from {when:%A %H:%M}.",
        ),
        note="The limit keeps recognition meaningful; it is set by your Respite admin.",
    )


def no_channel_card(team: Team) -> Card:
    return Card(
        title="Kudos not sent",
        blocks=(
            f"{team.name} has no recognition channel yet, so there is nowhere to post kudos. "
            "Ask your Respite admin to set `kudos_channel` for the team.",
        ),
    )


def post_failed_card() -> Card:
    return Card(
        title="Kudos not sent",
        blocks=(
            "The recognition channel could not be reached just now, so nothing was saved. "
            "Please try again in a minute.",
        ),
    )


def withdrawn_card() -> Card:
    return Card(
        title="Kudos withdrawn",
        blocks=("The post is removed from the recognition channel and the record is deleted.",),
    )


def withdraw_failed_card() -> Card:
    return Card(
        title="Kudos not withdrawn yet",
        blocks=("The channel post could not be removed just now. Please try again in a minute.",),
    )


def not_found_card(kudos_id: str) -> Card:
    return Card(
        title="No such kudos",
        blocks=(f"There is no kudos {kudos_id!r}; it may already have been withdrawn.",),
    )


def not_allowed_card() -> Card:
    return Card(
        title="You can't withdraw this kudos",
        blocks=(
            "A kudos can be withdrawn by the person who gave it, a person it recognises, or "
            "the team's leads. An anonymous giver can withdraw it for 24 hours; after that "
            "nothing links it to them.",
        ),
    )


def usage_card(platform: Platform = Platform.SLACK) -> Card:
    kudos, respite = commands.own(platform, "kudos"), commands.umbrella(platform)
    return Card(
        title="Kudos",
        blocks=(
            f"{kudos} @someone [category] message: recognise colleagues (several @mentions work).",
            f"{kudos} alone: open a form.",
            f"{kudos} withdraw <id>: take a kudos back (the giver, a recipient or a team lead).",
            f"{respite}kudos-names off|on: whether weekly roundups name you.",
        ),
        note="Categories: " + ", ".join(f"{c.key} ({c.label})" for c in CATEGORIES) + ".",
    )


def names_card(shown: bool, platform: Platform = Platform.SLACK) -> Card:
    respite = commands.umbrella(platform)
    if shown:
        text = f"Weekly recognition roundups may name you. `{respite}kudos-names off` to stop."
    else:
        text = (
            "Weekly recognition roundups will not name you; kudos to you still count in the "
            f"totals. `{respite}kudos-names on` to be named again."
        )
    return Card(title="Roundup names", blocks=(text,))


def roundup_card(roundup: Roundup, team: Team) -> Card:
    tz = ZoneInfo(team.timezone)

    def day(when: datetime) -> str:
        return when.astimezone(tz).strftime("%a %d %b")

    blocks: list[str | Paragraph] = [
        f"{roundup.total} kudos between {day(roundup.window.start)} and {day(roundup.window.end)}.",
        "\n".join(f"{cat.emoji} {cat.label}: {n}" for cat, n in roundup.by_category),
    ]
    if roundup.named:
        tail = (
            f", and {roundup.unnamed} more who prefer not to be named." if roundup.unnamed else "."
        )
        blocks.append(Paragraph(("Recognised: ", *_people(roundup.named), tail)))
    elif roundup.unnamed:
        blocks.append(f"{roundup.unnamed} people were recognised.")
    return Card(
        title="This week's recognition",
        blocks=tuple(blocks),
        note="Thank you for noticing each other's work. "
        f"`{commands.word(team.platform, 'kudos-names off')}` keeps your name out of roundups.",
    )
