"""Microsoft Graph for the Teams adapter: an app-only token from msal, calls over aiohttp.

Respite asks Graph two things: to install itself for a person (so it has a chat with everyone on
the roster, bot/platforms/msteams/install.py) and who belongs to an Entra group
(bot/platforms/msteams/entra_groups.py). Both run in the background, so this client favours
patience over speed: Graph throttles per app and tenant, and a 429 says how long to wait
(Retry-After), so every call of this client waits that long, not only the one refused. 503 and 504
are retried with exponential backoff, and attempts are bounded so a sync never hangs on a Graph
that keeps refusing. The token is the same app registration as the bot's (client credentials for
Graph's scope), asked of the app's own tenant: Graph answers for one directory.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp
import msal

from bot.platforms.msteams.entra import confidential_app

log = logging.getLogger(__name__)

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
DEFAULT_GRAPH_URL = "https://graph.microsoft.com/v1.0"
DEFAULT_LOGIN_HOST = "https://login.microsoftonline.com"
TIMEOUT_SECONDS = 30.0
# Throttled or unavailable: this many attempts in all, each wait at most MAX_WAIT_SECONDS.
MAX_ATTEMPTS = 5
BACKOFF_SECONDS = 1.0
MAX_WAIT_SECONDS = 120.0
RETRY_STATUSES = frozenset({429, 503, 504})

Sleep = Callable[[float], Awaitable[None]]
TokenSource = Callable[[bool], Awaitable[str]]


class GraphError(Exception):
    """Graph said no, or could not be asked; `str()` is one line an admin can act on."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.status = status  # 0 when Graph or Entra could not be reached
        self.code = code


@dataclass(frozen=True, slots=True)
class GraphCredentials:
    app_id: str
    app_password: str
    tenant_id: str
    # MICROSOFT_LOGIN_URL: an authority such as https://login.example/<tenant>; Graph's token
    # comes from the same host, for the app's own tenant.
    login_url: str | None = None

    @property
    def authority(self) -> str:
        if self.login_url:
            parts = urlsplit(self.login_url)
            return f"{parts.scheme}://{parts.netloc}/{self.tenant_id}"
        return f"{DEFAULT_LOGIN_HOST}/{self.tenant_id}"


def msal_tokens(creds: GraphCredentials) -> TokenSource:
    """App-only tokens for Graph; msal keeps the token until shortly before it expires."""

    def new_app() -> msal.ConfidentialClientApplication:
        return confidential_app(
            creds.app_id,
            creds.app_password,
            creds.authority,
            overridden=creds.login_url is not None,
        )

    apps: list[msal.ConfidentialClientApplication] = []

    def acquire(fresh: bool) -> dict[str, Any]:
        if fresh or not apps:
            apps[:] = [new_app()]  # a new application starts with an empty token cache
        result: dict[str, Any] = apps[0].acquire_token_for_client(scopes=[GRAPH_SCOPE])
        return result

    async def token(fresh: bool = False) -> str:
        try:
            result = await asyncio.to_thread(acquire, fresh)
        except (OSError, ValueError) as exc:  # requests: OSError; msal: ValueError
            raise GraphError(
                0, "sign-in failed", f"cannot reach {creds.authority} ({type(exc).__name__})"
            ) from None
        if "access_token" in result:
            return str(result["access_token"])
        description = str(result.get("error_description", "")).strip().splitlines()
        raise GraphError(
            401, str(result.get("error", "sign-in refused")), description[0] if description else ""
        )

    return token


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (seconds or an HTTP date), if it has one."""
    raw = headers.get("Retry-After")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


def quoted(value: str) -> str:
    """A value for a path segment or an OData string literal ('' escapes a quote)."""
    return quote(value, safe="")


class GraphClient:
    """GET, POST and paged GET against Graph, with the retries described above.

    `calls` counts HTTP requests sent (retries included), for the admin's log and benchmarks.
    """

    def __init__(
        self,
        base_url: str,
        tokens: TokenSource,
        session: aiohttp.ClientSession | None = None,
        sleep: Sleep = asyncio.sleep,
        max_attempts: int = MAX_ATTEMPTS,
        backoff_seconds: float = BACKOFF_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._tokens = tokens
        self._session = session
        self._own_session = session is None
        self._sleep = sleep
        self._attempts = max_attempts
        self._backoff = backoff_seconds
        self._monotonic = monotonic
        # A 429 holds every call of this client until this moment (on `monotonic`).
        self._resume_at = 0.0
        self.calls = 0
        self.throttled = 0

    async def close(self) -> None:
        if self._session is not None and self._own_session:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
            )
        return self._session

    def url(self, path: str) -> str:
        return path if path.startswith(("https://", "http://")) else f"{self.base_url}{path}"

    async def get(self, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        _, body = await self.request("GET", path, params=params)
        return body

    async def post(self, path: str, body: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        """POST; a 409 Conflict is returned to the caller, not raised."""
        return await self.request("POST", path, json=body, accept=(409,))

    async def pages(
        self, path: str, params: Mapping[str, str] | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Each item of a collection, following @odata.nextLink to the end."""
        url: str | None = path
        query = params
        while url:
            _, page = await self.request("GET", url, params=query)
            for item in page.get("value") or []:
                if isinstance(item, dict):
                    yield item
            link = page.get("@odata.nextLink")
            url = str(link) if link else None
            query = None  # the next link carries the query (and its skip token) itself

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Mapping[str, Any] | None = None,
        accept: tuple[int, ...] = (),
    ) -> tuple[int, dict[str, Any]]:
        url = self.url(path)
        fresh_token = False
        refreshed = False
        status, code, message = 0, "unavailable", ""
        for attempt in range(self._attempts):
            await self._wait_turn()
            token = await self._tokens(fresh_token)
            self.calls += 1
            try:
                async with self._http().request(
                    method,
                    url,
                    params=params,
                    json=json,
                    headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                ) as resp:
                    status = resp.status
                    body = await _json(resp)
                    wait = retry_after(resp.headers)
            except (aiohttp.ClientError, TimeoutError) as exc:
                status, code, message = 0, "unreachable", f"{type(exc).__name__} at {method} {url}"
                await self._sleep(self._backoff_for(attempt))
                continue
            if status < 300 or status in accept:
                return status, body
            code, message = _error_of(body, status)
            if status == 401 and not refreshed:
                refreshed = fresh_token = True  # a token revoked or expired early: ask again once
                continue
            fresh_token = False
            if status not in RETRY_STATUSES:
                raise GraphError(status, code, message)
            delay = min(wait if wait is not None else self._backoff_for(attempt), MAX_WAIT_SECONDS)
            if status == 429:
                self.throttled += 1
                self._resume_at = max(self._resume_at, self._monotonic() + delay)
                log.info("Graph: throttled, waiting %.1f s as asked", delay)
            else:
                await self._sleep(delay)
        raise GraphError(status, code, f"{message} (gave up after {self._attempts} attempts)")

    def _backoff_for(self, attempt: int) -> float:
        return float(min(self._backoff * 2**attempt, MAX_WAIT_SECONDS))

    async def _wait_turn(self) -> None:
        while (left := self._resume_at - self._monotonic()) > 0:
            await self._sleep(left)


async def _json(resp: aiohttp.ClientResponse) -> dict[str, Any]:
    if resp.status == 204:
        return {}
    try:
        data = await resp.json(content_type=None)
    except (ValueError, aiohttp.ContentTypeError):
        return {}
    return data if isinstance(data, dict) else {}


def _error_of(body: Mapping[str, Any], status: int) -> tuple[str, str]:
    error = body.get("error")
    if isinstance(error, dict):
        message = str(error.get("message") or "").strip().splitlines()
        return str(error.get("code") or f"HTTP {status}"), message[0] if message else ""
    return f"HTTP {status}", ""


def graph_client(
    creds: GraphCredentials, base_url: str = DEFAULT_GRAPH_URL, **options: Any
) -> GraphClient:
    return GraphClient(base_url, msal_tokens(creds), **options)
