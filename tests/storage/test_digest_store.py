"""Frozen period figures on both backends: written once, never recomputed."""

from __future__ import annotations

from bot.clock import FixedClock
from bot.config import Settings, parse_roster
from bot.domain.org import period_of
from bot.main import build
from handlers.digests import all_digests, group_digest
from scheduler.digest_jobs import freeze_due
from tests.conftest import MONDAY
from tests.rounds_helper import roster, run_week

SIZES = {"riverside": 8, "lighthouse": 7, "harbour": 6, "delta": 9}
BEFORE = roster(
    [
        {"id": "adult", "name": "Adult", "teams": ["riverside", "lighthouse", "harbour"]},
        {"id": "child", "name": "Child", "teams": ["delta"]},
    ],
    SIZES,
)
# Riverside moves from Adult to Child after the first period.
AFTER = roster(
    [
        {"id": "adult", "name": "Adult", "teams": ["lighthouse", "harbour"]},
        {"id": "child", "name": "Child", "teams": ["delta", "riverside"]},
    ],
    SIZES,
)
ANSWERING = {"riverside": 7, "lighthouse": 6, "harbour": 6, "delta": 8}


async def test_periods_freeze_once_and_survive_a_team_moving(database_url: str) -> None:
    clock = FixedClock(MONDAY)
    settings = Settings(database_url=database_url)
    first = await build(settings, clock=clock, roster=parse_roster(BEFORE))
    try:
        await run_week(first, clock, ANSWERING)
        store = first.deps.digests
        assert store is not None
        adult_w1 = await store.history("adult", 6)
        assert len(adult_w1) == 1 and adult_w1[0].released
        assert adult_w1[0].tally is not None and adult_w1[0].tally.respondents == 19
        assert adult_w1[0].members == 21
        assert await freeze_due(first.deps) == []  # nothing left to freeze
    finally:
        await first.close()

    second = await build(settings, clock=clock, roster=parse_roster(AFTER))
    try:
        await run_week(second, clock, ANSWERING)
        store = second.deps.digests
        assert store is not None
        adult = await store.history("adult", 6)
        child = await store.history("child", 6)
        assert len(adult) == 2 and adult[0].period > adult[1].period
        assert adult[1].period == period_of(MONDAY.replace(hour=10))
        # The first period keeps the structure it was frozen with.
        assert adult[1].tally is not None and adult[1].tally.respondents == 19
        assert adult[0].tally is not None and adult[0].tally.respondents == 12
        assert child[1].tally is not None and child[1].tally.respondents == 8
        assert child[0].tally is not None and child[0].tally.respondents == 15
        # A suppressed group's row holds no figure at all.
        teams = await store.period_groups(adult[0].period, "adult")
        assert {t.group_id for t in teams} == {"lighthouse", "harbour"}
        # The fan-out path (one read for every group) builds the same digests as one by one.
        everything = await all_digests(second.deps)
        assert set(everything) == {"organisation", "adult", "child", *SIZES}
        for gid, digest in everything.items():
            assert digest == await group_digest(second.deps, gid)
    finally:
        await second.close()


async def test_a_second_freeze_of_the_same_period_stores_nothing(database_url: str) -> None:
    clock = FixedClock(MONDAY)
    respite = await build(
        Settings(database_url=database_url), clock=clock, roster=parse_roster(BEFORE)
    )
    try:
        await run_week(respite, clock, {"riverside": 7, "lighthouse": 6, "harbour": 2, "delta": 8})
        store = respite.deps.digests
        assert store is not None
        history = await store.history("organisation", 6)
        period = history[0].period
        from bot.domain.privacy import ReleaseDecision
        from bot.domain.rollup import FrozenPeriod

        assert not await store.freeze(
            FrozenPeriod(period, (), ReleaseDecision(frozenset())), clock.now()
        )
        teams = {g.group_id: g for g in await store.period_groups(period, "adult")}
        assert not teams["harbour"].released and teams["harbour"].tally is None
        assert teams["harbour"].members is None
        # Lighthouse (6) is the next smallest sibling: withheld to protect Harbour.
        assert not teams["lighthouse"].released and teams["riverside"].released
    finally:
        await respite.close()
