"""Neutral cards to Adaptive Cards 1.5 for Microsoft Teams.

Text a card carries is escaped for the Adaptive Card markdown subset and for HTML, so nothing a
person typed can become a mention, a link, markup or a date function. The only mentions are built
here from resolved user ids: paragraphs with mentions travel as the message text (`<at>name</at>`
plus Teams mention entities), because the official 1.5 schema has no room for Teams' card-level
`msteams` extension and every card we send must validate against it.

Teams names people in mentions, so a mention needs a display name the neutral card does not
carry; a user picker needs the people it may offer, because Adaptive Cards 1.5 have no people
picker. Both come in a `People` the adapter looks up before rendering (see `people.py`).

A user picker lists the colleagues it offers while that list is small. A larger team's list would
outgrow what Teams accepts in one activity (about 28 KB: 600 names already make 50 KB or more),
so past `STATIC_CHOICES_MAX` people or `STATIC_CHOICES_BYTES` of choices the picker is Teams'
dynamic typeahead instead: a `filtered` ChoiceSet whose `choices.data` (a `Data.Query` on the
`TEAMMATES_DATASET`) makes Teams ask the bot for matching names as the person types (the
`application/search` invoke, answered from the roster in `teammate_search.py`). Those two
properties are the only ones any card carries from outside the 1.5 schema: they come from
Adaptive Cards 1.6, which Teams documents and renders on 1.5 cards; docs/teams.md says more.

This module builds plain JSON; `activity.py` wraps it into a Bot Framework activity.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from bot.domain.messages import Block, Button, Card, Mention, Paragraph, UserPicker, plain
from bot.infra.i18n import N_, _, format_number, ngettext

ADAPTIVE_CARD_VERSION = "1.5"
ADAPTIVE_CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"

# Keys of the submit data that route a submission; inputs travel beside them.
FORM_KEY = "respite_form"
CONTEXT_KEY = "respite_context"
ACTION_KEY = "respite_action"
VALUE_KEY = "respite_value"
# The ids of a form's user pickers: Teams sends a multi-select as comma-separated values, which
# inbound turns into space-separated user ids, as Slack's users select gives them.
PICKERS_KEY = "respite_pickers"
RESERVED_KEYS = frozenset({FORM_KEY, CONTEXT_KEY, ACTION_KEY, VALUE_KEY, PICKERS_KEY, "msteams"})
# A picker lists its people on the card up to this many, and this many bytes of choices as JSON;
# past either it searches instead (a 600-person list is about 50 KB, Teams' limit about 28 KB).
STATIC_CHOICES_MAX = 50
STATIC_CHOICES_BYTES = 12_000
# The dataset a searching picker names; Teams sends it back in each `application/search` invoke.
TEAMMATES_DATASET = "respite.teammates"
# How many names one search answers with: Teams shows at most 15 in its drop-down.
SEARCH_PAGE = 15
# Card words of Teams' own, marked here and translated where the card is rendered (inside the
# reader's `use_locale`: the bot sets it for each turn, the scheduler for each recipient).
SEARCH_HINT = N_("Type part of a name to find someone on your team.")
NOBODY_TO_PICK = N_(
    "Respite does not know anyone on your team by name yet: it learns names when it is added to "
    "your team in Teams, or when people chat with it. You can still write kudos @name message."
)
# Who a mention names when Teams has not told Respite the person's name.
SOMEONE = N_("colleague")

_MARKDOWN = re.compile(r"([\\`*_\[\]()~#|!])")
_LIST_MARKER = re.compile(r"^(\s*)([-+]|\d+[.)])(\s)", re.MULTILINE)
# An AAD object id (GUID) or a Teams user id ("29:..."): the only ids a mention is built from.
_TEAMS_ID = re.compile(
    r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|29:[A-Za-z0-9_\-]+)$"
)


def escape_markdown(text: str) -> str:
    """Text shown literally in a TextBlock or FactSet: no markdown, no HTML, no date functions."""
    text = html.escape(text, quote=False)
    text = _MARKDOWN.sub(r"\\\1", text)
    text = _LIST_MARKER.sub(r"\1\\\2\3", text)
    return text.replace("{{", "{\u200b{")


def escape_xml(text: str) -> str:
    """Text for a message whose textFormat is xml: entities only, so `<at>` cannot be forged."""
    return html.escape(text, quote=False)


def mention_text(mention: Mention) -> str:
    return f"<at>{escape_xml(mention.name or _(SOMEONE))}</at>"


def mention_entity(mention: Mention) -> dict[str, Any]:
    """A Teams mention entity, only ever built from a well-formed id."""
    if not _TEAMS_ID.match(mention.user_id):
        raise ValueError(f"not a Teams user id or AAD object id: {mention.user_id!r}")
    return {
        "type": "mention",
        "text": mention_text(mention),
        "mentioned": {"id": mention.user_id, "name": mention.name or _(SOMEONE)},
    }


@dataclass(frozen=True, slots=True)
class People:
    """What a Teams card needs to know about people that the neutral card does not say.

    `names`: display names by user id (AAD object id), for mentions. `choices`: whom a user
    picker offers, as (AAD object id, display name), in the order shown.
    """

    names: Mapping[str, str] = field(default_factory=dict)
    choices: tuple[tuple[str, str], ...] = ()


def with_names(card: Card, names: Mapping[str, str]) -> Card:
    """The card with every unnamed mention given the person's display name, when known."""
    if not names:
        return card
    changed = False
    blocks: list[Block] = []
    for block in card.blocks:
        if isinstance(block, Paragraph):
            parts: list[str | Mention] = []
            for part in block.parts:
                if isinstance(part, Mention) and not part.name and names.get(part.user_id):
                    part = Mention(part.user_id, names[part.user_id])
                    changed = True
                parts.append(part)
            block = Paragraph(tuple(parts))
        blocks.append(block)
    return replace(card, blocks=tuple(blocks)) if changed else card


def _choices(choices: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    return [{"title": name, "value": user_id} for user_id, name in choices]


def lists_statically(choices: tuple[tuple[str, str], ...]) -> bool:
    """Whether a picker offering these people lists them on the card (else it searches)."""
    if len(choices) > STATIC_CHOICES_MAX:
        return False
    return len(json.dumps(_choices(choices))) <= STATIC_CHOICES_BYTES


def _picker(picker: UserPicker, choices: tuple[tuple[str, str], ...]) -> list[dict[str, Any]]:
    """A user picker as a ChoiceSet of colleagues; values are their AAD object ids.

    A small team's colleagues are listed in a compact drop-down, valid Adaptive Cards 1.5. A
    larger team's picker lists nobody on the card: it is a `filtered` ChoiceSet with a
    `Data.Query`, so Teams asks the bot for names as the person types, and the card stays the
    same size whatever the team's. A line under it says what to do on a client that cannot
    search. Choice titles are plain text in Adaptive Cards (never markdown), so names are shown as
    Teams gave them.
    """
    if not choices:
        nobody = f"{picker.label} {_(NOBODY_TO_PICK)}"
        return [_text_block(escape_markdown(nobody), weight="Bolder")]
    element: dict[str, Any] = {
        "type": "Input.ChoiceSet",
        "id": picker.id,
        "label": picker.label,
        "style": "compact",
        "isMultiSelect": picker.multiple,
        "isRequired": picker.required,
        "errorMessage": _("Please choose someone."),
    }
    if lists_statically(choices):
        return [{**element, "choices": _choices(choices)}]
    searching = {
        **element,
        "style": "filtered",
        "placeholder": _("Type a name"),
        "choices": [],
        "choices.data": {"type": "Data.Query", "dataset": TEAMMATES_DATASET, "count": SEARCH_PAGE},
    }
    hint = f"{_(SEARCH_HINT)} {picker.search_hint}".strip()
    return [searching, _text_block(escape_markdown(hint), isSubtle=True, size="Small")]


def _has_mentions(block: Block) -> bool:
    return isinstance(block, Paragraph) and any(isinstance(p, Mention) for p in block.parts)


def _text_block(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **extra}


def _button(button: Button) -> dict[str, Any]:
    action: dict[str, Any] = {
        "type": "Action.Submit",
        "title": button.label,
        "data": {ACTION_KEY: button.action_id, VALUE_KEY: button.value},
        "associatedInputs": "none",
    }
    if button.style == "primary":
        action["style"] = "positive"
    elif button.style == "danger":
        action["style"] = "destructive"
    return action


def adaptive_card(card: Card, choices: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
    """The Adaptive Card for a neutral card (mention paragraphs are left to the message text).

    `choices` are the people its user pickers offer (see `People`).
    """
    body: list[dict[str, Any]] = [
        _text_block(escape_markdown(card.title), size="Medium", weight="Bolder", style="heading")
    ]
    for block in card.blocks:
        if not _has_mentions(block):
            body.append(_text_block(escape_markdown(plain(block))))
    if card.fields:
        body.append(
            {
                "type": "FactSet",
                "facts": [
                    {"title": escape_markdown(f.label), "value": escape_markdown(f.value)}
                    for f in card.fields
                ],
            }
        )
    if card.image is not None:
        if card.image.title:
            body.append(_text_block(escape_markdown(card.image.title), weight="Bolder"))
        encoded = base64.b64encode(card.image.png).decode("ascii")
        body.append(
            {
                "type": "Image",
                "url": f"data:image/png;base64,{encoded}",
                "altText": card.image.alt_text,
                "size": "Stretch",
            }
        )
    for p in card.pickers:
        body.extend(_picker(p, choices))
    for q in card.questions:
        body.append(
            {
                "type": "Input.ChoiceSet",
                "id": q.id,
                "label": q.prompt,
                "style": "expanded",
                "isRequired": q.required,
                "errorMessage": _("Please choose an answer."),
                "choices": [{"title": c.label, "value": c.value} for c in q.choices],
            }
        )
    for t in card.inputs:
        text_input: dict[str, Any] = {
            "type": "Input.Text",
            "id": t.id,
            "label": t.label,
            "maxLength": t.max_length,
            "isMultiline": t.multiline,
            "isRequired": t.required,
        }
        if t.placeholder:
            text_input["placeholder"] = t.placeholder
        if t.required:
            text_input["errorMessage"] = _("Please fill this in.")
        body.append(text_input)
    if card.note:
        body.append(_text_block(escape_markdown(card.note), isSubtle=True, size="Small"))
    actions: list[dict[str, Any]] = []
    if card.form is not None:
        data = {FORM_KEY: card.form.form_id, CONTEXT_KEY: card.form.context}
        if card.pickers:
            data[PICKERS_KEY] = " ".join(p.id for p in card.pickers)
        actions.append(
            {
                "type": "Action.Submit",
                "title": card.form.submit_label,
                "style": "positive",
                "data": data,
            }
        )
    actions.extend(_button(b) for b in card.buttons)
    result: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": ADAPTIVE_CARD_SCHEMA,
        "version": ADAPTIVE_CARD_VERSION,
        # Plain text, shown as it is where the card cannot be: no markdown, so no escapes.
        "fallbackText": card.fallback,
        "body": body,
    }
    if actions:
        result["actions"] = actions
    return result


@dataclass(frozen=True, slots=True)
class TeamsMessage:
    """What one neutral card becomes on Teams: an Adaptive Card, and text with mentions."""

    card: dict[str, Any]
    summary: str
    text: str | None = None
    entities: tuple[dict[str, Any], ...] = field(default_factory=tuple)


def render(card: Card, people: People | None = None) -> TeamsMessage:
    if people is not None:
        card = with_names(card, people.names)
    lines: list[str] = []
    entities: dict[str, dict[str, Any]] = {}
    for block in card.blocks:
        if not _has_mentions(block):
            continue
        assert isinstance(block, Paragraph)
        parts: list[str] = []
        for part in block.parts:
            if isinstance(part, Mention):
                entity = mention_entity(part)
                entities.setdefault(entity["text"] + part.user_id, entity)
                parts.append(entity["text"])
            else:
                parts.append(escape_xml(part))
        lines.append("".join(parts))
    return TeamsMessage(
        card=adaptive_card(card, people.choices if people is not None else ()),
        summary=card.title,
        text="<br>".join(lines) if lines else None,
        entities=tuple(entities.values()),
    )


def inline_mentions(card: Card) -> Card:
    """The card with each mention written as plain text (`@name`), for a card that travels with
    no message text to carry real mentions: the card an invoke answers with."""
    blocks: list[Block] = []
    for block in card.blocks:
        if isinstance(block, Paragraph):
            block = "".join(
                p if isinstance(p, str) else f"@{p.name or _(SOMEONE)}" for p in block.parts
            )
        blocks.append(block)
    return replace(card, blocks=tuple(blocks))


def invoke_card(card: Card, people: People | None = None) -> dict[str, Any]:
    """The Adaptive Card an `adaptiveCard/action` invoke answers with: everything in the card."""
    if people is not None:
        card = with_names(card, people.names)
    return adaptive_card(inline_mentions(card), people.choices if people is not None else ())


def form_errors_card(errors: Mapping[str, str]) -> Card:
    """The message shown when a submission is refused; the form above stays as it was."""
    count = len(errors)
    return Card(
        title=_("Nothing was saved yet"),
        blocks=(
            ngettext(
                "{count} answer needs another look. Please complete the card above and send "
                "it again.",
                "{count} answers need another look. Please complete the card above and submit "
                "it again.",
                count,
            ).format(count=format_number(count)),
            *(f"• {field.replace('_', ' ')}: {message}" for field, message in errors.items()),
        ),
    )
