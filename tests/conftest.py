"""Shared fixtures: real databases (SQLite and PostgreSQL), a fixed clock, a fake Slack Web API,
a fake Bot Framework connector, and the real aiohttp app served on 127.0.0.1 for each platform.
What they are built from lives in tests/support."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.app.compose import Respite
from bot.app.logs import CAPPED, SLACK_SDK_MODULE_LOGGERS
from bot.config import Settings
from bot.demo.bot_connector import FakeConnector
from bot.infra.clock import FixedClock
from tests.support.db import PostgresDatabase, SqliteTemplate, postgres_or_skip
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.msteams_harness import TeamsHarness, start_teams_harness, teams_roster
from tests.support.roster import MONDAY, roster_data
from tests.support.slack_harness import SlackHarness, start_slack_harness


@pytest.fixture(autouse=True)
def _isolated_logging() -> Iterator[None]:
    """In-process CLI calls configure logging for the process; put it back after each test."""
    root = logging.getLogger()
    names = ["", *CAPPED, *SLACK_SDK_MODULE_LOGGERS]
    levels = {name: logging.getLogger(name).level for name in names}
    handlers = list(root.handlers)
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    root.handlers[:] = handlers


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    return SqliteTemplate(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[PostgresDatabase]:
    postgres_or_skip()
    db = PostgresDatabase()
    yield db
    db.drop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: SqliteTemplate
) -> str:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        return sqlite_template.fresh(tmp_path / "respite.db")
    db: PostgresDatabase = request.getfixturevalue("postgres_database")
    db.truncate()
    return db.url


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: SqliteTemplate) -> str:
    return sqlite_template.fresh(tmp_path / "respite.db")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MONDAY)


@pytest.fixture
async def closing() -> AsyncIterator[list[Respite]]:
    """Respite instances a test builds itself, closed when it ends."""
    opened: list[Respite] = []
    yield opened
    for respite in opened:
        await respite.close()


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlackApi]:
    fake = FakeSlackApi()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def harness_roster() -> dict[str, Any]:
    return roster_data()


@pytest.fixture
async def slack_app(
    database_url: str,
    fake_slack: FakeSlackApi,
    clock: FixedClock,
    harness_roster: dict[str, Any],
) -> AsyncIterator[SlackHarness]:
    harness, session = await start_slack_harness(database_url, fake_slack, clock, harness_roster)
    yield harness
    await session.close()
    await harness.server.close()
    await harness.respite.close()


@pytest.fixture
async def fake_connector() -> AsyncIterator[FakeConnector]:
    fake = FakeConnector()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def teams_app(
    database_url: str, fake_connector: FakeConnector, clock: FixedClock
) -> AsyncIterator[TeamsHarness]:
    harness, session = await start_teams_harness(
        Settings(database_url=database_url), fake_connector, clock, teams_roster()
    )
    yield harness
    await session.close()
    await harness.server.close()
    await harness.respite.close()
