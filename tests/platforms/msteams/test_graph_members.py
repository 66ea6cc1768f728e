"""`members_from: {group: ...}` on a Teams team: members synced from an Entra group at start and
daily, people only; a failed lookup leaves the team its last members and says why in one line."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from bot.app.compose import Respite
from bot.config import ConfigError, parse_roster
from bot.infra.clock import FixedClock
from scheduler.member_sync import sync_members
from tests.support.fakes.graph import MEMBERS, GraphUser
from tests.support.msteams_driver import aad
from tests.support.msteams_graph import GROUP, graph_world
from tests.support.msteams_harness import teams_roster

LISTED = [aad(1), aad(2)]
GROUP_PEOPLE = [aad(n) for n in range(11, 18)]  # seven people: four pages of two
DISABLED = aad(30)
GUEST = aad(31)


def roster(**members_from: Any) -> dict[str, Any]:
    return teams_roster(members=LISTED, members_from={"group": GROUP, **members_from})


async def _sync(respite: Respite) -> dict[str, int]:
    rt = respite.runtime
    return await sync_members(rt.directory, rt.member_lookups, rt.member_store, rt.deps.clock)


def _members(respite: Respite) -> frozenset[str]:
    team = respite.runtime.directory.team("harbour")
    assert team is not None
    return team.members


@pytest.mark.parametrize("include_guests", [False, True])
async def test_members_come_from_the_group_page_by_page(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    clock: FixedClock,
    include_guests: bool,
) -> None:
    async with graph_world(database_url, tmp_path, monkeypatch, clock) as world:
        world.people(
            GraphUser(DISABLED, account_enabled=False), GraphUser(GUEST, user_type="Guest")
        )
        world.graph.groups[GROUP] = [*GROUP_PEOPLE, DISABLED, GUEST]
        world.graph.page_size = 2
        world.graph.throttle("members", retry_after="1")  # Graph asks to wait once, mid-sync
        respite = await world.build(roster(include_guests=include_guests))
        try:
            assert await _sync(respite) == {"harbour": len(GROUP_PEOPLE) + include_guests}
            guests = {GUEST} if include_guests else set()
            assert _members(respite) == frozenset({*LISTED, *GROUP_PEOPLE, *guests})
        finally:
            await respite.close()
        calls = world.graph.of("members")
        assert [c.status for c in calls] == [429, 200, 200, 200, 200, 200]
        assert calls[0].query == {"$select": "id,accountEnabled,userType", "$top": "999"}
        assert calls[-1].query["$skiptoken"] == "8"


async def test_a_refused_lookup_keeps_the_last_members_and_names_the_permission(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with graph_world(database_url, tmp_path, monkeypatch, clock) as world:
        world.graph.groups[GROUP] = GROUP_PEOPLE
        respite = await world.build(roster())
        try:
            await _sync(respite)
            world.graph.granted.discard(MEMBERS)
            world.graph.groups[GROUP] = []
            with caplog.at_level(logging.WARNING, logger="scheduler.member_sync"):
                assert await _sync(respite) == {}
            assert _members(respite) == frozenset({*LISTED, *GROUP_PEOPLE})
            [line] = caplog.messages
            kept = f"member sync: team harbour keeps its last members; group {GROUP}"
            assert line.startswith(kept)
            assert "GroupMember.Read.All" in line and "\n" not in line
        finally:
            await respite.close()


async def test_an_unknown_group_is_one_line(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with graph_world(database_url, tmp_path, monkeypatch, clock) as world:
        respite = await world.build(roster())
        try:
            with caplog.at_level(logging.WARNING, logger="scheduler.member_sync"):
                await _sync(respite)
            [line] = caplog.messages
            assert f"no Entra group {GROUP} in the app's tenant" in line
            assert _members(respite) == frozenset(LISTED)
        finally:
            await respite.close()


async def test_a_group_without_graph_is_a_start_up_notice(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: FixedClock
) -> None:
    async with graph_world(database_url, tmp_path, monkeypatch, clock) as world:
        respite = await world.build(roster(), microsoft_app_tenant_id=None)
        try:
            [notice] = [n for n in respite.notices if "Entra group" in n]
            assert "MICROSOFT_APP_TENANT_ID" in notice
            assert not respite.runtime.member_lookups
        finally:
            await respite.close()


@pytest.mark.parametrize(
    ("team", "message"),
    [
        (
            {"platform": "slack", "members_from": {"group": GROUP}},
            "a Teams team syncs members from an Entra group",
        ),
        (
            {"platform": "teams", "members_from": {"channel": "C0CLINIC"}},
            "a Teams team syncs members from an Entra group",
        ),
        (
            {"platform": "teams", "members_from": {"group": "clinicians@example.org"}},
            "is not an Entra group's object id",
        ),
        (
            {"platform": "teams", "members_from": {"channel": "C0CLINIC", "group": GROUP}},
            "exactly one of channel, usergroup or group",
        ),
        (
            {"platform": "slack", "members_from": {"channel": "C0CLINIC", "include_guests": True}},
            "include_guests applies to an Entra group only",
        ),
    ],
)
def test_members_from_is_checked_against_the_platform(team: dict[str, Any], message: str) -> None:
    data = teams_roster(members=LISTED if team["platform"] == "teams" else ["U01"], **team)
    with pytest.raises(ConfigError) as refused:
        parse_roster(data)
    assert any(message in line for line in refused.value.errors)


def test_a_group_id_is_kept_in_lower_case() -> None:
    source = parse_roster(roster(include_guests=True)).team_list[0].members_from
    assert source is not None
    assert (source.kind, source.id, source.include_guests) == ("group", GROUP, True)
    upper = parse_roster(teams_roster(members=LISTED, members_from={"group": GROUP.upper()}))
    assert upper.team_list[0].members_from is not None
    assert upper.team_list[0].members_from.id == GROUP
