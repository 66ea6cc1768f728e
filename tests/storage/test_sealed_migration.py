"""Migration 0011: open rounds' answers sealed, closed rounds' answers deleted, on both
backends; without RESPITE_SECRET it stops with one line for the admin; downgrade runs."""

from __future__ import annotations

import json

import pytest

from bot.config import ConfigError, load_instrument
from bot.storage.db import create_engine_async, session_factory
from bot.storage.migrate import downgrade, upgrade
from bot.storage.pulse import SqlRoundStore
from tests.support.db import run_sql

SECRET = "sealed-migration-test-secret-0123456789abcdef"
BEFORE = "0010_break_plans"
OPEN_ANSWERS = [{"caseload": 1 + i, "drained": 5 - i} for i in range(3)]


def _seed(url: str) -> None:
    """An open round (r1) with three answers and a closed one (r2) with two, in clear."""
    for rid, closed in (("r1", None), ("r2", "2026-12-03 10:00:00")):
        run_sql(
            url,
            "INSERT INTO pulse_rounds (id, team_id, period_key, opens_at, remind_at, closes_at,"
            " closed_at) VALUES (:id, 't1', :id, :at, :at, :at, :closed)",
            id=rid,
            at="2026-11-30 10:00:00",
            closed=closed,
        )
    rows = [("r1", a) for a in OPEN_ANSWERS] + [("r2", {"caseload": 9})] * 2
    for i, (rid, answers) in enumerate(rows):
        run_sql(
            url,
            "INSERT INTO pulse_responses (id, round_id, unit_id, answers)"
            " VALUES (:id, :round, 'unit-t1', :answers)",
            id=f"{i:032x}",
            round=rid,
            answers=json.dumps(answers),
        )
    for user in ("U3", "U1", "U2"):
        run_sql(url, "INSERT INTO pulse_participation VALUES ('r1', 'slack', :u)", u=user)


async def _opened(url: str, round_id: str) -> list[dict[str, int]]:
    engine = create_engine_async(url)
    try:
        store = SqlRoundStore(session_factory(engine), load_instrument(), SECRET.encode())
        return sorted((a for _, a in await store.answers(round_id)), key=lambda a: a["caseload"])
    finally:
        await engine.dispose()


async def test_open_answers_are_sealed_and_closed_ones_deleted(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    downgrade(database_url, BEFORE)
    _seed(database_url)
    monkeypatch.setenv("RESPITE_SECRET", SECRET)
    upgrade(database_url)
    stored = run_sql(database_url, "SELECT round_id, sealed FROM pulse_responses")
    assert sorted(r for r, _ in stored) == ["r1"] * 3  # the closed round's answers are gone
    assert len({len(s) for _, s in stored}) == 1
    assert not any("caseload" in s or "unit-t1" in s for _, s in stored)
    assert await _opened(database_url, "r1") == OPEN_ANSWERS
    people = run_sql(database_url, "SELECT user_id FROM pulse_participation WHERE round_id = 'r1'")
    assert sorted(u for (u,) in people) == ["U1", "U2", "U3"]


@pytest.mark.parametrize("given", [None, "replace-with-64-hex-characters"])
def test_without_a_secret_the_upgrade_stops_with_one_line(
    database_url: str, monkeypatch: pytest.MonkeyPatch, given: str | None
) -> None:
    """No secret, or .env.example's placeholder (a published value, no key at all)."""
    downgrade(database_url, BEFORE)
    _seed(database_url)
    if given is None:
        monkeypatch.delenv("RESPITE_SECRET", raising=False)
    else:
        monkeypatch.setenv("RESPITE_SECRET", given)
    with pytest.raises(ConfigError) as failed:
        upgrade(database_url)
    [line] = failed.value.errors
    assert line.startswith("RESPITE_SECRET is not set")
    # Nothing was lost: with the secret the upgrade goes through.
    monkeypatch.setenv("RESPITE_SECRET", SECRET)
    upgrade(database_url)
    assert len(run_sql(database_url, "SELECT id FROM pulse_responses")) == 3


@pytest.mark.parametrize("with_secret", [True, False])
def test_downgrade_runs_with_or_without_the_secret(
    database_url: str, monkeypatch: pytest.MonkeyPatch, with_secret: bool
) -> None:
    downgrade(database_url, BEFORE)
    _seed(database_url)
    monkeypatch.setenv("RESPITE_SECRET", SECRET)
    upgrade(database_url)
    if not with_secret:
        monkeypatch.delenv("RESPITE_SECRET")
    downgrade(database_url, BEFORE)
    rows = run_sql(database_url, "SELECT unit_id, answers FROM pulse_responses")
    answers = [json.loads(a) if isinstance(a, str) else a for _, a in rows]
    if with_secret:
        assert sorted(answers, key=lambda a: a["caseload"]) == OPEN_ANSWERS
        assert {u for u, _ in rows} == {"unit-t1"}
    else:
        assert answers == []  # lossy, but it runs
    run_sql(database_url, "DELETE FROM pulse_responses")
    upgrade(database_url)
