"""Frozen period figures on SQL: the DigestStore port.

A period is written once, in one transaction, keyed by its period id; a second writer (another
replica, the CLI) fails on the key and stores nothing. Nothing here ever updates a frozen row,
and a round that closes after its period was frozen is never rolled up into it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.org import period_of_round, period_window
from bot.domain.rollup import FrozenPeriod, GroupFigures, TeamRound
from bot.domain.scoring import Tally
from bot.storage.tables import (
    digest_groups,
    digest_periods,
    pulse_rounds,
    round_figures,
)

LOOKBACK_WEEKS = 3


class SqlDigestStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def pending_rounds(self) -> list[TeamRound]:
        async with self._sessions() as s:
            frozen = {p for (p,) in await s.execute(select(digest_periods.c.period))}
            query = select(
                pulse_rounds.c.id,
                pulse_rounds.c.team_id,
                pulse_rounds.c.period_key,
                pulse_rounds.c.opens_at,
                pulse_rounds.c.closed_at,
                pulse_rounds.c.members,
            ).where(
                pulse_rounds.c.closed_at.is_not(None),
            )
            if frozen:
                # A round stays open two weeks at most, so a period can be held back only that
                # long; older periods are never frozen late, and this read stays small.
                since = period_window(max(frozen))[0] - timedelta(weeks=LOOKBACK_WEEKS)
                query = query.where(pulse_rounds.c.opens_at >= since)
            rows = (await s.execute(query)).all()
            rounds = {
                r.id: r for r in rows if period_of_round(r.period_key, r.opens_at) not in frozen
            }
            tallies: dict[str, Tally] = {rid: Tally() for rid in rounds}
            ids = list(rounds)
            for start in range(0, len(ids), 500):
                figs = await s.execute(
                    select(
                        round_figures.c.round_id,
                        round_figures.c.unit_id,
                        round_figures.c.dimension,
                        round_figures.c.respondents,
                        round_figures.c.n,
                        round_figures.c.total,
                    ).where(round_figures.c.round_id.in_(ids[start : start + 500]))
                )
                for f in figs:
                    if f.unit_id != rounds[f.round_id].team_id:
                        continue
                    t = tallies[f.round_id]
                    t.respondents = f.respondents
                    t.sums[f.dimension] = f.total
                    t.counts[f.dimension] = f.n
            return [
                TeamRound(
                    team_id=r.team_id,
                    round_id=r.id,
                    period=period_of_round(r.period_key, r.opens_at),
                    closed_at=r.closed_at,
                    members=r.members or 0,
                    tally=tallies[r.id],
                )
                for r in rounds.values()
            ]

    async def mark_queued(self, period: str, when: datetime) -> None:
        async with self._sessions.begin() as s:
            await s.execute(
                update(digest_periods)
                .where(digest_periods.c.period == period, digest_periods.c.queued_at.is_(None))
                .values(queued_at=when)
            )

    async def unqueued_period(self) -> str | None:
        async with self._sessions() as s:
            newest = (
                await s.execute(
                    select(digest_periods.c.period, digest_periods.c.queued_at)
                    .order_by(digest_periods.c.period.desc())
                    .limit(1)
                )
            ).first()
        if newest is None or newest.queued_at is not None:
            return None
        return str(newest.period)

    async def freeze(self, frozen: FrozenPeriod, when: datetime) -> bool:
        groups: list[dict[str, Any]] = []
        for g in frozen.groups:
            released = g.released and g.tally is not None
            groups.append(
                {
                    "period": frozen.period,
                    "group_id": g.group_id,
                    "kind": g.kind,
                    "name": g.name,
                    "parent_id": g.parent_id,
                    "min_group_size": g.min_group_size,
                    "released": released,
                    "closed_at": g.closed_at,
                    "round_id": g.round_id,
                    "members": g.members if released else None,
                    "respondents": g.tally.respondents if released and g.tally else None,
                    "figures": (
                        {d: [g.tally.counts[d], g.tally.sums[d]] for d in g.tally.sums}
                        if released and g.tally
                        else None
                    ),
                    "kudos": g.kudos if released else None,
                    "breaks_prompted": g.breaks[0] if released and g.breaks else None,
                    "breaks_done": g.breaks[1] if released and g.breaks else None,
                    "breaks_skipped": g.breaks[2] if released and g.breaks else None,
                }
            )
        try:
            async with self._sessions.begin() as s:
                await s.execute(insert(digest_periods).values(period=frozen.period, frozen_at=when))
                if groups:
                    await s.execute(insert(digest_groups), groups)
        except IntegrityError:
            return False
        return True

    @staticmethod
    def _figures(rows: Sequence[Any]) -> list[GroupFigures]:
        out = []
        for r in rows:
            tally = None
            if r.released and r.figures is not None:
                tally = Tally(respondents=r.respondents or 0)
                for dim, (n, total) in r.figures.items():
                    tally.counts[dim] = n
                    tally.sums[dim] = total
            breaks = (
                (r.breaks_prompted, r.breaks_done, r.breaks_skipped)
                if r.breaks_prompted is not None
                else None
            )
            out.append(
                GroupFigures(
                    period=r.period,
                    group_id=r.group_id,
                    kind=r.kind,
                    name=r.name,
                    parent_id=r.parent_id,
                    min_group_size=r.min_group_size,
                    released=tally is not None,
                    closed_at=r.closed_at,
                    members=r.members,
                    tally=tally,
                    round_id=r.round_id,
                    kudos=r.kudos,
                    breaks=breaks,
                )
            )
        return out

    async def history(self, group_id: str, limit: int) -> list[GroupFigures]:
        async with self._sessions() as s:
            rows = (
                await s.execute(
                    select(digest_groups)
                    .where(digest_groups.c.group_id == group_id)
                    .order_by(digest_groups.c.period.desc())
                    .limit(limit)
                )
            ).all()
            return self._figures(rows)

    async def period_groups(self, period: str, parent_id: str) -> list[GroupFigures]:
        async with self._sessions() as s:
            rows = (
                await s.execute(
                    select(digest_groups)
                    .where(digest_groups.c.period == period, digest_groups.c.parent_id == parent_id)
                    .order_by(digest_groups.c.name)
                )
            ).all()
            return self._figures(rows)

    async def recent(self, periods: int) -> list[GroupFigures]:
        async with self._sessions() as s:
            wanted = [
                p
                for (p,) in await s.execute(
                    select(digest_periods.c.period)
                    .order_by(digest_periods.c.period.desc())
                    .limit(periods)
                )
            ]
            if not wanted:
                return []
            rows = (
                await s.execute(
                    select(digest_groups)
                    .where(digest_groups.c.period.in_(wanted))
                    .order_by(digest_groups.c.period.desc(), digest_groups.c.group_id)
                )
            ).all()
            return self._figures(rows)
