"""Frozen period figures on SQL: the DigestStore port.

A period is written once, in one transaction, keyed by its period id; a second writer (another
replica, the CLI) fails on the key and stores nothing. Nothing here ever updates a frozen row,
and a round that closes after its period was frozen is never rolled up into it.

Keep only what a release needs: the transaction that freezes a period also deletes its rounds'
participation, any answers left and their per-round figures, so nothing a release rule withheld
survives in a table. What stays is the frozen figures and, for the trend window only, the keyed
marks of who answered in each group released with exact figures (`release_people`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, insert, or_, select, union, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.digest import HISTORY_ROUNDS
from bot.domain.messages import Platform
from bot.domain.org import period_of, period_of_round, period_window
from bot.domain.pulse_times import KINDS
from bot.domain.rollup import FrozenPeriod, GroupFigures, PriorRelease, TeamRound
from bot.domain.scoring import Tally
from bot.storage.tables import (
    digest_groups,
    digest_periods,
    outbox,
    pulse_participation,
    pulse_responses,
    pulse_rounds,
    release_people,
    round_figures,
)

# The raw tables of a round, deleted once its period is frozen.
_ROUND_DATA = (pulse_responses, pulse_participation, round_figures)
# The outbox keys of a round's messages to its members (scheduler/pulse.py).
_ROUND_MAIL = KINDS

LOOKBACK_WEEKS = 3
# Frozen periods whose respondent marks are kept: the digest's trend window.
# A period can be frozen up to LOOKBACK_WEEKS late, after later ones, and is then checked
# against the trend window on both sides of it.
PEOPLE_WINDOW = HISTORY_ROUNDS + LOOKBACK_WEEKS
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
    digest_groups.c.bands,
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


def release_mark_key(secret: bytes) -> bytes:
    """The key of respondent marks, derived from RESPITE_SECRET for this one use."""
    return hmac.new(secret, b"respite:release-people", hashlib.sha256).digest()


async def _delete_round_data(s: AsyncSession, round_ids: Sequence[str]) -> None:
    """Delete what a frozen round's release no longer needs: its answers, participation and
    per-round figures, and its invitations and reminders in the outbox (the reminders went to
    those who had not answered, so they would say who had)."""
    ids = list(round_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for table in _ROUND_DATA:
            await s.execute(delete(table).where(table.c.round_id.in_(chunk)))
    for start in range(0, len(ids), 50):
        prefixes = [f"{kind}:{rid}:%" for rid in ids[start : start + 50] for kind in _ROUND_MAIL]
        await s.execute(delete(outbox).where(or_(*(outbox.c.key.like(p) for p in prefixes))))


class SqlDigestStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, mark_key: bytes) -> None:
        self._sessions = sessions
        self._mark_key = mark_key

    def person_mark(self, platform: Platform, user_id: str) -> str:
        """A person's keyed mark: equal for the same person in every period, and meaningless
        without the key (a backup holds no RESPITE_SECRET)."""
        message = f"{platform.value}\0{user_id}".encode()
        return hmac.new(self._mark_key, message, hashlib.sha256).hexdigest()[:32]

    async def _people(self, s: AsyncSession, round_ids: Sequence[str]) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for start in range(0, len(round_ids), 500):
            rows = await s.execute(
                select(
                    pulse_participation.c.round_id,
                    pulse_participation.c.platform,
                    pulse_participation.c.user_id,
                ).where(pulse_participation.c.round_id.in_(round_ids[start : start + 500]))
            )
            for round_id, platform, user_id in rows:
                out.setdefault(round_id, set()).add(self.person_mark(Platform(platform), user_id))
        return out

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
            people = await self._people(s, ids)
            return [replace(r, people=frozenset(people.get(rid, ()))) for rid, r in rounds.items()]

    async def prior_releases(self, period: str, periods: int) -> list[PriorRelease]:
        """Exact releases of the frozen periods within `periods` weeks of `period`, before it or
        after it (a period held back by a round still open is frozen after later ones, and must
        be checked against them), with who answered: each group's region as stored, and its
        people (the regions of it and of the released groups below it, by the tree the period
        was frozen with)."""
        start = period_window(period)[0]
        async with self._sessions() as s:
            frozen = (await s.scalars(select(digest_periods.c.period))).all()
            earlier = [
                p
                for p in frozen
                if p != period and abs((period_window(p)[0] - start).days) <= 7 * periods
            ]
            if not earlier:
                return []
            regions: dict[tuple[str, str], set[str]] = {}
            banded: dict[tuple[str, str], set[str]] = {}
            rows = await s.execute(
                select(
                    release_people.c.period,
                    release_people.c.group_id,
                    release_people.c.mark,
                    release_people.c.banded,
                ).where(release_people.c.period.in_(earlier))
            )
            for p, group_id, mark, is_banded in rows:
                (banded if is_banded else regions).setdefault((p, group_id), set()).add(mark)
            figures = self._figures(
                await s.execute(select(*_GROUP_COLUMNS).where(digest_groups.c.period.in_(earlier)))
            )
        parent = {(g.period, g.group_id): g.parent_id for g in figures}
        released = {(g.period, g.group_id) for g in figures if g.tally is not None}
        people: dict[tuple[str, str], set[str]] = {}
        for (p, group_id), marks in regions.items():
            # A region's people belong to its group and to every released group above it.
            up: str | None = group_id
            while up is not None:
                if (p, up) in released:
                    people.setdefault((p, up), set()).update(marks)
                up = parent.get((p, up))
        exact = [
            PriorRelease(
                g.period,
                g.group_id,
                frozenset(people[key]),
                g.tally,
                frozenset(regions.get(key, ())),
            )
            for g in figures
            if g.tally is not None and (key := (g.period, g.group_id)) in people
        ]
        shown_as_bands = [
            PriorRelease(g.period, g.group_id, frozenset(banded[key]), None, bands=g.bands)
            for g in figures
            if g.bands is not None and (key := (g.period, g.group_id)) in banded
        ]
        return exact + shown_as_bands

    async def purge_frozen_rounds(self) -> int:
        """Delete the raw data of closed rounds whose period is frozen (a round that closed
        after its period was frozen); how many rounds had some."""
        async with self._sessions.begin() as s:
            frozen = set((await s.scalars(select(digest_periods.c.period))).all())
            if not frozen:
                return 0
            with_data = union(
                select(pulse_participation.c.round_id),
                select(round_figures.c.round_id),
                select(pulse_responses.c.round_id),
            ).subquery()
            rows = await s.execute(
                select(pulse_rounds.c.id, pulse_rounds.c.period_key, pulse_rounds.c.opens_at)
                .where(pulse_rounds.c.closed_at.is_not(None))
                .where(pulse_rounds.c.id.in_(select(with_data.c.round_id)))
            )
            done = [rid for rid, key, opens in rows if period_of_round(key, opens) in frozen]
            await _delete_round_data(s, done)
            return len(done)

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
                    "bands": dict(g.bands) if g.bands is not None and not released else None,
                }
            )
        # Each person once, under the released group whose region holds them; in mark order,
        # which is no order of people or of answering.
        people = [
            {"period": frozen.period, "group_id": gid, "mark": mark, "banded": False}
            for gid, marks in frozen.regions.items()
            for mark in sorted(marks)
        ] + [
            {"period": frozen.period, "group_id": gid, "mark": mark, "banded": True}
            for gid, marks in frozen.banded.items()
            for mark in sorted(marks)
        ]
        try:
            async with self._sessions.begin() as s:
                await s.execute(insert(digest_periods).values(period=frozen.period, frozen_at=when))
                if groups:
                    await s.execute(insert(digest_groups), groups)
                if people:
                    await s.execute(insert(release_people), people)
                await _delete_round_data(s, frozen.round_ids)
                await self._forget_old_people(s, frozen.period)
        except IntegrityError:
            return False
        return True

    @staticmethod
    async def _forget_old_people(s: AsyncSession, period: str) -> None:
        """Marks outlive their use once their period has left the trend window."""
        keep = (
            select(digest_periods.c.period)
            .where(digest_periods.c.period <= period)
            .order_by(digest_periods.c.period.desc())
            .limit(PEOPLE_WINDOW)
            .scalar_subquery()
        )
        await s.execute(
            delete(release_people).where(
                release_people.c.period <= period, release_people.c.period.not_in(keep)
            )
        )

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
            bands,
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
                    bands=bands if tally is None else None,
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
