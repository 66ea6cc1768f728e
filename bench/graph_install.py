"""Installing Respite for members it cannot reach: Graph calls per person, and how long N take.

Each person costs three Graph calls (install, find the installation, its chat) and the run one
more (the catalog), each a round trip of tens to hundreds of milliseconds. This script times the
real installer (Graph client, SQL contact store on a temporary SQLite database, or the empty one
given) against the fake Graph on 127.0.0.1 answering every call after `--latency` seconds: one
person at a time (the baseline), the installer's default concurrency, and the default with one
429 (Retry-After `--retry-after` seconds) in the middle of the run. It prints each, the calls
per person, and the ratios against the baseline.

    python bench/graph_install.py [--members 200] [--latency 0.05] [--retry-after 1]
        [--database-url postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.platforms.msteams.graph import GraphClient
from bot.platforms.msteams.install import CONCURRENCY, InstallReport, ProactiveInstaller
from bot.storage.addresses import SqlAddressBook
from bot.storage.db import create_engine_async, session_factory
from bot.storage.migrate import upgrade
from bot.storage.tables import teams_contacts
from tests.support.fakes.graph import FakeGraph, GraphUser

APP_ID = "00000000-0000-0000-0000-0000000000b0"
TOKEN = "bench-token"


def person(n: int) -> str:
    return f"6f1c4a2e-0b7d-4e57-9a8c-{n:012d}"


async def run(
    db: str, members: int, latency: float, concurrency: int, throttle: float | None
) -> tuple[float, InstallReport]:
    graph = FakeGraph(TOKEN, APP_ID)
    graph.latency = latency
    people = [person(n) for n in range(members)]
    graph.add_users(*(GraphUser(p) for p in people))
    await graph.start()
    engine = create_engine_async(db)
    async with engine.begin() as conn:
        await conn.execute(teams_contacts.delete())

    async def token(fresh: bool) -> str:
        return TOKEN

    client = GraphClient(graph.url, token)
    installer = ProactiveInstaller(
        client,
        SqlAddressBook(session_factory(engine)),
        APP_ID,
        "72f988bf-86f1-41af-91ab-2d7cd011db47",
        lambda: datetime.now(UTC),
        concurrency=concurrency,
    )
    try:
        if throttle is not None:
            # The 429 lands in the middle of the run.
            graph.throttle("installed", retry_after=f"{throttle:g}", after=members // 2)
        started = time.perf_counter()
        report = await installer.reach(people)
        took = time.perf_counter() - started
        assert len(report.installed) == members, report
        return took, report
    finally:
        await client.close()
        await graph.close()
        await engine.dispose()


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="respite-bench-") as tmp:
        db = args.database_url or f"sqlite:///{Path(tmp) / 'respite.db'}"
        upgrade(db)
        n = args.members
        base, base_report = await run(db, n, args.latency, 1, None)
        side, side_report = await run(db, n, args.latency, CONCURRENCY, None)
        held, held_report = await run(db, n, args.latency, CONCURRENCY, args.retry_after)
    print(f"{n} members, {args.latency * 1000:.0f} ms a Graph call")
    print(f"  one at a time:          {base:7.2f} s, {base_report.calls / n:.2f} calls a member")
    print(
        f"  {CONCURRENCY} side by side:         {side:7.2f} s, "
        f"{side_report.calls / n:.2f} calls a member ({base / side:.1f}x faster)"
    )
    print(
        f"  side by side, one 429:  {held:7.2f} s, {held_report.calls / n:.2f} calls a member "
        f"({held - side:+.2f} s for a Retry-After of {args.retry_after:g} s; "
        f"{base / held:.1f}x the baseline)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--retry-after", type=float, default=1.0)
    parser.add_argument("--database-url")
    asyncio.run(main(parser.parse_args()))
