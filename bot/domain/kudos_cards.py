"""The cards of recognition: the form, the channel post, the private notes, the weekly roundup.

People are always named with `Mention` parts built from resolved user ids; a giver's message is
a plain text block, which every renderer shows literally (escaped), never as markup.

Every card speaks the current language (`bot.infra.i18n`), so whoever builds one chooses whose:
the giver's for what only the giver sees (the form, confirmations, refusals), each recipient's
for their private note, and the team's for what the channel shows (the post and the roundup). A
channel has many readers, and an anonymous kudos posted in its giver's language would tell a
mixed team who gave it.
"""

from __future__ import annotations

import re
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
from bot.infra.i18n import N_, _, format_datetime, format_number, ngettext

KUDOS_FORM = "kudos"
WITHDRAW = "kudos-withdraw"
NAMED = "named"
ANONYMOUS = "anonymous"

ANONYMITY_NOTE = N_(
    "Anonymous kudos keep no record of who gave them. For 24 hours Respite keeps a keyed hash "
    "of you, only to apply the daily limit and let you withdraw; then the hash is erased and "
    "nothing links this kudos to you."
)

Parts = list[str | Mention]
_SLOT = re.compile(r"\{(\w+)\}")


def _fill(template: str, **slots: Sequence[str | Mention]) -> tuple[str | Mention, ...]:
    """A translated sentence's parts, its `{slot}`s replaced by mentions or text.

    The translator may move the slots (German puts the verb last); neighbouring text parts are
    joined so a paragraph holds as few pieces as its English had.
    """
    parts: Parts = []
    for i, piece in enumerate(_SLOT.split(template)):
        parts.extend(slots[piece] if i % 2 else [piece])
    merged: Parts = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        elif part != "":
            merged.append(part)
    return tuple(merged)


def _people(user_ids: Sequence[str]) -> Parts:
    parts: Parts = []
    for i, user in enumerate(user_ids):
        if i:
            # TRANSLATORS: between the last two people of a list, with its spaces.
            parts.append(_(" and ") if i == len(user_ids) - 1 else _(", "))
        parts.append(Mention(user))
    return parts


def _giver(kudos: Kudos) -> Parts:
    if kudos.anonymous or kudos.giver_id is None:
        return [_("A colleague")]
    return [Mention(kudos.giver_id)]


def form_card(team: Team) -> Card:
    return Card(
        title=_("Recognise a colleague"),
        blocks=(
            _(
                "Name the work, not the output: the hard session someone held, the cover, the "
                "consultation that helped."
            ),
        ),
        pickers=(
            UserPicker(
                "recipients",
                _("Who would you like to recognise?"),
                max_selected=MAX_RECIPIENTS,
                search_hint=_(
                    "If no names appear as you type, send {kudos} @name message instead."
                ).format(kudos=commands.own(team.platform, "kudos")),
            ),
        ),
        questions=(
            Question(
                "category",
                _("What for?"),
                tuple(Choice(c.key, f"{c.emoji} {_capitalized(c.name)}") for c in CATEGORIES),
            ),
            Question(
                "visibility",
                _("Show your name?"),
                (
                    Choice(NAMED, _("Yes, show my name")),
                    Choice(ANONYMOUS, _("No, stay anonymous")),
                ),
            ),
        ),
        inputs=(
            TextInput(
                "message",
                _("Your message"),
                placeholder=_("What did you notice?"),
                max_length=MESSAGE_MAX,
                multiline=True,
            ),
        ),
        form=Form(KUDOS_FORM, _("Send"), team.id),
        note=_(
            "Posted in {team}'s recognition channel; each person is also told privately."
        ).format(team=team.name),
    )


def _capitalized(label: str) -> str:
    """The first letter upper-cased, the rest kept (str.capitalize would lower "Supervision")."""
    return label[:1].upper() + label[1:]


def channel_card(kudos: Kudos) -> Card:
    """The post in the team's recognition channel: build it in the team's language."""
    cat = category(kudos.category)
    return Card(
        title=_("{emoji} Recognition").format(emoji=cat.emoji),
        blocks=(
            Paragraph(
                _fill(
                    _("{giver} recognised {people}: {category}"),
                    giver=_giver(kudos),
                    people=_people(kudos.recipients),
                    category=[cat.name],
                )
            ),
            kudos.message,
        ),
    )


def recipient_card(kudos: Kudos) -> Card:
    """A recipient's private note: build it in the recipient's language."""
    cat = category(kudos.category)
    return Card(
        title=_("You were recognised"),
        blocks=(
            Paragraph(
                _fill(
                    _("{giver} recognised you: {category}"),
                    giver=_giver(kudos),
                    category=[cat.name],
                )
            ),
            kudos.message,
        ),
        buttons=(Button(WITHDRAW, _("Take it down"), kudos.id),),
        note=_(
            "It is posted in your team's recognition channel. You may take it down if you "
            "would rather it were not shown."
        ),
    )


def sent_card(kudos: Kudos) -> Card:
    return Card(
        title=_("Kudos sent"),
        blocks=(
            Paragraph(
                _fill(
                    _("Your recognition of {people} is posted."), people=_people(kudos.recipients)
                )
            ),
            _("To take it back: the button below, or {kudos} withdraw {id}.").format(
                kudos=commands.own(kudos.platform, "kudos"), id=kudos.id
            ),
        ),
        buttons=(Button(WITHDRAW, _("Withdraw"), kudos.id, style="danger"),),
        note=_(ANONYMITY_NOTE) if kudos.anonymous else None,
    )


def refused_card(refusals: Sequence[Refusal], platform: Platform = Platform.SLACK) -> Card:
    kudos = commands.own(platform, "kudos")
    return Card(
        title=_("Kudos not sent"),
        blocks=tuple(r.reason for r in refusals),
        note=_(
            "Usage: {kudos} @someone [category] message. Categories: {categories}. "
            "Add `anon` first to stay anonymous, or send {kudos} alone for a form."
        ).format(kudos=kudos, categories=", ".join(c.key for c in CATEGORIES)),
    )


def quota_card(refusal: QuotaRefusal, limit: int, team: Team) -> Card:
    when = refusal.next_allowed.astimezone(ZoneInfo(team.timezone))
    return Card(
        title=_("Kudos not sent"),
        blocks=(
            ngettext(
                "You have given {given} kudos in the last 24 hours, which is the daily limit "
                "of {limit}. You can give another from {when}.",
                "You have given {given} kudos in the last 24 hours, which is the daily limit "
                "of {limit}. You can give another from {when}.",
                refusal.given,
            ).format(
                given=format_number(refusal.given),
                limit=format_number(limit),
                when=format_datetime(when, "EEEE HH:mm"),
            ),
        ),
        note=_("The limit keeps recognition meaningful; it is set by your Respite admin."),
    )


def no_channel_card(team: Team) -> Card:
    return Card(
        title=_("Kudos not sent"),
        blocks=(
            _(
                "{team} has no recognition channel yet, so there is nowhere to post kudos. "
                "Ask your Respite admin to set `kudos_channel` for the team."
            ).format(team=team.name),
        ),
    )


def post_failed_card() -> Card:
    return Card(
        title=_("Kudos not sent"),
        blocks=(
            _(
                "The recognition channel could not be reached just now, so nothing was saved. "
                "Please try again in a minute."
            ),
        ),
    )


def withdrawn_card() -> Card:
    return Card(
        title=_("Kudos withdrawn"),
        blocks=(_("The post is removed from the recognition channel and the record is deleted."),),
    )


def withdraw_failed_card() -> Card:
    return Card(
        title=_("Kudos not withdrawn yet"),
        blocks=(
            _("The channel post could not be removed just now. Please try again in a minute."),
        ),
    )


def not_found_card(kudos_id: str) -> Card:
    return Card(
        title=_("No such kudos"),
        blocks=(
            _("There is no kudos {id}; it may already have been withdrawn.").format(
                id=repr(kudos_id)
            ),
        ),
    )


def not_allowed_card() -> Card:
    return Card(
        title=_("You can't withdraw this kudos"),
        blocks=(
            _(
                "A kudos can be withdrawn by the person who gave it, a person it recognises, or "
                "the team's leads. An anonymous giver can withdraw it for 24 hours; after that "
                "nothing links it to them."
            ),
        ),
    )


def usage_card(platform: Platform = Platform.SLACK) -> Card:
    kudos, respite = commands.own(platform, "kudos"), commands.umbrella(platform)
    return Card(
        title=_("Kudos"),
        blocks=(
            _(
                "{kudos} @someone [category] message: recognise colleagues "
                "(several @mentions work)."
            ).format(kudos=kudos),
            _("{kudos} alone: open a form.").format(kudos=kudos),
            _(
                "{kudos} withdraw <id>: take a kudos back (the giver, a recipient or a team lead)."
            ).format(kudos=kudos),
            _("{respite}kudos-names off|on: whether weekly roundups name you.").format(
                respite=respite
            ),
        ),
        note=_("Categories: {categories}.").format(
            categories=", ".join(f"{c.key} ({c.name})" for c in CATEGORIES)
        ),
    )


def names_card(shown: bool, platform: Platform = Platform.SLACK) -> Card:
    respite = commands.umbrella(platform)
    if shown:
        text = _(
            "Weekly recognition roundups may name you. `{respite}kudos-names off` to stop."
        ).format(respite=respite)
    else:
        text = _(
            "Weekly recognition roundups will not name you; kudos to you still count in the "
            "totals. `{respite}kudos-names on` to be named again."
        ).format(respite=respite)
    return Card(title=_("Roundup names"), blocks=(text,))


def roundup_card(roundup: Roundup, team: Team) -> Card:
    """The weekly roundup in the team's channel: build it in the team's language."""
    tz = ZoneInfo(team.timezone)

    def day(when: datetime) -> str:
        return format_datetime(when.astimezone(tz), "EEE dd MMM")

    blocks: list[str | Paragraph] = [
        ngettext(
            "{count} kudos between {start} and {end}.",
            "{count} kudos between {start} and {end}.",
            roundup.total,
        ).format(
            count=format_number(roundup.total),
            start=day(roundup.window.start),
            end=day(roundup.window.end),
        ),
        "\n".join(f"{cat.emoji} {cat.name}: {format_number(n)}" for cat, n in roundup.by_category),
    ]
    if roundup.named:
        if roundup.unnamed:
            recognised = ngettext(
                "Recognised: {people}, and {count} more who prefer not to be named.",
                "Recognised: {people}, and {count} more who prefer not to be named.",
                roundup.unnamed,
            ).format(people="{people}", count=format_number(roundup.unnamed))
        else:
            recognised = _("Recognised: {people}.")
        blocks.append(Paragraph(_fill(recognised, people=_people(roundup.named))))
    elif roundup.unnamed:
        blocks.append(
            ngettext(
                "{count} person was recognised.",
                "{count} people were recognised.",
                roundup.unnamed,
            ).format(count=format_number(roundup.unnamed))
        )
    return Card(
        title=_("This week's recognition"),
        blocks=tuple(blocks),
        note=_(
            "Thank you for noticing each other's work. `{command}` keeps your name out of roundups."
        ).format(command=commands.word(team.platform, "kudos-names off")),
    )
