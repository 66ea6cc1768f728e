"""The audit log on SQL: who read which digest, and which admin command ran.

Append-only: this module inserts and reads; the only statements that remove or change a row are
the retention policy's (bot/storage/retention.py: entries older than `retention.audit_days`) and
an erasure's (bot/storage/forget.py: a forgotten reader shows as "forgotten"). A reader is a
lead or an admin, never a respondent as such, so the exact moment is kept. Nothing about an
answer is, nor who answered.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.ports import AuditEntry
from bot.storage.tables import audit_log


class SqlAuditLog:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def record(self, entry: AuditEntry) -> None:
        async with self._sessions.begin() as s:
            await s.execute(
                insert(audit_log).values(
                    at=entry.at,
                    actor=entry.actor[:160],
                    action=entry.action[:32],
                    subject=entry.subject[:200],
                    via=entry.via[:16],
                )
            )

    async def entries(self, since: datetime | None = None) -> list[AuditEntry]:
        """Oldest first."""
        query = select(audit_log).order_by(audit_log.c.at, audit_log.c.id)
        if since is not None:
            query = query.where(audit_log.c.at >= since)
        async with self._sessions() as s:
            rows = (await s.execute(query)).all()
        return [AuditEntry(r.at, r.actor, r.action, r.subject, r.via) for r in rows]
