"""`respite teams-package` and `respite check-config --reach`."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
import yaml

from bot.cli.main import main
from bot.domain.ports.addresses import Address
from bot.storage.addresses import SqlAddressBook
from bot.storage.db import create_engine_async, session_factory
from tests.support.msteams_driver import aad
from tests.support.msteams_harness import teams_roster

APP_ID = "8a3f2c1d-5e6b-4a79-8c0d-1e2f3a4b5c6d"


def _png(data: bytes) -> tuple[int, int, bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    idat = b""
    pos = 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        if kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return width, height, zlib.decompress(idat)


def test_teams_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MICROSOFT_APP_ID", APP_ID)
    out = tmp_path / "respite-teams.zip"
    assert main(["teams-package", "--out", str(out)]) == 0
    with zipfile.ZipFile(out) as zf:
        assert sorted(zf.namelist()) == [
            "color.png",
            "de.json",
            "es.json",
            "manifest.json",
            "outline.png",
        ]
        manifest = json.loads(zf.read("manifest.json"))
        color = _png(zf.read("color.png"))
        outline = _png(zf.read("outline.png"))
    assert manifest["id"] == APP_ID
    bot = manifest["bots"][0]
    assert bot["botId"] == APP_ID
    assert set(bot["scopes"]) == {"personal", "team"}
    titles = [c["title"] for c in bot["commandLists"][0]["commands"]]
    assert {"checkin", "help", "privacy", "digest"} <= set(titles)
    assert "{{" not in json.dumps(manifest)
    assert color[:2] == (192, 192) and outline[:2] == (32, 32)
    # The outline icon is white on transparency: every pixel is transparent or white.
    rows = outline[2]
    stride = 1 + 32 * 4
    alphas = set()
    for y in range(32):
        row = rows[y * stride + 1 : (y + 1) * stride]
        for x in range(32):
            r, g, b, a = row[x * 4 : x * 4 + 4]
            alphas.add(a)
            assert a == 0 or (r, g, b) == (255, 255, 255)
    assert alphas == {0, 255}


def test_teams_package_needs_an_app_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MICROSOFT_APP_ID", raising=False)
    assert main(["teams-package", "--out", str(tmp_path / "x.zip")]) == 2
    assert main(["teams-package", "--out", str(tmp_path / "x.zip"), "--app-id", "nope"]) == 2


async def test_check_config_reach_lists_unreachable_members(
    tmp_path: Path,
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    clock,
) -> None:  # type: ignore[no-untyped-def]
    roster = tmp_path / "respite.yaml"
    roster.write_text(yaml.safe_dump(teams_roster()))
    engine = create_engine_async(sqlite_url)
    store = SqlAddressBook(session_factory(engine))
    for n in range(1, 8):
        await store.upsert(
            Address(
                "user", aad(n), teams_user_id=f"29:{n}", service_url="https://s/", name=f"P{n}"
            ),
            clock.now(),
        )
    await store.upsert(Address("user", aad(8), name="Hana Ito"), clock.now())
    await engine.dispose()
    monkeypatch.setenv("RESPITE_CONFIG", str(roster))
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    import asyncio

    status = await asyncio.to_thread(main, ["check-config", "--reach"])
    out = capsys.readouterr().out
    assert status == 0
    assert "harbour (teams): 7 reachable, 2 not reachable yet" in out
    assert f"cannot reach {aad(8)} (Hana Ito)" in out
    assert f"cannot reach {aad(99)}" in out
    assert f"cannot reach {aad(1)}" not in out
