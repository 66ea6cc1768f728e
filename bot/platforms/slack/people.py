"""What Slack knows about a person that guards their time: time zone and Do Not Disturb."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.language import Languages
from bot.domain.messages import Platform
from bot.platforms.slack.installations import NotInstalled, WorkspaceTokens

log = logging.getLogger(__name__)

# When Slack says DND is on but not until when, look again after this long.
UNKNOWN_DND_END = timedelta(minutes=30)
# People per dnd.teamInfo call (Slack's documented maximum).
TEAM_INFO_USERS = 50


class SlackPeople:
    """The TimezoneLookup (users.info `tz`) and DoNotDisturb (dnd.teamInfo, dnd.info) ports.

    DND answers are cached for a minute per person, so a burst of messages to one person costs
    one API call. The outbox worker asks about a whole batch of recipients first (`prefetch`), 50
    people a dnd.teamInfo call; dnd.info, one person a call, is only for anyone that missed. For
    anyone but the caller both report the same: scheduled quiet hours (a manual snooze is never
    shown to another user), and dnd.teamInfo's limit (Tier 2, 20+ calls a minute) covers twenty
    times the people of dnd.info's (Tier 3, 50+) at 50 a call.

    Installed through OAuth (`tokens`), each person is asked about with their workspace's token,
    and dnd.teamInfo asks about one workspace's people at a time. Someone whose workspace has no
    installation is answered as unknown (no time zone, no quiet hours), like a failed call.
    """

    def __init__(
        self,
        client: AsyncWebClient,
        cache_seconds: float = 60.0,
        tokens: WorkspaceTokens | None = None,
        languages: Languages | None = None,
    ) -> None:
        self._client = client
        # users.info also tells the person's Slack language, recorded here (bot.domain.language).
        self._languages = languages
        self._tokens = tokens
        self._cache_for = timedelta(seconds=cache_seconds)
        self._dnd: dict[str, tuple[datetime, datetime | None]] = {}

    async def _auth(self, user_id: str) -> dict[str, Any] | None:
        """The token argument of a call about this person; None when none can be made."""
        if self._tokens is None:
            return {}
        try:
            return {"token": await self._tokens.for_user(user_id)}
        except NotInstalled as exc:
            log.warning("%s", exc)
            return None

    async def timezone(self, user_id: str) -> str | None:
        auth = await self._auth(user_id)
        if auth is None:
            return None
        try:
            resp = await self._client.users_info(**auth, user=user_id, include_locale=True)
        except SlackApiError as exc:
            log.warning("users.info failed: %s", _error(exc))
            return None
        user = resp.get("user") or {}
        if self._languages is not None and user.get("locale"):
            await self._languages.reported(Platform.SLACK, user_id, str(user["locale"]))
        tz = user.get("tz")
        return str(tz) if tz else None

    async def prefetch(self, user_ids: Collection[str], now: datetime) -> None:
        wanted = sorted(u for u in set(user_ids) if not self._known(u, now))
        # One workspace's people a call: a token answers only for its own workspace.
        by_token: dict[str | None, list[str]] = {}
        for user in wanted:
            auth = await self._auth(user)
            if auth is not None:
                by_token.setdefault(auth.get("token"), []).append(user)
        chunks = [
            (token, users[i : i + TEAM_INFO_USERS])
            for token, users in by_token.items()
            for i in range(0, len(users), TEAM_INFO_USERS)
        ]
        await asyncio.gather(*(self._team_info(chunk, now, token) for token, chunk in chunks))

    async def _team_info(self, chunk: list[str], now: datetime, token: str | None) -> None:
        auth = {} if token is None else {"token": token}
        try:
            resp = await self._client.dnd_teamInfo(**auth, users=chunk)
        except Exception as exc:  # an API error, a timeout: these people are asked one by one
            reason = _error(exc) if isinstance(exc, SlackApiError) else type(exc).__name__
            log.warning("dnd.teamInfo failed: %s", reason)
            return
        users = resp.get("users") or {}
        for user_id in chunk:
            info = users.get(user_id)
            if isinstance(info, dict):
                self._dnd[user_id] = (now + self._cache_for, dnd_end(info, now))

    def _known(self, user_id: str, now: datetime) -> bool:
        cached = self._dnd.get(user_id)
        return cached is not None and cached[0] > now

    async def until(self, user_id: str, now: datetime) -> datetime | None:
        if self._known(user_id, now):
            return self._dnd[user_id][1]
        auth = await self._auth(user_id)
        if auth is None:
            return None
        try:
            resp = await self._client.dnd_info(**auth, user=user_id)
        except SlackApiError as exc:
            log.warning("dnd.info failed: %s", _error(exc))
            return None
        result = dnd_end(dict(resp.data) if isinstance(resp.data, dict) else {}, now)
        self._dnd[user_id] = (now + self._cache_for, result)
        return result


def dnd_end(info: dict[str, object], now: datetime) -> datetime | None:
    """When Do Not Disturb ends, from a dnd.info answer; None when it is off now."""

    def stamp(key: str) -> datetime | None:
        value = info.get(key)
        if isinstance(value, int | float) and value > 0:
            return datetime.fromtimestamp(float(value), UTC)
        return None

    if info.get("snooze_enabled"):
        end = stamp("snooze_endtime")
        return end if end and end > now else now + UNKNOWN_DND_END
    if info.get("dnd_enabled"):
        start, end = stamp("next_dnd_start_ts"), stamp("next_dnd_end_ts")
        if start and end and start <= now < end:
            return end
    return None


def _error(exc: SlackApiError) -> str:
    data = exc.response.data
    return str(data.get("error", "error")) if isinstance(data, dict) else "error"
