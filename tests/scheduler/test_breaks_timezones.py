"""Time zones are learned from the platform a batch per tick, the lookups side by side."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.domain.directory import RosterDirectory
from bot.domain.messages import Platform
from bot.domain.team import Team
from bot.storage.breaks import SqlBreakStore
from bot.storage.db import create_engine_async, session_factory
from scheduler.breaks import TIMEZONE_CONCURRENCY, TIMEZONE_LOOKUPS_PER_TICK, BreakTicker

NOW = datetime(2026, 11, 30, 9, tzinfo=UTC)
PEOPLE = [f"U{i:03d}" for i in range(TIMEZONE_LOOKUPS_PER_TICK + 5)]


class SlowProfiles:
    """users.info-like answers that take a moment each; records how many were asked at once."""

    def __init__(self) -> None:
        self.asking = self.most_at_once = 0
        self.asked: list[str] = []

    async def timezone(self, user_id: str) -> str | None:
        self.asking += 1
        self.most_at_once = max(self.most_at_once, self.asking)
        await asyncio.sleep(0.01)
        self.asking -= 1
        self.asked.append(user_id)
        if user_id == "U000":
            raise TimeoutError  # one failed lookup does not stop the others
        return "Asia/Tokyo" if user_id == "U001" else "America/New_York"


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlBreakStore]:
    engine = create_engine_async(database_url)
    team = Team("t", "T", Platform.SLACK, "Europe/London", frozenset(PEOPLE), frozenset(), 5)
    store = SqlBreakStore(session_factory(engine), RosterDirectory([team]).team)
    await store.ensure_people("t", Platform.SLACK, PEOPLE, NOW)
    yield store
    await engine.dispose()


async def test_lookups_run_side_by_side_and_each_answer_is_kept(store: SqlBreakStore) -> None:
    profiles = SlowProfiles()
    ticker = BreakTicker(store, timezones={Platform.SLACK: profiles})
    await ticker.resolve_timezones(NOW)
    assert len(profiles.asked) == TIMEZONE_LOOKUPS_PER_TICK
    assert profiles.most_at_once == TIMEZONE_CONCURRENCY
    await ticker.resolve_timezones(NOW)  # the rest, next tick
    assert sorted(profiles.asked) == PEOPLE
    assert await store.pending_timezones(100) == []
    zones = {u: (await store.get(Platform.SLACK, u)) for u in ("U000", "U001", "U002")}
    assert {u: s.timezone if s else None for u, s in zones.items()} == {
        "U000": None,  # the lookup failed: the team's zone applies
        "U001": "Asia/Tokyo",
        "U002": "America/New_York",
    }
