"""Shared fixtures: real databases (SQLite and PostgreSQL), a fixed clock, a fake Slack Web API,
and the real aiohttp app served on 127.0.0.1."""

from __future__ import annotations

import copy
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from bot.app.compose import Respite, build
from bot.app.logs import CAPPED, SLACK_SDK_MODULE_LOGGERS
from bot.app.web import build_web_app
from bot.config import Settings, parse_roster
from bot.infra.clock import FixedClock
from tests.db import PostgresDatabase, SqliteTemplate, postgres_or_skip
from tests.fakes.slack_api import FakeSlackApi
from tests.slack_driver import SIGNING_SECRET, SlackDriver

# Monday 30 November 2026, 09:00 UTC: an hour before the default weekly pulse opens.
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

CLINICIANS = [f"U00{i}" for i in range(1, 9)]
LEAD = "ULEAD01"

BASE_ROSTER: dict[str, Any] = {
    "teams": [
        {
            "id": "riverside",
            "name": "Riverside Therapy",
            "platform": "slack",
            "timezone": "UTC",
            "members": CLINICIANS,
            "leads": [LEAD],
            "min_group_size": 5,
            "pulse": {"cron": "0 10 * * mon", "open_hours": 72, "remind_after_hours": 48},
            "resources": [
                {"label": "Employee Assistance Programme", "text": "0800 123 4567"},
                {"label": "Crisis line", "url": "https://example.org/crisis"},
            ],
        }
    ]
}


# Working hours that never hold a message, for tests that run on the wall clock.
AROUND_THE_CLOCK = {"working_hours": "00:00-24:00", "working_days": "mon-sun"}


def roster_data(**team_overrides: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE_ROSTER)
    data["teams"][0].update(team_overrides)
    return data


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


async def deliver_all(
    respite: Respite,
    clock: FixedClock,
    concurrency: int | None = None,
    *,
    boundaries: bool = False,
) -> int:
    """Run the outbox worker until nothing more is due; returns how many were sent. With
    `boundaries`, it asks the runtime's working-time boundaries before each send, as it does
    in service."""
    from scheduler.delivery import CONCURRENCY, deliver_due

    total = 0
    rt = respite.runtime
    while sent := await deliver_due(
        rt.queue,
        respite.senders,
        clock,
        concurrency=concurrency or CONCURRENCY,
        boundaries=rt.boundaries if boundaries else None,
    ):
        total += sent
    return total


@dataclass
class SlackHarness:
    respite: Respite
    slack: SlackDriver
    fake: FakeSlackApi
    clock: FixedClock
    server: TestServer

    async def deliver(self, concurrency: int | None = None) -> int:
        return await deliver_all(self.respite, self.clock, concurrency)


async def start_slack_harness(
    database_url: str, fake: FakeSlackApi, clock: FixedClock, roster: dict[str, Any]
) -> tuple[SlackHarness, ClientSession]:
    settings = Settings(
        database_url=database_url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake.url,
    )
    respite = await build(settings, clock=clock, roster=parse_roster(roster))
    server = TestServer(build_web_app(respite), host="127.0.0.1")
    await server.start_server()
    session = ClientSession()
    driver = SlackDriver(session, str(server.make_url("/")), fake.response_url())
    return SlackHarness(respite, driver, fake, clock, server), session


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
