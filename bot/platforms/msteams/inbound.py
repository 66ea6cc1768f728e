"""Bot Framework activities from Teams to neutral events: the one translation table for Teams.

- A message's text is a command: its first word is a command of its own (`checkin`) or a word of
  `/respite <word>` on Slack (`help`, `privacy`, `digest`, and any word a feature adds later).
  In a channel the bot's own @mention is removed first; other people's mentions become
  `Command.mentions` (their AAD object ids, once resolved).
- A message whose `value` carries our form id is an Action.Submit of a form: a FormSubmission.
  A user picker's choices arrive comma-separated (a multi-select ChoiceSet); they are passed on
  space-separated, as on Slack.
- A message whose `value` carries our action id is a button: a ButtonPress.
- An `adaptiveCard/action` invoke (an `Action.Execute`) carries the same data in
  `value.action.data`, inputs merged in: the same FormSubmission or ButtonPress.
- An `application/search` invoke (a searching user picker) is a `SearchQuery`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botbuilder.schema import Activity, ActivityTypes

from bot.domain.events import Actor, ButtonPress, Command, FormSubmission
from bot.domain.messages import Platform
from bot.platforms.msteams.render import (
    ACTION_KEY,
    CONTEXT_KEY,
    FORM_KEY,
    PICKERS_KEY,
    RESERVED_KEYS,
    SEARCH_PAGE,
    VALUE_KEY,
)
from bot.platforms.msteams.teammate_search import SearchQuery
from handlers import router

# Slack's `/respite <word>`: a Teams word that is not a command of its own goes through it.
UMBRELLA = "respite"

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_LIST = re.compile(r"[,\s]+")

Event = Command | ButtonPress | FormSubmission


@dataclass(frozen=True, slots=True)
class MentionRef:
    """A mention of someone other than the bot, as Teams sent it."""

    teams_user_id: str
    aad_object_id: str | None
    name: str


def actor(activity: Activity) -> Actor:
    who = activity.from_property
    user_id = (who.aad_object_id if who else None) or (who.id if who else "")
    return Actor(Platform.TEAMS, str(user_id), getattr(activity, "local_timezone", None) or None)


def reported_locale(activity: Activity) -> str | None:
    """The person's Teams client language ("de-DE"), sent on every turn as `activity.locale`."""
    locale = getattr(activity, "locale", None)
    return str(locale) if locale else None


def _entities(activity: Activity) -> list[Mapping[str, Any]]:
    found: list[Mapping[str, Any]] = []
    for entity in activity.entities or []:
        data = entity.serialize() if hasattr(entity, "serialize") else entity
        extra = getattr(entity, "additional_properties", None) or {}
        merged = {**extra, **(data if isinstance(data, Mapping) else {})}
        if merged.get("type") == "mention":
            found.append(merged)
    return found


def mentions(activity: Activity) -> tuple[list[MentionRef], list[str]]:
    """Other people's mentions, and every mention's text to remove from the command.

    As on Slack, a command's text carries no mention markup: who was mentioned travels apart,
    in `Command.mentions`.
    """
    bot_id = activity.recipient.id if activity.recipient else None
    others: list[MentionRef] = []
    texts: list[str] = []
    for entity in _entities(activity):
        mentioned = entity.get("mentioned") or {}
        mentioned_id = str(mentioned.get("id") or "")
        texts.append(str(entity.get("text") or ""))
        if mentioned_id and mentioned_id != bot_id:
            others.append(
                MentionRef(
                    mentioned_id,
                    str(mentioned.get("aadObjectId") or "") or None,
                    str(mentioned.get("name") or ""),
                )
            )
    return others, texts


def command_text(activity: Activity) -> str:
    """The message text without mentions, HTML tags or entities."""
    text = activity.text or ""
    _, marked = mentions(activity)
    for mention in marked:
        if mention:
            text = text.replace(mention, " ")
    text = html.unescape(_TAG.sub(" ", text))
    return _SPACE.sub(" ", text).strip()


def is_private(activity: Activity) -> bool:
    """Whether only the person and the bot see this conversation (a 1:1 chat).

    A channel or a group chat shows a command's text to everyone in it.
    """
    conversation = activity.conversation
    kind = getattr(conversation, "conversation_type", None) if conversation else None
    return (kind or "personal") == "personal"


def from_card_data(who: Actor, value: Mapping[str, Any]) -> FormSubmission | ButtonPress | None:
    """What a card's submitted data means: our form id, our action id, or nothing of ours."""
    if value.get(FORM_KEY):
        values = {
            str(k): "" if v is None else str(v) for k, v in value.items() if k not in RESERVED_KEYS
        }
        for picker in str(value.get(PICKERS_KEY) or "").split():
            if picker in values:
                values[picker] = " ".join(filter(None, _LIST.split(values[picker])))
        return FormSubmission(who, str(value[FORM_KEY]), values, str(value.get(CONTEXT_KEY) or ""))
    if value.get(ACTION_KEY):
        return ButtonPress(who, str(value[ACTION_KEY]), str(value.get(VALUE_KEY) or ""))
    return None


def translate(activity: Activity, mentioned_ids: tuple[str, ...] = ()) -> Event | None:
    """The neutral event a message activity means, or None when it means nothing to us."""
    if activity.type != ActivityTypes.message:
        return None
    who = actor(activity)
    if not who.user_id:
        return None
    value = activity.value
    if isinstance(value, Mapping):
        return from_card_data(who, value)
    text = command_text(activity)
    word, _, rest = text.partition(" ")
    private = is_private(activity)
    if word.lower() in router.COMMANDS:
        return Command(who, word.lower(), rest.strip(), mentioned_ids, private)
    return Command(who, UMBRELLA, text, mentioned_ids, private)


def card_action(activity: Activity) -> FormSubmission | ButtonPress | None:
    """The event an `adaptiveCard/action` invoke means: its action's data, as a submit's value.

    None when it is not an `Action.Execute` a person pressed, or its data is not ours. A refresh
    (`trigger: automatic`) is never taken for a submission: Respite's cards ask for none.
    """
    value = activity.value
    who = actor(activity)
    if activity.type != ActivityTypes.invoke or not isinstance(value, Mapping) or not who.user_id:
        return None
    action = value.get("action")
    if not isinstance(action, Mapping) or action.get("type") != "Action.Execute":
        return None
    if str(value.get("trigger") or "manual") != "manual":
        return None
    data = action.get("data")
    return from_card_data(who, data) if isinstance(data, Mapping) else None


def _count(options: Mapping[str, Any], key: str, default: int) -> int | None:
    raw = options.get(key, default)
    if raw is None:
        return default
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        return None
    return raw


def search_query(activity: Activity) -> SearchQuery | None:
    """The query of an `application/search` invoke, or None when it is not well formed."""
    value = activity.value
    if activity.type != ActivityTypes.invoke or not isinstance(value, Mapping):
        return None
    dataset, text = value.get("dataset"), value.get("queryText", "")
    options = value.get("queryOptions") or {}
    if not isinstance(dataset, str) or not isinstance(text, str | None):
        return None
    if not isinstance(options, Mapping):
        return None
    skip, top = _count(options, "skip", 0), _count(options, "top", SEARCH_PAGE)
    if skip is None or top is None:
        return None
    return SearchQuery(dataset, text or "", skip, top)
