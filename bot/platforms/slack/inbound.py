"""Slack payloads to neutral events: the one translation table for Slack."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

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


def slash_command(body: Mapping[str, Any]) -> Command:
    """`/checkin ...`, `/kudos @someone ...` or `/respite <word> ...`."""
    name = str(body.get("command", "")).lstrip("/").lower()
    text, mentions = split_mentions(str(body.get("text", "")))
    return Command(actor(str(body["user_id"])), name, text, mentions)


def button_press(body: Mapping[str, Any]) -> ButtonPress:
    action = body["actions"][0]
    return ButtonPress(
        actor(str(body["user"]["id"])), str(action["action_id"]), str(action.get("value") or "")
    )


def view_submission(body: Mapping[str, Any]) -> FormSubmission:
    view = body["view"]
    values: dict[str, str] = {}
    for block_id, actions in view.get("state", {}).get("values", {}).items():
        for _action_id, state in actions.items():
            kind = state.get("type")
            if kind in ("radio_buttons", "static_select"):
                selected = state.get("selected_option") or {}
                values[block_id] = str(selected.get("value", ""))
            elif kind == "plain_text_input":
                values[block_id] = str(state.get("value") or "")
            elif kind in ("multi_users_select",):
                values[block_id] = " ".join(state.get("selected_users") or [])
            elif kind in ("users_select",):
                values[block_id] = str(state.get("selected_user") or "")
    return FormSubmission(
        actor(str(body["user"]["id"])),
        str(view.get("callback_id", "")),
        values,
        str(view.get("private_metadata", "")),
    )
