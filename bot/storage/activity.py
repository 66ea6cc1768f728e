"""The digest's view of recognition and break prompts over a period, from their own stores."""

from __future__ import annotations

from datetime import datetime

from bot.storage.breaks import SqlBreakStore
from bot.storage.kudos import SqlKudosStore


class SqlPeriodActivity:
    """PeriodActivity: kudos given and break-prompt uptake for one team over [start, end)."""

    def __init__(self, kudos: SqlKudosStore, breaks: SqlBreakStore) -> None:
        self._kudos = kudos
        self._breaks = breaks

    async def kudos_count(self, team_id: str, start: datetime, end: datetime) -> int:
        return await self._kudos.kudos_count(team_id, start, end)

    async def break_uptake(
        self, team_id: str, start: datetime, end: datetime
    ) -> tuple[int, int, int]:
        return await self._breaks.break_uptake(team_id, start, end)
