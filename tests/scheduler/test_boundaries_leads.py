"""Department and organisation leads get their digests inside working hours too."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from bot.config import parse_roster
from bot.domain.directory import RosterDirectory
from bot.domain.messages import Platform, Recipient
from bot.storage.breaks import SqlBreakStore
from bot.storage.db import create_engine_async, session_factory
from scheduler.boundaries import WorkBoundaries

ROSTER = Path(__file__).parents[1] / "data" / "rosters" / "department.yaml"
SATURDAY_NOON = datetime(2026, 12, 5, 12, tzinfo=UTC)
MONDAY_NOON = datetime(2026, 12, 7, 12, tzinfo=UTC)


@pytest.fixture
async def boundaries(database_url: str) -> AsyncIterator[WorkBoundaries]:
    roster = parse_roster(yaml.safe_load(ROSTER.read_text()))
    engine = create_engine_async(database_url)
    directory = RosterDirectory(roster.team_list)
    store = SqlBreakStore(session_factory(engine), directory.team)
    yield WorkBoundaries(directory, store, None, roster.org_chart)
    await engine.dispose()


@pytest.mark.parametrize("lead", ["UDEPT01", "UORG001", "ULEADA1"])
async def test_leads_outside_any_team_are_held_at_the_weekend(
    boundaries: WorkBoundaries, lead: str
) -> None:
    to = Recipient(Platform.SLACK, user_id=lead)
    hold = await boundaries.hold(to, SATURDAY_NOON)
    assert hold is not None and hold.until > SATURDAY_NOON
    assert await boundaries.hold(to, MONDAY_NOON) is None


async def test_a_stranger_is_not_held(boundaries: WorkBoundaries) -> None:
    assert (
        await boundaries.hold(Recipient(Platform.SLACK, user_id="UNKNOWN"), SATURDAY_NOON) is None
    )
