"""Break migrations go down and up again on both backends, keeping what is stored."""

from __future__ import annotations

import json
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
        downgrade(database_url, "0006_responses_by_round")
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


def test_shared_cards_are_put_back_in_their_rows_when_going_down(database_url: str) -> None:
    engine = create_engine_sync(database_url)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO outbox_cards (id, card, created_at) VALUES (:id, :card, :now)"),
                {"id": "a" * 32, "card": '{"title": "shared"}', "now": now},
            )
            for key, card, card_id in (("k1", None, "a" * 32), ("k2", '{"title": "own"}', None)):
                conn.execute(
                    text(
                        "INSERT INTO outbox (key, platform, recipient, card, card_id, status, "
                        "attempts, not_before, created_at) VALUES (:key, 'slack', '{}', "
                        ":card, :card_id, 'pending', 0, :now, :now)"
                    ),
                    {"key": key, "card": card, "card_id": card_id, "now": now},
                )
        downgrade(database_url, "0007_break_strides")
        with engine.connect() as conn:
            cards = dict(conn.execute(text("SELECT key, card FROM outbox")).all())
        assert {k: json.loads(v) if isinstance(v, str) else v for k, v in cards.items()} == {
            "k1": {"title": "shared"},
            "k2": {"title": "own"},
        }
    finally:
        engine.dispose()
        upgrade(database_url)


def test_plan_followers_get_their_own_schedule_back_when_going_down(database_url: str) -> None:
    engine = create_engine_sync(database_url)
    now = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO break_plans (id, platform, team_id, next_at, sent, updated_at) "
                    "VALUES ('p1', 'slack', 't', :now, 3, :now)"
                ),
                {"now": now},
            )
            for user, plan in (("U001", "p1"), ("U002", None)):
                conn.execute(
                    text(
                        "INSERT INTO break_people (platform, user_id, team_id, tz_checked, "
                        "calendar_warned, practice_stride, plan_id, plan_sent, next_at, "
                        "updated_at) VALUES ('slack', :u, 't', false, false, 1, :plan, 1, "
                        ":next_at, :now)"
                    ),
                    {"u": user, "plan": plan, "next_at": None if plan else now, "now": now},
                )
        downgrade(database_url, "0009_outbox_holds")
        assert not {"break_plans", "break_fanouts"} & set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            due = conn.execute(text("SELECT user_id FROM break_people WHERE next_at IS NOT NULL"))
            assert sorted(u for (u,) in due) == ["U001", "U002"]
            # Two prompts since U001 joined, by a stride of 1 from none: practices 1 then 2.
            practice = text("SELECT user_id, last_practice FROM break_people")
            assert dict(conn.execute(practice).all()) == {"U001": 2, "U002": None}
    finally:
        engine.dispose()
        upgrade(database_url)
    assert {"break_plans", "break_fanouts"} <= _shape(database_url)[0]
