"""Frozen period figures on both backends: written once, never recomputed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from bot.app.compose import build
from bot.config import Settings, parse_roster
from bot.domain.org import period_of
from bot.infra.clock import FixedClock
from bot.storage.db import create_engine_async, session_factory
from bot.storage.digest import SqlDigestStore
from bot.storage.tables import digest_periods, pulse_rounds, round_figures
from handlers.digest import all_digests, group_digest
from scheduler.digest import freeze_due
from tests.support.roster import MONDAY
from tests.support.rounds import AFTER_REORG, BEFORE_REORG, REORG_SIZES, run_week

ANSWERING = {"riverside": 7, "lighthouse": 6, "harbour": 6, "delta": 8}


async def test_periods_freeze_once_and_survive_a_team_moving(database_url: str) -> None:
    clock = FixedClock(MONDAY)
    settings = Settings(database_url=database_url)
    first = await build(settings, clock=clock, roster=parse_roster(BEFORE_REORG))
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

    second = await build(settings, clock=clock, roster=parse_roster(AFTER_REORG))
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
        assert set(everything) == {"organisation", "adult", "child", *REORG_SIZES}
        for gid, digest in everything.items():
            assert digest == await group_digest(second.deps, gid)
    finally:
        await second.close()


async def test_a_second_freeze_of_the_same_period_stores_nothing(database_url: str) -> None:
    clock = FixedClock(MONDAY)
    respite = await build(
        Settings(database_url=database_url), clock=clock, roster=parse_roster(BEFORE_REORG)
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


async def test_pending_rounds_are_those_of_periods_not_frozen_within_the_lookback(
    database_url: str,
) -> None:
    """Closed rounds of a period held back (older than the newest frozen one, within the
    lookback) and of a newer period come back, including a round that opened on the Sunday in
    UTC because its team is east of UTC; rounds of frozen periods, of periods older than the
    lookback, and open rounds do not. Each carries its own team's figures only."""
    monday = MONDAY.replace(hour=10)  # 2026-W49

    def week(k: int) -> str:
        return period_of(monday + timedelta(weeks=k))

    def round_row(rid: str, opens: datetime, key: str, closed: bool = True) -> dict[str, Any]:
        return {
            "id": rid,
            "team_id": "t",
            "period_key": key,
            "opens_at": opens,
            "remind_at": opens + timedelta(hours=48),
            "closes_at": opens + timedelta(hours=72),
            "invited_at": opens,
            "closed_at": opens + timedelta(hours=72) if closed else None,
            "members": 8,
        }

    # Frozen: W43, W44, W46, W47 (W45 held back). Kiritimati is UTC+14: its Monday 09:00 of W48
    # is Sunday 19:00 UTC, still in W47 on the UTC calendar.
    east = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Pacific/Kiritimati"))
    rounds = [
        round_row("old", monday - timedelta(weeks=9), (monday - timedelta(weeks=9)).isoformat()),
        round_row("held", monday - timedelta(weeks=4), (monday - timedelta(weeks=4)).isoformat()),
        round_row("frozen", monday - timedelta(weeks=2), (monday - timedelta(weeks=2)).isoformat()),
        round_row("east", east.astimezone(UTC), east.isoformat()),
        round_row("open", monday, monday.isoformat(), closed=False),
    ]
    engine = create_engine_async(database_url)
    store = SqlDigestStore(session_factory(engine), mark_key=b"k" * 32)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(pulse_rounds), rounds)
            await conn.execute(
                insert(round_figures),
                [
                    {
                        "round_id": r["id"],
                        "unit_id": unit,
                        "dimension": "exhaustion",
                        "respondents": n,
                        "n": n,
                        "total": 3.0 * n,
                    }
                    for r in rounds
                    for unit, n in (("t", 6), ("elsewhere", 40))
                ],
            )
            await conn.execute(
                insert(digest_periods),
                [{"period": week(k), "frozen_at": monday} for k in (-6, -5, -3, -2)],
            )
        held_back = {r.round_id: r for r in await store.pending_rounds()}
        async with engine.begin() as conn:
            await conn.execute(insert(digest_periods).values(period=week(-4), frozen_at=monday))
        # Nothing held back: only the week after the newest frozen one is read, from a day early.
        caught_up = {r.round_id: r for r in await store.pending_rounds()}
    finally:
        await engine.dispose()
    assert east.astimezone(UTC).weekday() == 6 and period_of(east) == week(-1)
    assert set(held_back) == {"held", "east"}
    assert held_back["held"].period == week(-4) and held_back["east"].period == week(-1)
    assert set(caught_up) == {"east"}
    for r in held_back.values():
        assert r.tally.respondents == 6 and r.tally.counts == {"exhaustion": 6}
        assert r.tally.sums == {"exhaustion": 18.0}
