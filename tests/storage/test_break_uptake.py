"""Break uptake as digests read it: the team's local weeks that a UTC ISO week spans, and only
for a team with enough people taking part to say nothing about any one of them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.breaks import BreakSettings, week_bounds
from bot.domain.digest import build_group_digest
from bot.domain.digest_present import digest_card
from bot.domain.messages import Platform
from bot.domain.org import period_window
from bot.domain.team import BreakDefaults, Team
from bot.storage.breaks import SqlBreakStore
from bot.storage.db import create_engine_async, session_factory
from tests.support.break_presses import prompt_sent
from tests.support.digest_variants import INSTRUMENT, PERIODS, figures

PEOPLE = frozenset(f"U{i}" for i in range(6))
NOW = datetime(2027, 6, 1, tzinfo=UTC)


def _team(tz: str, **extra: object) -> Team:
    return Team(
        tz.split("/")[-1].lower(),
        tz,
        Platform.SLACK,
        tz,
        PEOPLE,
        frozenset({"L"}),
        5,
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
async def teams() -> dict[str, Team]:
    return {}


@pytest.fixture
async def store(database_url: str, teams: dict[str, Team]) -> AsyncIterator[SqlBreakStore]:
    engine = create_engine_async(database_url)
    yield SqlBreakStore(session_factory(engine), teams.get)
    await engine.dispose()


async def _add(store: SqlBreakStore, team: Team, people: frozenset[str] = PEOPLE) -> None:
    await store.ensure_people(team.id, team.platform, people, NOW)


async def _press(store: SqlBreakStore, team: Team, when: datetime, outcome: str, n: int) -> None:
    week = week_bounds(ZoneInfo(team.timezone), when)
    for i in range(n):
        slot = f"{when.isoformat()}:{i}"
        await prompt_sent(store._engine, team.platform, f"U{i}", slot, when)
        assert await store.acknowledge(team.platform, f"U{i}", slot, outcome, team.id, week, when)


@pytest.mark.parametrize(
    "tz", ["Europe/London", "Asia/Tokyo", "America/New_York"], ids=["london", "tokyo", "new-york"]
)
async def test_local_weeks_reach_the_utc_week_that_spans_them(
    store: SqlBreakStore, teams: dict[str, Team], tz: str
) -> None:
    team = teams.setdefault(_team(tz).id, _team(tz))
    await _add(store, team)
    zone = ZoneInfo(tz)
    # ISO week 2027-W25 (summer time in London and New York), and the weeks either side, each
    # counted at the very start and the very end of the team's own local week.
    for offset, n in ((-1, 1), (0, 3), (1, 2)):
        monday = datetime(2027, 6, 21, tzinfo=zone) + timedelta(weeks=offset)
        await _press(store, team, monday + timedelta(minutes=1), "done", n)
        await _press(store, team, monday + timedelta(days=7, minutes=-1), "skipped", n)
    start, end = period_window("2027-W25")
    assert await store.break_uptake(team.id, start, end) == (0, 3, 3)
    assert await store.break_uptake(team.id, *period_window("2027-W24")) == (0, 1, 1)
    assert await store.break_uptake(team.id, *period_window("2027-W26")) == (0, 2, 2)
    # Two weeks at once, and nothing from a week the window cuts in half.
    assert await store.break_uptake(team.id, start, end + timedelta(days=7)) == (0, 5, 5)
    assert await store.break_uptake(team.id, start, end + timedelta(days=3)) == (0, 3, 3)


async def test_too_few_people_with_breaks_on_release_nothing(
    store: SqlBreakStore, teams: dict[str, Team]
) -> None:
    team = teams.setdefault("london", _team("Europe/London", breaks=BreakDefaults(enabled=False)))
    await _add(store, team)
    when = datetime(2027, 6, 22, 12, tzinfo=UTC)
    await _press(store, team, when, "done", 2)
    window = period_window("2027-W25")
    # Off by default: nobody takes part yet.
    assert await store.break_uptake(team.id, *window) == (0, 0, 0)
    for i in range(4):
        await store.save(BreakSettings("slack", f"U{i}", team.id, enabled=True), NOW)
    assert await store.break_uptake(team.id, *window) == (0, 0, 0)  # four of a minimum of five
    await store.save(BreakSettings("slack", "U4", team.id, enabled=True), NOW)
    assert await store.break_uptake(team.id, *window) == (0, 2, 0)
    # Someone who left the team no longer counts towards the minimum.
    teams["london"] = replace(team, members=PEOPLE - {"U4"})
    assert await store.break_uptake(team.id, *window) == (0, 0, 0)
    # A team the roster does not know releases nothing.
    assert await store.break_uptake("nosuchteam", *window) == (0, 0, 0)


def test_a_withheld_uptake_leaves_no_line_in_the_digest() -> None:
    shown = figures("riverside", PERIODS[-1], True, breaks=(20, 4, 10))
    withheld = figures("riverside", PERIODS[-1], True, breaks=(0, 0, 0))
    for g, expected in ((shown, True), (withheld, False)):
        d = build_group_digest(INSTRUMENT, [g])
        assert d is not None
        assert ("Break prompts" in digest_card(d).fallback) is expected
