"""What reading the outbox backlog adds to a /metrics scrape, as the outbox grows.

A scrape reads the backlog from the database each time (one grouped query over the unsettled
rows). This script fills an outbox with `--history` sent rows (what a busy month leaves behind)
and then N unsettled rows (due and held, on two platforms), and measures, alternately so that
drift on a shared machine hits both alike:

- baseline: a scrape of every other metric (the process, counters, histograms), no database;
- target: the same scrape with the backlog read from the database, as `respite serve` does it.

It prints the median time of each and their ratio, for each N, on SQLite and PostgreSQL.

    python bench/metrics_scrape.py [--sizes 0,1000,10000,100000] [--history 100000] [--only sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402

from bot.infra.metrics import Backlog, OutboxBacklog, exposition  # noqa: E402
from bot.storage.backlog import outbox_backlog  # noqa: E402
from bot.storage.db import create_engine_async  # noqa: E402
from bot.storage.migrate import upgrade  # noqa: E402
from bot.storage.tables import outbox, outbox_cards  # noqa: E402

PG_BASE = os.environ.get("RESPITE_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
NOW = datetime(2026, 11, 30, 10, tzinfo=UTC)
CARD = "c" * 32
BATCH = 5000
REPEATS = 30


async def add_rows(engine: AsyncEngine, start: int, count: int, status: str) -> None:
    for first in range(start, start + count, BATCH):
        rows = [
            {
                "key": f"bench:{i}",
                "platform": "slack" if i % 3 else "teams",
                "recipient": {"platform": "slack", "user_id": f"U{i:08d}", "channel_id": None},
                "card_id": CARD,
                "status": status,
                "attempts": 0,
                # Every fourth unsettled row waits for working hours.
                "not_before": NOW + timedelta(hours=8 if i % 4 == 0 else -1),
                "created_at": NOW - timedelta(seconds=i % 3600),
                "holds": False,
            }
            for i in range(first, min(first + BATCH, start + count))
        ]
        async with engine.begin() as conn:
            await conn.execute(insert(outbox), rows)


async def timed(backlog: OutboxBacklog | None) -> float:
    started = time.perf_counter()
    await exposition(backlog)
    return time.perf_counter() - started


async def run_backend(name: str, url: str, sizes: Sequence[int], history: int) -> None:
    await asyncio.to_thread(upgrade, url)
    engine = create_engine_async(url)

    async def read() -> list[Backlog]:
        return [
            Backlog(g.platform, g.state, g.rows, (NOW - g.oldest).total_seconds())
            for g in await outbox_backlog(engine, NOW)
        ]

    backlog = OutboxBacklog(read, ["slack", "teams"])
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(outbox_cards), [{"id": CARD, "card": {}, "created_at": NOW}])
        await add_rows(engine, 0, history, "sent")
        held = history
        print(f"[{name}] {history} sent rows kept as history")
        for size in sizes:
            await add_rows(engine, held, size - (held - history), "pending")
            held = history + size
            await timed(backlog)  # warm: plans cached, pages read
            base: list[float] = []
            target: list[float] = []
            for _ in range(REPEATS):
                base.append(await timed(None))
                target.append(await timed(backlog))
            b, t = statistics.median(base), statistics.median(target)
            print(
                f"[{name}] {size:>7} unsettled rows: scrape {b * 1000:7.2f} ms, with backlog "
                f"{t * 1000:7.2f} ms, ratio {t / b:6.2f}"
            )
    finally:
        await engine.dispose()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0,1000,10000,100000")
    parser.add_argument("--history", type=int, default=100_000)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory(prefix="respite-bench-") as tmp:
            await run_backend("sqlite", f"sqlite:///{tmp}/bench.db", sizes, args.history)
    if args.only in (None, "postgresql"):
        import psycopg

        db = f"respite_bench_{os.getpid()}_{secrets.token_hex(3)}"
        try:
            with psycopg.connect(PG_BASE, autocommit=True, connect_timeout=3) as conn:
                conn.execute(f'CREATE DATABASE "{db}"')
        except psycopg.Error as exc:
            print(f"[postgresql] skipped: {exc}".strip())
        else:
            base = PG_BASE.rsplit("/", 1)[0]
            try:
                await run_backend("postgresql", f"{base}/{db}", sizes, args.history)
            finally:
                with psycopg.connect(PG_BASE, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    print("(ratio: scrape with the backlog read / scrape without; medians of alternating runs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
