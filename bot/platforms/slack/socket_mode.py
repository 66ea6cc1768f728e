"""Slack without a public URL: Socket Mode, for networks that take no inbound connections.

Hospital networks rarely let anything in. With an app-level token (SLACK_APP_TOKEN, `xapp-…`,
scope `connections:write`) Respite opens a WebSocket to Slack itself (`apps.connections.open`
names the address) and Slack sends every slash command, interaction and event over it as an
envelope, which Respite acknowledges over the same socket. The bolt app and its listeners are the
ones the HTTP route serves (`bot.platforms.slack.app.build_slack_app`); slack-bolt's own
`AsyncSocketModeHandler` carries the envelopes to it. This module adds what the HTTP route does
around bolt, and what a connection that lives for hours needs:

- There is no signature to check: envelopes arrive over a socket Respite opened with its own
  token. A payload is still checked for the shape its kind needs before bolt routes it, and one
  that cannot be read gets the answer the HTTP route gives it (`SlackApp.unreadable`).
- Every envelope is acknowledged, as an HTTP request always gets a status. Bolt's adapter sends
  nothing for what no listener takes (bolt answers 404), and Slack sends an envelope again until
  it is acknowledged.
- The acks come within Slack's 3 seconds for the same reasons as over HTTP: command and button
  listeners ack and leave their work to `InFlight`, a view submission has its budget
  (`submission_budget`).
- slack_sdk reconnects on its own: at Slack's `disconnect` notice (Slack refreshes every
  connection every few hours, and before its servers restart), when the socket closes, and when
  pings go unanswered for four ping intervals. A watcher notes when the socket went down and came
  back, for the log and for /healthz (`status`).
- Stopping waits, for at most 3 seconds, for the envelopes being handled to be acknowledged, then
  closes the socket; the work they left to `InFlight` is drained afterwards, with the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.adapter.socket_mode.async_internals import send_async_response
from slack_bolt.adapter.socket_mode.internals import build_headers
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.platforms.slack.app import SlackApp, payload_problem
from bot.platforms.startup import Finding, StartupCheck, Verdict

log = logging.getLogger(__name__)

# How often slack_sdk pings Slack; a socket silent for four of these is replaced.
PING_SECONDS = 10.0

# How long the socket may be down before /healthz answers 503. A refresh at Slack's request
# takes well under a second, and slack_sdk retries a failed connection every ping interval, so a
# minute is several tries: past it something lasting stands between Respite and Slack (a proxy
# or firewall rule, a revoked token, an outage), which is what a health check should report.
GRACE_SECONDS = 60.0

# Slack's deadline for an envelope's ack; also how long stopping waits for the acks in hand.
ACK_SECONDS = 3.0

# How often the watcher looks at the connection.
WATCH_SECONDS = 1.0

# slack_sdk logs each envelope in full at DEBUG: its loggers are capped (bot.app.logs).
SOCKET_LOGGER = "slack_sdk.socket_mode.aiohttp"


class _OneLineRetries(logging.Filter):
    """slack_sdk logs every failed try to open the socket (one each ping interval, for as long as
    Slack is out of reach) with a traceback and the address, whose ticket admits a connection.
    One line naming the error says as much; the watcher logs when the socket is lost and back."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and str(record.msg).startswith("Failed to connect"):
            error = record.exc_info[1]
            status = getattr(error, "status", None)
            record.msg = "Slack: could not open the Socket Mode connection (%s%s); retrying"
            record.args = (type(error).__name__, f" {status}" if status else "")
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


_socket_log = logging.getLogger(SOCKET_LOGGER)
_socket_log.addFilter(_OneLineRetries())


@dataclass(frozen=True, slots=True)
class SocketStatus:
    # "connecting" (not yet connected since start), "connected", "disconnected", "stopped"
    state: str
    # Seconds since the socket was last known to be up (0 while connected).
    down_seconds: float
    # False once it has been down longer than the grace period.
    healthy: bool


class _Handler(AsyncSocketModeHandler):
    """Bolt's Socket Mode handler with the HTTP route's checks before bolt, an ack for every
    envelope, and a record of the envelopes being handled."""

    def __init__(self, app: SlackApp, app_token: str, ping_interval: float) -> None:
        super().__init__(
            app,
            app_token,
            logger=_socket_log,
            web_client=app.client,
            ping_interval=ping_interval,
        )
        self.slack_app = app
        self.in_hand: set[asyncio.Task[Any]] = set()

    async def handle(self, client: AsyncBaseSocketModeClient, req: SocketModeRequest) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.in_hand.add(task)
        try:
            await self._handle(client, req)
        except Exception:
            # Unacknowledged, Slack would send it again, to fail the same way.
            log.exception("Slack: a %s envelope could not be handled; acknowledged", req.type)
            with contextlib.suppress(Exception):
                await _ack(client, req.envelope_id)
        finally:
            if task is not None:
                self.in_hand.discard(task)

    async def _handle(self, client: AsyncBaseSocketModeClient, req: SocketModeRequest) -> None:
        start = time.time()
        body = req.payload
        try:
            bolt_request = AsyncBoltRequest(
                mode="socket_mode", body=body, headers=build_headers(req)
            )
        except Exception as exc:
            # Bolt reads ids out of the payload as it builds the request, trusting their shape.
            await self._answer_unreadable(client, req, type(exc).__name__)
            return
        reason = payload_problem(body)
        if reason is not None:
            await self._answer_unreadable(client, req, reason)
            return
        bolt_response = await self.slack_app.async_dispatch(bolt_request)
        if bolt_response.status == 200:
            await send_async_response(client, req, bolt_response, start)
            return
        # Nothing took it (bolt's 404) or a listener failed: acknowledged all the same, since
        # Slack would only send it again.
        log.info(
            "Slack: acknowledged a %s envelope the app did not take (%d)",
            req.type,
            bolt_response.status,
        )
        await _ack(client, req.envelope_id)

    async def _answer_unreadable(
        self, client: AsyncBaseSocketModeClient, req: SocketModeRequest, reason: str
    ) -> None:
        """The HTTP route's answer to a payload it cannot read, as the envelope's ack."""
        response = self.slack_app.unreadable(req.payload, reason)
        payload: dict[str, Any] | None = None
        if response.status == 200 and response.body and req.accepts_response_payload:
            assert isinstance(response.body, bytes)
            payload = json.loads(response.body)
        await _ack(client, req.envelope_id, payload)


async def _ack(
    socket: AsyncBaseSocketModeClient, envelope_id: str, payload: Mapping[str, Any] | None = None
) -> None:
    response = SocketModeResponse(
        envelope_id=envelope_id, payload=dict(payload) if payload else None
    )
    await socket.send_socket_mode_response(response)


class SlackSocket:
    """One Socket Mode connection for the process: started beside the web app, stopped before
    the platforms' HTTP sessions close."""

    def __init__(
        self,
        app: SlackApp,
        app_token: str,
        *,
        ping_interval: float = PING_SECONDS,
        grace_seconds: float = GRACE_SECONDS,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self._app_token = app_token
        self.ping_interval = ping_interval
        self.grace_seconds = grace_seconds
        self._now = now
        self._handler: _Handler | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._ever_connected = False
        self._up = False
        self._down_since = now()
        self._stopped = False

    @property
    def client(self) -> SocketModeClient | None:
        return self._handler.client if self._handler is not None else None

    @property
    def envelopes_in_hand(self) -> int:
        """Envelopes being handled, their acks not yet sent."""
        return len(self._handler.in_hand) if self._handler is not None else 0

    async def start(self) -> None:
        """Connect in the background: the web app and the scheduler do not wait for Slack."""
        if self._handler is not None or self._stopped:
            return
        self._handler = _Handler(self.app, self._app_token, self.ping_interval)
        self._down_since = self._now()
        self._connecting = asyncio.create_task(self._connect(), name="slack socket connect")
        self._watcher = asyncio.create_task(self._watch(), name="slack socket watcher")

    async def _connect(self) -> None:
        assert self._handler is not None
        try:
            # slack_sdk tries again every ping interval until it connects or is closed.
            await self._handler.connect_async()  # type: ignore[no-untyped-call]
        except Exception:
            log.exception("Slack: gave up opening the Socket Mode connection; /healthz says so")

    async def _watch(self) -> None:
        while True:
            try:
                await self.status()
            except Exception:
                log.exception("Slack: could not tell whether the Socket Mode connection is up")
            await asyncio.sleep(WATCH_SECONDS)

    async def _is_connected(self) -> bool:
        socket = self.client
        if socket is None or self._stopped:
            return False
        connected: bool = await socket.is_connected()
        return connected

    async def status(self) -> SocketStatus:
        now = self._now()
        connected = await self._is_connected()
        if connected and not self._up:
            if self._ever_connected:
                log.info("Slack: Socket Mode connection back after %.0f s", now - self._down_since)
            else:
                log.info("Slack: connected in Socket Mode")
            self._ever_connected = True
        elif self._up and not connected and not self._stopped:
            log.warning("Slack: Socket Mode connection lost; reconnecting")
            self._down_since = now
        self._up = connected
        if self._stopped:
            state = "stopped"
        elif connected:
            state = "connected"
        else:
            state = "disconnected" if self._ever_connected else "connecting"
        down = 0.0 if connected else max(0.0, now - self._down_since)
        return SocketStatus(state, down, connected or down <= self.grace_seconds)

    async def stop(self) -> None:
        """Let the envelopes in hand be acknowledged (up to Slack's 3 s), then close."""
        if self._stopped:
            return
        self._stopped = True
        for task in (self._watcher, self._connecting):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        handler = self._handler
        if handler is None:
            return
        if handler.in_hand:
            await asyncio.wait(set(handler.in_hand), timeout=ACK_SECONDS)
        await handler.close_async()  # type: ignore[no-untyped-call]
        log.info("Slack: Socket Mode connection closed")


def app_token_check(client: AsyncWebClient, app_token: str) -> StartupCheck:
    """Does Slack accept SLACK_APP_TOKEN? `apps.connections.open` is the one method it serves;
    the address it answers with is left unused (Slack lets it lapse)."""

    async def check() -> Finding:
        try:
            await client.apps_connections_open(app_token=app_token)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            if exc.response is not None and exc.response.status_code >= 500:
                return Finding(
                    Verdict.UNREACHABLE, f"Slack: apps.connections.open failed ({error})"
                )
            return Finding(
                Verdict.REFUSED,
                f"SLACK_APP_TOKEN: Slack refused it ({error or 'no reason given'}); generate an "
                "app-level token (xapp-…) with the connections:write scope under Basic "
                "Information -> App-Level Tokens, and turn Socket Mode on for the app",
            )
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return Finding(
                Verdict.UNREACHABLE,
                f"Slack: cannot reach {client.base_url} to check SLACK_APP_TOKEN "
                f"({type(exc).__name__})",
            )
        return Finding(Verdict.OK, "Slack: Socket Mode accepts SLACK_APP_TOKEN")

    return check
