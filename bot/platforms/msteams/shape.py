"""Whether a Bot Framework activity has the shape the schema and the bot need, read from the JSON
as sent, before any turn runs.

msrest's deserializer turns a value of the wrong type into text (a list where a string belongs
becomes "[]", which later fails as a service URL deep inside a reply), so types are checked on
the raw JSON, against the schema botbuilder itself deserializes with (its models' attribute
maps). A problem names a field, never its value: it goes to the log.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount

from bot.platforms.msteams.render import ACTION_KEY, FORM_KEY

_MODELS: dict[str, Any] = Activity._infer_class_models()
_PRINTABLE = re.compile(r"[!-~]+")
_TEXT = frozenset(("str", "iso-8601", "rfc-1123", "date", "duration", "unix-time"))


def _kind_problem(kind: str, value: Any, where: str) -> str | None:
    """Why `value` is not of the schema type `kind` (msrest's names), or None."""
    if kind.startswith("[") and kind.endswith("]"):
        if not isinstance(value, list):
            return f"{where} is not a list"
        for index, item in enumerate(value):
            if item is None:
                return f"{where}[{index}] is null"
            problem = _kind_problem(kind[1:-1], item, f"{where}[{index}]")
            if problem:
                return problem
        return None
    if kind.startswith("{"):
        return None if isinstance(value, dict) else f"{where} is not an object"
    if kind in _TEXT:
        return None if isinstance(value, str) else f"{where} is not a string"
    if kind == "bool":
        return None if isinstance(value, bool) else f"{where} is not a boolean"
    if kind in ("int", "long", "float"):
        number = isinstance(value, int | float) and not isinstance(value, bool)
        return None if number else f"{where} is not a number"
    model = _MODELS.get(kind)
    if model is None:  # "object", or a type the schema leaves open
        return None
    if not isinstance(value, dict):
        return f"{where} is not an object"
    return fields_problem(model, value, where)


def fields_problem(model: Any, data: Mapping[str, Any], where: str = "") -> str | None:
    """The first field of `data` whose JSON type is not the one `model` declares."""
    for attribute in model._attribute_map.values():
        value = data.get(attribute["key"])
        if value is None:
            continue
        path = f"{where}.{attribute['key']}" if where else attribute["key"]
        problem = _kind_problem(attribute["type"], value, path)
        if problem:
            return problem
    return None


def _url_safe(value: Any) -> bool:
    """Text that can go in a connector URL's path as it is: Teams' ids are printable ASCII."""
    return isinstance(value, str) and _PRINTABLE.fullmatch(value) is not None


def _id(data: Mapping[str, Any], key: str) -> str | None:
    part = data.get(key)
    ident = part.get("id") if isinstance(part, Mapping) else None
    return ident if _url_safe(ident) else None


def _web_url(value: Any) -> bool:
    if not _url_safe(value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _mention_problem(entity: Mapping[str, Any]) -> str | None:
    """A mention's own fields, which the schema leaves open: who (an account) and its text."""
    if entity.get("type") != "mention":
        return None
    mentioned = entity.get("mentioned")
    if mentioned is not None:
        if not isinstance(mentioned, dict):
            return "mentioned is not an object"
        found = fields_problem(ChannelAccount, mentioned, "mentioned")
        if found:
            return found
    text = entity.get("text")
    return None if text is None or isinstance(text, str) else "text is not a string"


def problem(body: Mapping[str, Any]) -> str | None:
    """Why a signed activity cannot be taken in, or None when a turn can run on it."""
    found = fields_problem(Activity, body)
    if found:
        return found
    if not _id(body, "conversation"):
        return "conversation.id is missing"
    if not _web_url(body.get("serviceUrl")):
        return "serviceUrl is not a web address"
    for key in ("id", "replyToId"):
        # Replies and card updates put these in the connector's URLs.
        if body.get(key) is not None and not _url_safe(body[key]):
            return f"{key} is not printable ASCII"
    if body.get("type") != ActivityTypes.message:
        return None
    if not _id(body, "from"):
        return "from.id is missing"
    for index, entity in enumerate(body.get("entities") or []):
        found = _mention_problem(entity)
        if found:
            return f"entities[{index}].{found}"
    value = body.get("value")
    if value is None:
        return None
    if not isinstance(value, Mapping):
        return "value is not an object"
    if not (value.get(FORM_KEY) or value.get(ACTION_KEY)):
        # Every card the bot sends marks its submits with one of these.
        return "value carries no form or action"
    return None


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) and value else None


def reply_address(body: Mapping[str, Any]) -> Activity | None:
    """A clean message activity holding only what a reply to `body` needs, for a message
    whose sender can be answered although the rest of it could not be read; else None.

    Only the fields that have their schema's type are taken: an account's id, name and AAD
    object id; a conversation's id, type and tenant.
    """
    sender, conversation, recipient = (body.get(k) for k in ("from", "conversation", "recipient"))
    if (
        body.get("type") != ActivityTypes.message
        or not isinstance(sender, Mapping)
        or not isinstance(conversation, Mapping)
        or not _id(body, "from")
        or not _id(body, "conversation")
        or not _web_url(body.get("serviceUrl"))
    ):
        return None
    bot = (
        ChannelAccount(id=_text(recipient, "id"), name=_text(recipient, "name"))
        if isinstance(recipient, Mapping)
        else None
    )
    return Activity(
        type=ActivityTypes.message,
        id=body["id"] if _url_safe(body.get("id")) else None,
        channel_id=_text(body, "channelId") or "msteams",
        service_url=body["serviceUrl"],
        from_property=ChannelAccount(
            id=_text(sender, "id"),
            name=_text(sender, "name"),
            aad_object_id=_text(sender, "aadObjectId"),
        ),
        recipient=bot,
        conversation=ConversationAccount(
            id=_text(conversation, "id"),
            conversation_type=_text(conversation, "conversationType"),
            tenant_id=_text(conversation, "tenantId"),
        ),
    )


def for_authentication(body: Mapping[str, Any]) -> Activity:
    """The fields the token check reads (channel, service URL, the recipient's role), taken
    from the raw JSON: a token is proven before the rest of the body is deserialized."""

    recipient = body.get("recipient")
    return Activity(
        type=_text(body, "type"),
        channel_id=_text(body, "channelId"),
        service_url=_text(body, "serviceUrl"),
        recipient=ChannelAccount(
            role=_text(recipient, "role") if isinstance(recipient, Mapping) else None
        ),
    )
