"""A world for Graph tests: fake Entra (https), fake Graph, fake Bot Framework connector.

`start_like_serve` runs what `respite serve` runs at start: member sync, then the scheduler with
its lease, whose first tick starts the installer in the background; it returns once that run has
finished. A pulse is then sent by a second process over the same database in emulator mode:
Bot Framework's own token client signs in only at Microsoft's hosts, so an authenticated process
cannot send to a fake connector, while the chat references it stored are what is being tested.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.app.compose import Respite, build
from bot.config import Settings, parse_roster
from bot.demo.bot_connector import FakeConnector
from bot.infra.clock import FixedClock
from bot.platforms.msteams.install import InstallReport, InstallTick
from bot.storage.addresses import SqlAddressBook
from bot.storage.db import session_factory
from scheduler import pulse
from scheduler.member_sync import sync_members
from scheduler.runner import SchedulerRunner
from tests.support.delivery import deliver_all
from tests.support.fakes.entra import FakeEntra
from tests.support.fakes.graph import FakeGraph, GraphUser
from tests.support.msteams_driver import TENANT

APP_ID = "00000000-0000-0000-0000-0000000000b0"
APP_SECRET = "graph-test-secret"
GROUP = "0a7e5f00-1c2d-4e3f-8a9b-00000000a001"


@dataclass
class GraphWorld:
    database_url: str
    entra: FakeEntra
    graph: FakeGraph
    connector: FakeConnector
    clock: FixedClock

    def settings(self, **extra: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": self.database_url,
            "microsoft_app_id": APP_ID,
            "microsoft_app_password": APP_SECRET,
            "microsoft_app_tenant_id": TENANT,
            "microsoft_login_url": self.entra.authority("botframework.com"),
            "graph_api_url": self.graph.url,
            "teams_service_url": self.connector.url,
            **extra,
        }
        return Settings(**values)

    def people(self, *users: GraphUser) -> None:
        self.graph.add_users(*users)

    async def build(self, roster: dict[str, Any], **extra: Any) -> Respite:
        return await build(self.settings(**extra), clock=self.clock, roster=parse_roster(roster))

    async def pulse_from_another_process(self, roster: dict[str, Any], team_id: str) -> int:
        """Open the team's pulse and send it from a process that shares only the database."""
        sender = await build(
            Settings(database_url=self.database_url), clock=self.clock, roster=parse_roster(roster)
        )
        try:
            await pulse.open_round(sender.deps, team_id)
            return await deliver_all(sender, self.clock)
        finally:
            await sender.close()


@asynccontextmanager
async def graph_world(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: FixedClock
) -> AsyncIterator[GraphWorld]:
    entra = FakeEntra(tmp_path, {APP_ID: APP_SECRET})
    await entra.start()
    # msal (requests) trusts the fake's certificate as a hospital's proxy CA is trusted.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(entra.cert))
    graph = FakeGraph(f"token-for-{APP_ID}", APP_ID)
    connector = FakeConnector()
    await graph.start()
    await connector.start()
    try:
        yield GraphWorld(database_url, entra, graph, connector, clock)
    finally:
        await connector.close()
        await graph.close()
        await entra.close()


def installer_tick(respite: Respite) -> InstallTick:
    return next(t for t in respite.runtime.extra_ticks if isinstance(t, InstallTick))


async def start_like_serve(respite: Respite) -> InstallReport:
    rt = respite.runtime
    await sync_members(rt.directory, rt.member_lookups, rt.member_store, rt.deps.clock)
    tick = installer_tick(respite)
    runner = SchedulerRunner(rt, tick_seconds=3600, outbox_seconds=3600)
    runner.start()
    try:
        async with asyncio.timeout(60):
            return await tick.wait()
    finally:
        await runner.stop()


def contacts_of(respite: Respite) -> SqlAddressBook:
    return SqlAddressBook(session_factory(respite.engine))
