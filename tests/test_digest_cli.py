"""`respite digest` as an operator and as a named person, in every format."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import yaml

from bot.app.compose import build
from bot.cli.main import main
from bot.config import Settings, parse_roster
from bot.infra.clock import FixedClock
from tests.support.roster import MONDAY
from tests.support.rounds import BEFORE_REORG, run_week

ANSWERING = {"riverside": 7, "lighthouse": 6, "harbour": 2, "delta": 8}


@pytest.fixture
def configured(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    async def prepare() -> None:
        clock = FixedClock(MONDAY)
        respite = await build(
            Settings(database_url=sqlite_url), clock=clock, roster=parse_roster(BEFORE_REORG)
        )
        try:
            for _ in range(3):
                await run_week(respite, clock, ANSWERING)
        finally:
            await respite.close()

    asyncio.run(prepare())
    path = tmp_path / "respite.yaml"
    data = dict(BEFORE_REORG)
    data["departments"] = [dict(d) for d in BEFORE_REORG["departments"]]
    data["departments"][0]["leads"] = ["UDEPT01"]
    path.write_text(yaml.safe_dump(data))
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("RESPITE_CONFIG", str(path))
    return tmp_path


def test_team_json_keeps_its_keys(configured: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["digest", "--team", "riverside", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["team"] == "riverside" and data["suppressed"] is False
    assert data["respondents"] == 7 and data["min_group_size"] == 5
    assert set(data["dimensions"]["exhaustion"]) >= {"mean", "band", "change"}
    assert len(data["trend_periods"]) == 3


def test_department_json_and_text(configured: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["digest", "--department", "adult", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["department"] == "adult" and data["respondents"] == 15
    teams = {t["team"]: t for t in data["teams"]}
    assert teams["harbour"]["suppressed"] and teams["harbour"]["respondents"] is None
    assert teams["lighthouse"]["suppressed"]  # protects harbour
    assert main(["digest", "--department", "adult"]) == 0
    text = capsys.readouterr().out
    assert "Adult" in text and "Harbour: not shown" in text and "Suggested actions" in text


def test_html_to_a_file_with_a_progress_bar(
    configured: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = configured / "digest.html"
    assert main(["digest", "--organisation", "--format", "html", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "digests" in err and "7/7" in err
    html = out.read_text()
    assert html.count("<section") == 7 and html.count('<img class="chart"') >= 3


def test_as_a_person_shows_only_what_they_lead(
    configured: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["digest", "--department", "adult", "--as", "slack:URI00001"]) == 3
    captured = capsys.readouterr()
    assert captured.out == "" and "may not read" in captured.err
    assert main(["digest", "--department", "adult", "--as", "slack:ULEADRI"]) == 3
    assert capsys.readouterr().out == ""
    assert (
        main(["digest", "--department", "adult", "--as", "slack:UDEPT01", "--format", "json"]) == 0
    )
    assert json.loads(capsys.readouterr().out)["department"] == "adult"
    assert main(["digest", "--team", "riverside", "--as", "slack:ULEADRI", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["team"] == "riverside"


def test_unknown_department(configured: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["digest", "--department", "nowhere"]) == 2
    assert "no department with id 'nowhere'" in capsys.readouterr().err
