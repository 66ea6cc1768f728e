"""The Bot Framework adapter: CloudAdapter with ConfigurationBotFrameworkAuthentication.

With an app id, every inbound request must carry a Bot Framework JWT (checked against the
channel's OpenID metadata) and outbound calls carry the app's token. Without one, the adapter runs
in local emulator mode: authentication is off, which is only safe on loopback, so the route serves
loopback clients only and the log says so loudly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    ClaimsIdentity,
    ConnectorFactory,
)
from msrest.universal_http.requests import ClientRetryPolicy

# msrest builds a retry policy for every connector client by testing 999 status codes against a
# 500-element list (about 3 ms, several times per turn); a frozenset holds the same codes.
ClientRetryPolicy.safe_codes = frozenset(ClientRetryPolicy.safe_codes)  # type: ignore[assignment]

log = logging.getLogger(__name__)

CONNECTOR_TIMEOUT_SECONDS = 15


@dataclass(frozen=True, slots=True)
class TeamsCredentials:
    app_id: str | None = None
    app_password: str | None = None
    tenant_id: str | None = None
    app_type: str = "MultiTenant"
    # Overrides where inbound tokens' signing keys are published (tests, sovereign clouds).
    openid_metadata_url: str | None = None
    # Which SDK hosts the bot (TEAMS_SDK): "botbuilder" or "agents" (bot/platforms/msteams/agents).
    sdk: str = "botbuilder"
    # Where the Agents SDK asks Entra for the bot's token (MICROSOFT_LOGIN_URL); None is Azure's.
    login_url: str | None = None

    @property
    def auth_enabled(self) -> bool:
        return bool(self.app_id)


class _Configuration:
    """The attribute bag ConfigurationBotFrameworkAuthentication reads."""

    def __init__(self, creds: TeamsCredentials) -> None:
        self.APP_ID = creds.app_id or ""
        self.APP_PASSWORD = creds.app_password or ""
        self.APP_TYPE = creds.app_type
        self.APP_TENANTID = creds.tenant_id or ""
        if creds.openid_metadata_url:
            # Any parameterized setting switches the SDK to a fully parameterized cloud, so the
            # public cloud's other values are given explicitly beside the override.
            tenant = (
                creds.tenant_id
                if creds.app_type == "SingleTenant" and creds.tenant_id
                else AuthenticationConstants.DEFAULT_CHANNEL_AUTH_TENANT
            )
            self.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = creds.openid_metadata_url
            self.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = (
                AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER
            )
            self.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE = (
                AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
            )
            self.TO_CHANNEL_FROM_BOT_LOGIN_URL = (
                AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX + tenant
            )
            self.OAUTH_URL = AuthenticationConstants.OAUTH_URL
            self.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL = (
                AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL
            )


class _SingleAttemptConnectors(ConnectorFactory):  # type: ignore[misc]
    """Connector clients without msrest's own retries: `retry.Retrier` owns the retry policy."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        client = await self._inner.create(service_url, audience)
        client.config.retry_policy.retries = 0
        client.config.connection.timeout = CONNECTOR_TIMEOUT_SECONDS
        return client


class RespiteAuthentication(ConfigurationBotFrameworkAuthentication):  # type: ignore[misc]
    def __init__(self, creds: TeamsCredentials) -> None:
        super().__init__(_Configuration(creds))

    async def authenticate_request(
        self, activity: Activity, auth_header: str
    ) -> AuthenticateRequestResult:
        result = await super().authenticate_request(activity, auth_header)
        if result.connector_factory is not None:
            result.connector_factory = _SingleAttemptConnectors(result.connector_factory)
        return result

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return _SingleAttemptConnectors(super().create_connector_factory(claims_identity))


def build_adapter(creds: TeamsCredentials) -> tuple[CloudAdapter, RespiteAuthentication]:
    # Emulator mode is announced by the commands that serve (bot.app.compose.EMULATOR_NOTICE).
    auth = RespiteAuthentication(creds)
    return CloudAdapter(auth), auth
