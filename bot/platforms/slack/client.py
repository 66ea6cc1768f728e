"""The Slack Web API client: one place for base URL, token and retry policy."""

from __future__ import annotations

from aiohttp import ClientSession
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

DEFAULT_BASE_URL = "https://slack.com/api/"


def web_client(
    token: str | None, base_url: str | None = None, session: ClientSession | None = None
) -> AsyncWebClient:
    base = (base_url or DEFAULT_BASE_URL).rstrip("/") + "/"
    return AsyncWebClient(
        token=token,
        base_url=base,
        session=session,
        timeout=10,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=2),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )
