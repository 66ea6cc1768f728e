"""`respite serve` in Socket Mode as a real process: started from SLACK_BOT_TOKEN and
SLACK_APP_TOKEN alone (no signing secret), it connects to the fake Socket Mode endpoint beside
its web listener, answers a /checkin that comes over the socket, serves no /slack/events, and
closes the socket on SIGTERM."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession

from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.fakes.socket_mode import APP_TOKEN, FakeSocketMode, slash_command
from tests.support.roster import AROUND_THE_CLOCK, CLINICIANS, roster_data
from tests.support.serve_process import ServeProcess, respite_env, run_cli, write_roster
from tests.support.waiting import until


def _socket_env(tmp_path: Path, api_url: str) -> dict[str, str]:
    # A yearly round ten days ahead: nothing is due while the test runs.
    start = datetime.now(UTC) + timedelta(days=10)
    pulse = {"cron": f"0 10 {start.day} {start.month} *", "open_hours": 72}
    roster = write_roster(tmp_path / "respite.yaml", roster_data(pulse=pulse, **AROUND_THE_CLOCK))
    env = respite_env(f"sqlite:///{tmp_path / 'respite.db'}", roster, api_url)
    del env["SLACK_SIGNING_SECRET"]
    env["SLACK_APP_TOKEN"] = APP_TOKEN
    env["METRICS_PORT"] = "0"
    return env


@pytest.fixture
async def socket_mode(fake_slack: FakeSlackApi) -> AsyncIterator[FakeSocketMode]:
    fake = FakeSocketMode(fake_slack)
    await fake.start()
    yield fake
    await fake.close()


async def _healthz(server: ServeProcess, http: ClientSession) -> tuple[int, dict[str, Any]]:
    async with http.get(server.base_url + "/healthz") as resp:
        body: dict[str, Any] = await resp.json()
        return resp.status, body


async def test_serve_in_socket_mode(
    tmp_path: Path, fake_slack: FakeSlackApi, socket_mode: FakeSocketMode
) -> None:
    server = ServeProcess(_socket_env(tmp_path, fake_slack.url), tmp_path / "serve.log")
    try:
        async with ClientSession() as http:
            await server.start()
            await server.wait_healthy(http)
            await socket_mode.wait_for_connections(1)
            # The start-up check asked for an address once, the socket once more.
            assert socket_mode.opened_with() == [f"Bearer {APP_TOKEN}"] * 2
            for _ in range(500):
                status, body = await _healthz(server, http)
                if body.get("slack_socket") == "connected":
                    break
                await asyncio.sleep(0.02)
            assert (status, body) == (200, {"status": "ok", "slack_socket": "connected"})

            fields = slash_command(
                "/checkin", "", CLINICIANS[0], fake_slack.response_url(), "1.2.socket"
            )
            ack = await socket_mode.slash(fields)
            assert ack.payload is None
            await until(lambda: bool(fake_slack.called("views.open")), "views.open")
            call = fake_slack.called("views.open")[0]
            assert call.params["trigger_id"] == "1.2.socket"
            assert call.params["view"]["callback_id"] == "pulse"

            async with http.post(server.base_url + "/slack/events", data="x=1") as resp:
                assert resp.status == 404

            connection = socket_mode.current
            assert await server.stop() == 0
            assert connection.closed.is_set()
            log = server.log()
            assert "Slack: Socket Mode connection closed" in log
            assert "no chat platform is configured" not in log
            assert "Traceback" not in log
    finally:
        await server.kill()


async def test_serve_refuses_an_app_token_slack_refuses(
    tmp_path: Path, fake_slack: FakeSlackApi, socket_mode: FakeSocketMode
) -> None:
    fake_slack.responders["apps.connections.open"] = lambda _: {
        "ok": False,
        "error": "invalid_auth",
    }
    env = _socket_env(tmp_path, fake_slack.url)
    code, out = await run_cli(env, "serve", "--host", "127.0.0.1", "--port", "0")
    assert code == 2, out
    assert "error: SLACK_APP_TOKEN: Slack refused it (invalid_auth)" in out
    assert socket_mode.connections == []
