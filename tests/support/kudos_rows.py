"""Kudos rows for the store's tests: two givers under one key, and a kudos named or anonymous."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from bot.domain.kudos import Giver, GiverKey, Kudos, giver
from bot.domain.messages import Platform

KEY = GiverKey(b"s" * 32)


NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


ANA = giver(KEY, Platform.SLACK, "U001")


BEN = giver(KEY, Platform.SLACK, "U002")


def a_kudos(who: Giver, anonymous: bool, at: datetime = NOW) -> Kudos:
    kudos_id = secrets.token_hex(6)
    return Kudos(
        id=kudos_id,
        team_id="riverside",
        platform=Platform.SLACK,
        recipients=("U003",),
        category="support",
        message="thank you",
        anonymous=anonymous,
        giver_id=None if anonymous else who.user_id,
        giver_tag=KEY.tag(kudos_id, Platform.SLACK, who.user_id) if anonymous else None,
        created_at=at.replace(minute=0) if anonymous else at,
        channel_id="C1",
    )
