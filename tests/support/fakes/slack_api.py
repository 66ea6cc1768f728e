"""A fake Slack Web API: a real HTTP server on 127.0.0.1 that records every call.

The bot's AsyncWebClient is pointed at it through SLACK_API_URL, so requests go through
slack_sdk's real serialisation, retry handlers and error handling.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from aiohttp.test_utils import TestServer

Responder = Callable[[dict[str, Any]], dict[str, Any]]

TEAM_ID = "T0001"
# The bot's own user and bot ids, as auth.test reports them.
BOT_USER = "UBOT"
BOT_ID = "BBOT"
SLACKBOT = "USLACKBOT"


def slack_user(
    user_id: str,
    *,
    name: str | None = None,
    is_bot: bool = False,
    is_app_user: bool = False,
    deleted: bool = False,
    bot_id: str | None = None,
) -> dict[str, Any]:
    """A user object shaped like users.info's (api.slack.com/methods/users.info). Slackbot is
    not `is_bot`; a bot user's profile names its bot id; a deactivated account is `deleted`."""
    name = name or user_id.lower()
    profile: dict[str, Any] = {
        "real_name": name,
        "display_name": name,
        "real_name_normalized": name,
        "display_name_normalized": name,
        "team": TEAM_ID,
    }
    if bot_id:
        profile.update(bot_id=bot_id, api_app_id="A" + bot_id[1:], always_active=True)
    return {
        "id": user_id,
        "team_id": TEAM_ID,
        "name": name,
        "deleted": deleted,
        "real_name": name,
        "profile": profile,
        "is_admin": False,
        "is_owner": False,
        "is_primary_owner": False,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": is_bot,
        "is_app_user": is_app_user,
        "updated": 1700000000,
    }


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    headers: dict[str, str]


@dataclass
class Scripted:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class FakeSlackApi:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.responders: dict[str, Responder] = {}
        # A method whose calls are recorded on arrival but answered only once its event is set.
        self.holds: dict[str, asyncio.Event] = {}
        self._scripted: dict[str, list[Scripted]] = {}
        self._ts = itertools.count(1)
        self.users: dict[str, dict[str, Any]] = {}
        self.channel_members: dict[str, list[str]] = {}
        self.usergroups: dict[str, list[str]] = {}
        # A person's scheduled quiet hours (start, end): all dnd.info and dnd.teamInfo tell a
        # bot about someone else (a manual snooze is shown only to the person themselves).
        self.dnd: dict[str, tuple[datetime, datetime]] = {}
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        app.router.add_post("/response/{token}", self._response_url)
        app.router.add_post("/upload/{file_id}", self._upload)
        self.responses: list[dict[str, Any]] = []
        # Posts received per response_url token, and how many Slack would accept (it accepts
        # five within 30 minutes); None accepts them all.
        self.response_posts: dict[str, int] = {}
        self.response_limit: int | None = None
        # Files uploaded through files upload v2: file id -> bytes received at the upload URL.
        self.uploads: dict[str, bytes] = {}
        self.pending_files: dict[str, dict[str, Any]] = {}
        self._server = TestServer(app, host="127.0.0.1")

        # OAuth: the grant each code stands for (oauth.v2.access), and the installation each
        # issued bot token belongs to (auth.test answers for it).
        self.grants: dict[str, dict[str, Any]] = {}
        self.grants_by_token: dict[str, dict[str, Any]] = {}

    def grant(
        self,
        code: str,
        *,
        team_id: str | None,
        enterprise_id: str | None = None,
        bot_token: str,
        installer: str = "U0001",
    ) -> dict[str, Any]:
        """What oauth.v2.access answers for `code`: a workspace install (team_id, with the org's
        enterprise_id inside an Enterprise Grid org), or an org-wide one (team_id None).

        Shaped like the examples at api.slack.com/methods/oauth.v2.access ("Example response"
        and its Enterprise Grid org-wide install variant: `team` null, `is_enterprise_install`).
        """
        org = team_id is None
        body: dict[str, Any] = {
            "ok": True,
            "app_id": "A0KRD7HC3",
            "authed_user": {"id": installer},
            "scope": "chat:write,commands,users:read,channels:read,groups:read,usergroups:read,"
            "dnd:read,files:write",
            "token_type": "bot",
            "access_token": bot_token,
            "bot_user_id": f"UBOT{(team_id or enterprise_id or '')[1:]}",
            "team": None if org else {"name": f"Workspace {team_id}", "id": team_id},
            "enterprise": {"name": f"Org {enterprise_id}", "id": enterprise_id}
            if enterprise_id
            else None,
            "is_enterprise_install": org,
        }
        self.grants[code] = body
        self.grants_by_token[bot_token] = body
        return body

    async def start(self) -> None:
        await self._server.start_server()

    async def close(self) -> None:
        await self._server.close()

    @property
    def url(self) -> str:
        return str(self._server.make_url("/api/"))

    def response_url(self, token: str = "r1") -> str:
        """A response_url for a payload; posts to it land in `self.responses`."""
        return str(self._server.make_url(f"/response/{token}"))

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        if file_id not in self.pending_files:
            return web.Response(status=404, text="unknown upload")
        self.uploads[file_id] = await request.read()
        return web.Response(text=f"OK - {len(self.uploads[file_id])}")

    async def _response_url(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        self.response_posts[token] = self.response_posts.get(token, 0) + 1
        if self.response_limit is not None and self.response_posts[token] > self.response_limit:
            return web.Response(status=404, text="used_url")
        self.responses.append(await request.json())
        return web.Response(text="ok")

    def script(
        self,
        method: str,
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `method` with this status and body."""
        self._scripted.setdefault(method, []).extend(
            Scripted(status, body, headers or {}) for _ in range(times)
        )

    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def _last_token(self) -> str:
        """The bearer token of the call being answered."""
        auth = self.calls[-1].headers.get("Authorization", "") if self.calls else ""
        return auth.removeprefix("Bearer ")

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        raw = await request.text()
        if request.content_type == "application/json" and raw:
            params: dict[str, Any] = json.loads(raw)
        else:
            params = dict(parse_qsl(raw, keep_blank_values=True))
            params.update(request.query)
        for key in ("blocks", "view", "attachments", "files"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        self.calls.append(Call(method, params, dict(request.headers)))
        if method in self.holds:
            await self.holds[method].wait()
        return self._answer(method, params)

    def _answer(self, method: str, params: dict[str, Any]) -> web.Response:
        queue = self._scripted.get(method)
        if queue:
            scripted = queue.pop(0)
            return web.json_response(
                scripted.body, status=scripted.status, headers=scripted.headers
            )
        responder = self.responders.get(method) or getattr(
            self, "_" + method.replace(".", "_"), None
        )
        body = responder(params) if responder else {"ok": True}
        return web.json_response(body)

    # Default behaviour of the methods Respite uses.
    def _oauth_v2_access(self, params: dict[str, Any]) -> dict[str, Any]:
        grant = self.grants.pop(str(params.get("code")), None)
        return grant or {"ok": False, "error": "invalid_code"}

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        grant = self.grants_by_token.get(self._last_token())
        if grant is not None:
            team = grant["team"] or {}
            enterprise = grant["enterprise"] or {}
            return {
                "ok": True,
                "url": "https://test.example/",
                "team": team.get("name") or enterprise.get("name"),
                "user": "respite",
                "team_id": team.get("id") or enterprise.get("id"),
                "user_id": grant["bot_user_id"],
                "bot_id": "B" + grant["bot_user_id"][1:],
                "enterprise_id": enterprise.get("id"),
                "is_enterprise_install": grant["is_enterprise_install"],
            }
        return {
            "ok": True,
            "user_id": "UBOT",
            "bot_id": "BBOT",
            "team_id": "T0001",
            "team": "Test clinic",
            "url": "https://test.example/",
        }

    def _chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "channel": params.get("channel"),
            "ts": f"1700000000.{next(self._ts):06d}",
        }

    def _chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "message_ts": f"1700000000.{next(self._ts):06d}"}

    def _chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "view": {"id": f"V{next(self._ts)}", **(params.get("view") or {})}}

    def _views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "view": {"id": params.get("view_id"), **(params.get("view") or {})}}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = str(params.get("user"))
        user = self.users.get(user_id) or self._known_user(user_id)
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}

    def _known_user(self, user_id: str) -> dict[str, Any] | None:
        """users.info for someone not in `users`: the bot itself (auth.test's user), Slackbot,
        or a channel or user group member, who is a person."""
        if user_id == BOT_USER:
            return slack_user(user_id, name="respite", is_bot=True, bot_id=BOT_ID)
        if user_id == SLACKBOT:
            return slack_user(user_id, name="slackbot")
        listed = itertools.chain(*self.channel_members.values(), *self.usergroups.values())
        if user_id in listed:
            return slack_user(user_id)
        return None

    def add_person(self, user_id: str, **fields: Any) -> None:
        self.users[user_id] = slack_user(user_id, **fields)

    def add_bot(self, user_id: str, bot_id: str, *, app_user: bool = False) -> None:
        """Another app's bot user (`app_user`: a user an app acts as, not a bot user)."""
        self.users[user_id] = slack_user(
            user_id, is_bot=not app_user, is_app_user=app_user, bot_id=bot_id
        )

    def deactivate(self, user_id: str) -> None:
        """A deactivated account: users.info still answers, with `deleted` true."""
        user = self.users.get(user_id) or slack_user(user_id)
        self.users[user_id] = {**user, "deleted": True}

    def _conversations_members(self, params: dict[str, Any]) -> dict[str, Any]:
        members = self.channel_members.get(str(params.get("channel")))
        if members is None:
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "members": members, "response_metadata": {"next_cursor": ""}}

    def _usergroups_users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        users = self.usergroups.get(str(params.get("usergroup")))
        if users is None:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": users}

    def _dnd_of(self, user_id: str) -> dict[str, Any]:
        quiet = self.dnd.get(user_id)
        if quiet is None:
            return {"dnd_enabled": False, "next_dnd_start_ts": 1, "next_dnd_end_ts": 1}
        start, end = quiet
        return {
            "dnd_enabled": True,
            "next_dnd_start_ts": int(start.timestamp()),
            "next_dnd_end_ts": int(end.timestamp()),
        }

    def _dnd_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, **self._dnd_of(str(params.get("user")))}

    def _dnd_teamInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        users = [u for u in str(params.get("users", "")).split(",") if u]
        if not users or len(users) > 50:
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True, "users": {u: self._dnd_of(u) for u in users}}

    def _files_getUploadURLExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("filename") or not params.get("length"):
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._ts):08d}"
        self.pending_files[file_id] = dict(params)
        return {
            "ok": True,
            "file_id": file_id,
            "upload_url": str(self._server.make_url(f"/upload/{file_id}")),
        }

    def _files_completeUploadExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        files = params.get("files") or []
        out = []
        for f in files:
            if f["id"] not in self.uploads:
                return {"ok": False, "error": "file_not_found"}
            meta = self.pending_files[f["id"]]
            out.append(
                {
                    "id": f["id"],
                    "title": f.get("title"),
                    "name": meta.get("filename"),
                    "alt_txt": meta.get("alt_txt"),
                    "size": len(self.uploads[f["id"]]),
                    "channels": [params.get("channel_id")] if params.get("channel_id") else [],
                }
            )
        return {"ok": True, "files": out}
