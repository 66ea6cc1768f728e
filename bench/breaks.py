"""Break prompts at scale: 10,000 people x 4 break times a day, on SQLite and PostgreSQL.

For each backend it times, in the same run:
  - one due-tick at a busy minute (a whole team of 1,000 at the same local break time),
    beside a bare SQL query selecting the same due rows at the same instant;
  - a whole simulated day (1,440 minute ticks, 40,000 prompts), beside the same bare query
    run at every minute;
and prints the ratios. The tick does everything a real one does (roster sync check, time-zone
lookups queue, reading due rows, planning, queueing prompts with unique keys, moving schedules
on, counting team-week totals); the bare query only reads.

    python bench/breaks.py                # both backends (PostgreSQL from RESPITE_BENCH_POSTGRES)
    python bench/breaks.py --only sqlite
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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import bindparam, text, update

from bot.clock import FixedClock
from bot.config import Settings, parse_roster
from bot.domain.messages import Card, Platform, Recipient
from bot.main import Respite, build
from bot.storage.migrate import upgrade
from bot.storage.tables import break_people
from bot.storage.types import UtcDateTime
from scheduler.breaks_jobs import BreakTicker

PG_BASE = os.environ.get("RESPITE_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
)
PER_TEAM = 1000
DAY = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # a Tuesday: a working day everywhere

BARE = text("SELECT * FROM break_people WHERE next_at <= :now ORDER BY next_at").bindparams(
    bindparam("now", type_=UtcDateTime())
)


# The same reads and writes a tick needs, as plain set-based SQL, rolled back afterwards: one
# outbox row per due person (with a card-sized JSON payload) and one schedule update each.
BARE_WRITE = (
    text(
        "INSERT INTO outbox (key, platform, recipient, card, status, attempts, not_before, "
        "created_at) SELECT 'bench:' || user_id || ':' || :slot, platform, "
        "'{\"platform\": \"slack\"}', :card, 'pending', 0, next_at, :now FROM break_people "
        "WHERE next_at <= :now"
    ).bindparams(bindparam("now", type_=UtcDateTime())),
    text(
        "UPDATE break_people SET next_at = :later, last_practice = 1 WHERE next_at <= :now"
    ).bindparams(bindparam("now", type_=UtcDateTime()), bindparam("later", type_=UtcDateTime())),
)
CARD_JSON = '{"title": "' + "x" * 700 + '"}'


class NullSender:
    async def send(self, recipient: Recipient, card: Card) -> str | None:
        return None

    async def delete(self, recipient: Recipient, ref: str) -> None:
        return None


def roster() -> dict[str, Any]:
    return {
        "teams": [
            {
                "id": f"team{i}",
                "name": f"Team {i}",
                "platform": "slack",
                "timezone": tz,
                "members": [f"U{i:02d}{n:05d}" for n in range(PER_TEAM)],
                "leads": [f"L{i:02d}"],
                "working_days": "mon-sun",
            }
            for i, tz in enumerate(ZONES)
        ]
    }


async def bare(respite: Respite, now: datetime) -> tuple[float, int]:
    start = time.perf_counter()
    async with respite.engine.connect() as conn:
        found = len((await conn.execute(BARE, {"now": now})).all())
    return time.perf_counter() - start, found


async def bare_write(respite: Respite, now: datetime) -> float:
    """Read the due rows, queue one row each and move each schedule, then roll it all back."""
    start = time.perf_counter()
    async with respite.engine.connect() as conn:
        trans = await conn.begin()
        (await conn.execute(BARE, {"now": now})).all()
        params = {"now": now, "slot": now.isoformat(), "card": CARD_JSON}
        await conn.execute(BARE_WRITE[0], params)
        await conn.execute(BARE_WRITE[1], {"now": now, "later": now + timedelta(hours=1)})
        elapsed = time.perf_counter() - start
        await trans.rollback()
    return elapsed


async def tick(respite: Respite, ticker: BreakTicker) -> tuple[float, int, int]:
    start = time.perf_counter()
    result = await ticker.tick(respite.deps)
    return time.perf_counter() - start, result.due, result.queued


async def run_backend(name: str, url: str) -> dict[str, float]:
    await asyncio.to_thread(upgrade, url)
    clock = FixedClock(DAY - timedelta(hours=1))
    respite = await build(
        Settings(database_url=url),
        clock=clock,
        roster=parse_roster(roster()),
        senders={Platform.SLACK: NullSender()},
    )
    try:
        ticker = next(t for t in respite.runtime.extra_ticks if isinstance(t, BreakTicker))
        t0 = time.perf_counter()
        await ticker.sync_people(respite.deps, clock.now())
        async with respite.engine.begin() as conn:  # steady state: time zones already known
            await conn.execute(update(break_people).values(tz_checked=True))
        while (await ticker.tick(respite.deps)).due:
            pass
        plan = time.perf_counter() - t0
        print(f"[{name}] first plan of {len(ZONES) * PER_TEAM} people: {plan:.2f}s")

        # The whole day, minute by minute; the bare query sees the same rows first.
        tick_total = bare_total = rw_total = 0.0
        busiest = (0.0, 0.0, 0, datetime.min, 0.0)
        busy = [0.0, 0.0, 0.0, 0, 0]  # tick, bare read, bare read+write, minutes, rows
        prompts = 0
        idle_ticks: list[float] = []
        idle_bare: list[float] = []
        for minute in range(24 * 60):
            clock.set(DAY + timedelta(minutes=minute, seconds=5))
            b, found = await bare(respite, clock.now())
            rw = await bare_write(respite, clock.now()) if found else b
            t, due, queued = await tick(respite, ticker)
            assert due == found, (due, found)
            tick_total += t
            bare_total += b
            rw_total += rw
            prompts += queued
            if due == 0:
                idle_ticks.append(t)
                idle_bare.append(b)
            if due:
                busy[0] += t
                busy[1] += b
                busy[2] += rw
                busy[3] += 1
                busy[4] += due
            if due > busiest[2]:
                busiest = (t, b, due, clock.now(), rw)
        t_peak, b_peak, due_peak, at, rw_peak = busiest
        med_t, med_b = statistics.median(idle_ticks), statistics.median(idle_bare)
        print(
            f"[{name}] all {busy[3]} busy minutes ({busy[4]} rows due): ticks {busy[0]:.2f}s, "
            f"bare query {busy[1]:.2f}s, ratio {busy[0] / busy[1]:.2f}; bare SQL doing the same "
            f"writes {busy[2]:.2f}s, ratio {busy[0] / busy[2]:.2f}"
        )
        print(f"[{name}] prompts queued over the day: {prompts}")
        print(
            f"[{name}] busiest tick ({due_peak} due at {at:%H:%M} UTC): "
            f"tick {t_peak * 1000:.1f} ms, bare query {b_peak * 1000:.1f} ms, "
            f"ratio {t_peak / b_peak:.2f}; bare SQL doing the same writes {rw_peak * 1000:.1f} ms, "
            f"ratio {t_peak / rw_peak:.2f}"
        )
        print(
            f"[{name}] idle tick (median of {len(idle_ticks)}): tick {med_t * 1000:.2f} ms, "
            f"bare query {med_b * 1000:.2f} ms, ratio {med_t / med_b:.2f}"
        )
        print(
            f"[{name}] whole day (1,440 ticks): ticks {tick_total:.2f}s, bare queries "
            f"{bare_total:.2f}s, ratio {tick_total / bare_total:.2f}; bare SQL with the same "
            f"writes {rw_total:.2f}s, ratio {tick_total / rw_total:.2f}"
        )
        return {
            "peak": t_peak / b_peak,
            "busy": busy[0] / busy[1],
            "busy_rw": busy[0] / busy[2],
            "idle": med_t / med_b,
            "day": tick_total / bare_total,
            "peak_rw": t_peak / rw_peak,
            "day_rw": tick_total / rw_total,
        }
    finally:
        await respite.close()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    ratios: dict[str, dict[str, float]] = {}
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory(prefix="respite-bench-") as tmp:
            ratios["sqlite"] = await run_backend("sqlite", f"sqlite:///{tmp}/bench.db")
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
                ratios["postgresql"] = await run_backend("postgresql", f"{base}/{db}")
            finally:
                with psycopg.connect(PG_BASE, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    print("\nratios, tick / bare read query (target: tick <= 2x):")
    for name, r in ratios.items():
        print(
            f"  {name:10s} busiest minute {r['peak']:.2f}   all busy minutes {r['busy']:.2f}   "
            f"idle minute {r['idle']:.2f}   whole day {r['day']:.2f}"
        )
    print("ratios, tick / bare SQL doing the same reads and writes:")
    for name, r in ratios.items():
        print(
            f"  {name:10s} busiest minute {r['peak_rw']:.2f}   all busy minutes "
            f"{r['busy_rw']:.2f}   whole day {r['day_rw']:.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
