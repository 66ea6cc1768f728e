"""The digest's view of recognition and break prompts over a period, from their own stores.

Freezing a period asks for every team's counts over the same window, one team at a time; each
window is read once for all teams (two or three queries, not two per team) and kept briefly.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from datetime import datetime

from bot.domain.messages import Platform
from bot.storage.breaks import SqlBreakStore
from bot.storage.kudos import SqlKudosStore

Window = tuple[datetime, datetime]

# Long enough for one freeze pass, short enough that a later pass reads fresh counts.
CACHE_SECONDS = 30.0


class SqlPeriodActivity:
    """PeriodActivity: kudos given, break-prompt uptake and the people it was prompted to, for
    one team over [start, end)."""

    def __init__(self, kudos: SqlKudosStore, breaks: SqlBreakStore) -> None:
        self._kudos_store = kudos
        self._breaks_store = breaks
        self._kudos: dict[Window, tuple[float, dict[str, int]]] = {}
        self._breaks: dict[Window, tuple[float, dict[str, tuple[int, int, int]]]] = {}
        self._prompted: dict[Window, tuple[float, dict[str, int]]] = {}

    async def kudos_count(self, team_id: str, start: datetime, end: datetime) -> int:
        cached = self._kudos.get((start, end))
        if cached is None or time.monotonic() - cached[0] > CACHE_SECONDS:
            cached = (time.monotonic(), await self._kudos_store.kudos_counts(start, end))
            self._kudos = {(start, end): cached}
        return cached[1].get(team_id, 0)

    async def break_uptake(
        self, team_id: str, start: datetime, end: datetime
    ) -> tuple[int, int, int]:
        cached = self._breaks.get((start, end))
        if cached is None or time.monotonic() - cached[0] > CACHE_SECONDS:
            cached = (time.monotonic(), await self._breaks_store.break_uptakes(start, end))
            self._breaks = {(start, end): cached}
        return cached[1].get(team_id, (0, 0, 0))

    async def people_prompted(
        self,
        team_id: str,
        start: datetime,
        end: datetime,
        besides: Collection[tuple[Platform, str]] = (),
    ) -> int:
        cached = self._prompted.get((start, end))
        if cached is None or time.monotonic() - cached[0] > CACHE_SECONDS:
            counts = await self._breaks_store.people_prompted_counts(start, end)
            cached = (time.monotonic(), counts)
            self._prompted = {(start, end): cached}
        among = await self._breaks_store.prompted_among(team_id, start, end, besides)
        return cached[1].get(team_id, 0) - among
