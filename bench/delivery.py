"""Outbox delivery on a network with latency: one message at a time against side by side.

A Web API call to Slack takes tens to hundreds of milliseconds: each message is one, and each
batch the worker claims needs a Do Not Disturb lookup per 50 people (dnd.teamInfo). A round
opening for a whole organisation, or a busy break minute, queues hundreds or thousands of
messages at once. This script queues `--messages` direct messages for as many people of one
team, then times the real outbox worker (claims, boundaries with Slack's Do Not Disturb,
slack_sdk's chat.postMessage, settling each row) on a temporary SQLite database (or the empty
one given), against a fake Slack Web API on 127.0.0.1 that answers every call after `--latency`
seconds. It alternates the worker's default concurrency with one message at a time, in the same
run, and prints both and the ratio.

    python bench/delivery.py [--messages 200] [--latency 0.03] [--rounds 2]
        [--database-url postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiohttp import web

from bot.app.compose import build
from bot.config import Settings, parse_roster
from bot.domain.messages import Card, Platform, Recipient
from bot.infra.clock import FixedClock
from bot.storage.migrate import upgrade
from scheduler.delivery import CONCURRENCY, deliver_due

# A Monday at 10:00 in the team's zone (UTC): inside working hours.
START = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


async def fake_slack(latency: float) -> tuple[web.AppRunner, str, dict[str, int]]:
    counts: dict[str, int] = {}

    async def handle(request: web.Request) -> web.Response:
        method = request.match_info["method"]
        await request.read()
        counts[method] = counts.get(method, 0) + 1
        await asyncio.sleep(latency)
        off = {"dnd_enabled": False, "next_dnd_start_ts": 1, "next_dnd_end_ts": 1}
        if method == "dnd.info":
            return web.json_response({"ok": True, **off})
        if method == "dnd.teamInfo":
            users = request.query.get("users", "").split(",")
            return web.json_response({"ok": True, "users": {u: off for u in users}})
        if method == "chat.postMessage":
            return web.json_response({"ok": True, "channel": "D1", "ts": "1700000000.000100"})
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_route("*", "/api/{method}", handle)  # dnd.info is a GET
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}/api/", counts


async def bench(args: argparse.Namespace) -> int:
    runner, url, counts = await fake_slack(args.latency)
    people = [f"U{i:05d}" for i in range(args.messages)]
    roster = {
        "teams": [
            {
                "id": "bench",
                "name": "Bench",
                "platform": "slack",
                "timezone": "UTC",
                "members": people,
                "leads": ["ULEAD"],
                "pulse": {"cron": "0 10 1 1 *", "open_hours": 24, "remind_after_hours": 12},
            }
        ]
    }
    clock = FixedClock(START)
    times: dict[int, list[float]] = {CONCURRENCY: [], 1: []}
    with tempfile.TemporaryDirectory(prefix="respite-bench-") as tmp:
        db = args.database_url or f"sqlite:///{Path(tmp) / 'respite.db'}"
        upgrade(db)
        respite = await build(
            Settings(database_url=db, slack_bot_token="xoxb-bench", slack_api_url=url),
            clock=clock,
            roster=parse_roster(roster),
        )
        rt = respite.runtime
        card = Card(title="Weekly check-in", blocks=("A one-minute pulse is open.",))
        try:
            for r in range(args.rounds):
                for concurrency in (CONCURRENCY, 1) if r % 2 == 0 else (1, CONCURRENCY):
                    # Past the minute Do Not Disturb answers are kept, so every round asks anew.
                    clock.advance(timedelta(seconds=61))
                    for user in people:
                        to = Recipient(Platform.SLACK, user_id=user)
                        await rt.queue.enqueue(f"r{r}c{concurrency}:{user}", to, card, clock.now())
                    began, sent = time.perf_counter(), 0
                    while n := await deliver_due(
                        rt.queue,
                        respite.senders,
                        clock,
                        boundaries=rt.boundaries,
                        concurrency=concurrency,
                    ):
                        sent += n
                    if sent != args.messages:
                        print(f"only {sent} of {args.messages} messages were sent")
                        return 1
                    times[concurrency].append(time.perf_counter() - began)
        finally:
            await respite.close()
            await runner.cleanup()

    print(
        f"{args.messages} direct messages through the outbox worker, Slack answering each call "
        f"after {args.latency * 1000:.0f} ms, "
        f"median of {args.rounds} alternating rounds:"
    )
    one = statistics.median(times[1])
    side = statistics.median(times[CONCURRENCY])
    print(f"  one at a time:               {one:7.2f} s   {args.messages / one:7.0f} messages/s")
    print(
        f"  {CONCURRENCY} recipients side by side:  {side:7.2f} s   "
        f"{args.messages / side:7.0f} messages/s"
    )
    print(f"  ratio one at a time / side by side: {one / side:.1f}x")
    print(f"  fake Slack calls: {dict(sorted(counts.items()))}")
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--messages", type=int, default=200)
    p.add_argument("--latency", type=float, default=0.03, help="seconds Slack takes per call")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument(
        "--database-url",
        default="",
        help="an empty database to use instead of a new SQLite file (PostgreSQL, say)",
    )
    return asyncio.run(bench(p.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
