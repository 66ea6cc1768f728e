"""Prometheus metrics for the admin: deliveries, interactions, rounds, the scheduler, the outbox.

Labels are platforms, outcomes, kinds, states and team ids only: never a user id, never an
answer, so a metrics scrape cannot say who answered what.

Handlers and the scheduler import this module, so it knows nothing of aiohttp or storage: the
outbox backlog is read through a function the composition root hands to `OutboxBacklog`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, NamedTuple

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry(auto_describe=True)

DELIVERIES = Counter(
    "respite_deliveries_total",
    "Outbox messages by platform and outcome (sent, deferred, failed, retry).",
    ["platform", "outcome"],
    registry=REGISTRY,
)
INTERACTIONS = Counter(
    "respite_interactions_total",
    "Inbound commands, button presses and form submissions by platform and kind.",
    ["platform", "kind"],
    registry=REGISTRY,
)
DIGESTS = Counter(
    "respite_digests_total",
    "Digests queued for leads, by group kind and whether figures were released or withheld.",
    ["kind", "released"],
    registry=REGISTRY,
)
SCHEDULER_LEADER = Gauge(
    "respite_scheduler_leader",
    "1 while this process holds the scheduler lease (runs pulses, breaks and digests), else 0.",
    registry=REGISTRY,
)
TICK_SECONDS = Histogram(
    "respite_scheduler_tick_seconds",
    "How long the leader's scheduler tick took (pulse rounds, break prompts, kudos).",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
    registry=REGISTRY,
)

# The process (CPU, memory, open files), the interpreter and its garbage collector, as every
# Python exporter shows them; prometheus_client's own instances live on its default registry.
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

# A scrape waits this long for the backlog; a slower database costs the backlog, not the scrape.
BACKLOG_TIMEOUT_SECONDS = 2.0


class Backlog(NamedTuple):
    platform: str
    state: str  # due, held (not before a later moment) or sending
    rows: int
    oldest_age_seconds: float


BacklogReader = Callable[[], Awaitable[Sequence[Backlog]]]
BACKLOG_STATES = ("due", "held", "sending")


class OutboxBacklog:
    """A collector of what the outbox holds, read from the database at each scrape.

    prometheus_client collects synchronously, and the database is asynchronous, so a scrape
    first awaits `refresh()` (bounded by `timeout`) and then collects what it read. A read that
    fails or runs out of time leaves the figures out and `respite_outbox_backlog_up` at 0.
    """

    def __init__(
        self,
        read: BacklogReader,
        platforms: Iterable[str] = (),
        timeout: float = BACKLOG_TIMEOUT_SECONDS,
    ) -> None:
        self._read = read
        # Reported at 0 when the outbox holds none of theirs, so a drained queue is a 0, not a gap.
        self._platforms = tuple(platforms)
        self._timeout = timeout
        self._groups: Sequence[Backlog] | None = None
        # Reads given up at the deadline, kept referenced while they unwind.
        self._abandoned: set[asyncio.Task[Any]] = set()

    async def refresh(self) -> None:
        task = asyncio.ensure_future(self._read())
        # Not asyncio.timeout: a database read cancelled mid-query may take seconds to unwind
        # (psycopg asks the server to cancel first), and the scrape should not wait for that.
        done, _ = await asyncio.wait({task}, timeout=self._timeout)
        if task not in done:
            task.cancel()
            self._abandoned.add(task)
            task.add_done_callback(self._unwound)
            log.warning("metrics: the outbox backlog was not read within %g s", self._timeout)
            self._groups = None
        elif task.exception() is not None:
            log.warning("metrics: the outbox backlog could not be read (%r)", task.exception())
            self._groups = None
        else:
            self._groups = task.result()

    def _unwound(self, task: asyncio.Task[Any]) -> None:
        self._abandoned.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: a late failure was already reported as a timeout

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily(
            "respite_outbox_backlog_up",
            "1 when the last scrape read the outbox backlog from the database, else 0.",
            value=0 if self._groups is None else 1,
        )
        yield up
        if self._groups is None:
            return
        rows = GaugeMetricFamily(
            "respite_outbox_backlog",
            "Outbox messages not yet sent, failed or dropped, by platform and state: due; held "
            "(not before a later moment: working hours, a Retry-After); sending (claimed).",
            labels=["platform", "state"],
        )
        age = GaugeMetricFamily(
            "respite_outbox_oldest_pending_age_seconds",
            "Seconds since the oldest of those messages was queued, by platform and state.",
            labels=["platform", "state"],
        )
        found = {(g.platform, g.state): g for g in self._groups}
        platforms = sorted({*self._platforms, *(g.platform for g in self._groups)})
        for platform in platforms:
            for state in BACKLOG_STATES:
                group = found.get((platform, state))
                rows.add_metric([platform, state], group.rows if group else 0)
                age.add_metric([platform, state], group.oldest_age_seconds if group else 0.0)
        yield rows
        yield age


class _Together:
    """Several collectors exposed as one (the process-wide registry and a listener's own)."""

    def __init__(self, collectors: Sequence[Collector]) -> None:
        self._collectors = collectors

    def collect(self) -> Iterable[Metric]:
        for collector in self._collectors:
            yield from collector.collect()


async def exposition(backlog: OutboxBacklog | None = None) -> bytes:
    """The text a scrape returns: every metric of the process, and the backlog when given."""
    if backlog is None:
        return generate_latest(REGISTRY)
    await backlog.refresh()
    return generate_latest(_Together([REGISTRY, backlog]))
