"""The Slack Web API client: one place for base URL, token, retry policy and HTTP session."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import ClientSession
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.platforms.slack.render import RenderedJson

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


def web_session() -> ClientSession:
    """One pooled HTTP session for every Web API call, instead of a connection per call."""
    return ClientSession(json_serialize=_json_body)


def _json_body(body: Any) -> str:
    """A request's JSON body, with each rendered view written as its kept text.

    slack_sdk sends views.open and views.update as JSON, so the session would encode the view
    every time (about 40 µs for the 4 KB pulse form, on every /checkin). A view from
    render.modal_view already has its text, and is shared read-only, so the text is the view.
    """
    if not isinstance(body, dict) or not any(isinstance(v, RenderedJson) for v in body.values()):
        return json.dumps(body)
    fields = (
        f"{json.dumps(k)}:{v.text if isinstance(v, RenderedJson) else json.dumps(v)}"
        for k, v in body.items()
    )
    return "{" + ",".join(fields) + "}"
