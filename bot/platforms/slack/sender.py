"""Sending cards to Slack users and channels, and reading channel or group members."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.messages import Card, Recipient
from bot.domain.ports import DeliveryDeferred, DeliveryFailed, MemberLookupFailed
from bot.domain.team import MemberSource
from bot.platforms.slack.installations import NotInstalled, WorkspaceTokens
from bot.platforms.slack.render import fallback_text, message_blocks

log = logging.getLogger(__name__)

# Errors for which another attempt cannot succeed.
PERMANENT = frozenset(
    {
        "user_not_found",
        "channel_not_found",
        "account_inactive",
        "is_archived",
        "not_in_channel",
        "invalid_auth",
        "not_authed",
        "user_disabled",
        "cannot_dm_bot",
        "messages_tab_disabled",
        "restricted_action",
        "missing_scope",
    }
)


class SlackSender:
    """Messages through one bot token (SLACK_BOT_TOKEN), or, installed through OAuth, through the
    token of the workspace each recipient is in (`tokens`)."""

    def __init__(self, client: AsyncWebClient, tokens: WorkspaceTokens | None = None) -> None:
        self._client = client
        self._tokens = tokens

    async def _auth(self, recipient: Recipient) -> dict[str, Any]:
        """The token argument of a call for this recipient: none with a single token."""
        if self._tokens is None:
            return {}
        try:
            return {"token": await self._tokens.for_recipient(recipient)}
        except NotInstalled as exc:
            raise DeliveryFailed(f"Slack: {exc}") from None

    async def send(self, recipient: Recipient, card: Card) -> str | None:
        channel = recipient.user_id or recipient.channel_id
        assert channel is not None
        auth = await self._auth(recipient)
        try:
            resp = await self._client.chat_postMessage(
                **auth,
                channel=channel,
                text=fallback_text(card),
                blocks=message_blocks(card),
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            raise _translate(exc) from exc
        posted = str(resp.get("channel", channel))
        if card.image is not None:
            await self._attach_image(posted, card, auth)
        return f"{posted}:{resp.get('ts', '')}"

    async def _attach_image(self, channel: str, card: Card, auth: dict[str, Any]) -> None:
        """Upload the card's chart beside the message (files upload v2).

        The message is already delivered and carries the chart's alt text, so a failed upload is
        logged rather than retried: retrying would send the message twice.
        """
        image = card.image
        assert image is not None
        try:
            await self._client.files_upload_v2(
                **auth,
                channel=channel,
                file=image.png,
                filename="respite-trend.png",
                title=image.title or card.title,
                alt_txt=image.alt_text[:1000],
            )
        except (SlackApiError, SlackClientError) as exc:
            log.warning("chart upload failed; the message went without it: %s", exc)

    async def delete(self, recipient: Recipient, ref: str) -> None:
        channel, _, ts = ref.partition(":")
        auth = await self._auth(recipient)
        try:
            await self._client.chat_delete(**auth, channel=channel, ts=ts)
        except SlackApiError as exc:
            if exc.response.get("error") != "message_not_found":
                raise _translate(exc) from exc


def _translate(exc: SlackApiError) -> Exception:
    response = exc.response
    if response.status_code == 429:
        retry_after = float(
            response.headers.get("Retry-After", response.headers.get("retry-after", 30))
        )
        return DeliveryDeferred(retry_after, "rate limited by Slack")
    error = str(response.get("error", "")) if response.data else ""
    if error in PERMANENT:
        return DeliveryFailed(f"Slack: {error}")
    if response.status_code >= 500 or error in (
        "ratelimited",
        "service_unavailable",
        "request_timeout",
        "fatal_error",
    ):
        return DeliveryDeferred(30.0, f"Slack: {error or response.status_code}")
    return DeliveryFailed(f"Slack: {error or response.status_code}")


# users.info is Tier 4 (100+ calls a minute): a few calls at a time stay inside it, and the
# client's rate-limit handler waits out any 429 before this counts as a failure.
USER_INFO_CONCURRENCY = 4
# How long an answer of users.info stands: long enough to serve every team of one sync (a person
# in two synced channels is asked once), short enough that the next daily sync asks again.
USER_INFO_CACHE_SECONDS = 600.0
# Slackbot is in every channel, and users.info does not call it a bot.
SLACKBOT = "USLACKBOT"


class SlackMemberLookup:
    """A channel's or user group's members; of a channel, only people.

    A channel also holds the bot itself, other apps' bot users, deactivated accounts and
    Slackbot: none of them may be invited or counted in a team's headcount, so every channel
    member is looked up with users.info (bounded concurrency, answers cached for a sync). When a
    lookup fails for any reason other than the user not existing, the whole lookup fails, and
    the team keeps its last synced members: no one is dropped for a failed call.
    """

    def __init__(
        self,
        client: AsyncWebClient,
        concurrency: int = USER_INFO_CONCURRENCY,
        cache_seconds: float = USER_INFO_CACHE_SECONDS,
        tokens: WorkspaceTokens | None = None,
    ) -> None:
        self._client = client
        self._tokens = tokens
        self._limit = asyncio.Semaphore(concurrency)
        self._cache_for = cache_seconds
        # user id -> (monotonic time the answer stands until, is a person)
        self._people: dict[str, tuple[float, bool]] = {}

    async def members(self, source: MemberSource) -> set[str]:
        auth: dict[str, Any] = {}
        if self._tokens is not None:
            try:
                auth = {"token": await self._tokens.for_source(source)}
            except NotInstalled as exc:
                raise MemberLookupFailed(str(exc)) from None
        try:
            if source.kind == "usergroup":
                resp = await self._client.usergroups_users_list(**auth, usergroup=source.id)
                group: list[str] = resp.get("users", [])
                return {str(u) for u in group}
            listed = await self._channel_members(source.id, auth)
        except SlackApiError as exc:
            data = exc.response.data
            error = data.get("error") if isinstance(data, dict) else None
            method = (
                "usergroups.users.list" if source.kind == "usergroup" else "conversations.members"
            )
            raise MemberLookupFailed(
                f"{method}: {error or f'HTTP {exc.response.status_code}'}"
            ) from None
        except SlackClientError as exc:
            raise MemberLookupFailed(f"Slack: {type(exc).__name__}") from None
        return await self._people_only(source, listed, auth)

    async def _channel_members(self, channel: str, auth: dict[str, Any]) -> set[str]:
        users: set[str] = set()
        cursor: str | None = None
        while True:
            resp = await self._client.conversations_members(
                **auth, channel=channel, limit=500, cursor=cursor
            )
            page: list[str] = resp.get("members", [])
            users.update(str(u) for u in page)
            cursor = (resp.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return users

    async def _people_only(
        self, source: MemberSource, listed: set[str], auth: dict[str, Any]
    ) -> set[str]:
        now = time.monotonic()
        candidates = sorted(listed - {SLACKBOT})
        wanted = [u for u in candidates if not self._fresh(u, now)]
        answers = await asyncio.gather(*(self._is_person(u, auth) for u in wanted))
        failed: dict[str, int] = {}
        for user, answer in zip(wanted, answers, strict=True):
            if isinstance(answer, bool):
                self._people[user] = (now + self._cache_for, answer)
            else:
                failed[answer] = failed.get(answer, 0) + 1
        if failed:
            reasons = ", ".join(f"{reason} x{n}" for reason, n in sorted(failed.items()))
            raise MemberLookupFailed(
                f"users.info failed for {sum(failed.values())} of {len(candidates)} members of "
                f"{source.kind} {source.id} ({reasons})"
            )
        return {u for u in candidates if self._people[u][1]}

    def _fresh(self, user_id: str, now: float) -> bool:
        cached = self._people.get(user_id)
        return cached is not None and cached[0] > now

    async def _is_person(self, user_id: str, auth: dict[str, Any]) -> bool | str:
        """Whether the user is a person with an active account; else why it is not known."""
        async with self._limit:
            try:
                resp = await self._client.users_info(**auth, user=user_id)
            except SlackApiError as exc:
                data = exc.response.data
                error = str(data.get("error", "")) if isinstance(data, dict) else ""
                if error == "user_not_found":
                    return False
                return error or f"HTTP {exc.response.status_code}"
            except Exception as exc:  # a timeout, a dropped connection: not known, not dropped
                return type(exc).__name__
        user = resp.get("user")
        if not isinstance(user, dict):
            return "no user in the answer"
        return not (
            user.get("is_bot")
            or user.get("is_app_user")
            or user.get("deleted")
            or user.get("id") == SLACKBOT
        )
