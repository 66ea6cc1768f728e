"""Someone holding the database and the logs, but not the server secret, cannot tell who gave an
anonymous kudos, on SQLite and PostgreSQL.

A giver sends an anonymous kudos as their first words to the bot, then a named one within the
hour; a colleague sends a named one in between. The whole database is then read, every table of
the schema, as a backup would hold it. A value is a link when it appears both in a row of the
anonymous kudos and in a row naming its giver, but in no row naming the colleague: a value the
colleague's rows share as well (the team, the platform, the day) cannot single out the giver.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app.logs import cap_third_party
from bot.storage.tables import kudos as kudos_t
from bot.storage.tables import metadata, teams_contacts
from tests.support.msteams_driver import aad, personal_conversation, teams_user_id
from tests.support.msteams_harness import TeamsHarness
from tests.support.msteams_kudos import install, kudos_teams, say_kudos
from tests.support.roster import MONDAY

__all__ = ["kudos_teams"]

GIVER, COLLEAGUE = 1, 2
Row = tuple[str, dict[str, Any]]


def names(n: int) -> tuple[str, ...]:
    """Everything that identifies test person n in stored rows and in logs."""
    return (aad(n), teams_user_id(n), personal_conversation(n), f"Person {n}")


async def dump(h: TeamsHarness) -> list[Row]:
    """Every row of every table, as (table, columns)."""
    rows: list[Row] = []
    async with AsyncSession(h.respite.engine) as s:
        for table in metadata.sorted_tables:
            for row in await s.execute(select(table)):
                rows.append((table.name, dict(row._mapping)))
    return rows


def leaves(value: Any) -> Iterator[str]:
    """The comparable values in a cell: strings, and times as UTC instants; JSON flattened.
    Numbers and flags are left out: small counters and positions match by chance."""
    if isinstance(value, datetime):
        yield value.astimezone(UTC).isoformat()
    elif isinstance(value, dict):
        for v in value.values():
            yield from leaves(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from leaves(v)
    elif isinstance(value, str):
        yield value


def values(rows: list[Row]) -> set[str]:
    return {leaf for _, row in rows for cell in row.values() for leaf in leaves(cell)}


def text_of(row: dict[str, Any]) -> str:
    return json.dumps(row, default=str)


def naming(rows: list[Row], n: int) -> list[Row]:
    return [(t, r) for t, r in rows if any(name in text_of(r) for name in names(n))]


@pytest.fixture
async def three_kudos(
    kudos_teams: TeamsHarness, caplog: pytest.LogCaptureFixture
) -> tuple[TeamsHarness, list[logging.LogRecord]]:
    """The giver's anonymous and named kudos, the colleague's named one; the log records of the
    anonymous one's turn, at DEBUG with production's caps on chatty libraries."""
    h = kudos_teams
    await install(h)
    caplog.set_level(logging.DEBUG)
    cap_third_party()
    h.clock.set(MONDAY + timedelta(minutes=10, seconds=7, microseconds=123456))
    before = len(caplog.records)
    await say_kudos(h, GIVER, [5], "anon support Thank you for sitting with me after Tuesday.")
    during = caplog.records[before:]
    h.clock.set(MONDAY + timedelta(minutes=40, seconds=31))
    await say_kudos(h, COLLEAGUE, [3], "cover Thanks for taking my 4pm.")
    h.clock.set(MONDAY + timedelta(minutes=50, seconds=45))
    await say_kudos(h, GIVER, [3], "cover Thanks for taking my 5pm.")
    await h.deliver()
    return h, during


async def test_no_stored_value_joins_an_anonymous_kudos_to_its_giver(
    three_kudos: tuple[TeamsHarness, list[logging.LogRecord]],
) -> None:
    h, _ = three_kudos
    rows = await dump(h)
    [anonymous] = [r for t, r in rows if t == "kudos" and r["anonymous"]]
    assert len([r for t, r in rows if t == "kudos"]) == 3
    of_anonymous = [(t, r) for t, r in rows if anonymous["id"] in text_of(r)]
    assert {t for t, _ in of_anonymous} >= {"kudos", "kudos_recipients", "outbox"}
    assert naming(of_anonymous, GIVER) == []
    by_giver = naming(rows, GIVER)
    assert {t for t, _ in by_giver} >= {"kudos", "teams_contacts"}
    links = values(of_anonymous) & values(by_giver) - values(naming(rows, COLLEAGUE))
    assert links == set()


async def test_the_givers_contact_keeps_no_time_of_the_kudos(
    three_kudos: tuple[TeamsHarness, list[logging.LogRecord]],
) -> None:
    h, _ = three_kudos
    async with AsyncSession(h.respite.engine) as s:
        contact_times = set(
            await s.scalars(
                select(teams_contacts.c.updated_at).where(teams_contacts.c.key == aad(GIVER))
            )
        )
        [stored] = await s.scalars(select(kudos_t.c.created_at).where(kudos_t.c.anonymous))
    moment = MONDAY + timedelta(minutes=10, seconds=7, microseconds=123456)
    assert contact_times and stored not in contact_times and moment not in contact_times
    assert stored == MONDAY  # the start of its hour


async def test_no_log_line_of_the_anonymous_kudos_names_its_giver(
    three_kudos: tuple[TeamsHarness, list[logging.LogRecord]],
) -> None:
    _, during = three_kudos
    assert any("kudos posted" in r.getMessage() for r in during)
    for record in during:
        assert not any(name in record.getMessage() for name in names(GIVER)), record.getMessage()
