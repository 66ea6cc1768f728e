"""The bot's outbound token for the Agents SDK, from Respite's own msal sign-in.

The SDK's `MsalAuth` builds its msal app lazily on the event loop (msal's constructor fetches
the authority's discovery document with a blocking GET) and cannot skip Microsoft's instance
discovery for an authority the admin set (MICROSOFT_LOGIN_URL). This provider signs in the
way the start-up check and Graph do (bot/platforms/msteams/entra.py), always off the loop.
Without an app id (emulator mode) every call goes out without a token.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any, cast

import aiohttp
import msal
from azure.core.credentials_async import AsyncTokenCredential
from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core import (
    AgentAuthConfiguration,
    ClaimsIdentity,
    RestChannelServiceClientFactory,
)
from microsoft_agents.hosting.core import TurnContext as AgentsContext
from microsoft_agents.hosting.core.authorization import (
    AccessTokenProviderBase,
    AnonymousTokenProvider,
    AuthenticationConstants,
    AuthTypes,
)
from microsoft_agents.hosting.core.connector import ConnectorClientBase
from microsoft_agents.hosting.core.connector.client import UserTokenClient
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient

from bot.platforms.msteams.adapter import CONNECTOR_TIMEOUT_SECONDS, TeamsCredentials
from bot.platforms.msteams.entra import confidential_app
from bot.platforms.msteams.startup import login_url

log = logging.getLogger(__name__)


class TokenRefused(RuntimeError):
    """Microsoft Entra did not issue the bot a token (the error code only, never the secret)."""


class RespiteTokens(AccessTokenProviderBase):
    """The bot's client-credentials token, from Respite's msal sign-in."""

    def __init__(self, credentials: TeamsCredentials) -> None:
        self._credentials = credentials
        self._authority = login_url(credentials, credentials.login_url)
        self._app: msal.ConfidentialClientApplication | None = None
        self._lock = threading.Lock()
        self._configuration = AgentAuthConfiguration(
            AuthTypes.client_secret,
            client_id=credentials.app_id,
            client_secret=credentials.app_password,
            authority=self._authority,
        )

    @property
    def configuration(self) -> AgentAuthConfiguration:
        return self._configuration

    def _acquire(self, scopes: list[str]) -> dict[str, Any]:
        with self._lock:
            if self._app is None:
                creds = self._credentials
                self._app = confidential_app(
                    creds.app_id or "",
                    creds.app_password or "",
                    self._authority,
                    overridden=creds.login_url is not None,
                )
            app = self._app
        result: dict[str, Any] = app.acquire_token_for_client(scopes=scopes)
        return result

    async def get_access_token(
        self, resource_url: str, scopes: list[str], force_refresh: bool = False
    ) -> str:
        result = await asyncio.to_thread(self._acquire, scopes)
        token = result.get("access_token")
        if not isinstance(token, str):
            raise TokenRefused(f"Microsoft Entra refused the bot a token ({result.get('error')})")
        return token

    def get_token_credential(self) -> AsyncTokenCredential:
        raise NotImplementedError("Respite asks for tokens through get_access_token only")

    # Respite signs nobody in on a user's behalf and runs no agentic identities.
    async def acquire_token_on_behalf_of(self, scopes: list[str], user_assertion: str) -> str:
        raise NotImplementedError("Respite acts only as itself")

    async def get_agentic_application_token(
        self, tenant_id: str, agent_app_instance_id: str
    ) -> str | None:
        raise NotImplementedError("Respite acts only as itself")

    async def get_agentic_instance_token(
        self, tenant_id: str, agent_app_instance_id: str
    ) -> tuple[str, str]:
        raise NotImplementedError("Respite acts only as itself")

    async def get_agentic_user_token(
        self, tenant_id: str, agent_app_instance_id: str, agentic_user_id: str, scopes: list[str]
    ) -> str | None:
        raise NotImplementedError("Respite acts only as itself")


class RespiteConnections:
    """Structurally the SDK's Connections: one connection for every turn, the bot's app or
    anonymous in emulator mode."""

    def __init__(self, credentials: TeamsCredentials) -> None:
        self._provider: AccessTokenProviderBase = (
            RespiteTokens(credentials) if credentials.auth_enabled else AnonymousTokenProvider()
        )

    def get_connection(self, connection_name: str) -> AccessTokenProviderBase:
        return self._provider

    def get_default_connection(self) -> AccessTokenProviderBase:
        return self._provider

    def get_token_provider(
        self, claims_identity: ClaimsIdentity, service_url: str
    ) -> AccessTokenProviderBase:
        return self._provider

    def get_token_provider_from_activity(
        self, claims_identity: ClaimsIdentity, activity: Activity
    ) -> AccessTokenProviderBase:
        return self._provider

    def get_default_connection_configuration(self) -> AgentAuthConfiguration:
        return self._provider.configuration


class _Refused:
    """Every call fails with the reason the bot has no token; nothing is sent unsigned."""

    def __init__(self, error: Exception) -> None:
        self._error = error

    def __getattr__(self, name: str) -> Any:
        async def refuse(*args: Any, **kwargs: Any) -> Any:
            raise self._error

        return refuse


class _Unsigned:
    """A connector client standing in for one the bot could not get a token for."""

    def __init__(self, error: Exception, service_url: str) -> None:
        self.base_uri = service_url
        self.conversations = _Refused(error)
        self.attachments = _Refused(error)

    async def close(self) -> None:
        return None


class RespiteClients(RestChannelServiceClientFactory):
    """The SDK's client factory, with three differences from its defaults.

    Respite signs nobody in on a user's behalf, so the user-token client gets no token (the
    default asks Entra for one every turn). And the bot's own token is asked for when the turn
    starts, before any handler runs: when Entra cannot give one, the turn still runs (its
    answers are saved, as with botbuilder) and each send fails with the reason instead. And
    connector calls time out, as botbuilder's do. Respite uses no agentic identities or Copilot
    Studio connectors, so the SDK's branches for those are not taken here.
    """

    def __init__(self, connections: RespiteConnections, app_id: str | None) -> None:
        super().__init__(connections)
        self._connections = connections
        # The SDK warns about a user-token client without an app id (emulator mode has none).
        self._app_id = app_id or "emulator"

    async def create_user_token_client(
        self, context: AgentsContext, claims_identity: ClaimsIdentity, use_anonymous: bool = False
    ) -> UserTokenClient:
        return UserTokenClient(
            app_id=claims_identity.get_app_id() or self._app_id,
            endpoint=AuthenticationConstants.AGENTS_SDK_OAUTH_URL,
            token="",
        )

    async def create_connector_client(
        self,
        context: AgentsContext | None,
        claims_identity: ClaimsIdentity,
        service_url: str,
        audience: str,
        scopes: list[str] | None = None,
        use_anonymous: bool = False,
    ) -> ConnectorClientBase:
        provider = (
            AnonymousTokenProvider()
            if use_anonymous
            else self._connections.get_token_provider(claims_identity, service_url)
        )
        try:
            token = await provider.get_access_token(
                audience, scopes or claims_identity.get_token_scope()
            )
        except Exception as exc:
            log.warning("Teams: no token for the bot this turn (%s)", type(exc).__name__)
            return cast(ConnectorClientBase, _Unsigned(exc, service_url))
        # The SDK's own sessions have no timeout; a connector that never answers would hold the
        # outbox. The same limit as botbuilder's connector clients (adapter.py).
        endpoint = service_url if service_url.endswith("/") else service_url + "/"
        session = aiohttp.ClientSession(
            base_url=endpoint, timeout=aiohttp.ClientTimeout(total=CONNECTOR_TIMEOUT_SECONDS)
        )
        return TeamsConnectorClient(endpoint=endpoint, token=token, session=session)
