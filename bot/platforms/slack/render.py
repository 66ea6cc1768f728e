"""Neutral cards to Block Kit, through slack_sdk's block and view models.

All text is escaped for mrkdwn (`&`, `<`, `>`), so nothing a card carries can become a mention,
a broadcast (`<!channel>`) or a disguised link; the only mentions are those built from user ids.

The few words Slack's views need of their own (a picker's placeholder, a modal's Close) are in
the current language, so each rendering is cached per language as well as per card.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    ImageBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
    UserMultiSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.domain.messages import Block as CardBlock
from bot.domain.messages import Card, Paragraph
from bot.infra.i18n import N_, _, current_locale

MODAL_TITLE_MAX = 24
# A modal's close button: "Close" on a read-only modal, "Cancel" on a form. Slack allows 24
# characters for each of a modal's title, submit and close labels.
CLOSE = N_("Close")
CANCEL = N_("Cancel")
CHOOSE_PEOPLE = N_("Choose people")
CHOOSE_PERSON = N_("Choose a person")
DONE = N_("Done")
SECTION_TEXT_MAX = 3000


def escape(text: str) -> str:
    """Slack's three control characters, escaped as Slack documents."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fallback_text(card: Card) -> str:
    """A message's top-level `text` (notifications, screen readers), escaped like the blocks.

    Slack parses this field as mrkdwn too, so it must never carry a card's text raw; people are
    written as Slack mentions (`<@U123>`, which Slack shows as their name), built from user ids
    only, as in the blocks.
    """
    return card.fallback_as(escape, lambda m: mention(m.user_id))


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mrkdwn(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=_clip(escape(text), SECTION_TEXT_MAX), verbatim=True)


SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def mention(user_id: str) -> str:
    """A Slack mention, only ever built from a well-formed user id."""
    if not SLACK_USER_ID.match(user_id):
        raise ValueError(f"not a Slack user id: {user_id!r}")
    return f"<@{user_id}>"


def block_mrkdwn(block: CardBlock) -> str:
    """Escaped text with mentions; the result is safe to put in a mrkdwn field."""
    if isinstance(block, Paragraph):
        return "".join(escape(p) if isinstance(p, str) else mention(p.user_id) for p in block.parts)
    return escape(block)


def _body(card: Card, with_header: bool) -> list[Block]:
    blocks: list[Block] = []
    if with_header:
        blocks.append(HeaderBlock(text=PlainTextObject(text=_clip(card.title, 150))))
    for block in card.blocks:
        text = _clip(block_mrkdwn(block), SECTION_TEXT_MAX)
        blocks.append(SectionBlock(text=MarkdownTextObject(text=text, verbatim=True)))
    if card.fields:
        pairs = [
            MarkdownTextObject(
                text=_clip(f"*{escape(f.label)}*\n{escape(f.value)}", 2000), verbatim=True
            )
            for f in card.fields
        ]
        for start in range(0, len(pairs), 10):
            blocks.append(SectionBlock(fields=pairs[start : start + 10]))
    return blocks


def _inputs(card: Card) -> list[Block]:
    blocks: list[Block] = []
    for p in card.pickers:
        label = PlainTextObject(text=_clip(p.label, 2000))
        if p.multiple:
            element: Any = UserMultiSelectElement(
                action_id=p.id,
                placeholder=PlainTextObject(text=_clip(_(CHOOSE_PEOPLE), 150)),
                max_selected_items=p.max_selected,
            )
        else:
            element = UserSelectElement(
                action_id=p.id, placeholder=PlainTextObject(text=_clip(_(CHOOSE_PERSON), 150))
            )
        blocks.append(
            InputBlock(block_id=p.id, label=label, element=element, optional=not p.required)
        )
    for q in card.questions:
        blocks.append(
            InputBlock(
                block_id=q.id,
                label=PlainTextObject(text=_clip(q.prompt, 2000)),
                element=RadioButtonsElement(
                    action_id=q.id,
                    options=[
                        Option(value=c.value, text=PlainTextObject(text=_clip(c.label, 75)))
                        for c in q.choices
                    ],
                ),
                optional=not q.required,
            )
        )
    for t in card.inputs:
        blocks.append(
            InputBlock(
                block_id=t.id,
                label=PlainTextObject(text=_clip(t.label, 2000)),
                element=PlainTextInputElement(
                    action_id=t.id,
                    placeholder=PlainTextObject(text=t.placeholder) if t.placeholder else None,
                    max_length=t.max_length,
                    multiline=t.multiline,
                ),
                optional=not t.required,
            )
        )
    return blocks


def _tail(card: Card) -> list[Block]:
    blocks: list[Block] = []
    if card.buttons:
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        action_id=b.action_id,
                        text=PlainTextObject(text=_clip(b.label, 75)),
                        value=b.value or None,
                        style=b.style,
                    )
                    for b in card.buttons
                ]
            )
        )
    if card.note:
        blocks.append(ContextBlock(elements=[_mrkdwn(card.note)]))
    return blocks


def message_blocks(card: Card) -> list[dict[str, Any]]:
    """Blocks for a chat message (DM, channel post, ephemeral reply)."""
    blocks: list[dict[str, Any]] = json.loads(_message_blocks_json(card, current_locale()))
    return blocks


def modal_view(card: Card, callback_id: str, private_metadata: str = "") -> RenderedJson:
    """A modal for a form card; a card without a form becomes a read-only modal.

    The same card renders the same way, so each view is rendered once and shared, read-only,
    with its JSON text: every /checkin sends the pulse form, and the Web API session writes that
    text (see client.py) instead of encoding the view afresh.
    """
    return _modal_view_json(card, callback_id, private_metadata, current_locale())


@functools.lru_cache(maxsize=512)
def _modal_view_json(
    card: Card, callback_id: str, private_metadata: str, locale: str
) -> RenderedJson:
    """The view in `locale` (the current language: the key keeps languages apart)."""
    return RenderedJson(json.dumps(_modal_view(card, callback_id, private_metadata)))


class RenderedJson(dict[str, Any]):
    """A JSON object kept with its text, shared between requests, so it refuses changes.

    Only its own keys are guarded; what they hold is shared too, and must not be changed either
    (nothing here or in slack_sdk and bolt does): take a fresh copy from `json.loads(view.text)`.
    """

    __slots__ = ("_text",)

    def __init__(self, text: str) -> None:
        super().__init__(json.loads(text))
        self._text = text

    @property
    def text(self) -> str:
        return self._text

    def __reduce__(self) -> tuple[type[RenderedJson], tuple[str]]:
        # copy, deepcopy and pickle rebuild it from its text, not item by item.
        return (RenderedJson, (self.text,))

    def _read_only(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("a rendered view is shared and read-only; copy it: json.loads(view.text)")

    __setitem__ = __delitem__ = __ior__ = _read_only
    clear = pop = popitem = setdefault = update = _read_only


# slack_sdk's models validate every element on the way to JSON, which costs milliseconds for a
# pulse form; the same card renders the same way, so each is rendered once and copied after.
@functools.lru_cache(maxsize=512)
def _message_blocks_json(card: Card, locale: str) -> str:
    """The blocks in `locale` (the current language: the key keeps languages apart)."""
    return json.dumps(_message_blocks(card))


def _message_blocks(card: Card) -> list[dict[str, Any]]:
    blocks = _body(card, with_header=True) + _tail(card)
    if card.image is not None and card.image.title:
        # Images travel as a file upload next to the message; this keeps the alt text in place.
        # A chart's emoji, not a word: the card may be sent long after it was built, outside
        # its reader's language.
        blocks.append(ContextBlock(elements=[_mrkdwn(f"📈 {card.image.alt_text}")]))
    return [b.to_dict() for b in blocks]


def _modal_view(card: Card, callback_id: str, private_metadata: str) -> dict[str, Any]:
    blocks = _body(card, with_header=False) + _inputs(card) + _tail(card)
    if not blocks:
        # A modal needs at least one block: a card with only a title says it in the body too.
        blocks = [SectionBlock(text=_mrkdwn(card.title or _(DONE)))]
    view = View(
        type="modal",
        callback_id=callback_id,
        title=PlainTextObject(text=_clip(card.title, MODAL_TITLE_MAX) or "Respite"),
        submit=(
            PlainTextObject(text=_clip(card.form.submit_label, MODAL_TITLE_MAX))
            if card.form and (card.questions or card.inputs or card.pickers)
            else None
        ),
        close=PlainTextObject(
            text=_clip(_(CLOSE) if card.form is None else _(CANCEL), MODAL_TITLE_MAX)
        ),
        private_metadata=private_metadata,
        blocks=blocks,
    )
    return view.to_dict()


def form_errors(errors: Mapping[str, str]) -> dict[str, str]:
    """Field errors keyed by block id, as `response_action: errors` wants them."""
    return {block_id: _clip(message, 150) for block_id, message in errors.items()}


def image_block(url: str, alt_text: str) -> dict[str, Any]:
    return ImageBlock(image_url=url, alt_text=_clip(alt_text, 2000)).to_dict()
