"""The Teams start-up check: ask Microsoft Entra for the bot's token with its app id and secret.

This is the exchange every reply makes first (a client-credentials grant for the Bot Framework's
scope), so a wrong MICROSOFT_APP_PASSWORD, an expired client secret or a single-tenant app without
its tenant id shows at start-up instead of at the first message.
"""

from __future__ import annotations

import asyncio
from typing import Any

from botframework.connector.auth import AuthenticationConstants

from bot.platforms.msteams.adapter import TeamsCredentials
from bot.platforms.msteams.entra import confidential_app
from bot.platforms.startup import Finding, StartupCheck, Verdict

BOT_SCOPE = f"{AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE}/.default"


def login_url(creds: TeamsCredentials, override: str | None = None) -> str:
    """Where the bot signs in: the tenant's for a single-tenant app, else botframework.com's."""
    if override:
        return override.rstrip("/")
    tenant = (
        creds.tenant_id
        if creds.app_type == "SingleTenant" and creds.tenant_id
        else AuthenticationConstants.DEFAULT_CHANNEL_AUTH_TENANT
    )
    return f"{AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX}{tenant}"


def credentials_check(
    creds: TeamsCredentials, override_login_url: str | None = None
) -> StartupCheck:
    authority = login_url(creds, override_login_url)

    def acquire() -> dict[str, Any]:
        app = confidential_app(
            creds.app_id or "",
            creds.app_password or "",
            authority,
            overridden=override_login_url is not None,
        )
        result: dict[str, Any] = app.acquire_token_for_client(scopes=[BOT_SCOPE])
        return result

    async def check() -> Finding:
        if not creds.app_password:
            return Finding(
                Verdict.REFUSED,
                "MICROSOFT_APP_PASSWORD: not set; MICROSOFT_APP_ID needs the client secret of the "
                "same app registration",
            )
        try:
            result = await asyncio.to_thread(acquire)
        except OSError as exc:  # requests' errors are OSErrors too
            return Finding(
                Verdict.UNREACHABLE,
                f"Teams: cannot reach {authority} to check the app's credentials "
                f"({type(exc).__name__})",
            )
        except ValueError as exc:  # msal: the authority's discovery document is missing or bad
            return Finding(
                Verdict.REFUSED,
                f"Teams: {authority} is not a sign-in authority msal can use ({_first_line(exc)})",
            )
        if "access_token" in result:
            return Finding(Verdict.OK, f"Teams: signed in as app {creds.app_id}")
        error = result.get("error", "unknown_error")
        return Finding(
            Verdict.REFUSED,
            f"MICROSOFT_APP_ID / MICROSOFT_APP_PASSWORD: Microsoft Entra refused them ({error}: "
            f"{_first_line(result.get('error_description', 'no description'))})",
        )

    return check


def _first_line(value: object) -> str:
    return str(value).strip().splitlines()[0] if str(value).strip() else ""
