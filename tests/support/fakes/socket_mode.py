"""A fake of Slack's Socket Mode endpoint: a real WebSocket server on 127.0.0.1.

It speaks the protocol of api.slack.com/apis/socket-mode: `apps.connections.open` on the fake Web
API (with the app-level token) answers with a single-use `ws://` address; a connection opened
there is greeted with `hello`; envelopes (slash_commands, interactive, events_api) carry payloads
shaped like the captured ones in tests/data/slack; each must be acknowledged with its
`envelope_id` within 3 seconds, and the ack may carry a response payload; a `disconnect`
envelope asks the client to open a new connection. The bot talks to it through slack_sdk's real
Socket Mode client, so reconnection and acknowledgement are theirs, not a stand-in's.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer

from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.slack_driver import load

# Slack's deadline for an envelope's ack.
ACK_DEADLINE_SECONDS = 3.0
APP_ID = "A123456"
APP_TOKEN = "xapp-1-A123456-1111111111111-0123456789abcdef"


@dataclass
class Ack:
    envelope_id: str
    kind: str
    # The ack's response payload (a slash command's message, a view submission's answer).
    payload: dict[str, Any] | None
    # From sending the envelope to reading its ack, on this side of the socket.
    seconds: float
    # Which connection (0 = the first) the ack came over.
    connection: int


@dataclass
class Connection:
    index: int
    ws: web.WebSocketResponse
    # Texts received that are not acks of an envelope sent on it.
    stray: list[str] = field(default_factory=list)
    # True: pings go unanswered, as when a proxy or NAT on the way has silently dropped the
    # connection while the client's end still looks open.
    silent: bool = False
    closed: asyncio.Event = field(default_factory=asyncio.Event)


class FakeSocketMode:
    def __init__(self, api: FakeSlackApi) -> None:
        self.api = api
        api.responders["apps.connections.open"] = self._connections_open
        self.connections: list[Connection] = []
        # Addresses handed out and not used yet: each admits one connection, as Slack's do.
        self._tickets: set[str] = set()
        self._ids = itertools.count(1)
        self._waiting: dict[str, tuple[str, float, asyncio.Future[Ack]]] = {}
        self.acks: list[Ack] = []
        # Answers from this server to an address used twice or never handed out.
        self.refused = 0
        # False: connections are refused (503) as in an outage, and addresses stay unused.
        self.accepting = True
        app = web.Application()
        app.router.add_get("/link/", self._link)
        self._server = TestServer(app, host="127.0.0.1")

    async def start(self) -> None:
        await self._server.start_server()

    async def close(self) -> None:
        for conn in self.connections:
            await conn.ws.close()
        await self._server.close()

    # apps.connections.open, on the fake Web API.
    def _connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        ticket = uuid.uuid4().hex
        self._tickets.add(ticket)
        url = self._server.make_url("/link/").with_query(ticket=ticket, app_id=APP_ID)
        return {"ok": True, "url": str(url)}

    def opened_with(self) -> list[str]:
        """The Authorization header of every apps.connections.open call."""
        return [
            c.headers.get("Authorization", "") for c in self.api.called("apps.connections.open")
        ]

    async def _link(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if not self.accepting:
            return web.Response(status=503, text="service_unavailable")
        if ticket not in self._tickets:
            self.refused += 1
            return web.Response(status=401, text="invalid_ticket")
        self._tickets.discard(ticket)
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        conn = Connection(len(self.connections), ws)
        self.connections.append(conn)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": sum(not c.ws.closed for c in self.connections),
                "debug_info": {
                    "host": "applink-fake",
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": APP_ID},
            }
        )
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._received(conn, message.data)
                elif message.type == WSMsgType.PING and not conn.silent:
                    await ws.pong(message.data)
        finally:
            conn.closed.set()
        return ws

    def _received(self, conn: Connection, text: str) -> None:
        try:
            data = json.loads(text)
        except ValueError:
            conn.stray.append(text)
            return
        envelope_id = data.get("envelope_id") if isinstance(data, dict) else None
        waiting = self._waiting.pop(str(envelope_id), None)
        if waiting is None:
            # An ack of nothing sent, or a second ack of one envelope.
            conn.stray.append(text)
            return
        kind, sent, future = waiting
        ack = Ack(str(envelope_id), kind, data.get("payload"), time.monotonic() - sent, conn.index)
        self.acks.append(ack)
        if not future.done():
            future.set_result(ack)

    @property
    def current(self) -> Connection:
        """The newest open connection."""
        for conn in reversed(self.connections):
            if not conn.ws.closed:
                return conn
        raise AssertionError("no open Socket Mode connection")

    async def wait_for_connections(self, count: int, within: float = 15.0) -> Connection:
        """Wait until `count` connections have been opened; the newest open one."""
        deadline = time.monotonic() + within
        while len(self.connections) < count or all(c.ws.closed for c in self.connections):
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{len(self.connections)} Socket Mode connection(s), expected {count}"
                )
            await asyncio.sleep(0.01)
        return self.current

    async def send(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool = False,
        retry_attempt: int = 0,
    ) -> Ack:
        """Send one envelope on the newest connection; its ack, which must come within 3 s."""
        envelope_id = f"{uuid.uuid4()}-{next(self._ids)}"
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if kind == "events_api":
            envelope.update(retry_attempt=retry_attempt, retry_reason="")
        future: asyncio.Future[Ack] = asyncio.get_running_loop().create_future()
        self._waiting[envelope_id] = (kind, time.monotonic(), future)
        await self.current.ws.send_json(envelope)
        try:
            return await asyncio.wait_for(future, ACK_DEADLINE_SECONDS)
        except TimeoutError:
            self._waiting.pop(envelope_id, None)
            raise AssertionError(
                f"{kind} envelope {envelope_id} not acknowledged within {ACK_DEADLINE_SECONDS:g} s"
            ) from None

    async def slash(self, fields: dict[str, Any]) -> Ack:
        return await self.send("slash_commands", fields, accepts_response_payload=True)

    async def interactive(self, payload: dict[str, Any]) -> Ack:
        # Slack takes a response payload in the ack of a view submission only.
        answers = payload.get("type") == "view_submission"
        return await self.send("interactive", payload, accepts_response_payload=answers)

    async def event(self, payload: dict[str, Any]) -> Ack:
        return await self.send("events_api", payload)

    async def disconnect(self, reason: str = "refresh_requested") -> Connection:
        """Slack's notice that this connection is going away; the connection it went to."""
        conn = self.current
        await conn.ws.send_json(
            {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}}
        )
        return conn

    def silence(self) -> Connection:
        """Stop answering the newest connection's pings, as a connection lost on the way."""
        conn = self.current
        conn.silent = True
        return conn

    async def drop(self) -> Connection:
        """Close the newest connection from Slack's side without notice."""
        conn = self.current
        await conn.ws.close()
        return conn


def slash_command(
    command: str, text: str, user_id: str, response_url: str, trigger_id: str
) -> dict[str, Any]:
    """A slash_commands envelope's payload: the form fields of tests/data/slack, as JSON."""
    fields = load("slash_command.json")
    fields.update(
        command=command,
        text=text,
        user_id=user_id,
        response_url=response_url,
        trigger_id=trigger_id,
    )
    return fields


def button_press(action_id: str, value: str, user_id: str, response_url: str) -> dict[str, Any]:
    payload = load("block_actions.json")
    payload["user"]["id"] = user_id
    payload["actions"][0].update(action_id=action_id, value=value)
    payload["response_url"] = response_url
    return payload


def view_submission(view: dict[str, Any], values: dict[str, str], user_id: str) -> dict[str, Any]:
    """Submitting a modal the bot opened with radio buttons chosen by block id (-> value)."""
    payload = load("view_submission.json")
    payload["user"]["id"] = user_id
    state: dict[str, dict[str, Any]] = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input" or block["element"]["type"] != "radio_buttons":
            continue
        element = block["element"]
        chosen = values.get(block["block_id"])
        option = next((o for o in element["options"] if o["value"] == chosen), None)
        state[block["block_id"]] = {
            element["action_id"]: {"type": "radio_buttons", "selected_option": option}
        }
    payload["view"].update(
        id=view.get("id", payload["view"]["id"]),
        callback_id=view.get("callback_id", ""),
        private_metadata=view.get("private_metadata", ""),
        blocks=view.get("blocks", []),
        state={"values": state},
    )
    return payload


def event_callback(event_type: str, user_id: str) -> dict[str, Any]:
    """An events_api envelope's payload (tests/data/slack/event_callback.json)."""
    payload = load("event_callback.json")
    payload["event"].update(type=event_type, user=user_id)
    return payload
