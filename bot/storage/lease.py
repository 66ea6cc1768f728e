"""A leader lease so that exactly one process runs the scheduler.

APScheduler's job store must not be shared, so replicas elect one scheduler. A lease row with an
expiry works the same on SQLite and PostgreSQL: the holder renews it, and a standby takes over once
it lapses (a crashed leader simply stops renewing).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.tables import scheduler_lease


class SqlLease:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], name: str, holder: str) -> None:
        self._sessions = sessions
        self.name = name
        self.holder = holder

    async def acquire(self, now: datetime, ttl_seconds: float) -> bool:
        """Take or renew the lease; True while this holder has it."""
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
        async with self._sessions.begin() as s:
            await s.execute(
                update(scheduler_lease)
                .where(scheduler_lease.c.name == self.name, scheduler_lease.c.holder == self.holder)
                .values(expires_at=datetime(1970, 1, 1, tzinfo=UTC))
            )
