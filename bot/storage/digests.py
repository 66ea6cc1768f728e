"""Frozen period figures on SQL: the DigestStore port.

A period is written once, in one transaction, keyed by its period id; a second writer (another
replica, the CLI) fails on the key and stores nothing. Nothing here ever updates a frozen row,
and a round that closes after its period was frozen is never rolled up into it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.org import period_of, period_of_round, period_window
from bot.domain.rollup import FrozenPeriod, GroupFigures, TeamRound
from bot.domain.scoring import Tally
from bot.storage.tables import (
    digest_groups,
    digest_periods,
    pulse_rounds,
    round_figures,
)

LOOKBACK_WEEKS = 3
# A round's period is the ISO week of its local scheduled start; east of UTC that start can come
# up to 14 hours before the week's Monday in UTC, so a period's rounds are read from a day before.
EARLY_START = timedelta(days=1)

# Read in this order and unpacked by position: attribute access on a row costs more than the
# rest of turning it into figures.
_GROUP_COLUMNS = (
    digest_groups.c.period,
    digest_groups.c.group_id,
    digest_groups.c.kind,
    digest_groups.c.name,
    digest_groups.c.parent_id,
    digest_groups.c.min_group_size,
    digest_groups.c.released,
    digest_groups.c.closed_at,
    digest_groups.c.round_id,
    digest_groups.c.members,
    digest_groups.c.respondents,
    digest_groups.c.figures,
    digest_groups.c.kudos,
    digest_groups.c.breaks_prompted,
    digest_groups.c.breaks_done,
    digest_groups.c.breaks_skipped,
)


def _pending_since(frozen: set[str]) -> datetime | None:
    """Where closed rounds of periods not yet frozen can start: the first week of the lookback
    not frozen (a period held back by a round still open), else the week after the newest frozen
    one. A round stays open two weeks at most, so a period can be held back only that long; older
    periods are never frozen late, and this read stays about one week of rounds."""
    if not frozen:
        return None
    newest = period_window(max(frozen))[0]
    weeks = [newest + timedelta(weeks=k) for k in range(-LOOKBACK_WEEKS, 2)]
    first = next(w for w in weeks if period_of(w) not in frozen)
    return first - EARLY_START


class SqlDigestStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def pending_rounds(self) -> list[TeamRound]:
        async with self._sessions() as s:
            frozen = set((await s.scalars(select(digest_periods.c.period))).all())
            closed: ColumnElement[bool] = pulse_rounds.c.closed_at.is_not(None)
            since = _pending_since(frozen)
            if since is not None:
                closed = closed & (pulse_rounds.c.opens_at >= since)
            rows = await s.execute(
                select(
                    pulse_rounds.c.id,
                    pulse_rounds.c.team_id,
                    pulse_rounds.c.period_key,
                    pulse_rounds.c.opens_at,
                    pulse_rounds.c.closed_at,
                    pulse_rounds.c.members,
                ).where(closed)
            )
            rounds: dict[str, TeamRound] = {}
            for round_id, team_id, period_key, opens_at, closed_at, members in rows:
                period = period_of_round(period_key, opens_at)
                if period not in frozen:
                    rounds[round_id] = TeamRound(
                        team_id, round_id, period, closed_at, members or 0, Tally()
                    )
            if not rounds:
                return []
            # Their figures (the team's own unit only), by key: a join on the window would
            # have PostgreSQL hash the whole figures table for a week of rounds.
            ids = list(rounds)
            for start in range(0, len(ids), 500):
                figures = await s.execute(
                    select(
                        round_figures.c.round_id,
                        round_figures.c.unit_id,
                        round_figures.c.dimension,
                        round_figures.c.respondents,
                        round_figures.c.n,
                        round_figures.c.total,
                    ).where(round_figures.c.round_id.in_(ids[start : start + 500]))
                )
                for round_id, unit_id, dimension, respondents, n, total in figures:
                    pending = rounds[round_id]
                    if unit_id != pending.team_id:
                        continue
                    tally = pending.tally
                    tally.respondents = respondents
                    tally.sums[dimension] = total
                    tally.counts[dimension] = n
            return list(rounds.values())

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
    def _figures(rows: Iterable[Sequence[Any]]) -> list[GroupFigures]:
        out = []
        for (
            period,
            group_id,
            kind,
            name,
            parent_id,
            min_group_size,
            released,
            closed_at,
            round_id,
            members,
            respondents,
            figures,
            kudos,
            prompted,
            done,
            skipped,
        ) in rows:
            tally = None
            if released and figures is not None:
                tally = Tally(
                    respondents=respondents or 0,
                    sums={dim: total for dim, (_n, total) in figures.items()},
                    counts={dim: n for dim, (n, _total) in figures.items()},
                )
            out.append(
                GroupFigures(
                    period=period,
                    group_id=group_id,
                    kind=kind,
                    name=name,
                    parent_id=parent_id,
                    min_group_size=min_group_size,
                    released=tally is not None,
                    closed_at=closed_at,
                    members=members,
                    tally=tally,
                    round_id=round_id,
                    kudos=kudos,
                    breaks=(prompted, done, skipped) if prompted is not None else None,
                )
            )
        return out

    async def history(self, group_id: str, limit: int) -> list[GroupFigures]:
        async with self._sessions() as s:
            rows = (
                await s.execute(
                    select(*_GROUP_COLUMNS)
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
                    select(*_GROUP_COLUMNS)
                    .where(digest_groups.c.period == period, digest_groups.c.parent_id == parent_id)
                    .order_by(digest_groups.c.name)
                )
            ).all()
            return self._figures(rows)

    async def recent(self, periods: int) -> list[GroupFigures]:
        newest = (
            select(digest_periods.c.period)
            .order_by(digest_periods.c.period.desc())
            .limit(periods)
            .scalar_subquery()
        )
        async with self._sessions() as s:
            rows = await s.execute(
                select(*_GROUP_COLUMNS)
                .where(digest_groups.c.period.in_(newest))
                .order_by(digest_groups.c.period.desc(), digest_groups.c.group_id)
            )
            return self._figures(rows)
