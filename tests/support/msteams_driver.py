"""Drives the running app the way Teams does: Bot Framework activities posted to /api/messages.

Activities are built from captured shapes in tests/data/msteams/, with the sender, text or submit
value changed, and the fake connector's URL as `serviceUrl` so the bot's calls land there.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from aiohttp import ClientResponse, ClientSession

DATA = Path(__file__).parents[1] / "data" / "msteams"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
BOT_ID = "28:00000000-0000-0000-0000-0000000000b0"
TEAM_ID = "19:4e0b9f1c8d7a4f5e9b3c2a1d0e9f8a7b@thread.tacv2"


def aad(n: int) -> str:
    """A well-formed AAD object id for test person n."""
    return f"6f1c4a2e-0b7d-4e57-9a8c-{n:012d}"


def teams_user_id(n: int) -> str:
    return f"29:1test-user-{n:04d}"


def personal_conversation(n: int) -> str:
    return f"a:1personal-chat-{n:04d}"


def member(n: int, name: str | None = None) -> dict[str, Any]:
    return {
        "id": teams_user_id(n),
        "name": name or f"Person {n}",
        "aadObjectId": aad(n),
        "userPrincipalName": f"person{n}@clinic.example",
        "tenantId": TENANT,
    }


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / name).read_text())
    return data


class TeamsDriver:
    def __init__(self, session: ClientSession, base_url: str, service_url: str) -> None:
        self.session = session
        self.url = base_url.rstrip("/") + "/api/messages"
        self.service_url = service_url

    def activity(
        self,
        template: str,
        person: int | None = None,
        *,
        text: str | None = None,
        value: dict[str, Any] | None = None,
        reply_to: str | None = None,
    ) -> dict[str, Any]:
        act = copy.deepcopy(load(template))
        act["serviceUrl"] = self.service_url
        if person is not None:
            act["from"] = {
                "id": teams_user_id(person),
                "name": f"Person {person}",
                "aadObjectId": aad(person),
            }
            if act["conversation"].get("conversationType") == "personal":
                act["conversation"]["id"] = personal_conversation(person)
        if text is not None:
            act["text"] = text
        if value is not None:
            act["value"] = value
        if reply_to is not None:
            act["replyToId"] = reply_to
        return act

    async def post(
        self, activity: dict[str, Any], headers: dict[str, str] | None = None
    ) -> ClientResponse:
        return await self.session.post(self.url, json=activity, headers=headers or {})

    async def say(self, person: int, text: str) -> ClientResponse:
        return await self.post(self.activity("message_text.json", person, text=text))

    async def submit(
        self, person: int, form: dict[str, Any], values: dict[str, str], reply_to: str
    ) -> ClientResponse:
        """Submit a card's Action.Submit: its data merged with the chosen inputs, as Teams does."""
        return await self.post(
            self.activity(
                "message_submit.json", person, value={**form, **values}, reply_to=reply_to
            )
        )
