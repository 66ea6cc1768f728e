"""`respite export --format csv`: released, frozen figures only, one row per period, group and
dimension; withheld groups and hidden bands are empty cells with the reason beside them."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.export_csv import (
    BAND_WITHHELD,
    BANDS_ONLY,
    COLUMNS,
    WITHHELD,
    export_rows,
    to_csv,
)
from bot.config import load_instrument
from bot.domain.rollup import GroupFigures
from bot.domain.scoring import Band, Tally
from tests.support.cli import arun
from tests.support.department import ROSTER, audit_env, run_round
from tests.support.slack_harness import SlackHarness

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def harness_roster() -> dict[str, Any]:
    return ROSTER


async def test_export_holds_what_the_digests_released(
    slack_app: SlackHarness, database_url: str, tmp_path: Path
) -> None:
    await run_round(slack_app)
    out = tmp_path / "figures.csv"
    code, _, err = await arun(
        ["export", "--format", "csv", "--out", str(out)], audit_env(tmp_path, database_url)
    )
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    instrument = load_instrument()
    dims = list(instrument.dimensions)
    by_group: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_group.setdefault(row["group_id"], []).append(row)
    # One row per group and dimension of the one frozen period.
    assert {len(v) for v in by_group.values()} == {len(dims)}
    assert len({r["period"] for r in rows}) == 1
    river = by_group["riverside"]
    assert [r["dimension"] for r in river] == dims
    assert all(r["status"] == "exact" and r["respondents"] == "7" for r in river if r["mean"])
    assert all(r["members"] == "8" and r["band"] for r in river if r["mean"])
    # Harbour has two answers; Lighthouse is withheld to protect it (the digests say the same).
    for withheld in ("harbour", "lighthouse"):
        for row in by_group[withheld]:
            assert row["status"] == "withheld" and row["reason"] == WITHHELD
            assert row["respondents"] == row["mean"] == row["band"] == row["members"] == ""
    dept = by_group["adult"]
    assert all(r["respondents"] == "15" for r in dept if r["mean"])


def test_bands_only_groups_export_their_bands_and_no_number() -> None:
    instrument = load_instrument()
    dims = list(instrument.dimensions)
    shown: dict[str, Band] = {dims[0]: "watch"}
    tally = Tally(6, {d: 18.0 for d in dims}, {d: 6 for d in dims})
    figures = [
        GroupFigures("2026-W48", "t1", "team", "=HYPERLINK(1)", None, 5, False, NOW, bands=shown),
        GroupFigures("2026-W48", "t2", "team", "Two", None, 5, True, NOW, 7, tally),
        GroupFigures("2026-W47", "t1", "team", "One", None, 5, False, NOW),
    ]
    rows = export_rows(instrument, figures)
    assert [(r["period"], r["group_id"]) for r in rows[:: len(dims)]] == [
        ("2026-W47", "t1"),
        ("2026-W48", "t1"),
        ("2026-W48", "t2"),
    ]
    banded = [r for r in rows if r["period"] == "2026-W48" and r["group_id"] == "t1"]
    assert banded[0]["band"] == "watch"
    assert banded[0]["status"] == "band" and banded[0]["reason"] == BANDS_ONLY
    assert all(r["mean"] == r["respondents"] == "" for r in banded)
    assert all(r["status"] == "withheld" and r["reason"] == BAND_WITHHELD for r in banded[1:])
    exact = [r for r in rows if r["group_id"] == "t2"]
    assert all(r["mean"] == "3.00" and r["respondents"] == "6" for r in exact)
    text = to_csv(rows)
    assert text.splitlines()[0] == ",".join(COLUMNS)
    # A name that looks like a formula is written as text.
    assert "'=HYPERLINK(1)" in text and ",=HYPERLINK" not in text


async def test_export_defaults_to_the_trend_a_lead_reads(database_url: str, tmp_path: Path) -> None:
    """Weeks far apart can be compared in ways the digests' rules do not guard, so the whole
    history goes only when asked for (--all)."""
    from sqlalchemy import insert

    from bot.domain.digest import HISTORY_ROUNDS
    from bot.storage.db import create_engine_async
    from bot.storage.tables import digest_groups, digest_periods

    engine = create_engine_async(database_url)
    weeks = [f"2026-W{n:02d}" for n in range(30, 30 + HISTORY_ROUNDS + 2)]
    async with engine.begin() as conn:
        for week in weeks:
            await conn.execute(insert(digest_periods).values(period=week, frozen_at=NOW))
            await conn.execute(
                insert(digest_groups).values(
                    period=week,
                    group_id="riverside",
                    kind="team",
                    name="Riverside Therapy",
                    min_group_size=5,
                    released=False,
                    closed_at=NOW,
                )
            )
    await engine.dispose()

    async def exported(*args: str) -> set[str]:
        out = tmp_path / "figures.csv"
        code, _, err = await arun(
            ["export", "--out", str(out), *args], audit_env(tmp_path, database_url)
        )
        assert code == 0, err
        return {row["period"] for row in csv.DictReader(io.StringIO(out.read_text()))}

    assert await exported() == set(weeks[-HISTORY_ROUNDS:])
    assert await exported("--periods", "2") == set(weeks[-2:])
    assert await exported("--all") == set(weeks)
