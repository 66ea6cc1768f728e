"""Pulse rounds, anonymous responses and participation: the RoundStore port on SQL."""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Select, bindparam, delete, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import ColumnElement

from bot.domain.instrument import Instrument
from bot.domain.messages import Platform
from bot.domain.ports import Period, Recorded, Round
from bot.domain.scoring import Tally, dimension_scores
from bot.storage import sqlite_inline
from bot.storage.sealed import Answer, AnswerSeal, sealed_size
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


def _open_round(*where: ColumnElement[bool]) -> Select[tuple[str]]:
    """The round's id while it is open. On PostgreSQL the round row stays locked until commit:
    a close cannot slip between this check and the answer, and submissions to one round take
    turns, each re-writing what the one before it committed."""
    return (
        select(pulse_rounds.c.id)
        .where(*where, pulse_rounds.c.closed_at.is_(None))
        .with_for_update()
    )


_LOCK_OPEN_ROUND = _open_round(pulse_rounds.c.id == bindparam("round"))
_LOCK_OPEN_ROUND_OF_PERIOD = _open_round(
    pulse_rounds.c.team_id == bindparam("team"), pulse_rounds.c.period_key == bindparam("period")
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

# Participation: the round's rows are deleted and written again, the newcomer among them, in
# random order. On PostgreSQL in one statement, so the newcomer's row never exists on its own
# (inserted and then deleted in one transaction it would stay behind until VACUUM, a dead row
# version naming its author); the primary key still refuses a second answer from one person, as
# the old row and the new one both go in. After it, every row of the round carries this
# transaction's `xmin` and lies in random heap order. On SQLite (a WITHOUT ROWID table, so the
# key orders the rows) the rows are shuffled here and written back in that order, so the place of
# each row's bytes within its page says nothing of arrival either.
_PG_ADD_PARTICIPANT = text(
    """
    WITH old AS (
        DELETE FROM pulse_participation WHERE round_id = :round RETURNING platform, user_id
    ), everyone AS (
        SELECT platform, user_id FROM old UNION ALL SELECT :platform, :user
    )
    INSERT INTO pulse_participation (round_id, platform, user_id)
    SELECT :round, platform, user_id FROM everyone ORDER BY gen_random_uuid()
    """
)
_SQLITE_PARTICIPANTS = text(
    "SELECT json_group_array(json_array(platform, user_id)) FROM pulse_participation"
    " WHERE round_id = :round"
)
_SQLITE_DELETE_PARTICIPANTS = text("DELETE FROM pulse_participation WHERE round_id = :round")
_SQLITE_WRITE_PARTICIPANTS = text(
    """
    INSERT INTO pulse_participation (round_id, platform, user_id)
    SELECT :round, json_extract(value, '$[0]'), json_extract(value, '$[1]')
    FROM json_each(:people) ORDER BY key
    """
)

# Answers: read sealed, opened in Python, sealed again with the newcomer under fresh nonces and
# written back under new random ids, in the order of those ids. On PostgreSQL the delete and the
# insert are one statement, so the new answer never exists as a row of its own (see above).
_SEALED_OF_ROUND = {
    "postgresql": text(
        "SELECT CAST(coalesce(json_agg(sealed), '[]') AS text) FROM pulse_responses"
        " WHERE round_id = :round"
    ),
    "sqlite": text("SELECT json_group_array(sealed) FROM pulse_responses WHERE round_id = :round"),
}
_REWRITE_ANSWERS: dict[str, tuple[Executable, ...]] = {
    "postgresql": (
        text(
            """
            WITH old AS (DELETE FROM pulse_responses WHERE round_id = :round)
            INSERT INTO pulse_responses (round_id, id, sealed)
            SELECT :round, r.value->>0, r.value->>1
            FROM json_array_elements(CAST(:rows AS json)) WITH ORDINALITY AS r(value, n)
            ORDER BY r.n
            """
        ),
    ),
    "sqlite": (
        text("DELETE FROM pulse_responses WHERE round_id = :round"),
        text(
            """
            INSERT INTO pulse_responses (round_id, id, sealed)
            SELECT :round, json_extract(value, '$[0]'), json_extract(value, '$[1]')
            FROM json_each(:rows) ORDER BY key
            """
        ),
    ),
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


async def _add_participant(
    tx: _Transaction, dialect: str, round_id: str, person: Mapping[str, str]
) -> None:
    """Write the round's participation rows again in random order, this person among them.

    A second answer from one person fails on the primary key (IntegrityError)."""
    params = {"round": round_id, **person}
    if dialect == "postgresql":
        await tx.run(_PG_ADD_PARTICIPANT, params)
        return
    stored = await tx.run(_SQLITE_PARTICIPANTS, params)
    people: list[list[str]] = json.loads(stored[0]) if stored else []
    people.append([person["platform"], person["user"]])
    secrets.SystemRandom().shuffle(people)
    await tx.run(_SQLITE_DELETE_PARTICIPANTS, params)
    await tx.run(_SQLITE_WRITE_PARTICIPANTS, {"round": round_id, "people": json.dumps(people)})


def _figures(round_id: str, instrument: Instrument, answers: list[Answer]) -> list[dict[str, Any]]:
    """round_figures rows: per unit and dimension, respondents, count and sum of scores."""
    tallies: dict[str, Tally] = {}
    for answer in answers:
        tallies.setdefault(answer.unit_id, Tally()).add(
            dimension_scores(instrument, answer.answers)
        )
    return [
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
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        instrument: Instrument,
        secret: bytes | None,
    ) -> None:
        """`secret` is RESPITE_SECRET: the answers of open rounds are sealed with keys derived
        from it. Without one this raises MissingSecret: answers are never stored in clear."""
        self._sessions = sessions
        self._engine: AsyncEngine = sessions.kw["bind"]
        self._instrument = instrument
        self._seal = AnswerSeal(secret)
        self._size = sealed_size(instrument)
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
        person = {"platform": platform.value, "user": user_id}
        answer = Answer(unit_id, dict(answers))
        recorded = await self._record(None, _LOCK_OPEN_ROUND, {"round": round_id}, person, answer)
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
        person = {"platform": platform.value, "user": user_id}
        find = {"team": team_id, "period": period.key}
        answer = Answer(unit_id, dict(answers))
        return await self._record(
            (team_id, period), _LOCK_OPEN_ROUND_OF_PERIOD, find, person, answer
        )

    async def _record(
        self,
        open_first: tuple[str, Period] | None,
        find: Select[tuple[str]],
        find_params: Mapping[str, str],
        person: Mapping[str, str],
        answer: Answer,
    ) -> Recorded:
        """One answer in one transaction (the path of every check-in).

        The round's participation rows and its answers are all written again: nothing this
        transaction leaves behind singles out the newcomer's row or their answer.
        """
        if open_first is not None and _key(open_first) not in self._opened:
            await self._open(*open_first)
        dialect = self._engine.dialect.name
        try:
            async with self._transaction() as tx:
                found = await tx.run(find, find_params)
                if found is None:
                    return Recorded.ROUND_CLOSED
                round_id: str = found[0]
                await _add_participant(tx, dialect, round_id, person)
                await self._add_answer(tx, dialect, round_id, answer)
        except (IntegrityError, sqlite3.IntegrityError):
            return Recorded.ALREADY_ANSWERED
        return Recorded.STORED

    async def _add_answer(
        self, tx: _Transaction, dialect: str, round_id: str, answer: Answer
    ) -> None:
        """Re-seal every answer of the round with the new one, under fresh nonces and new ids.

        Two backups taken a submission apart then share no ciphertext and no id, so they cannot
        tell which answer is new.
        """
        stored = await tx.run(_SEALED_OF_ROUND[dialect], {"round": round_id})
        sealed: list[str] = json.loads(stored[0]) if stored else []
        everyone = [*self._seal.open_all(round_id, sealed), answer]
        resealed = self._seal.seal_all(round_id, everyone, self._size)
        rows = sorted((_random_id(), token) for token in resealed)
        for statement in _REWRITE_ANSWERS[dialect]:
            await tx.run(statement, {"round": round_id, "rows": json.dumps(rows)})

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
        """Tally the round into per-unit figures and delete its answers, atomically.

        Per-round figures are all a release needs; the raw answers would only outlive their
        purpose (and every backup taken after would hold them).
        """
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
            figures = _figures(round_id, self._instrument, await self._opened_answers(s, round_id))
            if figures:
                await s.execute(insert(round_figures), figures)
            await s.execute(delete(pulse_responses).where(pulse_responses.c.round_id == round_id))
            await s.execute(
                update(pulse_rounds)
                .where(pulse_rounds.c.id == round_id)
                .values(closed_at=when, members=members)
            )
            return True

    async def _opened_answers(self, s: AsyncSession, round_id: str) -> list[Answer]:
        rows = await s.execute(
            select(pulse_responses.c.sealed).where(pulse_responses.c.round_id == round_id)
        )
        return self._seal.open_all(round_id, rows.scalars())

    async def answers(self, round_id: str) -> list[tuple[str, dict[str, int]]]:
        """The answers of an open round, opened; a closed round has none left (its figures are
        in round_figures)."""
        async with self._sessions() as s:
            return [(a.unit_id, a.answers) for a in await self._opened_answers(s, round_id)]

    async def open_rounds(self) -> list[Round]:
        async with self._sessions() as s:
            rows = await s.execute(
                select(pulse_rounds)
                .where(pulse_rounds.c.closed_at.is_(None))
                .order_by(pulse_rounds.c.closes_at)
            )
            return [_round(r) for r in rows]
