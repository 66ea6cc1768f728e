"""`respite check-config --reach` says, in one line, whether Respite can install itself for the
members it cannot reach, and which permission or setting would let it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml

from bot.cli.main import main
from bot.infra.clock import FixedClock
from tests.support.fakes.graph import CATALOG, INSTALL, GraphUser
from tests.support.msteams_driver import TENANT, aad
from tests.support.msteams_graph import APP_ID, APP_SECRET, GraphWorld, graph_world
from tests.support.msteams_harness import teams_roster

MEMBERS = [aad(n) for n in range(1, 6)]


def _environment(world: GraphWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    roster = tmp_path / "respite.yaml"
    roster.write_text(yaml.safe_dump(teams_roster(members=MEMBERS, leads=[aad(99)])))
    for name, value in {
        "DATABASE_URL": world.database_url,
        "RESPITE_CONFIG": str(roster),
        "MICROSOFT_APP_ID": APP_ID,
        "MICROSOFT_APP_PASSWORD": APP_SECRET,
        "MICROSOFT_APP_TENANT_ID": TENANT,
        "MICROSOFT_LOGIN_URL": world.entra.authority(),
        "GRAPH_API_URL": world.graph.url,
    }.items():
        monkeypatch.setenv(name, value)


async def _reach_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["check-config", "--reach"]) == 0
    return capsys.readouterr().out.splitlines()


@pytest.mark.parametrize(
    ("withheld", "named"),
    [(INSTALL, INSTALL), (CATALOG, CATALOG), (None, "lets Respite install itself")],
)
async def test_reach_names_the_permission_that_would_fix_it(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    clock: FixedClock,
    capsys: pytest.CaptureFixture[str],
    withheld: str | None,
    named: str,
) -> None:
    async with graph_world(database_url, tmp_path, monkeypatch, clock) as world:
        world.people(*(GraphUser(u) for u in MEMBERS))
        world.graph.granted.discard(withheld or "")
        _environment(world, tmp_path, monkeypatch)
        lines = await _reach_lines(capsys)
        assert "    cannot reach " + aad(1) in lines
        [advice] = [line for line in lines if named in line]
        assert advice == lines[-1]
        # read-only: nothing was installed
        assert not world.graph.of("install")
        assert not world.graph.installations


async def test_reach_says_what_graph_needs_when_it_is_not_configured(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    clock: FixedClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with graph_world(database_url, tmp_path, monkeypatch, clock) as world:
        _environment(world, tmp_path, monkeypatch)
        monkeypatch.delenv("MICROSOFT_APP_TENANT_ID")
        lines = await _reach_lines(capsys)
        assert "MICROSOFT_APP_TENANT_ID" in lines[-1] and INSTALL in lines[-1]
        assert not world.graph.calls
