"""Benchmark: every digest of one period, against a raw GROUP BY over the same answers.

At --scale 1: 1,000 teams in 100 departments, 52 closed weekly rounds each, about a million
anonymous answers. The first 51 periods are frozen while loading; then, timed:

- digests: the freeze job's tick for the 52nd period (`freeze_due`): roll-up of every team,
  department and the organisation, release rules, frozen rows written, then every group's
  digest with its 6-round trend and its card, queued for the group's lead. Charts are timed
  apart (drawn per delivered message, in a worker thread) and the outbox keeps the cards in
  memory (delivery is not computing digests);
- baseline: one raw GROUP BY over the answers table, per team and round, for the same 6-round
  window (what a naive digest would aggregate), in the same run, on the same database.

Each is run once untimed (warm connections and caches), then `--runs` times, alternating which
goes first; every digests run freezes the period from scratch (its frozen rows are deleted
first). On PostgreSQL the database is vacuumed and analyzed after loading and after each
deletion, so that autovacuum's work does not land in one timed run and not in another. Objects
alive after loading are frozen out of the garbage collector, as `respite serve` does after
start-up.

Prints the median time of each, their ratio, and peak Python memory (tracemalloc, in runs of
their own). Target: ratio <= 2, and digest memory flat in the number of answers (the digest
reads frozen per-round figures, never answer rows; `--answers-factor` changes the answers per
round to check that).

    python bench/digest.py --scale 0.05 --backend sqlite
    python bench/digest.py --backend both
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from sqlalchemy import delete, insert, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.charts import render_trend
from bot.clock import FixedClock
from bot.config import Settings, load_instrument, parse_roster
from bot.domain.digest import trend_chart
from bot.domain.messages import Card, Recipient
from bot.domain.org import period_of
from bot.domain.scoring import Tally, dimension_scores
from bot.main import build
from bot.storage.activity import SqlPeriodActivity
from bot.storage.breaks import SqlBreakStore
from bot.storage.db import create_engine_sync
from bot.storage.kudos import SqlKudosStore
from bot.storage.migrate import upgrade
from bot.storage.tables import (
    digest_groups,
    digest_periods,
    pulse_responses,
    pulse_rounds,
    round_figures,
)
from handlers.deps import Deps
from handlers.digests import HISTORY_ROUNDS, all_digests
from scheduler.digest_jobs import freeze_due

T = TypeVar("T")
PG_BASE = os.environ.get("RESPITE_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
FIRST_MONDAY = datetime(2025, 12, 1, 10, 0, tzinfo=UTC)
ITEMS = (
    "drained",
    "recharged",
    "going_through_motions",
    "made_a_difference",
    "caseload",
    "supported",
)


def make_roster(
    teams: int, departments: int, rng: random.Random
) -> tuple[dict[str, Any], dict[str, int]]:
    sizes: dict[str, int] = {}
    team_rows = []
    for t in range(teams):
        tid = f"t{t:04d}"
        # Most teams are 16-30 people; one in twenty is small enough to be suppressed at times.
        size = rng.randint(4, 7) if rng.random() < 0.05 else rng.randint(16, 30)
        sizes[tid] = size
        team_rows.append(
            {
                "id": tid,
                "name": f"Team {t}",
                "timezone": "UTC",
                "members": [f"U{t:04d}{m:03d}" for m in range(size)],
                "leads": [f"L{t:04d}"],
            }
        )
    per = max(1, teams // departments)
    depts = [
        {
            "id": f"d{d:03d}",
            "name": f"Department {d}",
            "teams": [f"t{t:04d}" for t in range(d * per, min(teams, (d + 1) * per))],
            "leads": [f"LD{d:03d}"],
        }
        for d in range(departments)
        if d * per < teams
    ]
    return {
        "organisation": {"name": "Bench", "leads": ["LORG"]},
        "departments": depts,
        "teams": team_rows,
    }, sizes


def load_rounds(
    url: str,
    sizes: dict[str, int],
    weeks: range,
    rng: random.Random,
    answers_factor: float,
) -> int:
    """Insert closed rounds, their answers and their frozen figures, as the close job would."""
    instrument = load_instrument()
    engine = create_engine_sync(url)
    answers_total = 0
    try:
        for week in weeks:
            opens = FIRST_MONDAY + timedelta(weeks=week)
            rounds, responses, figures = [], [], []
            for tid, size in sizes.items():
                rid = secrets.token_hex(16)
                rate = rng.uniform(0.6, 1.0)
                n = min(size, max(0, round(size * rate * answers_factor)))
                tally = Tally()
                for _ in range(n):
                    answers = {item: rng.randint(1, 5) for item in ITEMS}
                    tally.add(dimension_scores(instrument, answers))
                    responses.append(
                        {
                            "id": secrets.token_hex(16),
                            "round_id": rid,
                            "unit_id": tid,
                            "answers": answers,
                        }
                    )
                rounds.append(
                    {
                        "id": rid,
                        "team_id": tid,
                        "period_key": opens.isoformat(),
                        "opens_at": opens,
                        "remind_at": opens + timedelta(hours=48),
                        "closes_at": opens + timedelta(hours=72),
                        "invited_at": opens,
                        "closed_at": opens + timedelta(hours=72),
                        "members": size,
                    }
                )
                figures.extend(
                    {
                        "round_id": rid,
                        "unit_id": tid,
                        "dimension": dim,
                        "respondents": tally.respondents,
                        "n": tally.counts[dim],
                        "total": tally.sums[dim],
                    }
                    for dim in tally.sums
                )
            answers_total += len(responses)
            with engine.begin() as conn:
                conn.execute(insert(pulse_rounds), rounds)
                for start in range(0, len(responses), 20_000):
                    conn.execute(insert(pulse_responses), responses[start : start + 20_000])
                if figures:
                    conn.execute(insert(round_figures), figures)
    finally:
        engine.dispose()
    return answers_total


async def timed(work: Callable[[], Awaitable[T]]) -> tuple[T, float]:
    gc.collect()
    started = time.perf_counter()
    result = await work()
    return result, time.perf_counter() - started


async def peak_memory(work: Callable[[], Awaitable[T]]) -> tuple[T, int]:
    """Peak Python allocation during `work`, in a run of its own (tracing slows Python down)."""
    gc.collect()
    tracemalloc.start()
    result = await work()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, peak


def baseline_sql(dialect: str) -> str:
    if dialect == "sqlite":
        cols = ", ".join(f"sum(json_extract(p.answers, '$.{i}'))" for i in ITEMS)
    else:
        cols = ", ".join(f"sum((p.answers->>'{i}')::int)" for i in ITEMS)
    return (
        f"SELECT r.team_id, r.id, count(*), {cols} FROM pulse_responses p "
        "JOIN pulse_rounds r ON r.id = p.round_id WHERE r.opens_at >= :since "
        "GROUP BY r.team_id, r.id"
    )


class CardsQueued:
    """The outbox of the timed runs: keeps each queued card in memory instead of writing a row
    (delivery is not part of computing the digests; charts are timed apart)."""

    def __init__(self) -> None:
        self.cards: dict[str, Card] = {}

    async def enqueue(
        self,
        key: str,
        recipient: Recipient,
        card: Card,
        not_before: datetime,
        drop_after: datetime | None = None,
    ) -> bool:
        if key in self.cards:
            return False
        self.cards[key] = card
        return True

    async def cancel(self, key_prefix: str) -> int:
        return 0

    def groups(self) -> set[str]:
        return {key.split(":")[2] for key in self.cards}


async def run_backend(name: str, url: str, args: argparse.Namespace) -> dict[str, float]:
    rng = random.Random(52)
    teams = max(2, round(1000 * args.scale))
    departments = max(1, round(100 * args.scale))
    weeks = args.weeks
    roster, sizes = make_roster(teams, departments, rng)
    upgrade(url)
    print(f"[{name}] {teams} teams in {departments} departments, {weeks} weekly rounds", flush=True)
    t0 = time.perf_counter()
    answers = load_rounds(url, sizes, range(weeks - 1), rng, args.answers_factor)
    clock = FixedClock(FIRST_MONDAY + timedelta(weeks=weeks - 1, hours=80))
    respite = await build(Settings(database_url=url), clock=clock, roster=parse_roster(roster))
    kudos, breaks = respite.deps.kudos, respite.deps.breaks
    assert isinstance(kudos, SqlKudosStore) and isinstance(breaks, SqlBreakStore)

    def job_deps() -> Deps:
        # What the scheduler's freeze job runs with, except that cards are kept in memory and
        # drawn without their chart; a fresh activity reader, so no run reuses another's counts.
        return dataclasses.replace(
            respite.deps,
            outbox=CardsQueued(),
            charts=None,
            activity=SqlPeriodActivity(kudos, breaks),
        )

    period = period_of(FIRST_MONDAY + timedelta(weeks=weeks - 1))
    try:
        frozen = await freeze_due(job_deps())
        answers += load_rounds(url, sizes, range(weeks - 1, weeks), rng, args.answers_factor)
        await settle(respite.engine)
        # As `respite serve` does once started: what lives as long as the process (SDKs, the
        # roster, the app) is moved out of the collector's way, so that a full collection in a
        # timed run scans what that run allocated, as it would in the server.
        gc.collect()
        gc.freeze()
        print(
            f"[{name}] loaded {answers:,} answers and froze {len(frozen)} periods in "
            f"{time.perf_counter() - t0:.1f}s",
            flush=True,
        )

        async def unfreeze() -> None:
            """Forget the newest period, so each run freezes and queues it from scratch."""
            async with respite.engine.begin() as conn:
                for table in (digest_groups, digest_periods):
                    await conn.execute(delete(table).where(table.c.period == period))
            await settle(respite.engine, "digest_groups, digest_periods")

        async def digests() -> int:
            """The freeze job's whole tick for the newest period: roll-up, release rules, frozen
            rows, then every group's digest with its 6-round trend and its card, queued."""
            deps = job_deps()
            done = await freeze_due(deps)
            assert [f.period for f in done] == [period], "exactly the newest period is frozen"
            assert isinstance(deps.outbox, CardsQueued)
            groups = deps.outbox.groups()
            assert len(groups) == len(done[0].groups), "every group's digest is queued"
            return len(groups)

        since = FIRST_MONDAY + timedelta(weeks=weeks - HISTORY_ROUNDS)

        async def baseline() -> int:
            async with AsyncSession(respite.engine) as s:
                rows = (
                    await s.execute(
                        text(baseline_sql(respite.engine.dialect.name)), {"since": since}
                    )
                ).all()
            return len(rows)

        # One untimed run of each warms connections and caches; then runs alternate which goes
        # first, and the medians are compared. Memory is measured in runs of its own.
        await baseline()
        await digests()
        base_times: list[float] = []
        dig_times: list[float] = []
        base_rows = groups = 0
        for i in range(args.runs):
            for which in ("baseline", "digests") if i % 2 == 0 else ("digests", "baseline"):
                if which == "baseline":
                    base_rows, elapsed = await timed(baseline)
                    base_times.append(elapsed)
                else:
                    await unfreeze()
                    groups, elapsed = await timed(digests)
                    dig_times.append(elapsed)
        _rows, base_mem = await peak_memory(baseline)
        await unfreeze()
        _groups, dig_mem = await peak_memory(digests)
        # Charts are drawn once per delivered digest, in a worker thread; time a sample.
        sample = list((await all_digests(respite.deps)).values())[: args.charts]
        charts = [c for c in (trend_chart(respite.instrument, d) for d in sample) if c]
        started = time.perf_counter()
        for chart in charts:
            render_trend(chart)
        per_chart = (time.perf_counter() - started) / max(1, len(charts))
    finally:
        await respite.close()
    dig_time, base_time = statistics.median(dig_times), statistics.median(base_times)
    ratio = dig_time / base_time if base_time else float("inf")

    def spread(values: list[float]) -> str:
        return f"(runs {min(values) * 1000:.0f}-{max(values) * 1000:.0f} ms)"

    print(f"[{name}] period {period}, median of {args.runs} runs each:")
    print(
        f"[{name}]   digests : {groups:5d} groups  {dig_time * 1000:8.1f} ms  "
        f"peak {dig_mem / 1e6:6.1f} MB   {spread(dig_times)}"
    )
    print(
        f"[{name}]   GROUP BY: {base_rows:5d} rows    {base_time * 1000:8.1f} ms  "
        f"peak {base_mem / 1e6:6.1f} MB   {spread(base_times)} "
        f"(raw answers of the same {HISTORY_ROUNDS}-round window)"
    )
    print(f"[{name}]   ratio digests / GROUP BY = {ratio:.2f}x (target <= 2x)", flush=True)
    print(
        f"[{name}]   charts  : {per_chart * 1000:.0f} ms each ({len(charts)} drawn), so "
        f"{per_chart * groups:.0f} s of a worker thread to chart every digest of the period"
    )
    return {"ratio": ratio, "answers": answers, "digest_mb": dig_mem / 1e6}


async def settle(engine: AsyncEngine, tables: str = "") -> None:
    """On PostgreSQL, vacuum and analyze now, as autovacuum would after a bulk load or many
    deletions, so that its background work does not land in a timed run (SQLite does nothing in
    the background)."""
    if engine.dialect.name != "postgresql":
        return
    async with engine.connect() as conn:
        auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await auto.execute(text(f"VACUUM ANALYZE {tables}"))


def postgres_url() -> tuple[str, Callable[[], None]]:
    name = f"respite_bench_{os.getpid()}"
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    info = psycopg.conninfo.conninfo_to_dict(PG_BASE)
    user, host = info.get("user", "postgres"), info.get("host", "127.0.0.1")
    url = f"postgresql://{user}@{host}:{info.get('port', '5432')}/{name}"

    def drop() -> None:
        with psycopg.connect(PG_BASE, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return url, drop


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--scale", type=float, default=1.0, help="fraction of 1,000 teams / 100 departments"
    )
    p.add_argument("--weeks", type=int, default=52)
    p.add_argument("--answers-factor", type=float, default=1.0, help="scale answers per round")
    p.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    p.add_argument("--charts", type=int, default=20, help="charts to draw for the per-chart time")
    p.add_argument("--runs", type=int, default=5, help="timed runs of each, for the medians")
    args = p.parse_args(argv)
    results = {}
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="respite-bench-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            results["sqlite"] = asyncio.run(run_backend("sqlite", url, args))
    if args.backend in ("postgresql", "both"):
        url, drop = postgres_url()
        try:
            results["postgresql"] = asyncio.run(run_backend("postgresql", url, args))
        finally:
            drop()
    worst = max(r["ratio"] for r in results.values())
    print(f"worst ratio: {worst:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
