"""Settings for `respite demo`: a throwaway database and a throwaway secret, no platforms."""

from __future__ import annotations

import secrets

from pydantic import SecretStr

from bot.config import Settings


def demo_settings(database_url: str) -> Settings:
    # The demo's kudos quota hashes live only as long as its database, so a fresh secret is right.
    # Platform credentials in the environment are ignored: the demo talks to the console only.
    return Settings(
        database_url=database_url,
        respite_secret=SecretStr(secrets.token_hex(32)),
        slack_bot_token=None,
        slack_signing_secret=None,
        microsoft_app_id=None,
        microsoft_app_password=None,
    )
