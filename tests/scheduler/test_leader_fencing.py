"""Leadership is fenced: a leader paused past its lease runs nothing once it resumes.

Two replicas share one database. The leader stalls (a long GC pause, a stalled VM: both its clocks
move on while it does nothing), the standby takes the lease over and ticks, and the old leader,
resuming, finds out before it runs a leader-only job, whether the stall came between two ticks or
in the middle of one. Every job of a tick runs once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta

import pytest

from bot.app.compose import Respite, build
from bot.config import Settings, parse_roster
from bot.infra.clock import FixedClock
from bot.storage.db import session_factory
from bot.storage.lease import SqlLease
from handlers.deps import Deps
from scheduler import runner
from scheduler.runner import LEASE_TTL_SECONDS, run_lease, run_tick
from tests.support.roster import roster_data

STALL = timedelta(seconds=LEASE_TTL_SECONDS + 10)


class Ticks:
    """One replica's monotonic clock, moved only when told to."""

    def __init__(self) -> None:
        self.value = 100.0

    def __call__(self) -> float:
        return self.value


class Replica:
    def __init__(self, name: str, respite: Respite) -> None:
        self.name = name
        self.respite = respite
        self.ticks = Ticks()
        self.runtime = respite.runtime
        sessions = session_factory(respite.engine)
        self.runtime.lease = SqlLease(sessions, "scheduler", name, monotonic=self.ticks)
        self.runtime.extra_ticks[:] = []
        runner._RUNTIMES[name] = self.runtime

    def jobs(self, *jobs: Callable[[Deps], Awaitable[None]]) -> None:
        self.runtime.extra_ticks[:] = list(jobs)


@pytest.fixture
async def replicas(
    database_url: str, clock: FixedClock
) -> AsyncIterator[tuple[Replica, Replica, list[tuple[str, datetime]]]]:
    roster = parse_roster(roster_data(platform="console"))
    made = []
    for name in ("a", "b"):
        respite = await build(Settings(database_url=database_url), clock=clock, roster=roster)
        made.append(Replica(name, respite))
    yield made[0], made[1], []
    for replica in made:
        runner._RUNTIMES.pop(replica.name, None)
        await replica.respite.close()


def recorder(name: str, runs: list[tuple[str, datetime]]) -> Callable[[Deps], Awaitable[None]]:
    async def job(deps: Deps) -> None:
        runs.append((name, deps.clock.now()))

    return job


async def test_a_leader_paused_between_ticks_does_not_tick_on_waking(
    replicas: tuple[Replica, Replica, list[tuple[str, datetime]]], clock: FixedClock
) -> None:
    a, b, runs = replicas
    a.jobs(recorder("a", runs))
    b.jobs(recorder("b", runs))
    start = clock.now()
    await run_lease("a")
    await run_lease("b")
    assert (a.runtime.is_leader, b.runtime.is_leader) == (True, False)
    # `a` stalls past its lease; `b`, renewing as usual, takes over and ticks.
    clock.advance(STALL)
    a.ticks.value += STALL.total_seconds()
    b.ticks.value += STALL.total_seconds()
    await run_lease("b")
    assert b.runtime.is_leader
    # `a` wakes up with its tick due: it renews first, learns it lost the lease, ticks nothing.
    await run_tick("a")
    assert not a.runtime.is_leader
    await run_tick("b")
    assert runs == [("a", start), ("b", clock.now()), ("b", clock.now())]


async def test_a_leader_paused_inside_a_tick_runs_none_of_its_remaining_jobs(
    replicas: tuple[Replica, Replica, list[tuple[str, datetime]]], clock: FixedClock
) -> None:
    a, b, runs = replicas
    await run_lease("a")
    assert a.runtime.is_leader

    async def stall(deps: Deps) -> None:
        # `a` freezes after renewing, between two of its tick's jobs; meanwhile `b` takes over
        # the lease and runs the whole tick.
        clock.advance(STALL)
        a.ticks.value += STALL.total_seconds()
        await run_lease("b")

    a.jobs(stall, recorder("digests", runs))
    b.jobs(recorder("digests", runs))
    await run_tick("a")
    assert b.runtime.is_leader
    assert runs == [("digests", clock.now())]  # run by `b` alone
    # `a`'s wall clock never told it: only its own monotonic count of the lease did.
    assert a.runtime.lease.remaining() == 0
