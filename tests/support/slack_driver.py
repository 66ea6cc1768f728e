"""Drives the running app the way Slack does: signed form posts to /slack/events."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import ClientResponse, ClientSession
from slack_sdk.signature import SignatureVerifier

DATA = Path(__file__).parents[1] / "data" / "slack"
SIGNING_SECRET = "test-signing-secret-0123456789abcdef"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / name).read_text())
    return data


def signed_headers(
    body: str,
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
    content_type: str = "application/x-www-form-urlencoded",
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
        "Content-Type": content_type,
    }


class SlackDriver:
    def __init__(self, session: ClientSession, base_url: str, response_url: str) -> None:
        self.session = session
        self.url = base_url.rstrip("/") + "/slack/events"
        self.response_url = response_url
        # Slack gives every command its own trigger_id and every modal its own view id.
        self._triggers = itertools.count(1)
        self._views = itertools.count(1)

    async def post(self, body: str, headers: dict[str, str] | None = None) -> ClientResponse:
        return await self.session.post(
            self.url, data=body.encode(), headers=headers or signed_headers(body)
        )

    def slash_body(
        self, command: str, text: str, user_id: str, trigger_id: str | None = None
    ) -> str:
        fields = load("slash_command.json")
        fields.update(command=command, text=text, user_id=user_id, response_url=self.response_url)
        if trigger_id is not None:
            fields["trigger_id"] = trigger_id
        return urlencode(fields)

    def trigger_id(self) -> str:
        """The captured command's trigger_id first, then a new one for every further command."""
        n = next(self._triggers)
        captured = str(load("slash_command.json")["trigger_id"])
        return captured if n == 1 else f"{captured.rsplit('.', 1)[0]}.{n:019x}"

    async def slash(self, command: str, text: str = "", user_id: str = "U0001") -> ClientResponse:
        return await self.post(self.slash_body(command, text, user_id, self.trigger_id()))

    def interactive_body(self, payload: dict[str, Any]) -> str:
        return urlencode({"payload": json.dumps(payload)})

    async def click(self, action_id: str, value: str, user_id: str) -> ClientResponse:
        payload = load("block_actions.json")
        payload["user"]["id"] = user_id
        payload["actions"][0].update(action_id=action_id, value=value)
        payload["response_url"] = self.response_url
        return await self.post(self.interactive_body(payload))

    async def click_in_modal(
        self, view: dict[str, Any], action_id: str, value: str, user_id: str
    ) -> ClientResponse:
        """A button inside an open modal: Slack sends the view and no response_url."""
        payload = load("block_actions_view.json")
        payload["user"]["id"] = user_id
        payload["actions"][0].update(action_id=action_id, value=value)
        payload["view"].update(
            id=view.get("id", payload["view"]["id"]),
            callback_id=view.get("callback_id", ""),
            blocks=view.get("blocks", []),
        )
        return await self.post(self.interactive_body(payload))

    async def submit(
        self,
        view: dict[str, Any],
        values: dict[str, str],
        user_id: str,
    ) -> ClientResponse:
        """Submit a modal the bot opened, choosing `values` (block id -> option value)."""
        return await self.post(self.interactive_body(self.submission(view, values, user_id)))

    def submission(
        self, view: dict[str, Any], values: dict[str, str], user_id: str
    ) -> dict[str, Any]:
        """The view_submission payload of `submit`; the view keeps its id (a new one if it has
        none), as every submission of one modal does."""
        payload = load("view_submission.json")
        payload["user"]["id"] = user_id
        payload["view"]["id"] = view.get("id") or f"V{next(self._views):010d}"
        state: dict[str, dict[str, Any]] = {}
        for block in view.get("blocks", []):
            if block.get("type") != "input":
                continue
            element = block["element"]
            block_id, action_id = block["block_id"], element["action_id"]
            chosen = values.get(block_id)
            if element["type"] == "radio_buttons":
                option = next((o for o in element["options"] if o["value"] == chosen), None)
                state[block_id] = {action_id: {"type": "radio_buttons", "selected_option": option}}
            elif element["type"] == "plain_text_input":
                state[block_id] = {action_id: {"type": "plain_text_input", "value": chosen}}
            elif element["type"] == "multi_users_select":
                users = chosen.split() if chosen else []
                state[block_id] = {
                    action_id: {"type": "multi_users_select", "selected_users": users}
                }
            elif element["type"] == "users_select":
                state[block_id] = {action_id: {"type": "users_select", "selected_user": chosen}}
        payload["view"].update(
            callback_id=view.get("callback_id", ""),
            private_metadata=view.get("private_metadata", ""),
            blocks=view.get("blocks", []),
            state={"values": state},
        )
        return payload
