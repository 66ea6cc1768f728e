"""Slack payloads to neutral events: the one translation table for Slack."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from bot.domain.events import Actor, ButtonPress, Command, FormSubmission
from bot.domain.messages import Platform


def actor(user_id: str) -> Actor:
    return Actor(Platform.SLACK, user_id)


# With "escape channels, users, and links" on, Slack sends `<@U123>` or `<@U123|name>` for a
# mention, `<!here>` and the like for broadcasts, `<#C123|name>` for channels, `<url|label>` for
# links, and `&amp;`, `&lt;`, `&gt;` for the three characters it reserves.
_MARKUP = re.compile(r"<([^<>]*)>")
_USER = re.compile(r"^@([UW][A-Z0-9]{2,})(?:\|[^<>]*)?$")


def _readable(inner: str) -> str:
    """Any markup other than a user mention, as the plain text a person would read.

    The result is later escaped like any other text, so a broadcast or a disguised link
    cannot survive the round trip: `<!here>` becomes the words "@here", a link shows its URL.
    """
    target, _, label = inner.partition("|")
    if target.startswith("!subteam^"):
        return label or "@group"
    if target.startswith("!"):
        return label or "@" + target[1:].split("^")[0]
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("@"):
        return "@" + (label or target[1:])
    if label and label != target:
        return f"{label} ({target})"
    return target


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def split_mentions(text: str) -> tuple[str, tuple[str, ...]]:
    """Slack command text -> (plain text without user mentions, mentioned user ids in order)."""
    mentions: list[str] = []

    def replace(match: re.Match[str]) -> str:
        user = _USER.match(match.group(1))
        if user:
            if user.group(1) not in mentions:
                mentions.append(user.group(1))
            return ""
        return _readable(match.group(1))

    plain = _MARKUP.sub(replace, text)
    return re.sub(r"[ \t]{2,}", " ", _unescape(plain)).strip(), tuple(mentions)


class MalformedPayload(ValueError):
    """A signed payload without the shape Slack gives this kind of request: a field missing or of
    another type. Its message names the field, never its value."""


def _mapping(body: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = body.get(key)
    if not isinstance(value, Mapping):
        raise MalformedPayload(f"{key} is not an object")
    return value


def _text(
    body: Mapping[str, Any], key: str, *, required: bool = False, nullable: bool = True
) -> str:
    """A string field; absent or null reads as "" unless it is required (non-empty) or not
    nullable (present, perhaps empty: bolt matches listeners on it)."""
    value = body.get(key)
    if value is None and not required and nullable:
        return ""
    if not isinstance(value, str):
        raise MalformedPayload(f"{key} is not a string")
    if required and not value:
        raise MalformedPayload(f"{key} is empty")
    return value


def web_url(value: Any) -> str | None:
    """The value when it is an http(s) address with a host (a response_url), else None."""
    if not isinstance(value, str):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    return value if parts.scheme in ("http", "https") and parts.hostname else None


def user_id_of(body: Mapping[str, Any]) -> str | None:
    """Who sent a payload, when that can be told: `user_id` (commands) or `user.id`."""
    user = body.get("user")
    found = user.get("id") if isinstance(user, Mapping) else body.get("user_id")
    return found if isinstance(found, str) and found else None


def slash_command(body: Mapping[str, Any]) -> Command:
    """`/checkin ...`, `/kudos @someone ...` or `/respite <word> ...`."""
    name = _text(body, "command", required=True).lstrip("/").lower()
    text, mentions = split_mentions(_text(body, "text"))
    trigger_id = _text(body, "trigger_id")
    return Command(
        actor(_text(body, "user_id", required=True)),
        name,
        text,
        mentions,
        request_id=trigger_id,
    )


def button_press(body: Mapping[str, Any]) -> ButtonPress:
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], Mapping):
        raise MalformedPayload("actions is not a list of objects")
    action = actions[0]
    value = action.get("value")
    if value is not None and not isinstance(value, str):
        raise MalformedPayload("value is not a string")
    _text(body, "trigger_id")
    if body.get("container") is not None:
        container = _mapping(body, "container")
        if container.get("type") == "view" and body.get("view") is not None:
            _text(_mapping(body, "view"), "id", required=True)
    return ButtonPress(
        actor(_text(_mapping(body, "user"), "id", required=True)),
        _text(action, "action_id", required=True),
        value or "",
    )


# The inputs a form's answer is read from; any other element's state is passed over.
INPUT_TYPES = frozenset(
    ("radio_buttons", "static_select", "plain_text_input", "multi_users_select", "users_select")
)


def _selected(state: Mapping[str, Any]) -> str:
    """One input's chosen value as text, by the input's type."""
    kind = state.get("type")
    if not isinstance(kind, str):
        raise MalformedPayload("an input's type is not a string")
    if kind in ("radio_buttons", "static_select"):
        selected = state.get("selected_option")
        if selected is None:
            return ""
        if not isinstance(selected, Mapping):
            raise MalformedPayload("selected_option is not an object")
        return _text(selected, "value")
    if kind == "plain_text_input":
        return _text(state, "value")
    if kind == "multi_users_select":
        users = state.get("selected_users") or []
        if not isinstance(users, list) or not all(isinstance(u, str) for u in users):
            raise MalformedPayload("selected_users is not a list of strings")
        return " ".join(users)
    if kind == "users_select":
        return _text(state, "selected_user")
    return ""


def view_submission(body: Mapping[str, Any]) -> FormSubmission:
    view = _mapping(body, "view")
    if view.get("type") != "modal":
        # The app opens modals only; bolt reads another type as a workflow step's.
        raise MalformedPayload("view.type is not modal")
    state = view.get("state") or {}
    if not isinstance(state, Mapping):
        raise MalformedPayload("view.state is not an object")
    values_in = state.get("values") or {}
    if not isinstance(values_in, Mapping):
        raise MalformedPayload("view.state.values is not an object")
    values: dict[str, str] = {}
    for block_id, actions in values_in.items():
        if not isinstance(actions, Mapping):
            raise MalformedPayload("a block's state is not an object")
        for _action_id, element in actions.items():
            if not isinstance(element, Mapping):
                raise MalformedPayload("an input's state is not an object")
            chosen = _selected(element)
            if element["type"] in INPUT_TYPES:
                values[str(block_id)] = chosen
    return FormSubmission(
        actor(_text(_mapping(body, "user"), "id", required=True)),
        _text(view, "callback_id", nullable=False),
        values,
        _text(view, "private_metadata"),
        request_id=_text(view, "id"),
    )


def problem(body: Mapping[str, Any]) -> str | None:
    """Why a payload of a kind the app listens to could not be read, or None when it can.

    Run before bolt routes it: bolt's own matchers index into these same fields, and a listener
    should only ever meet a payload it can translate. Kinds the app has no listener for are
    bolt's to answer.
    """
    try:
        response_url = _text(body, "response_url")
        if response_url and not web_url(response_url):
            raise MalformedPayload("response_url is not a web address")
        if "command" in body or body.get("type") == "block_actions":
            # Slack sends one with every command and button; a form can only be opened with it.
            _text(body, "trigger_id", required=True)
        if "command" in body:
            slash_command(body)
            if not response_url:
                raise MalformedPayload("response_url is missing")
        elif body.get("type") == "block_actions":
            button_press(body)
            container = body.get("container") or {}
            if not response_url and not (container.get("type") == "view" and body.get("view")):
                # Only a button inside a modal comes without one: its answer replaces the modal.
                raise MalformedPayload("response_url is missing")
        elif body.get("type") == "view_submission":
            view_submission(body)
    except MalformedPayload as exc:
        return str(exc)
    return None
