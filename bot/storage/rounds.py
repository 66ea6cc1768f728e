"""Pulse rounds, anonymous responses and participation: the RoundStore port on SQL."""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.instrument import Instrument
from bot.domain.messages import Platform
from bot.domain.ports import Period, Round
from bot.domain.scoring import Tally, dimension_scores
from bot.storage.tables import pulse_participation, pulse_responses, pulse_rounds, round_figures

_sysrand = random.SystemRandom()


def _random_id() -> str:
    return secrets.token_hex(16)


async def _rewrite_shuffled(s: AsyncSession, round_id: str) -> list[tuple[str, dict[str, int]]]:
    """Re-write every response of a round under new random ids, in random order.

    Run inside the transaction that last touched the round, it leaves no trace that could tie one
    response to one participation row: on PostgreSQL every response of the round then carries
    that transaction's id (`xmin`) and the heap order is random, rather than the one response
    inserted beside its author's participation row. Returns the (unit, answers) pairs.
    """
    rows = [
        (unit_id, dict(answers))
        for unit_id, answers in (
            await s.execute(
                select(pulse_responses.c.unit_id, pulse_responses.c.answers).where(
                    pulse_responses.c.round_id == round_id
                )
            )
        ).all()
    ]
    shuffled = [
        {"id": _random_id(), "round_id": round_id, "unit_id": u, "answers": a} for u, a in rows
    ]
    _sysrand.shuffle(shuffled)
    await s.execute(delete(pulse_responses).where(pulse_responses.c.round_id == round_id))
    if shuffled:
        await s.execute(insert(pulse_responses), shuffled)
    return rows


def _round(row: Any) -> Round:
    return Round(
        id=row.id,
        team_id=row.team_id,
        period_key=row.period_key,
        opens_at=row.opens_at,
        remind_at=row.remind_at,
        closes_at=row.closes_at,
        invited_at=row.invited_at,
        reminded_at=row.reminded_at,
        closed_at=row.closed_at,
    )


class SqlRoundStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], instrument: Instrument) -> None:
        self._sessions = sessions
        self._instrument = instrument

    async def get(self, round_id: str) -> Round | None:
        async with self._sessions() as s:
            row = (
                await s.execute(select(pulse_rounds).where(pulse_rounds.c.id == round_id))
            ).first()
            return _round(row) if row else None

    async def find(self, team_id: str, period_key: str) -> Round | None:
        async with self._sessions() as s:
            row = (
                await s.execute(
                    select(pulse_rounds).where(
                        pulse_rounds.c.team_id == team_id, pulse_rounds.c.period_key == period_key
                    )
                )
            ).first()
            return _round(row) if row else None

    async def ensure(self, team_id: str, period: Period) -> Round:
        found = await self.find(team_id, period.key)
        if found is not None:
            return found
        try:
            async with self._sessions.begin() as s:
                await s.execute(
                    insert(pulse_rounds).values(
                        id=_random_id(),
                        team_id=team_id,
                        period_key=period.key,
                        opens_at=period.opens_at,
                        remind_at=period.remind_at,
                        closes_at=period.closes_at,
                    )
                )
        except IntegrityError:
            pass  # another process opened it first; theirs is the round
        found = await self.find(team_id, period.key)
        assert found is not None
        return found

    async def record_response(
        self,
        round_id: str,
        unit_id: str,
        platform: Platform,
        user_id: str,
        answers: Mapping[str, int],
    ) -> bool:
        try:
            async with self._sessions.begin() as s:
                state = (
                    await s.execute(
                        select(pulse_rounds.c.closed_at)
                        .where(pulse_rounds.c.id == round_id)
                        .with_for_update()
                    )
                ).first()
                if state is None or state.closed_at is not None:
                    return False
                await s.execute(
                    insert(pulse_participation).values(
                        round_id=round_id, platform=platform.value, user_id=user_id
                    )
                )
                await s.execute(
                    insert(pulse_responses).values(
                        id=_random_id(), round_id=round_id, unit_id=unit_id, answers=dict(answers)
                    )
                )
                # The new answer must not be the one row written beside this participation row.
                await _rewrite_shuffled(s, round_id)
        except IntegrityError:
            return False
        return True

    async def has_answered(self, round_id: str, platform: Platform, user_id: str) -> bool:
        async with self._sessions() as s:
            row = (
                await s.execute(
                    select(pulse_participation.c.round_id).where(
                        pulse_participation.c.round_id == round_id,
                        pulse_participation.c.platform == platform.value,
                        pulse_participation.c.user_id == user_id,
                    )
                )
            ).first()
            return row is not None

    async def participants(self, round_id: str) -> set[tuple[Platform, str]]:
        async with self._sessions() as s:
            rows = await s.execute(
                select(pulse_participation.c.platform, pulse_participation.c.user_id).where(
                    pulse_participation.c.round_id == round_id
                )
            )
            return {(Platform(p), u) for p, u in rows}

    async def _mark(self, round_id: str, column: str, when: datetime) -> bool:
        col = pulse_rounds.c[column]
        async with self._sessions.begin() as s:
            result = await s.execute(
                update(pulse_rounds)
                .where(pulse_rounds.c.id == round_id, col.is_(None))
                .values({column: when})
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def mark_invited(self, round_id: str, when: datetime) -> bool:
        return await self._mark(round_id, "invited_at", when)

    async def mark_reminded(self, round_id: str, when: datetime) -> bool:
        return await self._mark(round_id, "reminded_at", when)

    async def close(self, round_id: str, members: int, when: datetime) -> bool:
        """Freeze the round's figures and re-write its answers in random order, atomically."""
        async with self._sessions.begin() as s:
            state = (
                await s.execute(
                    select(pulse_rounds.c.closed_at)
                    .where(pulse_rounds.c.id == round_id)
                    .with_for_update()
                )
            ).first()
            if state is None or state.closed_at is not None:
                return False
            rows = await _rewrite_shuffled(s, round_id)
            tallies: dict[str, Tally] = {}
            for unit_id, answers in rows:
                tallies.setdefault(unit_id, Tally()).add(
                    dimension_scores(self._instrument, answers)
                )
            figures = [
                {
                    "round_id": round_id,
                    "unit_id": unit,
                    "dimension": dim,
                    "respondents": t.respondents,
                    "n": t.counts[dim],
                    "total": t.sums[dim],
                }
                for unit, t in tallies.items()
                for dim in t.sums
            ]
            if figures:
                await s.execute(insert(round_figures), figures)
            await s.execute(
                update(pulse_rounds)
                .where(pulse_rounds.c.id == round_id)
                .values(closed_at=when, members=members)
            )
            return True

    async def answers(self, round_id: str) -> list[tuple[str, dict[str, int]]]:
        async with self._sessions() as s:
            rows = await s.execute(
                select(pulse_responses.c.unit_id, pulse_responses.c.answers).where(
                    pulse_responses.c.round_id == round_id
                )
            )
            return [(u, dict(a)) for u, a in rows]

    async def open_rounds(self) -> list[Round]:
        async with self._sessions() as s:
            rows = await s.execute(
                select(pulse_rounds)
                .where(pulse_rounds.c.closed_at.is_(None))
                .order_by(pulse_rounds.c.closes_at)
            )
            return [_round(r) for r in rows]
