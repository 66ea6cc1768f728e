"""Teams on the Microsoft 365 Agents SDK: its CloudAdapter runs the turns and sends.

Respite's route proves each token with its own validator (hosting.py explains why) and hands
the proven claims to the SDK's `process_activity`, so the SDK's JWT middleware is not used:
it cannot be pointed at another OpenID server and does not check the `msteams` endorsement
or the token's service URL. The SDK's default turn-error handler sends the exception text to
the user; Respite's handler replaces it.
"""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.schema import Activity, ConversationParameters, ConversationReference
from botframework.connector.auth import AuthenticateRequestResult
from botframework.connector.auth import ClaimsIdentity as BotbuilderClaims
from microsoft_agents.activity import ConversationParameters as AgentsParameters
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import ClaimsIdentity
from microsoft_agents.hosting.core import TurnContext as AgentsContext
from microsoft_agents.hosting.core.authorization import AuthenticationConstants

from bot.platforms.msteams.adapter import RespiteAuthentication, TeamsCredentials
from bot.platforms.msteams.agents.auth import RespiteClients, RespiteConnections
from bot.platforms.msteams.agents.bridge import (
    BridgeAdapter,
    bridged,
    reference_to_agents,
    to_agents,
    validated,
)
from bot.platforms.msteams.hosting import TEAMS_CHANNEL_ID, Logic, ProvesTokens, TurnError

log = logging.getLogger(__name__)

# What the SDK logs would pair a person's chat with what happened in it, which Respite's logs never
# do (docs/privacy.md): each send at INFO with its conversation and activity ids; each refused
# connector call at ERROR with the conversation id (a refused thanks names the chat of the person
# who just answered; the retrier reports the status); each refused activity at ERROR with the
# refused values and a traceback (the bridge handles every refusal). Its loggers are capped when
# the hosting is made, whatever the process's own logging set-up.
SDK_LOG_CAPS = {
    "microsoft_agents": logging.WARNING,
    "microsoft_agents.hosting.core.connector": logging.CRITICAL,
    "microsoft_agents.activity.activity": logging.CRITICAL,
}


def agents_claims(identity: BotbuilderClaims | None) -> ClaimsIdentity:
    """The proven claims in the SDK's type; none (emulator mode) is an anonymous caller."""
    claims = dict(identity.claims or {}) if identity is not None else {}
    if identity is None or not identity.is_authenticated or not claims:
        return ClaimsIdentity({}, "anonymous")
    return ClaimsIdentity(claims, "Bearer")


class AgentsHosting(ProvesTokens):
    """Microsoft's supported successor to botbuilder; needs Python 3.12."""

    def __init__(self, credentials: TeamsCredentials, auth: RespiteAuthentication) -> None:
        for name, level in SDK_LOG_CAPS.items():
            logging.getLogger(name).setLevel(level)
        self.auth = auth
        connections = RespiteConnections(credentials)
        self.adapter = CloudAdapter(
            connection_manager=connections,
            channel_service_client_factory=RespiteClients(connections, credentials.app_id),
        )
        self.bridge = BridgeAdapter(self.adapter)
        self._app_id = credentials.app_id or ""
        self.on_error(_log_only)

    def _run(self, logic: Logic, activity: Activity | None = None) -> Any:
        async def turn(context: AgentsContext) -> None:
            await logic(bridged(self.bridge, context, activity))

        return turn

    async def receive(
        self,
        auth: AuthenticateRequestResult,
        activity: Activity,
        logic: Logic,
        wire: dict[str, Any] | None = None,
    ) -> InvokeResponse | None:
        # The request's own JSON, when there is one, as the SDK's route would read it: one
        # msrest serialize fewer on every turn.
        converted = to_agents(activity) if wire is None else validated(wire)
        answer = await self.adapter.process_activity(
            agents_claims(auth.claims_identity), converted, self._run(logic, activity)
        )
        if answer is None:
            return None
        return InvokeResponse(status=int(answer.status), body=answer.body)

    async def send_to(self, reference: ConversationReference, logic: Logic) -> None:
        continuation = reference_to_agents(reference).get_continuation_activity()
        await self.adapter.continue_conversation(self._app_id, continuation, self._run(logic))

    async def create_personal_chat(
        self, parameters: ConversationParameters, service_url: str, logic: Logic
    ) -> None:
        converted = AgentsParameters.model_validate(parameters.serialize())
        # botbuilder spells the field "tenantID" on the wire, the SDK "tenantId".
        converted.tenant_id = parameters.tenant_id
        await self.adapter.create_conversation(
            self._app_id,
            TEAMS_CHANNEL_ID,
            service_url,
            AuthenticationConstants.AGENTS_SDK_SCOPE,
            converted,
            self._run(logic),
        )

    def on_error(self, handler: TurnError) -> None:
        async def on_turn_error(context: AgentsContext, error: Exception) -> None:
            await handler(bridged(self.bridge, context), error)

        self.adapter.on_turn_error = on_turn_error


async def _log_only(context: TurnContext, error: Exception) -> None:
    """Until Respite sets its own: nothing reaches the user (the SDK's default would)."""
    log.error("Teams turn failed: %s", type(error).__name__, exc_info=error)
