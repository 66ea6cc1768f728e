"""A fake Microsoft Graph v1.0: a real HTTP server on 127.0.0.1 that records every call.

It answers what Respite asks of Graph, shaped as Graph answers it: the org's Teams app catalog
(filtered by externalId), a user's installed apps (POST to install, 409 when installed already,
GET filtered by the app's externalId with teamsApp expanded, and an installation's personal
chat), and an Entra group's transitive user members (paged with @odata.nextLink). A request needs
the bearer token Entra granted, and each endpoint the application permission Graph asks for:
without it, 403 with Graph's error body. `throttle` and `fail` make the next calls of one kind
answer 429 with Retry-After, or 503/504.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

INSTALL = "TeamsAppInstallation.ReadWriteSelfForUser.All"
CATALOG = "AppCatalog.Read.All"
MEMBERS = "GroupMember.Read.All"
USERS = "User.Read.All"
ALL_PERMISSIONS = frozenset({INSTALL, CATALOG, MEMBERS, USERS})

_EXTERNAL_ID = re.compile(r"externalId eq '((?:[^']|'')*)'$")


@dataclass
class GraphUser:
    id: str
    account_enabled: bool = True
    user_type: str = "Member"
    teams: bool = True  # licensed for Teams: apps can be installed for them


@dataclass
class GraphCall:
    kind: str  # catalog, install, installed, chat, members
    method: str
    path: str
    query: dict[str, str]
    status: int
    body: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Scripted:
    status: int
    headers: dict[str, str]


class FakeGraph:
    def __init__(self, token: str, app_external_id: str) -> None:
        self.token = token
        self.catalog_id = "a1b2c3d4-0000-4000-8000-0000000000ca"
        # external id (the manifest's id) -> catalog id; the org's catalog holds Respite.
        self.catalog: dict[str, str] = {app_external_id: self.catalog_id}
        self.users: dict[str, GraphUser] = {}
        self.groups: dict[str, list[str]] = {}
        self.granted: set[str] = set(ALL_PERMISSIONS)
        self.page_size = 100
        self.installations: dict[str, str] = {}  # user -> installation id
        self.calls: list[GraphCall] = []
        self._scripted: dict[str, list[_Scripted]] = {}
        self._ids = itertools.count(1)
        self.latency = 0.0  # seconds before each answer, for benchmarks
        app = web.Application(middlewares=[self._slow])
        app.router.add_get("/v1.0/appCatalogs/teamsApps", self._catalog)
        apps = "/v1.0/users/{user}/teamwork/installedApps"
        app.router.add_post(apps, self._install)
        app.router.add_get(apps, self._installed)
        app.router.add_get(apps + "/{installation}/chat", self._chat)
        app.router.add_get(
            "/v1.0/groups/{group}/transitiveMembers/microsoft.graph.user", self._members
        )
        self._server = TestServer(app, host="127.0.0.1")

    async def start(self) -> None:
        await self._server.start_server()

    async def close(self) -> None:
        await self._server.close()

    @property
    def url(self) -> str:
        return str(self._server.make_url("/v1.0"))

    @web.middleware
    async def _slow(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if self.latency:
            await asyncio.sleep(self.latency)
        return await handler(request)

    def add_users(self, *users: GraphUser) -> None:
        for user in users:
            self.users[user.id] = user

    def chat_id(self, user: str) -> str:
        """The personal chat Teams creates when the app is installed for `user`."""
        return f"19:{user}_bot@unq.gbl.spaces"

    def throttle(self, kind: str, retry_after: str = "1", times: int = 1, after: int = 0) -> None:
        """Answer 429 to `times` calls of `kind`, after `after` calls answered as usual."""
        script = self._scripted.setdefault(kind, [])
        script.extend(_Scripted(0, {}) for _ in range(after))
        script.extend(_Scripted(429, {"Retry-After": retry_after}) for _ in range(times))

    def fail(self, kind: str, status: int = 503, times: int = 1) -> None:
        self._scripted.setdefault(kind, []).extend(_Scripted(status, {}) for _ in range(times))

    def of(self, *kinds: str) -> list[GraphCall]:
        return [c for c in self.calls if c.kind in kinds]

    def _gate(self, kind: str, request: web.Request, permission: str) -> web.Response | None:
        query = dict(request.query)
        path = request.path
        scripted = self._scripted.get(kind)
        answer: web.Response | None = None
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            answer = _error(401, "InvalidAuthenticationToken", "Access token validation failure.")
        elif scripted and scripted[0].status == 0:
            scripted.pop(0)  # this one is answered as usual
            return self._gate(kind, request, permission)
        elif scripted:
            step = scripted.pop(0)
            answer = _error(
                step.status,
                "TooManyRequests" if step.status == 429 else "ServiceUnavailable",
                "Too many requests" if step.status == 429 else "Service unavailable",
                step.headers,
            )
        elif permission not in self.granted:
            answer = _error(
                403,
                "Forbidden" if permission in (INSTALL, CATALOG) else "Authorization_RequestDenied",
                f"Missing role permissions on the request. API requires one of '{permission}'. "
                "Roles on the request ''.",
            )
        if answer is not None:
            self.calls.append(GraphCall(kind, request.method, path, query, answer.status))
        return answer

    def _done(self, kind: str, request: web.Request, resp: web.Response) -> web.Response:
        self.calls.append(
            GraphCall(kind, request.method, request.path, dict(request.query), resp.status)
        )
        return resp

    async def _catalog(self, request: web.Request) -> web.Response:
        if refused := self._gate("catalog", request, CATALOG):
            return refused
        match = _EXTERNAL_ID.search(request.query.get("$filter", ""))
        wanted = match.group(1).replace("''", "'") if match else None
        value = [
            {"id": cid, "externalId": ext, "displayName": "Respite", "distributionMethod": "org"}
            for ext, cid in self.catalog.items()
            if wanted is None or ext == wanted
        ]
        return self._done("catalog", request, web.json_response({"value": value}))

    def _user(self, request: web.Request) -> GraphUser | None:
        user = self.users.get(request.match_info["user"])
        return user if user is not None and user.teams else None

    async def _install(self, request: web.Request) -> web.Response:
        if refused := self._gate("install", request, INSTALL):
            return refused
        body = await request.json()
        bind = str(body.get("teamsApp@odata.bind", ""))
        catalog_id = bind.rsplit("/appCatalogs/teamsApps/", 1)[-1]
        if "/appCatalogs/teamsApps/" not in bind or catalog_id not in self.catalog.values():
            resp = _error(400, "BadRequest", f"Invalid bind property {bind!r}")
            return self._done("install", request, resp)
        user = self._user(request)
        if user is None:
            return self._done("install", request, _error(404, "NotFound", "User not found"))
        if user.id in self.installations:
            resp = _error(409, "Conflict", "App is already installed.")
            return self._done("install", request, resp)
        self.installations[user.id] = f"inst-{next(self._ids)}-{user.id}"
        return self._done("install", request, web.Response(status=201))

    async def _installed(self, request: web.Request) -> web.Response:
        if refused := self._gate("installed", request, INSTALL):
            return refused
        user = self._user(request)
        if user is None:
            return self._done("installed", request, _error(404, "NotFound", "User not found"))
        match = _EXTERNAL_ID.search(request.query.get("$filter", ""))
        wanted = match.group(1).replace("''", "'") if match else None
        value = []
        if user.id in self.installations:
            for ext, cid in self.catalog.items():
                if wanted is None or ext == wanted:
                    item: dict[str, Any] = {"id": self.installations[user.id]}
                    if request.query.get("$expand") == "teamsApp":
                        item["teamsApp"] = {"id": cid, "externalId": ext, "displayName": "Respite"}
                    value.append(item)
        return self._done("installed", request, web.json_response({"value": value}))

    async def _chat(self, request: web.Request) -> web.Response:
        if refused := self._gate("chat", request, INSTALL):
            return refused
        user = self._user(request)
        installation = request.match_info["installation"]
        if user is None or self.installations.get(user.id) != installation:
            return self._done("chat", request, _error(404, "NotFound", "Installation not found"))
        chat = {"id": self.chat_id(user.id), "chatType": "oneOnOne", "topic": None}
        return self._done("chat", request, web.json_response(chat))

    async def _members(self, request: web.Request) -> web.Response:
        if refused := self._gate("members", request, MEMBERS):
            return refused
        group = self.groups.get(request.match_info["group"])
        if group is None:
            resp = _error(404, "Request_ResourceNotFound", "Resource does not exist.")
            return self._done("members", request, resp)
        top = min(int(request.query.get("$top", "100")), self.page_size)
        skip = int(request.query.get("$skiptoken", "0"))
        page = group[skip : skip + top]
        value = []
        for uid in page:
            user = self.users.get(uid, GraphUser(uid))
            item: dict[str, Any] = {"@odata.type": "#microsoft.graph.user", "id": uid}
            if USERS in self.granted:
                item.update(accountEnabled=user.account_enabled, userType=user.user_type)
            value.append(item)
        body: dict[str, Any] = {"value": value}
        if skip + top < len(group):
            query = {k: v for k, v in request.query.items() if k != "$skiptoken"}
            query["$skiptoken"] = str(skip + top)
            body["@odata.nextLink"] = str(request.url.with_query(query))
        return self._done("members", request, web.json_response(body))


def _error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response(
        {"error": {"code": code, "message": message, "innerError": {"request-id": "0"}}},
        status=status,
        headers=headers,
    )
