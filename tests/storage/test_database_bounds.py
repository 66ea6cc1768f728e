"""Every wait for the database is bounded, so a database that hangs cannot hang Respite.

A hanging PostgreSQL is played by a proxy that stops forwarding bytes without closing anything
(tests/support/fakes/frozen_proxy.py). Each wait is run under a generous outer bound: a wait left
unbounded would outlast it (psycopg alone waits 130 s to connect), so the test fails instead of
hanging.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import pytest
from aiohttp import ClientSession, ClientTimeout
from aiohttp.test_utils import TestServer
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app.compose import build
from bot.app.web import build_web_app
from bot.config import Settings, parse_roster
from bot.infra.clock import FixedClock
from bot.infra.deadline import settled
from bot.storage.db import DatabaseTimeouts, create_engine_async
from bot.storage.health import PING_DEADLINE_SECONDS
from tests.support.db import PostgresDatabase
from tests.support.fakes.frozen_proxy import FrozenProxy
from tests.support.roster import MONDAY, roster_data

# Far beyond every bound under test, far below what an unbounded wait would take.
OUTER_BOUND_SECONDS = 60.0

QUICK = DatabaseTimeouts(connect=2, pool=1, statement=1)


async def _bounded(work: Coroutine[Any, Any, Any]) -> BaseException | None:
    """Run `work` under the outer bound; what it raised, or None. Fails if it is still waiting."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=OUTER_BOUND_SECONDS)
    if not done:
        task.cancel()
        pytest.fail(f"still waiting for the database after {OUTER_BOUND_SECONDS:g} s")
    return task.exception()


@pytest.fixture
async def proxy(postgres_database: PostgresDatabase) -> AsyncIterator[FrozenProxy]:
    url = make_url(postgres_database.url)
    frozen = FrozenProxy(url.host or "127.0.0.1", url.port or 5432)
    await frozen.start()
    yield frozen
    frozen.thaw()
    await settled()
    await frozen.close()


def _through(proxy: FrozenProxy, postgres_database: PostgresDatabase) -> str:
    url = make_url(postgres_database.url).set(port=proxy.port)
    return url.render_as_string(hide_password=False)


@pytest.fixture
async def frozen_engine(
    proxy: FrozenProxy, postgres_database: PostgresDatabase
) -> AsyncIterator[AsyncEngine]:
    engine = create_engine_async(_through(proxy, postgres_database), QUICK)
    yield engine
    proxy.thaw()
    await settled()
    await engine.dispose()


async def _select_one(engine: AsyncEngine) -> Any:
    async with engine.connect() as conn:
        return await conn.scalar(text("SELECT 1"))


@pytest.mark.postgres
async def test_connecting_to_a_frozen_database_gives_up(
    proxy: FrozenProxy, frozen_engine: AsyncEngine
) -> None:
    proxy.freeze()
    raised = await _bounded(_select_one(frozen_engine))
    assert isinstance(raised, OperationalError)
    assert "timeout" in str(raised).lower()
    proxy.thaw()
    assert await _select_one(frozen_engine) == 1


@pytest.mark.postgres
async def test_a_statement_on_a_frozen_database_gives_up(
    proxy: FrozenProxy, frozen_engine: AsyncEngine
) -> None:
    async with frozen_engine.connect() as conn:
        assert await conn.scalar(text("SELECT 1")) == 1
        proxy.freeze()
        raised = await _bounded(conn.execute(text("SELECT 2")))
        # The client's own deadline: a frozen server never reports its statement_timeout.
        assert isinstance(raised, TimeoutError)
        proxy.thaw()
    assert await _select_one(frozen_engine) == 1


@pytest.mark.postgres
async def test_a_slow_statement_meets_the_servers_statement_timeout(
    postgres_database: PostgresDatabase,
) -> None:
    engine = create_engine_async(postgres_database.url, QUICK)
    try:
        async with engine.connect() as conn:
            raised = await _bounded(conn.execute(text("SELECT pg_sleep(30)")))
            assert isinstance(raised, OperationalError)
            assert "statement timeout" in str(raised)
    finally:
        await engine.dispose()


async def test_waiting_for_a_pooled_connection_gives_up(database_url: str) -> None:
    engine = create_engine_async(database_url, QUICK, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as held:
            await held.execute(text("SELECT 1"))
            raised = await _bounded(_select_one(engine))
            assert isinstance(raised, PoolTimeout)
        assert await _select_one(engine) == 1
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_healthz_answers_503_while_the_database_is_frozen_and_200_after(
    proxy: FrozenProxy, postgres_database: PostgresDatabase
) -> None:
    postgres_database.truncate()
    settings = Settings(database_url=_through(proxy, postgres_database))
    respite = await build(settings, clock=FixedClock(MONDAY), roster=parse_roster(roster_data()))
    server = TestServer(build_web_app(respite), host="127.0.0.1")
    await server.start_server()
    # The probe's own timeout (the image's HEALTHCHECK allows 4 s) is what /healthz must beat.
    probe = ClientTimeout(total=PING_DEADLINE_SECONDS + 2)
    try:
        async with ClientSession(timeout=probe) as http:
            async with http.get(server.make_url("/healthz")) as resp:
                assert resp.status == 200
            proxy.freeze()
            for _ in range(2):  # a pooled connection, then a new one
                async with http.get(server.make_url("/healthz")) as resp:
                    assert resp.status == 503
                    assert (await resp.json())["status"] == "database unavailable"
            proxy.thaw()
            await settled()
            async with http.get(server.make_url("/healthz")) as resp:
                assert resp.status == 200
    finally:
        await server.close()
        await respite.close()
