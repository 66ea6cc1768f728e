"""Slack payloads to neutral events: the one translation table for Slack."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.domain.events import Actor, ButtonPress, Command, FormSubmission
from bot.domain.messages import Platform


def actor(user_id: str) -> Actor:
    return Actor(Platform.SLACK, user_id)


def slash_command(body: Mapping[str, Any]) -> Command:
    """`/checkin ...` or `/respite <word> ...`."""
    name = str(body.get("command", "")).lstrip("/").lower()
    return Command(actor(str(body["user_id"])), name, str(body.get("text", "")).strip())


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
