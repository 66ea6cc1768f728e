"""One Slack app in several workspaces, or across an Enterprise Grid org, installed through OAuth.

With SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET set, an admin of each workspace
(or of the org) installs Respite at /slack/install; bolt's OAuth flow exchanges Slack's code at
oauth.v2.access and slack_sdk's SQLAlchemy stores keep each installation's bot token in Respite's
own database (tables from migration 0020). Each roster team names its workspace (`slack_team_id`)
or, for an org-wide install, its org (`enterprise_id`); every call made for the team's people and
channels carries that installation's token, looked up once and then cached.

An uninstalled workspace, or one whose bot token was revoked, has no installation any more: what
is still queued for it fails with a reason (`NotInstalled` becomes a permanent delivery failure)
instead of being retried for ever.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import uuid4

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.sqlalchemy_utils import normalize_datetime_for_db
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore

from bot.domain.messages import Platform, Recipient
from bot.domain.ports import Directory
from bot.domain.team import MemberSource, Team
from bot.infra.seal import TextSeal

log = logging.getLogger(__name__)

_Entity = TypeVar("_Entity", Installation, Bot)

# The bot scopes an install asks for: deploy/slack/manifest.yaml's (a test keeps them equal).
BOT_SCOPES = (
    "chat:write",
    "commands",
    "users:read",
    "channels:read",
    "groups:read",
    "usergroups:read",
    "dnd:read",
    "files:write",
)
# How long a workspace's bot token is used before the database is asked again. An uninstall,
# a revocation or a new install forgets it at once; this only bounds a change made elsewhere
# (another Respite process on the same database).
TOKEN_CACHE_SECONDS = 300.0
# How long an admin has between opening /slack/install and coming back from Slack.
STATE_SECONDS = 600

Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Workspace:
    """Where an installation lives: a workspace (T…), one inside an Enterprise Grid org (E… and
    T…), or a whole org (E… alone: an org-wide install)."""

    team_id: str | None
    enterprise_id: str | None = None

    @property
    def org_wide(self) -> bool:
        return self.team_id is None and self.enterprise_id is not None

    def __str__(self) -> str:
        return " ".join(x for x in (self.enterprise_id, self.team_id) if x) or "unnamed"


class NotInstalled(Exception):
    """No installation holds a bot token for where a call must go."""


def workspace_of(team_id: str | None, enterprise_id: str | None) -> Workspace | None:
    """The workspace a roster team names, if it names one."""
    if team_id is None and enterprise_id is None:
        return None
    return Workspace(team_id, enterprise_id)


# Token fields of an Installation or a Bot, sealed at rest.
TOKEN_FIELDS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
_TOKEN_INFO = b"respite slack tokens v1\x00"


def token_seal(secret: bytes) -> TextSeal:
    """The seal of Slack tokens at rest, bound to (enterprise id, team id; "" for none)."""
    return TextSeal(secret, _TOKEN_INFO, "tok1:", pad=1)


class Installations(AsyncSQLAlchemyInstallationStore):
    """slack_sdk's installation store on Respite's database, telling the token cache of changes.

    Tokens are sealed at rest under a key derived from RESPITE_SECRET and bound to their
    workspace (bot/infra/seal.py): a backup without the secret holds no token that can act as
    Respite. Unpadded, since tokens' lengths say nothing and the columns hold 200 characters.
    """

    def __init__(self, client_id: str, engine: Any, secret: bytes) -> None:
        super().__init__(client_id=client_id, engine=engine, logger=log)
        self.changed: list[Callable[[Workspace], None]] = []
        self._seal = token_seal(secret)

    @staticmethod
    def _where(entity: Installation | Bot) -> tuple[str, str]:
        org_wide = bool(entity.is_enterprise_install)
        return entity.enterprise_id or "", "" if org_wide else entity.team_id or ""

    def _sealed(self, entity: _Entity) -> _Entity:
        sealed = copy.copy(entity)
        for name in TOKEN_FIELDS:
            value = getattr(sealed, name, None)
            if value and not self._seal.is_sealed(value):
                setattr(sealed, name, self._seal.seal(value, *self._where(entity)))
        return sealed

    def _opened(self, entity: _Entity | None) -> _Entity | None:
        if entity is None:
            return None
        for name in TOKEN_FIELDS:
            value = getattr(entity, name, None)
            if value:
                # A token that does not open (another secret) reads as none: not installed.
                setattr(entity, name, self._seal.open(value, *self._where(entity)))
        return entity

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        bot: Bot | None = await super().async_find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        return self._opened(bot)

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        found: Installation | None = await super().async_find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )
        return self._opened(found)

    def _tell(self, enterprise_id: str | None, team_id: str | None, org_wide: bool) -> None:
        where = Workspace(None if org_wide else team_id, enterprise_id)
        for listener in self.changed:
            listener(where)

    async def async_save(self, installation: Installation) -> None:
        await super().async_save(self._sealed(installation))
        self._tell(
            installation.enterprise_id, installation.team_id, installation.is_enterprise_install
        )

    async def async_save_bot(self, bot: Bot) -> None:
        await super().async_save_bot(self._sealed(bot))
        self._tell(bot.enterprise_id, bot.team_id, bot.is_enterprise_install)

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await super().async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        self._tell(enterprise_id, team_id, team_id is None)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        await super().async_delete_installation(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
        )
        self._tell(enterprise_id, team_id, team_id is None)


class SignedStates(AsyncSQLAlchemyOAuthStateStore):
    """One-use OAuth states, each carrying a MAC under SLACK_STATE_SECRET.

    A state this deployment did not issue (guessed, or from another app) is refused before the
    database is asked; one it issued is still consumed from the database, once, before it expires.
    """

    def __init__(self, secret: bytes, engine: Any, expiration_seconds: int = STATE_SECONDS) -> None:
        super().__init__(expiration_seconds=expiration_seconds, engine=engine, logger=log)
        self._secret = secret

    def _mac(self, nonce: str) -> str:
        return hmac.new(self._secret, nonce.encode(), hashlib.sha256).hexdigest()[:32]

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        nonce = str(uuid4())
        state = f"{nonce}.{self._mac(nonce)}"
        expire_at = normalize_datetime_for_db(
            datetime.now(UTC) + timedelta(seconds=self.expiration_seconds)
        )
        async with self.engine.begin() as conn:
            await conn.execute(self.oauth_states.insert(), {"state": state, "expire_at": expire_at})
        return state

    async def async_consume(self, state: str) -> bool:
        nonce, _, mac = state.partition(".")
        if not nonce or not hmac.compare_digest(mac.encode(), self._mac(nonce).encode()):
            log.warning("Slack OAuth: refused a state this deployment did not issue")
            return False
        consumed: bool = await super().async_consume(state)
        return consumed


class WorkspaceTokens:
    """The bot token for each call, from the installation of the workspace it is meant for.

    A person's workspace is their roster team's; a channel's is the team's that syncs members
    from it or posts kudos to it. Someone no team lists (a lead of no team, say) is reached
    through the only workspace the roster names, when it names just one.
    """

    def __init__(
        self,
        store: Installations,
        workspaces: Mapping[str, Workspace],
        directory: Directory,
        cache_seconds: float = TOKEN_CACHE_SECONDS,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._workspaces = dict(workspaces)
        self._directory = directory
        self._cache_for = cache_seconds
        self._now = now
        # workspace -> (monotonic time the token stands until, token)
        self._tokens: dict[Workspace, tuple[float, str]] = {}
        store.changed.append(self.forget)

    def forget(self, workspace: Workspace) -> None:
        """Drop a cached token: the workspace's, every workspace of an org when it is the org."""
        for known in list(self._tokens):
            if (
                known == workspace
                or (workspace.team_id is not None and known.team_id == workspace.team_id)
                or (workspace.org_wide and known.enterprise_id == workspace.enterprise_id)
            ):
                del self._tokens[known]

    async def token(self, workspace: Workspace) -> str:
        cached = self._tokens.get(workspace)
        if cached is not None and cached[0] > self._now():
            return cached[1]
        bot = await self._find(workspace)
        if bot is None or not bot.bot_token:
            raise NotInstalled(f"Respite is not installed in Slack workspace {workspace}")
        self._tokens[workspace] = (self._now() + self._cache_for, bot.bot_token)
        return bot.bot_token

    async def _find(self, workspace: Workspace) -> Bot | None:
        store = self._store
        bot: Bot | None = await store.async_find_bot(
            enterprise_id=workspace.enterprise_id,
            team_id=workspace.team_id,
            is_enterprise_install=workspace.org_wide,
        )
        if bot is None and workspace.enterprise_id and workspace.team_id:
            # A workspace of an org the app was installed in org-wide.
            bot = await store.async_find_bot(
                enterprise_id=workspace.enterprise_id, team_id=None, is_enterprise_install=True
            )
        return bot

    async def for_recipient(self, recipient: Recipient) -> str:
        if recipient.user_id is not None:
            return await self.for_user(recipient.user_id)
        assert recipient.channel_id is not None
        return await self.token(self._of_channel(recipient.channel_id))

    async def for_user(self, user_id: str) -> str:
        return await self.token(self._of_user(user_id))

    async def for_source(self, source: MemberSource) -> str:
        teams = [t for t in self._slack_teams() if t.members_from == source]
        return await self.token(self._of_teams(teams, f"{source.kind} {source.id}"))

    def _slack_teams(self) -> list[Team]:
        return [t for t in self._directory.teams() if t.platform == Platform.SLACK]

    def _of_user(self, user_id: str) -> Workspace:
        team = self._directory.team_of(Platform.SLACK, user_id)
        teams = [team] if team is not None else list(self._directory.teams_led_by(
            Platform.SLACK, user_id
        ))  # fmt: skip
        return self._of_teams(teams, user_id)

    def _of_channel(self, channel_id: str) -> Workspace:
        teams = [
            t
            for t in self._slack_teams()
            if t.kudos_channel == channel_id
            or (t.members_from is not None and t.members_from.id == channel_id)
        ]
        return self._of_teams(teams, channel_id)

    def _of_teams(self, teams: list[Team], what: str) -> Workspace:
        named = {self._workspaces[t.id] for t in teams if t.id in self._workspaces}
        if not named:
            named = set(self._workspaces.values())
        if len(named) != 1:
            raise NotInstalled(f"no roster team names the Slack workspace of {what}")
        return named.pop()


@dataclass(frozen=True)
class OAuthInstall:
    """What the app and the adapter share in OAuth mode."""

    settings: AsyncOAuthSettings
    store: Installations
    tokens: WorkspaceTokens


def oauth_install(
    *,
    client_id: str,
    client_secret: str,
    state_secret: str,
    secret: bytes,
    engine: Any,
    workspaces: Mapping[str, Workspace],
    directory: Directory,
) -> OAuthInstall:
    """Bolt's OAuth settings over stores on Respite's database (an AsyncEngine, SQLite or
    PostgreSQL), and the token lookup that sends through them."""
    store = Installations(client_id, engine, secret)
    settings = AsyncOAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        installation_store=store,
        installation_store_bot_only=True,
        state_store=SignedStates(state_secret.encode(), engine),
        state_expiration_seconds=STATE_SECONDS,
        logger=log,
    )
    return OAuthInstall(settings, store, WorkspaceTokens(store, workspaces, directory))


def install_routes(app: AsyncApp) -> dict[str, Route]:
    """GET routes of the install flow: the install page, and Slack's redirect back with a code."""
    flow = app.oauth_flow
    assert flow is not None

    def bolt_request(request: web.Request) -> AsyncBoltRequest:
        return AsyncBoltRequest(body="", query=request.query_string, headers=dict(request.headers))

    async def install(request: web.Request) -> web.StreamResponse:
        return await to_aiohttp_response(await flow.handle_installation(bolt_request(request)))

    async def redirect(request: web.Request) -> web.StreamResponse:
        return await to_aiohttp_response(await flow.handle_callback(bolt_request(request)))

    return {flow.install_path: install, flow.redirect_uri_path: redirect}


async def forget_installation(store: Installations, workspace: Workspace) -> None:
    """An uninstall: every installation and bot token of the workspace (or org) goes."""
    await store.async_delete_all(enterprise_id=workspace.enterprise_id, team_id=workspace.team_id)
    log.warning("Slack: Respite was uninstalled from %s; nothing more is sent there", workspace)


async def revoke_tokens(
    store: Installations, workspace: Workspace, bot_users: list[str], users: list[str]
) -> None:
    """tokens_revoked. With the bot's token (a bot user listed) the workspace's installation goes,
    every row that holds that token; otherwise only the listed people's tokens go."""
    if bot_users:
        await store.async_delete_all(
            enterprise_id=workspace.enterprise_id, team_id=workspace.team_id
        )
        log.warning(
            "Slack: the bot token for %s was revoked; nothing more is sent there", workspace
        )
        return
    for user in users:
        await store.async_delete_installation(
            enterprise_id=workspace.enterprise_id, team_id=workspace.team_id, user_id=user
        )
