"""Sending cards to Slack users and channels, and reading channel or group members."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.messages import Card, Recipient
from bot.domain.ports import DeliveryDeferred, DeliveryFailed
from bot.domain.team import MemberSource
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
    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def send(self, recipient: Recipient, card: Card) -> str | None:
        channel = recipient.user_id or recipient.channel_id
        assert channel is not None
        try:
            resp = await self._client.chat_postMessage(
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
            await self._attach_image(posted, card)
        return f"{posted}:{resp.get('ts', '')}"

    async def _attach_image(self, channel: str, card: Card) -> None:
        """Upload the card's chart beside the message (files upload v2).

        The message is already delivered and carries the chart's alt text, so a failed upload is
        logged rather than retried: retrying would send the message twice.
        """
        image = card.image
        assert image is not None
        try:
            await self._client.files_upload_v2(
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
        try:
            await self._client.chat_delete(channel=channel, ts=ts)
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


class SlackMemberLookup:
    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def members(self, source: MemberSource) -> set[str]:
        if source.kind == "usergroup":
            resp = await self._client.usergroups_users_list(usergroup=source.id)
            group: list[str] = resp.get("users", [])
            return {str(u) for u in group}
        users: set[str] = set()
        cursor: str | None = None
        while True:
            resp = await self._client.conversations_members(
                channel=source.id, limit=500, cursor=cursor
            )
            page: list[str] = resp.get("members", [])
            users.update(str(u) for u in page)
            cursor = (resp.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return users
