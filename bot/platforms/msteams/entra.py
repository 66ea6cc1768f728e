"""The bot's own sign-in at Microsoft Entra (client credentials), for Bot Framework and Graph."""

from __future__ import annotations

import msal

TIMEOUT_SECONDS = 10


def confidential_app(
    app_id: str, secret: str, authority: str, *, overridden: bool
) -> msal.ConfidentialClientApplication:
    """An msal app signing in as the bot at `authority`. Microsoft's instance discovery knows
    only Microsoft's hosts, so it is skipped for an authority the admin set (MICROSOFT_LOGIN_URL:
    a sovereign cloud, a test)."""
    return msal.ConfidentialClientApplication(
        app_id,
        client_credential=secret,
        authority=authority,
        timeout=TIMEOUT_SECONDS,
        instance_discovery=False if overridden else None,
    )
