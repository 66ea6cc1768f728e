"""Calendar addresses are sealed at rest (a key derived from RESPITE_SECRET, bound to the
person), on SQLite and PostgreSQL; migration 0018 seals the ones stored in clear, or removes them
with a warning when the secret is not set; downgrade opens them again."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from bot.domain.breaks import BreakSettings
from bot.domain.messages import Platform
from bot.storage.breaks import SqlBreakStore
from bot.storage.db import create_engine_async, session_factory
from bot.storage.migrate import downgrade, upgrade
from tests.support.db import run_sql

SECRET = "calendar-sealed-test-secret-0123456789abcdef"
CALENDAR = "https://outlook.example.org/owa/calendar/abc/def/reachcalendar.ics"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
BEFORE = "0017_audit_log"


async def _store_get(url: str, secret: str, user: str) -> BreakSettings | None:
    engine = create_engine_async(url)
    try:
        store = SqlBreakStore(session_factory(engine), lambda _: None, mark_key=secret.encode())
        return await store.get(Platform.SLACK, user)
    finally:
        await engine.dispose()


async def test_the_store_keeps_the_address_sealed_and_opens_it(database_url: str) -> None:
    engine = create_engine_async(database_url)
    try:
        store = SqlBreakStore(session_factory(engine), lambda _: None, mark_key=SECRET.encode())
        await store.save(BreakSettings("slack", "U1", "riverside", calendar_url=CALENDAR), NOW)
        await store.save(BreakSettings("slack", "U2", "riverside"), NOW)
        got = await store.get(Platform.SLACK, "U1")
        assert got is not None and got.calendar_url == CALENDAR
        due = {d.settings.user_id: d.settings.calendar_url for d in await store.due(NOW, 10)}
        assert due == {"U1": CALENDAR, "U2": None}
    finally:
        await engine.dispose()
    stored = run_sql(database_url, "SELECT user_id, calendar_url FROM break_people")
    sealed = dict(stored)["U1"]
    assert sealed.startswith("cal1:")
    assert "example.org" not in sealed and "calendar" not in sealed.removeprefix("cal1:")
    # Copied onto another person's row, it does not open; nor with another secret.
    run_sql(
        database_url, "UPDATE break_people SET calendar_url = :v WHERE user_id = 'U2'", v=sealed
    )
    other = await _store_get(database_url, SECRET, "U2")
    assert other is not None and other.calendar_url is None
    wrong = await _store_get(database_url, "another-secret-0123456789abcdef0123", "U1")
    assert wrong is not None and wrong.calendar_url is None


def _seed_plain(url: str) -> None:
    for user, cal in (("U1", CALENDAR), ("U2", None)):
        run_sql(
            url,
            "INSERT INTO break_people (platform, user_id, team_id, tz_checked, calendar_url,"
            " calendar_warned, practice_stride, updated_at)"
            " VALUES ('slack', :u, 'riverside', false, :cal, true, 1, :at)",
            u=user,
            cal=cal,
            at="2026-12-01 09:00:00",
        )


async def test_migration_seals_plain_addresses(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    downgrade(database_url, BEFORE)
    _seed_plain(database_url)
    monkeypatch.setenv("RESPITE_SECRET", SECRET)
    upgrade(database_url)
    [(stored,)] = run_sql(database_url, "SELECT calendar_url FROM break_people WHERE user_id='U1'")
    assert stored.startswith("cal1:") and "example.org" not in stored
    got = await _store_get(database_url, SECRET, "U1")
    assert got is not None and got.calendar_url == CALENDAR
    # Downgrading opens it again.
    downgrade(database_url, BEFORE)
    [(plain,)] = run_sql(database_url, "SELECT calendar_url FROM break_people WHERE user_id='U1'")
    assert plain == CALENDAR
    upgrade(database_url)


def test_without_a_secret_plain_addresses_are_removed_with_a_warning(
    database_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    downgrade(database_url, BEFORE)
    _seed_plain(database_url)
    monkeypatch.delenv("RESPITE_SECRET", raising=False)
    with caplog.at_level(logging.WARNING, logger="alembic.runtime.migration"):
        upgrade(database_url)
    rows = run_sql(database_url, "SELECT user_id, calendar_url FROM break_people ORDER BY user_id")
    assert rows == [("U1", None), ("U2", None)]
    assert any("removing 1 calendar address" in r.getMessage() for r in caplog.records)
