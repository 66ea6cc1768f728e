"""Migration 0012: what an existing database kept of frozen weeks' rounds is deleted; rounds of
weeks not yet frozen keep what their freeze will need; downgrade runs. Both backends."""

from __future__ import annotations

from bot.storage.migrate import downgrade, upgrade
from tests.support.db import run_sql

BEFORE = "0011_sealed_answers"


def _round(url: str, rid: str, key: str, closed: bool) -> None:
    run_sql(
        url,
        "INSERT INTO pulse_rounds (id, team_id, period_key, opens_at, remind_at, closes_at,"
        " closed_at) VALUES (:id, 't1', :key, :at, :at, :at, :closed)",
        id=rid,
        key=key,
        at="2026-11-30 10:00:00" if rid != "old" else "2026-11-23 10:00:00",
        closed="2026-12-03 10:00:00" if closed else None,
    )
    run_sql(url, "INSERT INTO pulse_participation VALUES (:r, 'slack', 'U1')", r=rid)
    if closed:
        run_sql(
            url,
            "INSERT INTO round_figures VALUES (:r, 't1', 'exhaustion', 6, 6, 18.0)",
            r=rid,
        )


def test_frozen_weeks_lose_their_round_data(database_url: str) -> None:
    downgrade(database_url, BEFORE)
    # Week 48 is frozen; week 49's round is closed but its week is not; another is still open.
    _round(database_url, "old", "2026-11-23T10:00+00:00", closed=True)
    _round(database_url, "new", "2026-11-30T10:00+00:00", closed=True)
    _round(database_url, "open", "2026-11-30T11:00+00:00", closed=False)
    run_sql(
        database_url,
        "INSERT INTO digest_periods (period, frozen_at) VALUES ('2026-W48', '2026-11-29 10:00:00')",
    )
    upgrade(database_url)
    people = run_sql(database_url, "SELECT round_id FROM pulse_participation ORDER BY round_id")
    figures = run_sql(database_url, "SELECT round_id FROM round_figures ORDER BY round_id")
    assert [r for (r,) in people] == ["new", "open"]
    assert [r for (r,) in figures] == ["new"]
    assert run_sql(database_url, "SELECT count(*) FROM release_people") == [(0,)]
    downgrade(database_url, BEFORE)
    upgrade(database_url)
