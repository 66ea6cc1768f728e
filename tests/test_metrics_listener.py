"""Metrics have a listener of their own (METRICS_HOST, loopback by default; METRICS_PORT): the
public port serves the platforms and /healthz only, and a taken metrics port costs the metrics,
never the service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import ClientSession

from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.serve_process import ServeProcess, dormant_roster, free_port, respite_env


@pytest.fixture
async def http() -> AsyncIterator[ClientSession]:
    async with ClientSession() as session:
        yield session


async def test_metrics_listen_apart_from_the_public_port(
    tmp_path: Path, fake_slack: FakeSlackApi, http: ClientSession
) -> None:
    metrics_port = free_port()
    servers = []
    try:
        for name in ("first", "second"):
            env = respite_env(
                f"sqlite:///{tmp_path / name}.db",
                dormant_roster(tmp_path),
                fake_slack.url,
                METRICS_PORT=str(metrics_port),
            )
            server = ServeProcess(env, tmp_path / f"{name}.log")
            servers.append(server)
            await server.start()
            await server.wait_healthy(http)
        first, second = servers

        async with http.get(first.base_url + "/metrics") as resp:
            assert resp.status == 404
        async with http.get(f"http://127.0.0.1:{metrics_port}/metrics") as resp:
            assert resp.status == 200
            assert "respite_deliveries_total" in await resp.text()

        # The second process found the metrics port taken: it serves, and says why it has none.
        assert (
            f"metrics: cannot listen on 127.0.0.1:{metrics_port} (address already in use); "
            "/metrics is off" in second.log().lower()
        )
        assert await second.stop() == 0
        assert await first.stop() == 0
    finally:
        for server in servers:
            await server.kill()
