"""Benchmark: the freeze job's tick for one period, against a GROUP BY over the same stored figures.

At --scale 1: 1,000 teams in 100 departments, 52 weekly rounds each (about a million answers,
each a person who took part). What is stored is what production leaves behind:

- the 51 earlier periods are frozen through the real store while loading (`freeze_due`, as the
  scheduler runs it): their rounds are closed and their answers, participation and round
  figures are gone; `digest_periods` and `digest_groups` hold every period, and
  `release_people` holds the keyed marks of who answered in each exactly released group for
  the store's window of periods (each person once per period, under the released group whose
  region holds them), written by the release rules that ran over the window before them;
- the 52nd period's rounds are closed with what closing leaves: their `round_figures` and their
  `pulse_participation` (who took part, in random order), no answer rows (`pulse_responses`
  holds only open rounds' sealed answers).

Loading therefore runs the freeze job's release rules 51 times: it takes about 51 ticks.

Then, timed:

- digests: the freeze job's tick for the 52nd period (`freeze_due`): pending rounds read with
  their figures and participation (each person keyed into a mark), the exact releases of the 5
  frozen periods before it read back with their people (`prior_releases`), roll-up of every
  team, department and the organisation, release rules over the trend window (bounds, pure
  changes of fewer than k people, and the exact check that no person's answer is a combination
  of the window's figures), frozen rows written and the round data deleted, then every group's
  digest with its 6-round trend and its card, queued for the group's lead. Charts are timed
  apart (drawn per delivered message, in a worker thread) and the outbox keeps the cards in
  memory (delivery is not computing digests);
- baseline: the simplest SQL that gives the same digests' figures from the same stored data,
  in the same run, on the same database: a GROUP BY over `round_figures` per team and
  dimension for the pending period, plus a read of the frozen `digest_groups` of the 5 periods
  before it (the rest of the 6-round trend window). That is the peer now that answers are
  deleted when a round closes: the per-round figures are the finest data there is, and frozen
  periods are never recomputed, so any digest, naive or not, reads those two. It marks no
  person, applies no release rule and builds no card: the ratio prices those.

Each is run once untimed (warm connections and caches), then `--runs` times, alternating which
goes first. After every digests run the database is put back as it was before it (the period's
frozen rows deleted; its round figures, participation and the oldest window period's marks,
which the freeze deletes, written again), untimed, so each run freezes the period from the
same state and the baseline always reads a pending period. On PostgreSQL the database is
vacuumed and analyzed after loading and after each restore, so that autovacuum's work does
not land in one timed run and not in another. Objects alive after loading are frozen out of
the garbage collector, as `respite serve` does after start-up.

Prints the median time of each, their ratio, peak Python memory (tracemalloc, in runs of their
own), and where the tick's time goes: the median of each phase over the timed runs (the pieces
are timed where the job looks them up, which costs microseconds), and `prior_releases`' read
of `release_people` timed on its own with the same query. Target: ratio <= 2. Digest memory
grows with the people read as marks (this period's participation and the window's
`release_people`), never with answer rows; `--answers-factor` scales each round's response
rate (capped at the team's size) to show that.

    python bench/digest.py --scale 0.05 --backend sqlite
    python bench/digest.py --backend both
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import inspect
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Awaitable, Callable, Collection
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

import bot.domain.disclosure as disclosure
import bot.domain.rollup as rollup
import scheduler.digest as digest_jobs
from bot.adapters.charts import render_trend
from bot.app.compose import build
from bot.config import Settings, load_instrument, parse_roster
from bot.domain.digest import HISTORY_ROUNDS
from bot.domain.digest_present import trend_chart
from bot.domain.messages import Card, Recipient
from bot.domain.org import period_of, period_window
from bot.domain.ports.digest import NullCharts
from bot.domain.scoring import Tally, dimension_scores
from bot.infra.clock import FixedClock
from bot.storage.breaks import SqlBreakStore
from bot.storage.db import create_engine_sync
from bot.storage.digest import SqlDigestStore
from bot.storage.digest_activity import SqlPeriodActivity
from bot.storage.kudos import SqlKudosStore
from bot.storage.migrate import upgrade
from bot.storage.tables import (
    digest_groups,
    digest_periods,
    pulse_participation,
    pulse_rounds,
    release_people,
    round_figures,
)
from handlers.deps import Deps
from handlers.digest import all_digests
from scheduler.digest import freeze_due

T = TypeVar("T")
PG_BASE = os.environ.get("RESPITE_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
FIRST_MONDAY = datetime(2025, 12, 1, 10, 0, tzinfo=UTC)
# Fixed, so that a run's marks are the same from loading to the timed freezes (any secret would do).
SECRET = "respite-bench-digest-" + "0" * 43
PLATFORM = "slack"
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
    roster: dict[str, Any],
    weeks: range,
    rng: random.Random,
    answers_factor: float,
) -> tuple[int, int]:
    """Insert closed rounds as the close job leaves them: the round, its figures per dimension
    and who took part (in random order); no answer rows. Returns (answers, rounds)."""
    instrument = load_instrument()
    engine = create_engine_sync(url)
    answers_total = rounds_total = 0
    try:
        for week in weeks:
            opens = FIRST_MONDAY + timedelta(weeks=week)
            rounds: list[dict[str, Any]] = []
            figures: list[dict[str, Any]] = []
            people: list[dict[str, str]] = []
            for team in roster["teams"]:
                tid, members = team["id"], team["members"]
                rid = secrets.token_hex(16)
                rate = rng.uniform(0.6, 1.0)
                n = min(len(members), max(0, round(len(members) * rate * answers_factor)))
                answered = rng.sample(members, n)
                tally = Tally()
                for _ in answered:
                    answers = {item: rng.randint(1, 5) for item in ITEMS}
                    tally.add(dimension_scores(instrument, answers))
                people.extend(
                    {"round_id": rid, "platform": PLATFORM, "user_id": user} for user in answered
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
                        "members": len(members),
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
            answers_total += len(people)
            rounds_total += len(rounds)
            with engine.begin() as conn:
                conn.execute(insert(pulse_rounds), rounds)
                if figures:
                    conn.execute(insert(round_figures), figures)
                for start in range(0, len(people), 20_000):
                    conn.execute(insert(pulse_participation), people[start : start + 20_000])
    finally:
        engine.dispose()
    return answers_total, rounds_total


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


# The baseline: the pending period's figures per team and dimension, and the frozen groups of
# the rest of the trend window, as stored.
BASELINE_FIGURES = text(
    "SELECT r.team_id, f.dimension, sum(f.respondents), sum(f.n), sum(f.total) "
    "FROM round_figures f JOIN pulse_rounds r ON r.id = f.round_id "
    "WHERE r.opens_at >= :start AND r.opens_at < :end AND f.unit_id = r.team_id "
    "GROUP BY r.team_id, f.dimension"
)
BASELINE_WINDOW = text("SELECT * FROM digest_groups WHERE period >= :first AND period < :period")


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
        holds: bool = False,
    ) -> bool:
        if key in self.cards:
            return False
        self.cards[key] = card
        return True

    async def cancel(self, key_prefix: str) -> int:
        return 0

    async def existing(self, keys: Collection[str]) -> set[str]:
        return set(keys) & self.cards.keys()

    def groups(self) -> set[str]:
        return {key.split(":")[2] for key in self.cards}


class Phases:
    """Time spent in named pieces of the freeze tick, each wrapped where the job looks it up
    (a module global or a store's method), summed per run."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        # The first call's time, per name (the window check's first exposed() is the window
        # before this period alone).
        self.first: dict[str, float] = {}
        self.runs: list[tuple[dict[str, float], dict[str, int]]] = []
        self.firsts: list[dict[str, float]] = []
        self._wrapped: list[tuple[Any, str, Any]] = []

    def wrap(self, owner: Any, attr: str, name: str) -> None:
        original = getattr(owner, attr)
        self._wrapped.append((owner, attr, original))
        totals, calls, first = self.totals, self.calls, self.first

        if inspect.iscoroutinefunction(original):

            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return await original(*args, **kwargs)
                finally:
                    elapsed = time.perf_counter() - started
                    first.setdefault(name, elapsed)
                    totals[name] += elapsed
                    calls[name] += 1

            setattr(owner, attr, timed_async)
        else:

            def timed_sync(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    elapsed = time.perf_counter() - started
                    first.setdefault(name, elapsed)
                    totals[name] += elapsed
                    calls[name] += 1

            setattr(owner, attr, timed_sync)

    def unwrap(self) -> None:
        while self._wrapped:
            owner, attr, original = self._wrapped.pop()
            setattr(owner, attr, original)

    def discard(self) -> None:
        self.totals.clear()
        self.calls.clear()
        self.first.clear()

    def keep(self) -> None:
        """End a run: its totals count towards the medians."""
        self.runs.append((dict(self.totals), dict(self.calls)))
        self.firsts.append(dict(self.first))
        self.discard()

    def median(self, name: str) -> float:
        return statistics.median(run.get(name, 0.0) for run, _calls in self.runs)

    def median_first(self, name: str) -> float:
        return statistics.median(run.get(name, 0.0) for run in self.firsts)

    def calls_of(self, name: str) -> int:
        return self.runs[-1][1].get(name, 0) if self.runs else 0


def instrument_tick(phases: Phases, store: SqlDigestStore, rounds: Any) -> None:
    """Wrap the pieces of `freeze_due` (and of what it calls) that the report names."""
    for attr in (
        "unqueued_period",
        "purge_frozen_rounds",
        "pending_rounds",
        "prior_releases",
        "freeze",
        "recent",
    ):
        phases.wrap(store, attr, attr)
    phases.wrap(rounds, "open_rounds", "open_rounds")
    phases.wrap(digest_jobs, "_activity", "activity")
    phases.wrap(digest_jobs, "freeze_period", "freeze_period")
    phases.wrap(digest_jobs, "queue_digests", "queue_digests")
    phases.wrap(digest_jobs, "all_digests", "all_digests")
    phases.wrap(rollup, "disclose", "disclose")
    phases.wrap(disclosure, "_before_the_tree", "before_the_tree")
    phases.wrap(disclosure, "exposed", "exposed")
    phases.wrap(disclosure, "_shown_bands", "shown_bands")


async def run_backend(name: str, url: str, args: argparse.Namespace) -> dict[str, float]:
    rng = random.Random(52)
    teams = max(2, round(1000 * args.scale))
    departments = max(1, round(100 * args.scale))
    weeks = args.weeks
    roster, _sizes = make_roster(teams, departments, rng)
    upgrade(url)
    print(f"[{name}] {teams} teams in {departments} departments, {weeks} weekly rounds", flush=True)
    t0 = time.perf_counter()
    answers, rounds = load_rounds(url, roster, range(weeks - 1), rng, args.answers_factor)
    clock = FixedClock(FIRST_MONDAY + timedelta(weeks=weeks - 1, hours=80))
    settings = Settings(database_url=url, respite_secret=SECRET)
    respite = await build(settings, clock=clock, roster=parse_roster(roster))
    kudos, breaks, store = respite.deps.kudos, respite.deps.breaks, respite.deps.digests
    assert isinstance(kudos, SqlKudosStore) and isinstance(breaks, SqlBreakStore)
    assert isinstance(store, SqlDigestStore)
    engine = respite.engine

    def job_deps() -> Deps:
        # What the scheduler's freeze job runs with, except that cards are kept in memory and
        # drawn without their chart; a fresh activity reader, so no run reuses another's counts.
        return dataclasses.replace(
            respite.deps,
            outbox=CardsQueued(),
            charts=NullCharts(),
            activity=SqlPeriodActivity(kudos, breaks),
        )

    period = period_of(FIRST_MONDAY + timedelta(weeks=weeks - 1))
    first = period_of(FIRST_MONDAY + timedelta(weeks=weeks - HISTORY_ROUNDS))
    phases = Phases()
    try:
        await settle(engine)
        loaded = time.perf_counter() - t0
        started = time.perf_counter()
        # The earlier periods, frozen one after another by the freeze job itself: each one's
        # release rules run over the window before it, and the store keeps what it keeps.
        frozen = await freeze_due(job_deps())
        froze = time.perf_counter() - started
        assert len(frozen) == weeks - 1, "every earlier period is frozen"
        more, last_rounds = load_rounds(
            url, roster, range(weeks - 1, weeks), rng, args.answers_factor
        )
        answers += more
        await settle(engine)
        print(
            f"[{name}] loaded {answers:,} answers in {rounds + last_rounds:,} closed rounds "
            f"({loaded:.1f}s), froze {len(frozen)} periods through the store in {froze:.1f}s "
            f"({froze / len(frozen) * 1000:.0f} ms each, digests queued once)",
            flush=True,
        )

        # What a freeze of the period deletes, so that each run starts from the same state.
        async with AsyncSession(engine) as s:
            saved_figures = [dict(r._mapping) for r in await s.execute(select(round_figures))]
            saved_people = [dict(r._mapping) for r in await s.execute(select(pulse_participation))]
            saved_marks: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for r in await s.execute(select(release_people)):
                saved_marks[r.period].append(dict(r._mapping))
            window_groups = await s.scalar(
                select(func.count())
                .select_from(digest_groups)
                .where(digest_groups.c.period >= first, digest_groups.c.period < period)
            )
        pending_ids = sorted({f["round_id"] for f in saved_figures})
        window_marks = sum(len(rows) for p, rows in saved_marks.items() if p >= first)
        team_ids = {t["id"] for t in roster["teams"]}
        regions_by_kind: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for p, rows in saved_marks.items():
            for row in rows:
                if p >= first:
                    gid = row["group_id"]
                    kind = "team" if gid in team_ids else "org" if gid == "organisation" else "dept"
                    regions_by_kind[kind].add((p, gid))
        outcome: dict[str, int] = {}

        async def state() -> tuple[int | None, ...]:
            async with AsyncSession(engine) as s:
                return tuple(
                    [
                        await s.scalar(select(func.count()).select_from(table))
                        for table in (release_people, round_figures, pulse_participation)
                    ]
                )

        before = await state()
        # As `respite serve` does once started: what lives as long as the process (SDKs, the
        # roster, the app; here also the saved rows above) is moved out of the collector's way,
        # so that a full collection in a timed run scans what that run allocated, as it would in
        # the server.
        gc.collect()
        gc.freeze()

        async def restore() -> None:
            """Put back what the period's freeze changed: its frozen rows go, and its rounds'
            figures and participation and the marks the store let go come back."""
            async with engine.begin() as conn:
                for table in (release_people, digest_groups, digest_periods):
                    await conn.execute(delete(table).where(table.c.period == period))
                have = set(
                    (await conn.execute(select(release_people.c.period).distinct())).scalars()
                )
                for p, rows in saved_marks.items():
                    if p not in have:
                        await conn.execute(insert(release_people), rows)
                for table, rows in (
                    (round_figures, saved_figures),
                    (pulse_participation, saved_people),
                ):
                    for at in range(0, len(pending_ids), 500):
                        chunk = pending_ids[at : at + 500]
                        await conn.execute(delete(table).where(table.c.round_id.in_(chunk)))
                    for at in range(0, len(rows), 20_000):
                        await conn.execute(insert(table), rows[at : at + 20_000])
            await settle(
                engine,
                "release_people, digest_groups, digest_periods, round_figures, pulse_participation",
            )
            assert await state() == before, "the database is back as it was before the freeze"

        async def digests() -> int:
            """The freeze job's whole tick for the newest period: pending rounds and marks, prior
            releases, roll-up, release rules, frozen rows, then every group's digest with its
            6-round trend and its card, queued."""
            deps = job_deps()
            done = await freeze_due(deps)
            assert [f.period for f in done] == [period], "exactly the newest period is frozen"
            assert isinstance(deps.outbox, CardsQueued)
            groups = deps.outbox.groups()
            assert len(groups) == len(done[0].groups), "every group's digest is queued"
            exact = sum(1 for g in done[0].groups if g.released)
            banded = sum(1 for g in done[0].groups if g.bands is not None)
            outcome.update(exact=exact, bands=banded, withheld=len(groups) - exact - banded)
            return len(groups)

        async def baseline() -> int:
            start, end = period_window(period)
            window = {"start": start, "end": end}
            async with AsyncSession(engine) as s:
                figures = (await s.execute(BASELINE_FIGURES, window)).all()
                history = (
                    await s.execute(BASELINE_WINDOW, {"first": first, "period": period})
                ).all()
            return len(figures) + len(history)

        earlier_q = (
            select(digest_periods.c.period)
            .where(digest_periods.c.period < period)
            .order_by(digest_periods.c.period.desc())
            .limit(HISTORY_ROUNDS - 1)
        )

        async def people_read() -> int:
            """`prior_releases`' read of release_people alone: the same queries, the same sets."""
            regions: dict[tuple[str, str], set[str]] = {}
            async with AsyncSession(engine) as s:
                earlier = (await s.scalars(earlier_q)).all()
                rows = await s.execute(
                    select(release_people).where(release_people.c.period.in_(earlier))
                )
                for p, group_id, mark, _banded in rows:
                    regions.setdefault((p, group_id), set()).add(mark)
            return sum(len(marks) for marks in regions.values())

        instrument_tick(phases, store, respite.deps.rounds)
        # One untimed run of each warms connections and caches; then runs alternate which goes
        # first, and the medians are compared. Memory is measured in runs of its own.
        await baseline()
        await digests()
        await restore()
        await people_read()
        phases.discard()
        base_times: list[float] = []
        dig_times: list[float] = []
        alone_times: list[float] = []
        base_rows = groups = marks_read = 0
        for i in range(args.runs):
            for which in ("baseline", "digests") if i % 2 == 0 else ("digests", "baseline"):
                if which == "baseline":
                    base_rows, elapsed = await timed(baseline)
                    base_times.append(elapsed)
                else:
                    groups, elapsed = await timed(digests)
                    dig_times.append(elapsed)
                    phases.keep()
                    await restore()
                    marks_read, elapsed = await timed(people_read)
                    alone_times.append(elapsed)
        _rows, base_mem = await peak_memory(baseline)
        _groups, dig_mem = await peak_memory(digests)
        await restore()
        phases.discard()
        # Charts are drawn once per delivered digest, in a worker thread; time a sample.
        sample = list((await all_digests(respite.deps)).values())[: args.charts]
        charts = [c for c in (trend_chart(respite.instrument, d) for d in sample) if c]
        started = time.perf_counter()
        for chart in charts:
            render_trend(chart)
        per_chart = (time.perf_counter() - started) / max(1, len(charts))
    finally:
        phases.unwrap()
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
        f"(round_figures of the period + frozen groups of the {HISTORY_ROUNDS - 1} before)"
    )
    print(f"[{name}]   ratio digests / GROUP BY = {ratio:.2f}x (target <= 2x)", flush=True)
    print(
        f"[{name}]   released: {outcome['exact']} exact, {outcome['bands']} bands only, "
        f"{outcome['withheld']} withheld; the window's stored regions: "
        + ", ".join(f"{len(regions_by_kind[k])} {k}" for k in ("team", "dept", "org"))
    )

    def ms(key: str) -> float:
        return phases.median(key) * 1000

    rules = ms("disclose")
    lines: list[tuple[int, str, float, str]] = [
        (
            0,
            "pending_rounds",
            ms("pending_rounds"),
            f"{len(pending_ids)} rounds, {len(saved_people):,} people keyed into marks",
        ),
        (
            0,
            "prior_releases",
            ms("prior_releases"),
            f"{window_marks:,} release_people rows and {window_groups:,} frozen groups of "
            f"{HISTORY_ROUNDS - 1} periods",
        ),
        (
            1,
            "its release_people read",
            statistics.median(alone_times) * 1000,
            f"the same query alone, {marks_read:,} marks",
        ),
        (0, "freeze_period", ms("freeze_period"), "roll-up and release rules, in Python"),
        (1, "release rules", rules, "disclosure.disclose: tree, scale's end, weeks, bands"),
        (
            2,
            "scale's end, changes",
            ms("before_the_tree"),
            "_before_the_tree: totals at the end, pure changes and swaps against the window",
        ),
        (
            2,
            "window check",
            ms("exposed"),
            f"exposed(): {phases.calls_of('exposed')} calls, the first (the earlier periods' "
            f"regions alone) {phases.median_first('exposed') * 1000:.1f} ms",
        ),
        (2, "bands", ms("shown_bands"), "_shown_bands: which bands may be shown"),
        (
            1,
            "rest",
            ms("freeze_period") - rules,
            "merge, chart, readers' marks, breaks",
        ),
        (0, "store.freeze", ms("freeze"), "frozen rows and marks written, round data deleted"),
        (0, "queue_digests", ms("queue_digests"), f"{groups} digests built and queued"),
        (1, "all_digests", ms("all_digests"), f"of which the window read {ms('recent'):.1f} ms"),
        (
            0,
            "other",
            sum(
                ms(k) for k in ("unqueued_period", "purge_frozen_rounds", "open_rounds", "activity")
            ),
            "unqueued period, purge, open rounds, activity counts",
        ),
    ]
    print(f"[{name}]   where the tick goes (median per phase over the timed runs):")
    for indent, label, value, note in lines:
        share = value / (dig_time * 1000) * 100 if dig_time else 0.0
        pad = "  " * indent
        print(f"[{name}]     {pad}{label:<{26 - len(pad)}} {value:9.1f} ms {share:5.1f}%   {note}")
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
    p.add_argument(
        "--answers-factor",
        type=float,
        default=1.0,
        help="scale each round's response rate (capped at the team's size)",
    )
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
