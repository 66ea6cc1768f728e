"""Latency of pulse submissions through /api/messages on each Teams SDK, beside a bare echo bot.

For each SDK (TEAMS_SDK: botbuilder, agents) three servers run in the same process and the same
run, each request a real HTTP POST to an aiohttp app on 127.0.0.1, each reply a real call to a
local fake Bot Framework connector:

- pulse: Respite answering a pulse submission: it records the answer (SQLite) and replaces the
  form card in place;
- adapter: Respite's route and hosting for that SDK (token check, shape check, the Agents SDK
  bridge) running a trivial echo instead of Respite's bot: what the SDK integration costs;
- echo: the SDK's own quickstart echo bot. For botbuilder, its aiohttp CloudAdapter's `process`
  and an ActivityHandler; for the Agents SDK, AgentApplication, MemoryStorage,
  start_agent_process and its JWT middleware in anonymous mode.

All run without authentication (emulator mode), so none pays for token checks. Prints medians,
p95s and three ratios of medians: pulse / echo (the target, at most 1.3), adapter / echo (the
SDK integration) and pulse / adapter (the work Respite does for a pulse). The Agents SDK half
needs Python 3.12 and the `agents` extra; without them it says so.

    .venv-agents/bin/python bench/teams_latency.py [--n 150] [--sdk botbuilder --sdk agents]
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
from bot.config import Settings, agents_sdk_problem, parse_roster  # noqa: E402
from bot.demo.bot_connector import FakeConnector  # noqa: E402
from bot.infra.clock import FixedClock  # noqa: E402
from bot.platforms.msteams.adapter import TeamsCredentials  # noqa: E402
from bot.platforms.msteams.app import build_teams, messages_route  # noqa: E402
from bot.platforms.msteams.echo import EchoBot  # noqa: E402
from bot.platforms.msteams.hosting import build_hosting  # noqa: E402
from bot.storage.addresses import SqlAddressBook  # noqa: E402
from bot.storage.db import session_factory  # noqa: E402
from bot.storage.migrate import upgrade  # noqa: E402
from tests.support.msteams_driver import TeamsDriver, aad  # noqa: E402
from tests.support.pulse_answers import ANSWERS  # noqa: E402
from tests.support.roster import MONDAY  # noqa: E402


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


TARGET = 1.3


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/"


def adapter_echo(sdk: str) -> web.Application:
    """Respite's route and hosting for `sdk`, running an echo instead of Respite's bot."""
    app = web.Application()
    hosting = build_hosting(TeamsCredentials(sdk=sdk))
    app.router.add_post("/api/messages", messages_route(hosting, EchoBot().on_turn, False))
    return app


def botbuilder_echo() -> web.Application:
    """botbuilder's quickstart echo bot: its aiohttp CloudAdapter and an ActivityHandler."""
    from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
    from botbuilder.integration.aiohttp import (
        CloudAdapter,
        ConfigurationBotFrameworkAuthentication,
    )

    class Config:
        APP_ID = ""
        APP_PASSWORD = ""
        APP_TYPE = "MultiTenant"
        APP_TENANTID = ""

    class Echo(ActivityHandler):  # type: ignore[misc]
        async def on_message_activity(self, turn_context: TurnContext) -> None:
            text = turn_context.activity.text
            await turn_context.send_activity(MessageFactory.text(f"echo: {text}"))

    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(Config()))
    bot = Echo()

    async def messages(request: web.Request) -> web.StreamResponse:
        response = await adapter.process(request, bot)
        assert isinstance(response, web.StreamResponse)
        return response

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    return app


def agents_echo() -> web.Application:
    """The Agents SDK's quickstart echo agent, in anonymous (emulator) mode."""
    from microsoft_agents.authentication.msal import MsalConnectionManager
    from microsoft_agents.hosting.aiohttp import (
        CloudAdapter,
        jwt_authorization_middleware,
        start_agent_process,
    )
    from microsoft_agents.hosting.core import (
        AgentApplication,
        AgentAuthConfiguration,
        MemoryStorage,
        TurnContext,
        TurnState,
    )

    config = AgentAuthConfiguration(anonymous_allowed=True)
    connections = MsalConnectionManager(connections_configurations={"SERVICE_CONNECTION": config})
    adapter = CloudAdapter(connection_manager=connections)
    agent_app = AgentApplication[TurnState](storage=MemoryStorage(), connection_manager=connections)

    @agent_app.activity("message")  # type: ignore[untyped-decorator,unused-ignore]
    async def on_message(context: TurnContext, _state: TurnState) -> None:
        await context.send_activity(f"echo: {context.activity.text}")

    async def messages(request: web.Request) -> web.StreamResponse:
        response = await start_agent_process(request, agent_app, adapter)
        assert isinstance(response, web.StreamResponse)
        return response

    app = web.Application(middlewares=[jwt_authorization_middleware])
    app["agent_configuration"] = config
    app.router.add_post("/api/messages", messages)
    return app


async def run(n: int, sdk: str) -> float:
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
    settings = Settings(database_url=url, teams_sdk=sdk)
    respite = await build(settings, clock=clock, roster=parse_roster(roster))
    contacts = SqlAddressBook(session_factory(respite.engine))
    teams = build_teams(respite.deps, contacts, TeamsCredentials(sdk=sdk), clock.now)
    app = web.Application()
    app.router.add_post("/api/messages", teams.route)
    runner, base = await serve(app)
    peer_runner, peer = await serve(botbuilder_echo() if sdk == "botbuilder" else agents_echo())
    bare_runner, bare = await serve(adapter_echo(sdk))
    form = {"respite_form": "pulse", "respite_context": "harbour"}
    rows: dict[str, list[float]] = {"pulse": [], "adapter": [], "echo": []}
    async with ClientSession() as session:
        driver = TeamsDriver(session, base, connector.url)

        async def timed(url: str, body: dict[str, Any]) -> float:
            start = time.perf_counter()
            async with session.post(url, json=body) as resp:
                await resp.read()
                # Respite answers 200; the SDKs' own routes 201 (botbuilder) and 202 (agents).
                assert resp.status in (200, 201, 202), resp.status
            return time.perf_counter() - start

        for i in range(1, n + 11):
            submit = driver.activity(
                "message_submit.json", i, value={**form, **ANSWERS}, reply_to=f"form-{i}"
            )
            text = driver.activity("message_text.json", i, text=f"hello {i}")
            # As in Teams, the person asked for the form first (untimed), then submits it.
            checkin = driver.activity("message_text.json", i, text="checkin")
            await timed(base + "api/messages", checkin)
            took = {
                "pulse": await timed(base + "api/messages", submit),
                "adapter": await timed(bare + "api/messages", text),
                "echo": await timed(peer + "api/messages", text),
            }
            if i > 10:  # warm-up
                for name, seconds in took.items():
                    rows[name].append(seconds)
    updates = len(connector.of("update"))
    await runner.cleanup()
    await peer_runner.cleanup()
    await bare_runner.cleanup()
    await connector.close()
    await respite.close()
    medians = {name: statistics.median(values) for name, values in rows.items()}
    labels = {
        "pulse": f"Respite, pulse submissions ({updates} cards updated in place)",
        "adapter": "Respite's route and hosting, echo",
        "echo": f"bare {sdk} quickstart echo bot",
    }
    print(f"{sdk}:")
    for name, values in rows.items():
        print(
            f"  {labels[name]:58s} n={len(values)} median {medians[name] * 1000:6.2f} ms, "
            f"p95 {_pct(values, 0.95) * 1000:6.2f} ms"
        )
    ratio = medians["pulse"] / medians["echo"]
    print(f"  ratio pulse / echo (the target):        {ratio:.2f} (target <= {TARGET})")
    print(f"  ratio adapter / echo (SDK integration): {medians['adapter'] / medians['echo']:.2f}")
    print(f"  ratio pulse / adapter (Respite's work): {medians['pulse'] / medians['adapter']:.2f}")
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=150)
    parser.add_argument("--sdk", action="append", choices=("botbuilder", "agents"))
    args = parser.parse_args()
    ratios: dict[str, float] = {}
    for sdk in args.sdk or ["botbuilder", "agents"]:
        if sdk == "agents" and (problem := agents_sdk_problem()) is not None:
            print(f"agents: not run: {problem}")
            continue
        ratios[sdk] = asyncio.run(run(args.n, sdk))
    print("ratios: " + ", ".join(f"{sdk} {ratio:.2f}" for sdk, ratio in ratios.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
