"""A break prompt as the outbox holds it once sent: what a Done or Skip press is checked against."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.messages import Platform, Recipient
from bot.storage.tables import outbox


def prompt_key(platform: Platform, user_id: str, slot: str) -> str:
    return f"break:{Recipient(platform, user_id=user_id).key}:{slot}"


async def prompt_sent(
    engine: AsyncEngine,
    platform: Platform,
    user_id: str,
    slot: str,
    at: datetime,
    status: str = "sent",
) -> None:
    """An outbox row of a break prompt to `user_id` for `slot`, sent (or left in `status`) at
    `at`."""
    async with engine.begin() as conn:
        await conn.execute(
            insert(outbox).values(
                key=prompt_key(platform, user_id, slot),
                platform=platform.value,
                recipient={"platform": platform.value, "user_id": user_id, "channel_id": None},
                card={"title": "Time for a short break"},
                status=status,
                attempts=1,
                not_before=at,
                created_at=at,
                sent_at=at if status == "sent" else None,
            )
        )
