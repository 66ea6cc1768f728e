"""Break migrations go down and up again on both backends, keeping what is stored."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import inspect, text

from bot.domain.break_cards import person_stride
from bot.storage.db import create_engine_sync
from bot.storage.migrate import downgrade, upgrade


def _shape(url: str) -> tuple[set[str], set[str], set[str]]:
    engine = create_engine_sync(url)
    try:
        insp = inspect(engine)
        tables = set(insp.get_table_names())
        outbox = {c["name"] for c in insp.get_columns("outbox")}
        indexes = (
            {i["name"] for i in insp.get_indexes("break_people")}
            if "break_people" in tables
            else set()
        )
        return tables, outbox, {n for n in indexes if n}
    finally:
        engine.dispose()


def test_breaks_migration_down_and_up(database_url: str) -> None:
    tables, outbox, indexes = _shape(database_url)
    assert {"break_people", "break_uptake"} <= tables
    assert "drop_after" in outbox
    assert "ix_break_people_next_at" in indexes
    try:
        downgrade(database_url, "0003_kudos")
        tables, outbox, _ = _shape(database_url)
        assert not {"break_people", "break_uptake"} & tables
        assert "drop_after" not in outbox
    finally:
        upgrade(database_url)
    tables, outbox, _ = _shape(database_url)
    assert {"break_people", "break_uptake"} <= tables and "drop_after" in outbox


def test_strides_are_filled_in_for_people_already_stored(database_url: str) -> None:
    people = ["U001", "U002", "29:1a-bc"]
    try:
        downgrade(database_url, "0005_digest")
        engine = create_engine_sync(database_url)
        try:
            with engine.begin() as conn:
                for user in people:
                    conn.execute(
                        text(
                            "INSERT INTO break_people (platform, user_id, team_id, tz_checked, "
                            "calendar_warned, updated_at) VALUES ('slack', :u, 't', false, "
                            "false, :now)"
                        ),
                        {"u": user, "now": datetime(2026, 1, 1, tzinfo=UTC)},
                    )
        finally:
            engine.dispose()
    finally:
        upgrade(database_url)
    engine = create_engine_sync(database_url)
    try:
        with engine.connect() as conn:
            stored = dict(
                conn.execute(text("SELECT user_id, practice_stride FROM break_people")).all()
            )
    finally:
        engine.dispose()
    assert stored == {user: person_stride(user) for user in people}
