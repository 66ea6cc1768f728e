"""With Graph's permissions, Respite installs itself for roster members who never wrote to it, so
the first pulse reaches everyone; without them, nothing changes and the admin is told which
permission would fix it."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.infra.clock import FixedClock
from bot.platforms.msteams.graph import GraphClient
from bot.platforms.msteams.install import ProactiveInstaller
from bot.platforms.msteams.reach import reach
from scheduler.member_sync import sync_members
from tests.support.fakes.graph import INSTALL, GraphUser
from tests.support.msteams_driver import TENANT, TeamsDriver, aad, personal_conversation
from tests.support.msteams_graph import (
    APP_ID,
    GROUP,
    contacts_of,
    graph_world,
    installer_tick,
    start_like_serve,
)
from tests.support.msteams_harness import teams_roster

LISTED = [aad(n) for n in range(1, 5)]  # typed in the roster
SYNCED = [aad(n) for n in range(11, 14)]  # from the Entra group
LEAD = aad(99)


def roster() -> dict[str, Any]:
    return teams_roster(members=LISTED, leads=[LEAD], members_from={"group": GROUP})


def invited(connector: Any) -> dict[str, int]:
    """Conversation id -> pulse invitations sent there."""
    counts: dict[str, int] = {}
    for call in connector.of("send", "reply"):
        counts[call.conversation_id] = counts.get(call.conversation_id, 0) + 1
    return counts


async def test_a_pulse_reaches_members_who_never_wrote_to_the_bot(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: FixedClock
) -> None:
    async with graph_world(database_url, tmp_path, monkeypatch, clock) as world:
        everyone = [*LISTED, *SYNCED, LEAD]
        world.people(*(GraphUser(u) for u in everyone))
        world.people(
            GraphUser(aad(20), account_enabled=False), GraphUser(aad(21), user_type="Guest")
        )
        world.graph.groups[GROUP] = [*SYNCED, aad(20), aad(21)]
        world.graph.page_size = 2  # two pages, so the sync follows @odata.nextLink
        world.graph.throttle("install", retry_after="1")  # one 429 on the way

        respite = await world.build(roster())
        try:
            report = await start_like_serve(respite)
            assert report is not None and report.refused is None and not report.failed
            assert sorted(report.installed) == sorted(everyone)
            team = respite.runtime.directory.team("harbour")
            # the disabled account and the guest are left out
            assert team is not None and team.members == frozenset([*LISTED, *SYNCED])
            contacts = contacts_of(respite)
            for user in everyone:
                contact = await contacts.get("user", user)
                assert contact is not None and contact.reference is not None
                assert contact.reference["conversation"]["id"] == world.graph.chat_id(user)
                assert contact.reference["serviceUrl"] == world.connector.url
            [teams] = await reach(respite.runtime.directory.teams(), contacts)
            assert teams.unreachable == ()
        finally:
            await respite.close()

        # Graph: the token for Graph's scope from the app's own tenant; the 429 was waited out.
        graph_grants = [g for g in world.entra.token_requests if "graph" in g["scope"]]
        assert graph_grants and graph_grants[0]["scope"] == "https://graph.microsoft.com/.default"
        assert [c.status for c in world.graph.of("install")].count(429) == 1
        assert sorted(world.graph.installations) == sorted(everyone)
        assert len(world.graph.of("members")) == 3  # 5 members, 2 a page

        sent = await world.pulse_from_another_process(roster(), "harbour")
        assert sent == len(LISTED) + len(SYNCED)
        assert invited(world.connector) == {world.graph.chat_id(u): 1 for u in [*LISTED, *SYNCED]}
        assert not world.connector.of("create")


async def test_the_first_real_turn_replaces_the_installed_reference(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: FixedClock
) -> None:
    async with graph_world(database_url, tmp_path, monkeypatch, clock) as world:
        world.people(*(GraphUser(u) for u in [*LISTED, *SYNCED, LEAD]))
        world.graph.groups[GROUP] = SYNCED
        respite = await world.build(roster(), teams_service_url="https://smba.example/teams/")
        try:
            await start_like_serve(respite)
            contacts = contacts_of(respite)
            before = await contacts.get("user", aad(1))
            assert before is not None and before.reference is not None
            assert before.reference["serviceUrl"] == "https://smba.example/teams/"
        finally:
            await respite.close()

        # Someone writes to the bot: that turn's reference is kept from then on.
        from aiohttp import ClientSession
        from aiohttp.test_utils import TestServer

        from bot.app.compose import build
        from bot.app.web import build_web_app
        from bot.config import Settings, parse_roster

        emulator = await build(
            Settings(database_url=database_url), clock=clock, roster=parse_roster(roster())
        )
        server = TestServer(build_web_app(emulator), host="127.0.0.1")
        await server.start_server()
        try:
            async with ClientSession() as session:
                driver = TeamsDriver(session, str(server.make_url("/")), world.connector.url)
                await driver.say(1, "help")
            after = await contacts_of(emulator).get("user", aad(1))
            assert after is not None and after.reference is not None
            assert after.reference["conversation"]["id"] == personal_conversation(1)
            assert after.reference["serviceUrl"] == world.connector.url
            # and a second run does not put the installed one back
            installed_again = await installer_tick(respite).installer.reach([aad(1)])
            assert installed_again.installed == []
        finally:
            await server.close()
            await emulator.close()


async def test_without_the_permission_nothing_changes_and_the_reason_is_one_line(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with graph_world(database_url, tmp_path, monkeypatch, clock) as world:
        world.people(*(GraphUser(u) for u in [*LISTED, LEAD]))
        world.graph.granted.discard(INSTALL)
        plain = teams_roster(members=LISTED, leads=[LEAD])
        respite = await world.build(plain)
        try:
            with caplog.at_level(logging.WARNING, logger="bot.platforms.msteams.install"):
                report = await start_like_serve(respite)
            assert report is not None and report.installed == []
            assert report.refused is not None and INSTALL in report.refused
            [line] = [r.getMessage() for r in caplog.records]
            assert "\n" not in line and INSTALL in line
            # one refused call, not one per member
            assert [c.status for c in world.graph.of("install")] == [403]
            [teams] = await reach(respite.runtime.directory.teams(), contacts_of(respite))
            assert sorted(teams.unreachable) == sorted([*LISTED, LEAD])
        finally:
            await respite.close()


async def test_a_member_teams_does_not_know_is_left_for_the_next_run(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: FixedClock
) -> None:
    async with graph_world(database_url, tmp_path, monkeypatch, clock) as world:
        world.people(*(GraphUser(u) for u in [*LISTED, LEAD]))
        world.graph.users[aad(2)].teams = False  # no Teams licence yet
        respite = await world.build(teams_roster(members=LISTED, leads=[LEAD]))
        try:
            report = await start_like_serve(respite)
            assert report is not None and set(report.failed) == {aad(2)}
            assert "not found in Teams" in report.failed[aad(2)]
            tick = installer_tick(respite)
            # Nothing new within the hour; after it, only the one left out is tried again.
            await tick(respite.deps)
            assert await tick.wait() is report
            world.graph.users[aad(2)].teams = True
            calls = len(world.graph.calls)
            clock.advance(timedelta(minutes=61))
            await tick(respite.deps)
            again = await tick.wait()
            assert again is not None and again.installed == [aad(2)]
            assert len(world.graph.calls) - calls == 3  # install, find it, its chat
        finally:
            await respite.close()


async def test_the_installer_asks_the_catalog_by_the_manifest_id(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: FixedClock
) -> None:
    async with graph_world(database_url, tmp_path, monkeypatch, clock) as world:
        world.people(*(GraphUser(u) for u in [*LISTED, LEAD]))
        respite = await world.build(teams_roster(members=LISTED, leads=[LEAD]))
        try:
            await start_like_serve(respite)
        finally:
            await respite.close()
        [catalog] = world.graph.of("catalog")
        assert catalog.query["$filter"] == f"externalId eq '{APP_ID}'"
        installed = world.graph.of("installed")[0]
        assert installed.query["$expand"] == "teamsApp"
        assert installed.query["$filter"] == f"teamsApp/externalId eq '{APP_ID}'"


async def test_graph_unavailable_stops_the_run_after_one_person(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: FixedClock
) -> None:
    async with graph_world(database_url, tmp_path, monkeypatch, clock) as world:
        world.people(*(GraphUser(u) for u in [*LISTED, LEAD]))
        world.graph.fail("install", 503, times=100)
        respite = await world.build(teams_roster(members=LISTED, leads=[LEAD]))
        client = GraphClient(world.graph.url, _token, backoff_seconds=0.01, max_attempts=3)
        try:
            installer = ProactiveInstaller(client, contacts_of(respite), APP_ID, TENANT, clock.now)
            report = await installer.reach([*LISTED, LEAD])
            assert report.installed == [] and report.refused is None
            assert sorted(report.failed) == sorted([*LISTED, LEAD])  # all left for the next run
            assert len(world.graph.of("install")) == 3  # one person's attempts, not five times
        finally:
            await client.close()
            await respite.close()


async def _token(fresh: bool) -> str:
    return f"token-for-{APP_ID}"


async def test_someone_new_in_the_group_is_installed_at_the_next_tick(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: FixedClock
) -> None:
    async with graph_world(database_url, tmp_path, monkeypatch, clock) as world:
        world.people(*(GraphUser(u) for u in [*LISTED, *SYNCED, LEAD, aad(15)]))
        world.graph.groups[GROUP] = list(SYNCED)
        respite = await world.build(roster())
        try:
            first = await start_like_serve(respite)
            assert aad(15) not in first.installed
            world.graph.groups[GROUP].append(aad(15))
            rt = respite.runtime
            await sync_members(rt.directory, rt.member_lookups, rt.member_store, rt.deps.clock)
            calls = len(world.graph.calls)
            tick = installer_tick(respite)
            await tick(rt.deps)  # the same day: the roster changed, so a run starts
            again = await tick.wait()
            assert again is not first and again.installed == [aad(15)]
            assert len(world.graph.calls) - calls == 3
        finally:
            await respite.close()
