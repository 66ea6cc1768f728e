"""A fan-out interrupted by kill -9 or SIGTERM, then restarted: what members receive, how soon.

Queues one direct message for each of `--members` people, starts a real `respite serve` against a
fake Slack Web API on 127.0.0.1, and stops it once Slack has received about half of them (in the
middle of a batch): kill -9 with every worker line in the middle of a send (Slack holds its
answers: the worst case), kill -9 at whatever moment that is, and SIGTERM. A fresh process is
started at once on the same database and left to finish. For each, on SQLite and (with
`--postgres`) PostgreSQL, it prints the sends in flight at the stop, members left out, members
sent a message twice, and how long after the restart everyone had theirs. The baseline is the
same fan-out left alone, timed in the same run; the ratio is the interrupted fan-out's time from
the first start to the last message, to it.

    python bench/outbox_crash.py [--members 2000] [--postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scheduler.delivery import LEASE_SECONDS
from tests.support.db import PostgresDatabase, SqliteTemplate
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.outbox_crash import FanOut, Figures

Fresh = Callable[[Path], str]


async def one(
    fresh: Fresh, tmp: Path, members: int, run: Callable[[FanOut], Awaitable[object]]
) -> object:
    fake = FakeSlackApi()
    await fake.start()
    workdir = Path(tempfile.mkdtemp(dir=tmp))
    fan_out = FanOut(fresh(workdir), fake, workdir, members)
    try:
        return await run(fan_out)
    finally:
        await fan_out.close()
        await fake.close()


async def backend(name: str, fresh: Fresh, tmp: Path, members: int) -> int:
    baseline = await one(fresh, tmp, members, lambda f: f.run_through())
    assert isinstance(baseline, float)
    print(f"{name}: {members} members, lease {LEASE_SECONDS:.0f} s")
    print(f"  left alone: every member served {baseline:.1f} s after the start")
    status = 0
    cases = (("kill -9, every line mid-send", True, True), ("kill -9", True, False))
    for label, kill, hold in (*cases, ("SIGTERM", False, False)):

        async def interrupted(f: FanOut, kill: bool = kill, hold: bool = hold) -> Figures:
            # Mid-batch (batches are 100 rows), not at the end of one.
            return await f.run(stop_after=members // 2 + 37, kill=kill, hold=hold)

        began = time.monotonic()
        figures = await one(fresh, tmp, members, interrupted)
        total = time.monotonic() - began
        assert isinstance(figures, Figures)
        print(
            f"  {label}: {figures.received_at_stop} received at the stop, "
            f"{figures.in_flight} in flight; lost {figures.lost}, "
            f"sent twice {figures.duplicated}; all served {figures.restart_seconds:.1f} s after "
            f"the restart (claims lapsed {figures.claims_lapse_after:.1f} s after the stop); "
            f"first start to last message / left alone: {total / baseline:.1f}x"
        )
        if figures.lost or figures.duplicated > figures.in_flight:
            status = 1
    return status


async def bench(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="respite-bench-") as name:
        tmp = Path(name)
        template = SqliteTemplate(tmp)
        status = await backend(
            "SQLite", lambda d: template.fresh(d / "respite.db"), tmp, args.members
        )
        if args.postgres:
            db = PostgresDatabase()
            try:

                def fresh_pg(_: Path) -> str:
                    db.truncate()
                    return db.url

                status |= await backend("PostgreSQL", fresh_pg, tmp, args.members)
            finally:
                db.drop()
    return status


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--members", type=int, default=2000)
    p.add_argument(
        "--postgres",
        action="store_true",
        help="also on PostgreSQL at 127.0.0.1:5432 (a database of its own, dropped after)",
    )
    return asyncio.run(bench(p.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
