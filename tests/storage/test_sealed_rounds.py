"""An open round's answers at rest: sealed, of one length, re-sealed on every submission, and
gone once the round closes. The reader here holds the database file or a backup of it, not
RESPITE_SECRET."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import subprocess
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import load_instrument
from bot.domain.messages import Platform
from bot.domain.ports import Period
from bot.domain.scoring import Tally, dimension_scores
from bot.storage.db import session_factory
from bot.storage.pulse import SqlRoundStore
from bot.storage.sealed import MissingSecret, UnsealError
from bot.storage.tables import pulse_responses, round_figures

SECRET = b"sealed-rounds-test-secret-0123456789abcdef"
UNIT = "riverside-unit"
START = datetime(2026, 11, 30, 10, tzinfo=UTC)
PERIOD = Period("2026-W49", START, START + timedelta(hours=48), START + timedelta(hours=72))
ITEMS = ("drained", "recharged", "going_through_motions", "made_a_difference", "caseload")


def canon(answers: Iterable[Mapping[str, int]]) -> list[list[tuple[str, int]]]:
    return sorted(sorted(a.items()) for a in answers)


def answers_of(i: int) -> dict[str, int]:
    """Answers that differ from one person to the next."""
    return {item: 1 + (i + n) % 5 for n, item in enumerate(ITEMS)} | {"supported": 1 + i % 3}


@pytest.fixture
def store(engine: AsyncEngine) -> SqlRoundStore:
    return SqlRoundStore(session_factory(engine), load_instrument(), SECRET)


def dump(url: str) -> str:
    """What a backup of pulse_responses holds: pg_dump's output, or SQLite's own dump."""
    if url.startswith("postgresql"):
        return subprocess.run(
            ["pg_dump", "--data-only", "--table=pulse_responses", url],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    with sqlite3.connect(_sqlite_path(url)) as conn:
        return "\n".join(line for line in conn.iterdump() if "pulse_responses" in line)


def _sqlite_path(url: str) -> str:
    return url.split(":///", 1)[1]


async def ciphertexts(store: SqlRoundStore, round_id: str) -> list[str]:
    async with store._sessions() as s:
        rows = await s.execute(
            select(pulse_responses.c.sealed).where(pulse_responses.c.round_id == round_id)
        )
        return list(rows.scalars())


async def answer(store: SqlRoundStore, round_id: str, i: int) -> None:
    assert await store.record_response(round_id, UNIT, Platform.SLACK, f"U{i:02d}", answers_of(i))


async def test_a_dump_of_an_open_round_holds_no_answer_in_clear(
    store: SqlRoundStore, database_url: str
) -> None:
    rnd = await store.ensure("t1", PERIOD)
    for i in range(6):
        await answer(store, rnd.id, i)
    backup = dump(database_url)
    assert rnd.id in backup  # the dump does hold the round's rows
    for clear in (*ITEMS, "supported", UNIT):
        assert clear not in backup
    if database_url.startswith("sqlite"):  # a copy of the files themselves, WAL included
        files = Path(_sqlite_path(database_url)).parent.glob("respite.db*")
        raw = b"".join(f.read_bytes() for f in files)
        assert b"caseload" not in raw and UNIT.encode() not in raw
    assert canon(a for _, a in await store.answers(rnd.id)) == canon(
        answers_of(i) for i in range(6)
    )


async def test_every_ciphertext_of_a_round_has_one_length(store: SqlRoundStore) -> None:
    rnd = await store.ensure("t1", PERIOD)
    await answer(store, rnd.id, 0)
    # An answer of fewer items (an older form) and one from a longer unit name.
    await store.record_response(rnd.id, UNIT, Platform.SLACK, "U90", {"caseload": 5})
    await store.record_response(rnd.id, UNIT * 4, Platform.SLACK, "U91", answers_of(3))
    stored = await ciphertexts(store, rnd.id)
    assert len(stored) == 3
    assert len({len(c) for c in stored}) == 1


async def test_two_dumps_a_submission_apart_share_no_ciphertext(
    store: SqlRoundStore, database_url: str
) -> None:
    rnd = await store.ensure("t1", PERIOD)
    for i in range(5):
        await answer(store, rnd.id, i)
    before = await ciphertexts(store, rnd.id)
    backup_before = dump(database_url)
    await answer(store, rnd.id, 5)
    after = await ciphertexts(store, rnd.id)
    backup_after = dump(database_url)
    assert len(after) == 6
    assert not set(before) & set(after)
    assert all(c in backup_before for c in before) and all(c in backup_after for c in after)
    assert not any(c in backup_after for c in before)


async def test_close_keeps_the_figures_and_deletes_the_answers(store: SqlRoundStore) -> None:
    rnd = await store.ensure("t1", PERIOD)
    expected = Tally()
    for i in range(7):
        await answer(store, rnd.id, i)
        expected.add(dimension_scores(store._instrument, answers_of(i)))
    assert await store.close(rnd.id, 9, START + timedelta(hours=72))
    async with store._sessions() as s:
        left = await s.scalar(select(func.count()).where(pulse_responses.c.round_id == rnd.id))
        figures = (
            await s.execute(select(round_figures).where(round_figures.c.round_id == rnd.id))
        ).all()
    assert left == 0
    assert await store.answers(rnd.id) == []
    assert {(f.dimension, f.respondents, f.n) for f in figures} == {
        (dim, 7, expected.counts[dim]) for dim in expected.sums
    }
    assert {f.dimension: f.total for f in figures} == pytest.approx(expected.sums)
    assert {f.unit_id for f in figures} == {UNIT}
    # Who took part stays until the period is frozen (reminders, release rules).
    assert len(await store.participants(rnd.id)) == 7


async def test_many_racing_submissions_store_one_answer_per_person(
    store: SqlRoundStore,
) -> None:
    rnd = await store.ensure("t1", PERIOD)
    tries = [i % 10 for i in range(200)]
    results = await asyncio.gather(
        *(
            store.record_response(rnd.id, UNIT, Platform.SLACK, f"U{i:02d}", answers_of(i))
            for i in tries
        )
    )
    assert sum(results) == 10
    assert len(await store.participants(rnd.id)) == 10
    assert canon(a for _, a in await store.answers(rnd.id)) == canon(
        answers_of(i) for i in range(10)
    )


def test_no_secret_is_an_error_not_clear_storage(engine: AsyncEngine) -> None:
    for secret in (None, b"", b"short"):
        with pytest.raises(MissingSecret, match="RESPITE_SECRET"):
            SqlRoundStore(session_factory(engine), load_instrument(), secret)


async def test_another_secret_cannot_open_the_answers(
    store: SqlRoundStore, engine: AsyncEngine
) -> None:
    rnd = await store.ensure("t1", PERIOD)
    await answer(store, rnd.id, 0)
    other = SqlRoundStore(session_factory(engine), load_instrument(), b"x" * 32)
    with pytest.raises(UnsealError, match=re.escape(rnd.id)):
        await other.answers(rnd.id)
    with pytest.raises(UnsealError):
        await other.close(rnd.id, 5, START + timedelta(hours=72))
    assert len(await store.answers(rnd.id)) == 1  # nothing changed
