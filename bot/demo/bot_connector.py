"""A stand-in Bot Framework connector: a real HTTP server on 127.0.0.1 that records every call.

`respite demo` tells its Teams story through it, and the tests drive Teams with it, so both
exercise the same fake. Activities sent to the bot carry this server's URL as their `serviceUrl`,
so the bot's replies, card updates, deletes, created conversations and roster reads go through
the SDK's real client and land here. `script` makes the next calls of one kind fail with a
status (429, 412, 502, 504...) to exercise retries.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class ConnectorCall:
    kind: str  # send, reply, update, delete, create, members, member
    conversation_id: str
    activity_id: str | None
    body: dict[str, Any]
    headers: dict[str, str]
    response_id: str | None = None


@dataclass
class Scripted:
    status: int
    headers: dict[str, str] = field(default_factory=dict)


class FakeConnector:
    def __init__(self) -> None:
        self.calls: list[ConnectorCall] = []
        self.team_members: dict[str, list[dict[str, Any]]] = {}
        # The roster of any conversation not named in team_members (the demo's single team).
        self.members: list[dict[str, Any]] = []
        self._scripted: dict[str, list[Scripted]] = {}
        self._ids = itertools.count(1)
        app = web.Application()
        conv = "/v3/conversations/{cid:[^/]+}"
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post(conv + "/activities", self._send)
        app.router.add_post(conv + "/activities/{aid:[^/]+}", self._reply)
        app.router.add_put(conv + "/activities/{aid:[^/]+}", self._update)
        app.router.add_delete(conv + "/activities/{aid:[^/]+}", self._delete)
        app.router.add_get(conv + "/pagedmembers", self._paged_members)
        app.router.add_get(conv + "/members/{mid:[^/]+}", self._member)
        self._server = TestServer(app, host="127.0.0.1")

    async def start(self) -> None:
        # No access log: its lines are Microsoft's side of the wire, not Respite's logs.
        await self._server.start_server(access_log=None)

    async def close(self) -> None:
        await self._server.close()

    @property
    def url(self) -> str:
        return str(self._server.make_url("/"))

    def script(self, kind: str, status: int, times: int = 1, **headers: str) -> None:
        """Answer the next `times` calls of `kind` with `status`."""
        self._scripted.setdefault(kind, []).extend(
            Scripted(status, dict(headers)) for _ in range(times)
        )

    def of(self, *kinds: str) -> list[ConnectorCall]:
        return [c for c in self.calls if c.kind in kinds]

    def cards(self, *kinds: str) -> list[dict[str, Any]]:
        """The Adaptive Cards in the recorded activities of these kinds, in order."""
        found = []
        for call in self.of(*(kinds or ("send", "reply", "update"))):
            for attachment in call.body.get("attachments") or []:
                if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
                    found.append(attachment["content"])
        return found

    async def _record(self, kind: str, request: web.Request) -> web.Response | None:
        body: dict[str, Any] = await request.json() if request.can_read_body else {}
        self.calls.append(
            ConnectorCall(
                kind,
                request.match_info.get("cid", ""),
                request.match_info.get("aid"),
                body,
                dict(request.headers),
            )
        )
        queue = self._scripted.get(kind)
        if queue:
            scripted = queue.pop(0)
            return web.json_response(
                {"error": {"code": "Throttled", "message": f"scripted {scripted.status}"}},
                status=scripted.status,
                headers=scripted.headers,
            )
        return None

    async def _posted(self, kind: str, request: web.Request) -> web.Response:
        failed = await self._record(kind, request)
        if failed:
            return failed
        new_id = f"act-{next(self._ids)}"
        self.calls[-1].response_id = new_id
        return web.json_response({"id": new_id})

    async def _send(self, request: web.Request) -> web.Response:
        return await self._posted("send", request)

    async def _reply(self, request: web.Request) -> web.Response:
        return await self._posted("reply", request)

    async def _update(self, request: web.Request) -> web.Response:
        return await self._record("update", request) or web.json_response(
            {"id": request.match_info["aid"]}
        )

    async def _delete(self, request: web.Request) -> web.Response:
        return await self._record("delete", request) or web.Response(status=200)

    async def _create(self, request: web.Request) -> web.Response:
        failed = await self._record("create", request)
        if failed:
            return failed
        n = next(self._ids)
        self.calls[-1].response_id = f"a:created-{n}"
        return web.json_response(
            {"id": f"a:created-{n}", "activityId": f"act-{n}", "serviceUrl": self.url}, status=201
        )

    async def _paged_members(self, request: web.Request) -> web.Response:
        failed = await self._record("members", request)
        if failed:
            return failed
        members = self.team_members.get(request.match_info["cid"], self.members)
        return web.json_response({"members": members})

    async def _member(self, request: web.Request) -> web.Response:
        failed = await self._record("member", request)
        if failed:
            return failed
        for members in (*self.team_members.values(), self.members):
            for member in members:
                if member["id"] == request.match_info["mid"]:
                    return web.json_response(member)
        return web.json_response({"error": {"code": "NotFound"}}, status=404)
