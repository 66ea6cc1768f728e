"""A leader lease so that exactly one process runs the scheduler.

APScheduler's job store must not be shared, so replicas elect one scheduler. A lease row with an
expiry works the same on SQLite and PostgreSQL: the holder renews it, and a standby takes over once
it lapses (a crashed leader simply stops renewing).

The row's expiry is wall-clock time, compared by whoever tries to take the lease. The holder does
not trust that alone: a leader paused past its lease (a long GC pause, a stalled VM) would wake up
still believing it leads, and run a tick while another process, which took the lease meanwhile,
runs the same one. So the holder also keeps its own expiry on the monotonic clock, read *before*
asking the database (a slow answer only shortens it), less a margin for the clocks of the
processes disagreeing. `remaining()` is what it may still rely on; the runner asks it before
each leader-only job.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.tables import scheduler_lease

# Taken off the monotonic expiry: how far the wall clocks of two replicas (and the time the
# database took to answer) may disagree before a standby could think the lease lapsed while the
# holder still thinks it holds it.
MARGIN_SECONDS = 5.0


class SqlLease:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        name: str,
        holder: str,
        monotonic: Callable[[], float] = time.monotonic,
        margin_seconds: float = MARGIN_SECONDS,
    ) -> None:
        self._sessions = sessions
        self.name = name
        self.holder = holder
        self._monotonic = monotonic
        self._margin = margin_seconds
        # Until when (monotonic) this holder may act on the lease; None when it does not hold it.
        self._valid_until: float | None = None

    async def acquire(self, now: datetime, ttl_seconds: float) -> bool:
        """Take or renew the lease; True while this holder has it."""
        asked_at = self._monotonic()
        held = await self._take(now, ttl_seconds)
        self._valid_until = asked_at + ttl_seconds - self._margin if held else None
        return held

    def remaining(self) -> float:
        """Seconds this holder may still act as leader by its own monotonic clock: 0 when it
        does not hold the lease, or when the lease may already have passed to another."""
        if self._valid_until is None:
            return 0.0
        return max(0.0, self._valid_until - self._monotonic())

    async def _take(self, now: datetime, ttl_seconds: float) -> bool:
        expires = now + timedelta(seconds=ttl_seconds)
        async with self._sessions.begin() as s:
            result = await s.execute(
                update(scheduler_lease)
                .where(
                    scheduler_lease.c.name == self.name,
                    or_(
                        scheduler_lease.c.holder == self.holder, scheduler_lease.c.expires_at <= now
                    ),
                )
                .values(holder=self.holder, expires_at=expires)
            )
            if result.rowcount:  # type: ignore[attr-defined]
                return True
        try:
            async with self._sessions.begin() as s:
                await s.execute(
                    insert(scheduler_lease).values(
                        name=self.name, holder=self.holder, expires_at=expires
                    )
                )
        except IntegrityError:
            return False
        return True

    async def release(self) -> None:
        self._valid_until = None
        async with self._sessions.begin() as s:
            await s.execute(
                update(scheduler_lease)
                .where(scheduler_lease.c.name == self.name, scheduler_lease.c.holder == self.holder)
                .values(expires_at=datetime(1970, 1, 1, tzinfo=UTC))
            )
