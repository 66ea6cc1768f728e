"""The Slack start-up check: `auth.test` with the bot token."""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.platforms.startup import Finding, StartupCheck, Verdict


def token_check(client: AsyncWebClient) -> StartupCheck:
    async def check() -> Finding:
        try:
            resp = await client.auth_test()
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            if exc.response is not None and exc.response.status_code >= 500:
                return Finding(Verdict.UNREACHABLE, f"Slack: auth.test failed ({error})")
            return Finding(
                Verdict.REFUSED,
                f"SLACK_BOT_TOKEN: Slack refused it ({error or 'no reason given'}); copy the "
                "Bot User OAuth Token (xoxb-…) from your app's OAuth & Permissions page",
            )
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return Finding(
                Verdict.UNREACHABLE,
                f"Slack: cannot reach {client.base_url} to check SLACK_BOT_TOKEN "
                f"({type(exc).__name__})",
            )
        if not resp.get("bot_id"):
            return Finding(
                Verdict.REFUSED,
                "SLACK_BOT_TOKEN: Slack accepted it, but it is not a bot token; use the Bot User "
                "OAuth Token (xoxb-…), not a user token (xoxp-…)",
            )
        return Finding(
            Verdict.OK,
            f"Slack: signed in as {resp.get('user') or resp.get('user_id')} in "
            f"{resp.get('team') or resp.get('team_id')}",
        )

    return check
