"""Kudos on SQL: the KudosStore port.

The daily quota is checked and the kudos stored in one transaction. On SQLite the IMMEDIATE
transaction already serialises writers; on PostgreSQL a transaction-scoped advisory lock on the
giver's hash does, so two concurrent sends from one person cannot both slip under the limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.kudos import QUOTA_WINDOW, Kudos, QuotaRefusal
from bot.domain.messages import Platform
from bot.storage.tables import kudos as kudos_t
from bot.storage.tables import kudos_name_optouts, kudos_recipients


def _kudos(row: Any, recipients: Sequence[str]) -> Kudos:
    return Kudos(
        id=row.id,
        team_id=row.team_id,
        platform=Platform(row.platform),
        recipients=tuple(recipients),
        category=row.category,
        message=row.message,
        anonymous=bool(row.anonymous),
        giver_id=row.giver_id,
        giver_hash=row.giver_hash,
        created_at=row.created_at,
        channel_id=row.channel_id,
        channel_ref=row.channel_ref,
    )


class SqlKudosStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def add_within_quota(
        self, kudos: Kudos, limit: int, since: datetime
    ) -> QuotaRefusal | None:
        if kudos.giver_hash is None:
            raise ValueError("a new kudos needs its giver hash for the quota")
        try:
            async with self._sessions.begin() as s:
                if s.get_bind().dialect.name == "postgresql":
                    lock_key = int(kudos.giver_hash[:15], 16)
                    await s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key})
                recent = (
                    await s.scalars(
                        select(kudos_t.c.created_at)
                        .where(kudos_t.c.giver_hash == kudos.giver_hash)
                        .where(kudos_t.c.created_at > since)
                        .order_by(kudos_t.c.created_at)
                    )
                ).all()
                if len(recent) >= limit:
                    return QuotaRefusal(len(recent), recent[0] + QUOTA_WINDOW)
                await s.execute(
                    insert(kudos_t).values(
                        id=kudos.id,
                        team_id=kudos.team_id,
                        platform=kudos.platform.value,
                        category=kudos.category,
                        message=kudos.message,
                        anonymous=kudos.anonymous,
                        giver_id=None if kudos.anonymous else kudos.giver_id,
                        giver_hash=kudos.giver_hash,
                        created_at=kudos.created_at,
                        channel_id=kudos.channel_id,
                        channel_ref=kudos.channel_ref,
                    )
                )
                await s.execute(
                    insert(kudos_recipients),
                    [
                        {"kudos_id": kudos.id, "user_id": user, "position": i}
                        for i, user in enumerate(kudos.recipients)
                    ],
                )
        except IntegrityError as exc:
            raise ValueError("kudos id already used") from exc
        return None

    async def set_channel_ref(self, kudos_id: str, ref: str) -> bool:
        async with self._sessions.begin() as s:
            result = await s.execute(
                update(kudos_t).where(kudos_t.c.id == kudos_id).values(channel_ref=ref)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def _load(self, s: AsyncSession, rows: Sequence[Any]) -> list[Kudos]:
        if not rows:
            return []
        ids = [r.id for r in rows]
        people: dict[str, list[str]] = {i: [] for i in ids}
        for kudos_id, user_id in await s.execute(
            select(kudos_recipients.c.kudos_id, kudos_recipients.c.user_id)
            .where(kudos_recipients.c.kudos_id.in_(ids))
            .order_by(kudos_recipients.c.kudos_id, kudos_recipients.c.position)
        ):
            people[kudos_id].append(user_id)
        return [_kudos(r, people[r.id]) for r in rows]

    async def get(self, kudos_id: str) -> Kudos | None:
        async with self._sessions() as s:
            row = (await s.execute(select(kudos_t).where(kudos_t.c.id == kudos_id))).first()
            found = await self._load(s, [row] if row else [])
            return found[0] if found else None

    async def delete(self, kudos_id: str) -> bool:
        async with self._sessions.begin() as s:
            await s.execute(delete(kudos_recipients).where(kudos_recipients.c.kudos_id == kudos_id))
            result = await s.execute(delete(kudos_t).where(kudos_t.c.id == kudos_id))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def between(self, team_id: str, start: datetime, end: datetime) -> list[Kudos]:
        async with self._sessions() as s:
            rows = (
                await s.execute(
                    select(kudos_t)
                    .where(kudos_t.c.team_id == team_id)
                    .where(kudos_t.c.created_at >= start)
                    .where(kudos_t.c.created_at < end)
                    .order_by(kudos_t.c.created_at, kudos_t.c.id)
                )
            ).all()
            return await self._load(s, rows)

    async def kudos_count(self, team_id: str, start: datetime, end: datetime) -> int:
        return (await self.kudos_counts(start, end)).get(team_id, 0)

    async def kudos_counts(self, start: datetime, end: datetime) -> dict[str, int]:
        """Kudos given in [start, end), per team, in one query."""
        async with self._sessions() as s:
            rows = await s.execute(
                select(kudos_t.c.team_id, func.count())
                .where(kudos_t.c.created_at >= start, kudos_t.c.created_at < end)
                .group_by(kudos_t.c.team_id)
            )
            return {team_id: int(n) for team_id, n in rows}

    async def forget_givers(self, before: datetime) -> int:
        async with self._sessions.begin() as s:
            result = await s.execute(
                update(kudos_t)
                .where(kudos_t.c.giver_hash.is_not(None))
                .where(kudos_t.c.created_at <= before)
                .values(giver_hash=None)
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def set_names_shown(
        self, platform: Platform, user_id: str, shown: bool, when: datetime
    ) -> None:
        async with self._sessions.begin() as s:
            await s.execute(
                delete(kudos_name_optouts)
                .where(kudos_name_optouts.c.platform == platform.value)
                .where(kudos_name_optouts.c.user_id == user_id)
            )
            if not shown:
                await s.execute(
                    insert(kudos_name_optouts).values(
                        platform=platform.value, user_id=user_id, since=when
                    )
                )

    async def names_hidden(self, platform: Platform, user_ids: Sequence[str]) -> set[str]:
        if not user_ids:
            return set()
        async with self._sessions() as s:
            rows = await s.scalars(
                select(kudos_name_optouts.c.user_id)
                .where(kudos_name_optouts.c.platform == platform.value)
                .where(kudos_name_optouts.c.user_id.in_(list(user_ids)))
            )
            return set(rows)
