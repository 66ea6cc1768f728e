"""Break prompts at scale: 10,000 people x 4 break times a day, on SQLite and PostgreSQL.

For each backend it times, in the same run:
  - every minute tick of several simulated days (1,440 a day), beside a bare SQL query
    selecting the same due people at the same instant;
  - the busiest minute of each day (three teams of 1,000 due in the same minute), and
    all minutes with anyone due;
and prints the ratios. The tick does everything a real one does (roster sync check, time-zone
lookups queue, reading who is due, planning, moving schedules on with compare-and-set, leaving
each plan's prompt to be fanned out, committing); the bare query only reads.

A plan's prompt becomes each follower's outbox row in the outbox worker, just before it claims
(the fan-out). The bench times that too, right after each tick, and compares a busy minute's
tick and fan-out together with bare SQL doing the same reads and writes and committing them: the
due people read, the prompt card stored once and one outbox row each (per-person key and
recipient, referring to the card as the fanned-out rows do), into a copy of the outbox (same
columns, keys and indexes) so that the real queue is not disturbed.

    python bench/breaks.py                # both backends (PostgreSQL from RESPITE_BENCH_POSTGRES)
    python bench/breaks.py --only sqlite --days 1
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
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

from sqlalchemy import MetaData, Table, bindparam, text, update
from sqlalchemy.sql.elements import TextClause, quoted_name

from bot.app.compose import Respite, build
from bot.config import Settings, parse_roster
from bot.domain.break_cards import prompt_card
from bot.domain.breaks import PROMPT_LIFETIME
from bot.domain.messages import Card, Platform, Recipient, card_to_dict
from bot.infra.clock import FixedClock
from bot.storage.migrate import upgrade
from bot.storage.tables import break_people, metadata, outbox
from bot.storage.types import UtcDateTime
from scheduler.breaks import BreakTicker

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

# The bare query only reads, so each minute it runs three times and its median counts: one
# stall of a shared machine then moves neither a minute's ratio nor a day's total. The tick,
# which writes, runs once.
BARE_RUNS = 3
# Who is due: people planned alone whose moment has come, and the followers of due plans.
BARE = text(
    "SELECT p.* FROM break_people p WHERE p.next_at <= :now UNION ALL "
    "SELECT p.* FROM break_people p JOIN break_plans s ON s.id = p.plan_id WHERE s.next_at <= :now"
).bindparams(bindparam("now", type_=UtcDateTime()))
DUE = (
    "(SELECT p.platform, p.user_id, s.next_at FROM break_people p JOIN break_plans s "
    "ON s.id = p.plan_id WHERE s.next_at <= :now AND s.next_slot IS NOT NULL)"
)


def shadow_outbox() -> tuple[MetaData, Table]:
    """A copy of the outbox, with the same columns, keys and indexes."""
    md = MetaData(naming_convention=metadata.naming_convention)
    copy = outbox.to_metadata(md, name="bench_outbox")
    for index in copy.indexes:
        index.name = quoted_name(f"bench_{index.name}", None)
    for constraint in copy.constraints:
        if isinstance(constraint.name, str):
            constraint.name = quoted_name(f"bench_{constraint.name}", None)
    return md, copy


def bare_write_sql(postgres: bool) -> tuple[TextClause, TextClause]:
    """The writes of a busy minute, as plain set-based SQL (rows into the copy)."""
    recipient = "json_build_object" if postgres else "json_object"
    card = text(
        "INSERT INTO outbox_cards (id, card, created_at) VALUES (:card_id, :card, :now) "
        "ON CONFLICT (id) DO NOTHING"
    ).bindparams(bindparam("now", type_=UtcDateTime()))
    queue = text(
        "INSERT INTO bench_outbox (key, platform, recipient, card_id, status, attempts, "
        "not_before, drop_after, created_at) "
        "SELECT 'break:' || platform || ':u:' || user_id || ':' || :slot, "
        f"platform, {recipient}('platform', platform, 'user_id', user_id, 'channel_id', NULL), "
        f":card_id, 'pending', 0, next_at, :later, next_at FROM {DUE} AS due WHERE true "
        "ON CONFLICT (key) DO NOTHING"
    ).bindparams(bindparam("now", type_=UtcDateTime()), bindparam("later", type_=UtcDateTime()))
    return card, queue


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
    """The bare query's time (the median of three runs: it only reads) and the rows it found."""
    times = []
    for _ in range(BARE_RUNS):
        start = time.perf_counter()
        async with respite.engine.connect() as conn:
            found = len((await conn.execute(BARE, {"now": now})).all())
        times.append(time.perf_counter() - start)
    return statistics.median(times), found


async def bare_write(respite: Respite, now: datetime, card: str) -> float:
    """Read the due people and queue one row each (in the copy); commit."""
    share, queue = bare_write_sql(respite.engine.dialect.name == "postgresql")
    params = {
        "now": now,
        "slot": now.isoformat(),
        "card": card,
        "card_id": hashlib.sha256(card.encode()).hexdigest()[:32],
        "later": now + PROMPT_LIFETIME,
    }
    start = time.perf_counter()
    async with respite.engine.begin() as conn:
        (await conn.execute(BARE, {"now": now})).all()
        await conn.execute(share, params)
        await conn.execute(queue, params)
    return time.perf_counter() - start


async def tick(respite: Respite, ticker: BreakTicker) -> tuple[float, int, int]:
    start = time.perf_counter()
    result = await ticker.tick(respite.deps)
    return time.perf_counter() - start, result.due, result.queued


async def fan_out(respite: Respite) -> tuple[float, int]:
    """What the outbox worker does before it claims: plans' prompts into outbox rows."""
    assert respite.deps.breaks is not None
    start = time.perf_counter()
    queued = await respite.deps.breaks.fan_out(respite.deps.clock.now())
    return time.perf_counter() - start, queued


async def run_backend(name: str, url: str, days: int) -> dict[str, float]:
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
        shadow, _outbox_copy = shadow_outbox()
        async with respite.engine.begin() as conn:
            await conn.run_sync(shadow.create_all)
        card = json.dumps(
            card_to_dict(prompt_card(0, "2026-12-01T10:50", Platform.SLACK)),
            sort_keys=True,
            separators=(",", ":"),
        )

        # Every minute of each day; the bare query sees the same rows first.
        tick_total = bare_total = 0.0
        busy = [0.0, 0.0, 0.0, 0.0, 0, 0]  # tick, fan-out, bare read, bare writes, minutes, rows
        busiest: list[tuple[float, float, float, float, int, datetime]] = []
        left = queued = 0
        idle_ticks: list[float] = []
        idle_bare: list[float] = []
        for day in range(days):
            top = (0.0, 0.0, 0.0, 0.0, 0, DAY)
            for minute in range(24 * 60):
                clock.set(DAY + timedelta(days=day, minutes=minute, seconds=5))
                b, found = await bare(respite, clock.now())
                rw = await bare_write(respite, clock.now(), card) if found else b
                t, due, reach = await tick(respite, ticker)
                f, fanned = await fan_out(respite)
                assert due == found, (due, found)
                tick_total += t
                bare_total += b
                left += reach
                queued += fanned
                if due == 0:
                    idle_ticks.append(t)
                    idle_bare.append(b)
                else:
                    for i, x in enumerate((t, f, b, rw, 1, due)):
                        busy[i] += x
                if due > top[4]:
                    top = (t, f, b, rw, due, clock.now())
            busiest.append(top)
        med_t, med_b = statistics.median(idle_ticks), statistics.median(idle_bare)
        bt, bf, bb, brw, minutes, rows = busy
        print(
            f"[{name}] all {minutes} busy minutes of {days} days ({rows} people due): ticks "
            f"{bt:.2f}s, bare query {bb:.2f}s, ratio {bt / bb:.2f}; ticks and fan-outs "
            f"{bt + bf:.2f}s, bare SQL doing the same writes {brw:.2f}s, ratio "
            f"{(bt + bf) / brw:.2f}"
        )
        print(f"[{name}] prompts: {left} left by ticks, {queued} outbox rows fanned out")
        peak = statistics.median(t / b for t, _f, b, _rw, _d, _at in busiest)
        peak_rw = statistics.median((t + f) / rw for t, f, _b, rw, _d, _at in busiest)
        for t, f, b, rw, due, at in busiest:
            print(
                f"[{name}] busiest tick ({due} due at {at:%a %H:%M} UTC): tick {t * 1000:.1f} ms, "
                f"bare query {b * 1000:.1f} ms, ratio {t / b:.2f}; fan-out {f * 1000:.1f} ms, "
                f"bare SQL doing the same writes {rw * 1000:.1f} ms, ratio {(t + f) / rw:.2f}"
            )
        print(
            f"[{name}] idle tick (median of {len(idle_ticks)}): tick {med_t * 1000:.2f} ms, "
            f"bare query {med_b * 1000:.2f} ms, ratio {med_t / med_b:.2f}"
        )
        print(
            f"[{name}] whole days ({days * 1440} ticks): ticks {tick_total:.2f}s, bare queries "
            f"{bare_total:.2f}s, ratio {tick_total / bare_total:.2f}"
        )
        return {
            "peak": peak,
            "busy": bt / bb,
            "busy_rw": (bt + bf) / brw,
            "idle": med_t / med_b,
            "day": tick_total / bare_total,
            "peak_rw": peak_rw,
        }
    finally:
        await respite.close()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--days", type=int, default=3, help="simulated days (default 3)")
    args = parser.parse_args()
    ratios: dict[str, dict[str, float]] = {}
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory(prefix="respite-bench-") as tmp:
            ratios["sqlite"] = await run_backend("sqlite", f"sqlite:///{tmp}/bench.db", args.days)
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
                ratios["postgresql"] = await run_backend("postgresql", f"{base}/{db}", args.days)
            finally:
                with psycopg.connect(PG_BASE, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    print("\nratios, tick / bare read query (target: tick <= 2x):")
    for name, r in ratios.items():
        print(
            f"  {name:10s} busiest minute {r['peak']:.2f}   all busy minutes {r['busy']:.2f}   "
            f"idle minute {r['idle']:.2f}   whole days {r['day']:.2f}"
        )
    print("ratios, tick and fan-out / bare SQL doing the same reads and writes, committed:")
    for name, r in ratios.items():
        print(
            f"  {name:10s} busiest minute {r['peak_rw']:.2f}   all busy minutes {r['busy_rw']:.2f}"
        )
    print("(busiest minute: the median over the days)")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
