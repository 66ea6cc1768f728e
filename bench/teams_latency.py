"""Latency of pulse submissions through /api/messages against a bare botbuilder echo bot.

Both bots run on the same CloudAdapter in the same process and the same run, each request a
real HTTP POST to the aiohttp app on 127.0.0.1, each reply a real call to a local fake Bot
Framework connector. A pulse submission also records the answer (SQLite) and replaces the form
card in place. Prints both medians, p95s and the ratio of medians (target: at most 1.5).

    .venv/bin/python bench/teams_latency.py [--n 150]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app.compose import build  # noqa: E402
from bot.config import Settings, parse_roster  # noqa: E402
from bot.infra.clock import FixedClock  # noqa: E402
from bot.platforms.msteams.adapter import TeamsCredentials  # noqa: E402
from bot.platforms.msteams.app import build_teams, messages_route  # noqa: E402
from bot.platforms.msteams.echo import EchoBot  # noqa: E402
from bot.storage.addresses import SqlAddressBook  # noqa: E402
from bot.storage.db import session_factory  # noqa: E402
from bot.storage.migrate import upgrade  # noqa: E402
from tests.platforms.msteams.test_checkin_flow import ANSWERS  # noqa: E402
from tests.support.fakes.bot_connector import FakeConnector  # noqa: E402
from tests.support.msteams_driver import TeamsDriver, aad  # noqa: E402
from tests.support.roster import MONDAY  # noqa: E402


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(n: int) -> float:
    logging.disable(logging.WARNING)
    tmp = tempfile.mkdtemp(prefix="respite-bench-")
    url = f"sqlite:///{Path(tmp) / 'bench.db'}"
    await asyncio.to_thread(upgrade, url)
    connector = FakeConnector()
    await connector.start()
    roster = {
        "teams": [
            {
                "id": "harbour",
                "name": "Harbour",
                "platform": "teams",
                "members": [aad(i) for i in range(1, n + 20)],
                "leads": [aad(99_999)],
            }
        ]
    }
    clock = FixedClock(MONDAY)
    respite = await build(Settings(database_url=url), clock=clock, roster=parse_roster(roster))
    contacts = SqlAddressBook(session_factory(respite.engine))
    teams = build_teams(respite.deps, contacts, TeamsCredentials(), clock.now)
    app = web.Application()
    app.router.add_post("/api/messages", teams.route)
    app.router.add_post("/api/echo", messages_route(teams.adapter, teams.auth, EchoBot(), False))  # type: ignore[arg-type]
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}/"
    form = {"respite_form": "pulse", "respite_context": "harbour"}
    pulse: list[float] = []
    echo: list[float] = []
    async with ClientSession() as session:
        driver = TeamsDriver(session, base, connector.url)

        async def timed(path: str, body: dict[str, Any]) -> float:
            start = time.perf_counter()
            async with session.post(base + path, json=body) as resp:
                await resp.read()
                assert resp.status == 200, resp.status
            return time.perf_counter() - start

        for i in range(1, n + 11):
            submit = driver.activity(
                "message_submit.json", i, value={**form, **ANSWERS}, reply_to=f"form-{i}"
            )
            text = driver.activity("message_text.json", i, text=f"hello {i}")
            # As in Teams, the person asked for the form first (untimed), then submits it.
            await timed("api/messages", driver.activity("message_text.json", i, text="checkin"))
            p = await timed("api/messages", submit)
            e = await timed("api/echo", text)
            if i > 10:  # warm-up
                pulse.append(p)
                echo.append(e)
    updates = len(connector.of("update"))
    await runner.cleanup()
    await connector.close()
    await respite.close()
    pm, em = statistics.median(pulse), statistics.median(echo)
    print(
        f"pulse submissions via /api/messages: n={len(pulse)} median {pm * 1000:.2f} ms, "
        f"p95 {_pct(pulse, 0.95) * 1000:.2f} ms ({updates} cards updated in place)"
    )
    print(
        f"bare botbuilder echo bot, same adapter: n={len(echo)} median {em * 1000:.2f} ms, "
        f"p95 {_pct(echo, 0.95) * 1000:.2f} ms"
    )
    ratio = pm / em
    print(f"ratio (median pulse / median echo): {ratio:.2f} (target <= 1.5)")
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=150)
    args = parser.parse_args()
    asyncio.run(run(args.n))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
