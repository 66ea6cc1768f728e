"""What the Teams adapter needs from an SDK, and the botbuilder implementation of it.

Respite speaks to Teams through one of two SDKs (TEAMS_SDK): botbuilder, or the Microsoft 365
Agents SDK (bot/platforms/msteams/agents/). Everything else in this package (inbound
translation, rendering, the sender, retries, the address book) is shared and works on
botbuilder's activity types; an SDK plugs in by running a turn with a botbuilder `TurnContext`.
So the SDK-specific part is small: run an authenticated inbound activity, continue a saved
conversation, create a 1:1 chat, and report an error inside a turn.

The route (app.py) proves every token itself, with botbuilder's validator configured by
Respite (its OpenID metadata URL, the `msteams` endorsement, the service URL claim), and hands
the proven claims to the hosting; neither SDK decides who may call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.schema import Activity, ConversationParameters, ConversationReference
from botframework.connector.auth import AuthenticateRequestResult

from bot.platforms.msteams.adapter import RespiteAuthentication, TeamsCredentials, build_adapter

Logic = Callable[[TurnContext], Awaitable[None]]
TurnError = Callable[[TurnContext, Exception], Awaitable[None]]

TEAMS_CHANNEL_ID = "msteams"


class Unreadable(ValueError):
    """The SDK refused a signed activity before any handler ran (the reason names no values)."""


class TeamsHosting(Protocol):
    """One SDK's way of running turns; every callback receives a botbuilder TurnContext."""

    async def authenticate(self, body: Any, header: str) -> AuthenticateRequestResult:
        """The proven claims of a request, or an exception when its token does not hold."""
        ...

    async def receive(
        self,
        auth: AuthenticateRequestResult,
        activity: Activity,
        logic: Logic,
        wire: dict[str, Any] | None = None,
    ) -> InvokeResponse | None:
        """Run one inbound turn; an invoke's answer comes back for the HTTP response. Raises
        Unreadable when the SDK cannot take the activity, before any handler runs. `wire` is
        the request's JSON when there is one, so an SDK with its own models need not
        serialize `activity` again."""
        ...

    async def send_to(self, reference: ConversationReference, logic: Logic) -> None:
        """Run a proactive turn in a saved conversation."""
        ...

    async def create_personal_chat(
        self, parameters: ConversationParameters, service_url: str, logic: Logic
    ) -> None:
        """Create a conversation and run a proactive turn in it."""
        ...

    def on_error(self, handler: TurnError) -> None:
        """Who hears about an exception inside a turn (never the user, unless it says so)."""
        ...


class ProvesTokens:
    """Each SDK's hosting proves a request's token the same way: with Respite's own validator
    (`self.auth`), never the SDK's, so both SDKs admit exactly the same callers."""

    auth: RespiteAuthentication

    async def authenticate(self, body: Any, header: str) -> AuthenticateRequestResult:
        result: AuthenticateRequestResult = await self.auth.authenticate_request(body, header)
        return result


class BotbuilderHosting(ProvesTokens):
    """botbuilder's CloudAdapter: archived by Microsoft, support ended 2025-12-31."""

    def __init__(self, credentials: TeamsCredentials) -> None:
        self.adapter, self.auth = build_adapter(credentials)
        self._app_id = credentials.app_id or None

    async def receive(
        self,
        auth: AuthenticateRequestResult,
        activity: Activity,
        logic: Logic,
        wire: dict[str, Any] | None = None,
    ) -> InvokeResponse | None:
        response: InvokeResponse | None = await self.adapter.process_activity(auth, activity, logic)
        return response

    async def send_to(self, reference: ConversationReference, logic: Logic) -> None:
        await self.adapter.continue_conversation(reference, logic, self._app_id)

    async def create_personal_chat(
        self, parameters: ConversationParameters, service_url: str, logic: Logic
    ) -> None:
        await self.adapter.create_conversation(
            self._app_id,
            logic,
            parameters,
            channel_id=TEAMS_CHANNEL_ID,
            service_url=service_url,
        )

    def on_error(self, handler: TurnError) -> None:
        self.adapter.on_turn_error = handler


def build_hosting(credentials: TeamsCredentials) -> TeamsHosting:
    """The hosting for the configured SDK; the Agents SDK is imported only when chosen."""
    if credentials.sdk == "agents":
        from bot.platforms.msteams.agents.hosting import AgentsHosting

        return AgentsHosting(credentials, RespiteAuthentication(credentials))
    return BotbuilderHosting(credentials)


__all__ = [
    "BotbuilderHosting",
    "Logic",
    "TeamsHosting",
    "TurnError",
    "Unreadable",
    "build_hosting",
]
