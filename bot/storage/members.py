"""Members synced from a Slack channel or user group, kept so every process sees the same roster."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.messages import Platform
from bot.storage.tables import team_members


class SqlMemberSync:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def replace(
        self, team_id: str, platform: Platform, user_ids: Iterable[str], when: datetime
    ) -> None:
        rows = [
            {"team_id": team_id, "platform": platform.value, "user_id": u, "synced_at": when}
            for u in sorted(set(user_ids))
        ]
        async with self._sessions.begin() as s:
            await s.execute(delete(team_members).where(team_members.c.team_id == team_id))
            if rows:
                await s.execute(insert(team_members), rows)

    async def load(self) -> dict[str, set[str]]:
        async with self._sessions() as s:
            rows = await s.execute(select(team_members.c.team_id, team_members.c.user_id))
            result: dict[str, set[str]] = {}
            for team_id, user_id in rows:
                result.setdefault(team_id, set()).add(user_id)
            return result
