"""Responses keyed by (round, random id): the migration keeps every answer, on both backends."""

from __future__ import annotations

import json

from sqlalchemy import inspect, text

from bot.storage.db import create_engine_sync
from bot.storage.migrate import downgrade, upgrade

# The last revision that stores answers in clear.
BEFORE_SEALING = "0010_break_plans"


def _clear(url: str) -> None:
    engine = create_engine_sync(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM pulse_responses"))
            conn.execute(text("DELETE FROM pulse_rounds"))
    finally:
        engine.dispose()


def _seed(url: str) -> None:
    _clear(url)
    engine = create_engine_sync(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO pulse_rounds (id, team_id, period_key, opens_at, remind_at,"
                    " closes_at) VALUES ('r1', 't1', 'k1', :at, :at, :at)"
                ),
                {"at": "2026-11-30 10:00:00"},
            )
            for i in range(3):
                conn.execute(
                    text(
                        "INSERT INTO pulse_responses (id, round_id, unit_id, answers)"
                        " VALUES (:id, 'r1', 't1', :answers)"
                    ),
                    {"id": f"{i:032x}", "answers": json.dumps({"caseload": i + 1})},
                )
    finally:
        engine.dispose()


def _shape(url: str) -> tuple[list[str], list[str], list[tuple[str, int]]]:
    engine = create_engine_sync(url)
    try:
        found = inspect(engine)
        key = found.get_pk_constraint("pulse_responses")["constrained_columns"]
        indexes = [i["name"] for i in found.get_indexes("pulse_responses")]
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, answers FROM pulse_responses ORDER BY id")).all()
        answers = [
            (
                r.id,
                (r.answers if isinstance(r.answers, dict) else json.loads(r.answers))["caseload"],
            )
            for r in rows
        ]
        return key, indexes, answers
    finally:
        engine.dispose()


def test_answers_survive_the_change_of_key_both_ways(database_url: str) -> None:
    downgrade(database_url, "0005_digest")
    _seed(database_url)
    before = _shape(database_url)
    assert before[0] == ["id"]
    upgrade(database_url, BEFORE_SEALING)
    key, indexes, answers = _shape(database_url)
    assert key == ["round_id", "id"]
    assert "ix_pulse_responses_round_id" not in indexes
    assert answers == before[2]
    downgrade(database_url, "0005_digest")
    assert _shape(database_url) == before
    _clear(database_url)  # sealing open answers needs a secret: test_sealed_migration.py
    upgrade(database_url)


def test_sqlite_keeps_the_table_without_rowid(sqlite_url: str) -> None:
    engine = create_engine_sync(sqlite_url)
    try:
        with engine.connect() as conn:
            sql = conn.execute(
                text("SELECT sql FROM sqlite_master WHERE name = 'pulse_responses'")
            ).scalar_one()
    finally:
        engine.dispose()
    assert "WITHOUT ROWID" in sql.upper()
    assert "PRIMARY KEY (round_id, id)" in sql
