"""The container's command, `respite serve`, as a real process outside Docker.

It starts from environment variables alone, applies the migrations to an empty database, answers
/healthz (and the image's HEALTHCHECK command), takes a signed /checkin from "Slack", stops
cleanly on SIGTERM, reports a database outage as 503, and shares its SQLite file with a
concurrent `respite pulse open` without sending anyone a message twice.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from bot.app.compose import build
from bot.app.web import build_web_app
from bot.config import Settings, parse_roster
from bot.storage.db import create_engine_async
from bot.storage.tables import metadata
from tests.support.db import PG_BASE, PostgresDatabase, postgres_or_skip
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.roster import AROUND_THE_CLOCK, CLINICIANS, LEAD, roster_data
from tests.support.serve_process import (
    ServeProcess,
    dormant_cron,
    dormant_roster,
    free_port,
    respite_env,
    run_cli,
)
from tests.support.slack_driver import SlackDriver
from tests.support.waiting import until

DOCKERFILE = Path(__file__).parent.parent / "Dockerfile"


def healthcheck_command() -> list[str]:
    """The exec-form command of the image's HEALTHCHECK instruction."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    line = next(ln for ln in text.splitlines() if ln.startswith("HEALTHCHECK"))
    command: list[str] = json.loads(line.split(" CMD ", 1)[1])
    return command


async def run_healthcheck(port: int) -> int:
    argv = healthcheck_command()
    assert argv[0] == "python"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *argv[1:],
        env={"PORT": str(port)},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    return await asyncio.wait_for(proc.wait(), 30)


@pytest.fixture
async def http() -> AsyncIterator[ClientSession]:
    async with ClientSession() as session:
        yield session


@pytest.fixture
async def serve_sqlite(
    tmp_path: Path, fake_slack: FakeSlackApi
) -> AsyncIterator[tuple[ServeProcess, Path]]:
    """`respite serve` on a new, empty SQLite file (serve itself must create the schema)."""
    db_path = tmp_path / "respite.db"
    env = respite_env(
        f"sqlite:///{db_path}",
        dormant_roster(tmp_path),
        fake_slack.url,
        OUTBOX_INTERVAL_SECONDS="0.1",
    )
    server = ServeProcess(env, tmp_path / "serve.log")
    await server.start()
    yield server, db_path
    await server.kill()


async def test_serve_migrates_answers_checkin_and_stops_on_sigterm(
    serve_sqlite: tuple[ServeProcess, Path], fake_slack: FakeSlackApi, http: ClientSession
) -> None:
    server, db_path = serve_sqlite
    assert not db_path.exists() or db_path.stat().st_size == 0
    await server.wait_healthy(http)

    with closing(sqlite3.connect(db_path)) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        version = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert set(metadata.tables) <= tables
    assert len(version) == 1
    assert mode == "wal"

    assert await run_healthcheck(server.port) == 0

    slack = SlackDriver(http, server.base_url, fake_slack.response_url())
    resp = await slack.slash("/checkin", "", CLINICIANS[0])
    assert resp.status == 200
    await until(lambda: bool(fake_slack.called("views.open")), "views.open", log=server.log())
    call = fake_slack.called("views.open")[0]
    assert call.params["trigger_id"] == "13345224609.738474920.8088930838d88f008e0"
    assert call.params["view"]["callback_id"] == "pulse"
    assert call.headers["Authorization"] == "Bearer xoxb-test-token"

    # A forged request is refused by the process as it is by the in-process app.
    body = slack.slash_body("/checkin", "", CLINICIANS[1])
    forged = await slack.post(body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert forged.status == 401

    assert await server.stop() == 0
    assert "Respite is stopping" in server.log()


async def test_healthz_is_503_while_the_database_is_unreachable(tmp_path: Path) -> None:
    """The handler itself, served by aiohttp, over an engine whose server is not there."""
    db_path = tmp_path / "respite.db"
    settings = Settings(database_url=f"sqlite:///{db_path}")
    from bot.storage.migrate import upgrade

    upgrade(settings.database_url)
    respite = await build(settings, roster=parse_roster(roster_data()))
    nowhere = create_engine_async(f"postgresql://postgres@127.0.0.1:{free_port()}/respite")
    down = replace(respite, engine=nowhere)
    server = TestServer(build_web_app(down), host="127.0.0.1")
    await server.start_server()
    try:
        async with ClientSession() as http:
            async with http.get(server.make_url("/healthz")) as resp:
                assert resp.status == 503
                assert (await resp.json())["status"] == "database unavailable"
            up = TestServer(build_web_app(respite), host="127.0.0.1")
            await up.start_server()
            try:
                async with http.get(up.make_url("/healthz")) as resp:
                    assert resp.status == 200
            finally:
                await up.close()
    finally:
        await server.close()
        await nowhere.dispose()
        await respite.close()


@pytest.mark.postgres
async def test_serve_reports_a_postgres_outage_as_503_and_recovers(
    tmp_path: Path, fake_slack: FakeSlackApi, http: ClientSession
) -> None:
    """A real outage: the database refuses connections and its sessions are cut. /healthz and
    the image's HEALTHCHECK say so, and both recover when the database comes back."""
    postgres_or_skip()
    db = PostgresDatabase()
    server = ServeProcess(
        respite_env(db.url, dormant_roster(tmp_path), fake_slack.url), tmp_path / "serve.log"
    )

    def outage(on: bool) -> None:
        with psycopg.connect(PG_BASE, autocommit=True) as conn:
            allow = "false" if on else "true"
            conn.execute(f'ALTER DATABASE "{db.name}" ALLOW_CONNECTIONS {allow}')
            if on:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                    (db.name,),
                )

    try:
        await server.start()
        await server.wait_healthy(http)
        assert await run_healthcheck(server.port) == 0

        outage(True)
        for _ in range(3):  # every probe during the outage, not only the first
            assert await server.healthz(http) == 503
        assert await run_healthcheck(server.port) != 0

        outage(False)
        await server.wait_healthy(http, within=30)
        assert await server.stop() == 0
    finally:
        await server.kill()
        outage(False)
        db.drop()


async def test_pulse_open_while_serve_runs_on_the_same_sqlite_file(
    serve_sqlite: tuple[ServeProcess, Path], fake_slack: FakeSlackApi, http: ClientSession
) -> None:
    server, db_path = serve_sqlite
    await server.wait_healthy(http)

    code, out = await run_cli(server.env, "pulse", "open", "--team", "riverside")
    assert code == 0, out
    assert "riverside: round" in out
    assert f"{len(CLINICIANS)} invitation(s) queued" in out
    assert "message(s) sent now" in out

    def outbox_settled() -> bool:
        with closing(sqlite3.connect(db_path, timeout=15)) as conn:
            (pending,) = conn.execute(
                "SELECT count(*) FROM outbox WHERE status != 'sent'"
            ).fetchone()
        return bool(pending == 0)

    await until(outbox_settled, "the outbox to drain", log=server.log())

    # Opening again (an admin's second try, or the scheduler catching up) invites nobody twice.
    code, out = await run_cli(server.env, "pulse", "open", "--team", "riverside")
    assert code == 0, out
    assert "0 invitation(s) queued" in out
    await until(outbox_settled, "the outbox to drain", log=server.log())

    posted: Counter[str] = Counter(
        str(c.params["channel"]) for c in fake_slack.called("chat.postMessage")
    )
    assert posted == Counter(dict.fromkeys(CLINICIANS, 1))
    assert LEAD not in posted

    assert await server.stop() == 0


def test_serve_process_roster_is_dormant() -> None:
    """The tests above rely on no round being due while they run."""
    from bot.infra.clock import SystemClock
    from scheduler.periods import CronCalendar

    team = parse_roster(
        roster_data(
            pulse={"cron": dormant_cron(), "open_hours": 72, "remind_after_hours": 48},
            **AROUND_THE_CLOCK,
        )
    ).team_list[0]
    now = SystemClock().now()
    latest: Any = CronCalendar().latest_start(team, now)
    assert latest is None or latest.closes_at <= now
