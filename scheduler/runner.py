"""APScheduler wiring: which jobs run, how often, and on which replica.

Jobs are module-level functions called with plain ids (a runner id, a team id), which keeps them
picklable and lets several runners live in one test process. Pulse jobs run only on the replica
holding the lease; outbox delivery runs everywhere, since claiming is safe to share.

A leader-only job is fenced: the leader renews the lease first, and runs the job only while the
lease has more than FENCE_SECONDS left by its own monotonic clock. A leader that was paused past
its lease (a long GC pause, a stalled VM) finds on waking that the renewal fails, or that its
time is up, and skips the work another replica has taken over meanwhile.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.domain.directory import RosterDirectory
from bot.domain.messages import Platform
from bot.domain.ports import (
    Boundaries,
    Lease,
    MemberLookup,
    MemberStore,
    OutboxQueue,
    SenderMap,
)
from bot.infra.metrics import SCHEDULER_LEADER, TICK_SECONDS
from handlers.deps import Deps
from scheduler import pulse
from scheduler.delivery import CONCURRENCY, deliver_due
from scheduler.member_sync import sync_members

log = logging.getLogger(__name__)

LEASE_TTL_SECONDS = 30.0
# No leader-only job starts with less of the lease than this left (the lease renews every
# LEASE_TTL_SECONDS / 3 meanwhile, so a leader that is not stalled always has more).
FENCE_SECONDS = 5.0
STOP_GRACE_SECONDS = 20.0

AfterTick = Callable[[Deps], Awaitable[None]]


@dataclass(slots=True)
class Runtime:
    deps: Deps
    queue: OutboxQueue
    senders: SenderMap
    lease: Lease
    directory: RosterDirectory
    member_lookups: Mapping[Platform, MemberLookup]
    member_store: MemberStore
    extra_ticks: list[AfterTick] = field(default_factory=list)
    is_leader: bool = False
    stopping: bool = False
    running: set[asyncio.Task[Any]] = field(default_factory=set)
    boundaries: Boundaries | None = None


_RUNTIMES: dict[str, Runtime] = {}

Job = Callable[..., Awaitable[None]]


def tracked(job: Job) -> Job:
    """Let `stop()` wait for a running job instead of cancelling it mid-send."""

    @functools.wraps(job)
    async def run(runtime_id: str, *args: Any) -> None:
        rt = _RUNTIMES.get(runtime_id)
        task = asyncio.current_task()
        if rt is None or rt.stopping or task is None:
            return
        rt.running.add(task)
        try:
            await job(runtime_id, *args)
        finally:
            rt.running.discard(task)

    return run


async def _renew(rt: Runtime) -> bool:
    """Take or renew the lease; whether this replica leads now."""
    was = rt.is_leader
    try:
        rt.is_leader = await rt.lease.acquire(rt.deps.clock.now(), LEASE_TTL_SECONDS)
    except Exception:
        log.exception("scheduler lease check failed; standing by")
        rt.is_leader = False
    SCHEDULER_LEADER.set(rt.is_leader)
    if rt.is_leader != was:
        log.info("scheduler %s", "leading" if rt.is_leader else "standing by")
    return rt.is_leader


def _may_lead(rt: Runtime) -> bool:
    """Whether a leader-only job may start now: led, with time left on the lease."""
    if rt.is_leader and rt.lease.remaining() > FENCE_SECONDS:
        return True
    if rt.is_leader:
        log.warning("scheduler lease is at its end; leader-only jobs wait for a renewal")
    return False


@tracked
async def run_lease(runtime_id: str) -> None:
    rt = _RUNTIMES[runtime_id]
    was = rt.is_leader
    if await _renew(rt) and not was:
        await _tick(rt, renew=False)


@tracked
async def run_tick(runtime_id: str) -> None:
    await _tick(_RUNTIMES[runtime_id])


async def _tick(rt: Runtime, renew: bool = True) -> None:
    # Only a leader ticks (standbys take the lease in run_lease); it renews first, so a leader
    # that lost the lease while paused finds out before it does anything.
    if not rt.is_leader or (renew and not await _renew(rt)):
        return
    with TICK_SECONDS.time():
        for job in (_pulse_tick, *rt.extra_ticks):
            if not _may_lead(rt):  # a pause between two jobs counts as much as one before them
                return
            await job(rt.deps)


async def _pulse_tick(deps: Deps) -> None:
    await pulse.tick(deps)


@tracked
async def run_open(runtime_id: str, team_id: str) -> None:
    rt = _RUNTIMES[runtime_id]
    if rt.is_leader and await _renew(rt) and _may_lead(rt):
        await pulse.open_round(rt.deps, team_id)


@tracked
async def run_delivery(runtime_id: str, concurrency: int = CONCURRENCY) -> None:
    rt = _RUNTIMES[runtime_id]
    # A stop lets the sends in flight finish and gives the rest of the batch back at once.
    while not rt.stopping and await deliver_due(
        rt.queue,
        rt.senders,
        rt.deps.clock,
        boundaries=rt.boundaries,
        concurrency=concurrency,
        stopping=lambda: rt.stopping,
    ):
        pass


@tracked
async def run_member_sync(runtime_id: str) -> None:
    rt = _RUNTIMES[runtime_id]
    await sync_members(rt.directory, rt.member_lookups, rt.member_store, rt.deps.clock)


class SchedulerRunner:
    def __init__(
        self,
        runtime: Runtime,
        tick_seconds: float = 60.0,
        outbox_seconds: float = 5.0,
        outbox_concurrency: int = CONCURRENCY,
    ) -> None:
        self.id = uuid.uuid4().hex
        self.runtime = runtime
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._tick_seconds = tick_seconds
        self._outbox_seconds = outbox_seconds
        self._outbox_concurrency = outbox_concurrency

    def start(self) -> None:
        _RUNTIMES[self.id] = self.runtime
        add = self._scheduler.add_job
        common = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}
        add(
            run_lease,
            IntervalTrigger(seconds=LEASE_TTL_SECONDS / 3),
            args=[self.id],
            id="lease",
            next_run_time=_soon(),
            **common,
        )
        add(
            run_tick,
            IntervalTrigger(seconds=self._tick_seconds),
            args=[self.id],
            id="tick",
            **common,
        )
        add(
            run_delivery,
            IntervalTrigger(seconds=self._outbox_seconds),
            args=[self.id, self._outbox_concurrency],
            id="outbox",
            **common,
        )
        add(
            run_member_sync,
            CronTrigger(hour=3, minute=17, timezone=UTC),
            args=[self.id],
            id="member-sync",
            **common,
        )
        for team in self.runtime.directory.teams():
            add(
                run_open,
                CronTrigger.from_crontab(team.pulse.cron, timezone=team.timezone),
                args=[self.id, team.id],
                id=f"open:{team.id}",
                **common,
            )
        self._scheduler.start()

    async def stop(self, grace_seconds: float = STOP_GRACE_SECONDS) -> None:
        """Start nothing new, let running jobs finish (a send is never cut in half), stop."""
        self.runtime.stopping = True
        if self._scheduler.running:
            self._scheduler.pause()
            pending = [t for t in self.runtime.running if not t.done()]
            if pending:
                await asyncio.wait(pending, timeout=grace_seconds)
            self._scheduler.shutdown(wait=False)
        if self.runtime.is_leader:
            await self.runtime.lease.release()
            SCHEDULER_LEADER.set(0)
        _RUNTIMES.pop(self.id, None)


def _soon() -> object:
    from datetime import datetime

    return datetime.now(UTC)
