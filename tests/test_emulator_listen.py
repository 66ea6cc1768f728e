"""Teams' emulator mode (no MICROSOFT_APP_ID) runs without authentication: `respite serve`
serves /api/messages only on a loopback listener, unless the admin opts in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import ClientSession

from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.msteams_harness import teams_roster
from tests.support.serve_process import ServeProcess, respite_env, write_roster


@pytest.fixture
async def http() -> AsyncIterator[ClientSession]:
    async with ClientSession() as session:
        yield session


async def _serve(tmp_path: Path, fake_slack: FakeSlackApi, host: str, **extra: str) -> ServeProcess:
    roster = write_roster(tmp_path / "respite.yaml", teams_roster())
    env = respite_env(
        f"sqlite:///{tmp_path / host}.db", roster, fake_slack.url, METRICS_PORT="0", **extra
    )
    return ServeProcess(env, tmp_path / f"{host}-{len(extra)}.log", host=host)


@pytest.mark.parametrize(
    ("host", "extra", "served"),
    [
        ("0.0.0.0", {}, False),  # noqa: S104 - the case under test
        ("0.0.0.0", {"TEAMS_EMULATOR_BEYOND_LOOPBACK": "true"}, True),  # noqa: S104
        ("127.0.0.1", {}, True),
    ],
)
async def test_emulator_route_needs_loopback_or_an_opt_in(
    tmp_path: Path,
    fake_slack: FakeSlackApi,
    http: ClientSession,
    host: str,
    extra: dict[str, str],
    served: bool,
) -> None:
    server = await _serve(tmp_path, fake_slack, host, **extra)
    try:
        await server.start()
        await server.wait_healthy(http)
        async with http.post(
            f"http://127.0.0.1:{server.port}/api/messages",
            data=b"{}",
            headers={"Content-Type": "application/json"},
        ) as resp:
            # Served: the route reads the body and finds no activity (400); not served: 404.
            assert resp.status == (400 if served else 404)
        said = "/api/messages is not served: it runs without authentication" in server.log()
        assert said is not served
        # Slack's route is served either way.
        async with http.post(f"http://127.0.0.1:{server.port}/slack/events", data=b"") as resp:
            assert resp.status != 404
    finally:
        await server.kill()
