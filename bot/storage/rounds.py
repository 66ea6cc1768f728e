"""Pulse rounds, anonymous responses and participation: the RoundStore port on SQL."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import JSON, String, bindparam, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.dml import ReturningInsert
from sqlalchemy.sql.elements import ColumnElement

from bot.domain.instrument import Instrument
from bot.domain.messages import Platform
from bot.domain.ports import Period, Recorded, Round
from bot.domain.scoring import Tally, dimension_scores
from bot.storage import sqlite_inline
from bot.storage.tables import pulse_participation, pulse_responses, pulse_rounds, round_figures


def _random_id() -> str:
    return secrets.token_hex(16)


# The statements of a check-in are built once: building one costs more than SQLite running it.

_FIND = select(pulse_rounds).where(
    pulse_rounds.c.team_id == bindparam("team"), pulse_rounds.c.period_key == bindparam("period")
)
_OPEN_ROUND = {
    name: dialect.insert(pulse_rounds)
    .values(
        id=bindparam("id"),
        team_id=bindparam("team"),
        period_key=bindparam("period"),
        opens_at=bindparam("opens_at", type_=pulse_rounds.c.opens_at.type),
        remind_at=bindparam("remind_at", type_=pulse_rounds.c.remind_at.type),
        closes_at=bindparam("closes_at", type_=pulse_rounds.c.closes_at.type),
    )
    .on_conflict_do_nothing(index_elements=["team_id", "period_key"])
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


def _join_open_round(*where: ColumnElement[bool]) -> ReturningInsert[tuple[str]]:
    """Participation in a round only while it is open. On PostgreSQL the round row stays locked
    until commit, so a close cannot slip between this check and the answer."""
    return (
        insert(pulse_participation)
        .from_select(
            ["round_id", "platform", "user_id"],
            select(
                pulse_rounds.c.id,
                bindparam("platform", type_=String),
                bindparam("user", type_=String),
            )
            .where(*where, pulse_rounds.c.closed_at.is_(None))
            .with_for_update(),
        )
        .returning(pulse_participation.c.round_id)
    )


_JOIN_OPEN_ROUND = _join_open_round(pulse_rounds.c.id == bindparam("round"))
_JOIN_OPEN_ROUND_OF_PERIOD = _join_open_round(
    pulse_rounds.c.team_id == bindparam("team"), pulse_rounds.c.period_key == bindparam("period")
)
_ADD_RESPONSE = insert(pulse_responses).values(
    id=bindparam("id"),
    round_id=bindparam("round"),
    unit_id=bindparam("unit"),
    answers=bindparam("answers", type_=pulse_responses.c.answers.type),
)
_HAS_ANSWERED = select(pulse_participation.c.round_id).where(
    pulse_participation.c.round_id == bindparam("round"),
    pulse_participation.c.platform == bindparam("platform"),
    pulse_participation.c.user_id == bindparam("user"),
)
_ANSWERED_IN_PERIOD = (
    select(pulse_participation.c.round_id)
    .join(pulse_rounds, pulse_rounds.c.id == pulse_participation.c.round_id)
    .where(
        pulse_rounds.c.team_id == bindparam("team"),
        pulse_rounds.c.period_key == bindparam("period"),
        pulse_participation.c.platform == bindparam("platform"),
        pulse_participation.c.user_id == bindparam("user"),
    )
)
# A WITHOUT ROWID table stores rows in primary-key order: new random ids are a new order.
_SQLITE_RESHUFFLE = (
    update(pulse_responses)
    .where(pulse_responses.c.round_id == bindparam("round"))
    .values(id=func.lower(func.hex(func.randomblob(16))))
)
# Deleted and re-inserted in the order of fresh random ids (gen_random_uuid draws from the
# server's strong random source); an UPDATE would keep the old physical order.
_PG_RESHUFFLE = text(
    """
    WITH old AS (
        DELETE FROM pulse_responses WHERE round_id = :round RETURNING unit_id, answers
    ), fresh AS (
        SELECT replace(gen_random_uuid()::text, '-', '') AS id, unit_id, answers FROM old
    )
    INSERT INTO pulse_responses (id, round_id, unit_id, answers)
    SELECT id, :round, unit_id, answers FROM fresh ORDER BY id
    """
)
# The same with one more answer. On PostgreSQL the new answer goes in within the re-shuffle, so it
# never exists as a row of its own: inserted and then deleted in one transaction, it would stay
# behind until VACUUM as a dead row version stamped with that transaction alone (xmin = xmax),
# the transaction of its author's participation row.
_PG_ADD_AMONG_OTHERS = text(
    """
    WITH old AS (
        DELETE FROM pulse_responses WHERE round_id = :round RETURNING unit_id, answers
    ), everyone AS (
        SELECT unit_id, answers FROM old
        UNION ALL SELECT :unit, CAST(:answers AS json)
    ), fresh AS (
        SELECT replace(gen_random_uuid()::text, '-', '') AS id, unit_id, answers FROM everyone
    )
    INSERT INTO pulse_responses (id, round_id, unit_id, answers)
    SELECT id, :round, unit_id, answers FROM fresh ORDER BY id
    """
).bindparams(bindparam("answers", type_=JSON))
# The statements that add one answer to a round and re-shuffle it, by dialect.
_ADD_ANSWER: dict[str, tuple[Executable, ...]] = {
    "sqlite": (_ADD_RESPONSE, _SQLITE_RESHUFFLE),
    "postgresql": (_PG_ADD_AMONG_OTHERS,),
}


class _Transaction(Protocol):
    async def run(self, statement: Executable, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The statement's first row, if it returns rows."""
        ...


class _Core:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def run(self, statement: Executable, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        result = await self._conn.execute(statement, params)
        row = result.first() if result.returns_rows else None
        return None if row is None else tuple(row)


@asynccontextmanager
async def _core_transaction(engine: AsyncEngine) -> AsyncIterator[_Core]:
    async with engine.begin() as conn:
        yield _Core(conn)


async def _rewrite_shuffled(s: AsyncSession, round_id: str) -> None:
    """Re-write every response of a round under new random ids, in random order.

    Run inside the transaction that last touched the round, it leaves no trace that could tie one
    response to one participation row: on PostgreSQL every response of the round then carries
    that transaction's id (`xmin`) and the heap order is random, rather than the one response
    inserted beside its author's participation row. One statement in the database: the answers
    never come into Python.
    """
    postgres = s.get_bind().dialect.name == "postgresql"
    await s.execute(_PG_RESHUFFLE if postgres else _SQLITE_RESHUFFLE, {"round": round_id})


def _key(team_period: tuple[str, Period]) -> tuple[str, str]:
    return team_period[0], team_period[1].key


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
        self._engine: AsyncEngine = sessions.kw["bind"]
        self._instrument = instrument
        # Rounds are never deleted: a (team, period) known to have one needs no insert-if-missing.
        self._opened: set[tuple[str, str]] = set()

    async def get(self, round_id: str) -> Round | None:
        async with self._sessions() as s:
            row = (
                await s.execute(select(pulse_rounds).where(pulse_rounds.c.id == round_id))
            ).first()
            return _round(row) if row else None

    async def find(self, team_id: str, period_key: str) -> Round | None:
        async with self._sessions() as s:
            row = (await s.execute(_FIND, {"team": team_id, "period": period_key})).first()
            return _round(row) if row else None

    async def ensure(self, team_id: str, period: Period) -> Round:
        found = await self.find(team_id, period.key)
        if found is None:
            await self._open(team_id, period)  # or another process opens it first: theirs it is
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
        join = {"round": round_id, "platform": platform.value, "user": user_id}
        recorded = await self._record(None, _JOIN_OPEN_ROUND, join, unit_id, answers)
        return recorded is Recorded.STORED

    async def record_in_period(
        self,
        team_id: str,
        period: Period,
        unit_id: str,
        platform: Platform,
        user_id: str,
        answers: Mapping[str, int],
    ) -> Recorded:
        join = {"team": team_id, "period": period.key, "platform": platform.value, "user": user_id}
        return await self._record(
            (team_id, period), _JOIN_OPEN_ROUND_OF_PERIOD, join, unit_id, answers
        )

    async def _record(
        self,
        open_first: tuple[str, Period] | None,
        join: ReturningInsert[tuple[str]],
        join_params: Mapping[str, str],
        unit_id: str,
        answers: Mapping[str, int],
    ) -> Recorded:
        """One answer in one transaction (the path of every check-in)."""
        if open_first is not None and _key(open_first) not in self._opened:
            await self._open(*open_first)
        try:
            async with self._transaction() as tx:
                joined = await tx.run(join, join_params)
                if joined is None:
                    return Recorded.ROUND_CLOSED
                # The new answer must not be the one row written beside this participation row:
                # it goes in with every answer of the round re-written in random order.
                answer = {"id": _random_id(), "round": joined[0], "unit": unit_id}
                for statement in _ADD_ANSWER[self._engine.dialect.name]:
                    await tx.run(statement, {**answer, "answers": answers})
        except (IntegrityError, sqlite3.IntegrityError):
            return Recorded.ALREADY_ANSWERED
        return Recorded.STORED

    async def _open(self, team_id: str, period: Period) -> None:
        """Create the (team, period) round unless someone has."""
        async with self._engine.begin() as conn:
            await conn.execute(
                _OPEN_ROUND[conn.dialect.name],
                {
                    "id": _random_id(),
                    "team": team_id,
                    "period": period.key,
                    "opens_at": period.opens_at,
                    "remind_at": period.remind_at,
                    "closes_at": period.closes_at,
                },
            )
        if len(self._opened) >= 10_000:  # a year of weeks for 200 teams; then start afresh
            self._opened.clear()
        self._opened.add((team_id, period.key))

    async def _read_first(
        self, statement: Executable, params: Mapping[str, Any]
    ) -> tuple[Any, ...] | None:
        """One query on the check-in path (the modal's "already answered?")."""
        if self._engine.dialect.name == "sqlite":
            return await sqlite_inline.direct_read(self._engine, statement, params)
        async with self._engine.connect() as conn:
            return await _Core(conn).run(statement, params)

    def _transaction(self) -> AbstractAsyncContextManager[_Transaction]:
        if self._engine.dialect.name == "sqlite":
            return sqlite_inline.direct_transaction(self._engine)
        return _core_transaction(self._engine)

    async def has_answered(self, round_id: str, platform: Platform, user_id: str) -> bool:
        async with self._sessions() as s:
            params = {"round": round_id, "platform": platform.value, "user": user_id}
            return (await s.execute(_HAS_ANSWERED, params)).first() is not None

    async def answered_in_period(
        self, team_id: str, period_key: str, platform: Platform, user_id: str
    ) -> bool:
        params = {
            "team": team_id,
            "period": period_key,
            "platform": platform.value,
            "user": user_id,
        }
        return await self._read_first(_ANSWERED_IN_PERIOD, params) is not None

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
            await _rewrite_shuffled(s, round_id)
            rows = await s.execute(
                select(pulse_responses.c.unit_id, pulse_responses.c.answers).where(
                    pulse_responses.c.round_id == round_id
                )
            )
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
