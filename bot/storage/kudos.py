"""Kudos on SQL: the KudosStore port.

No row joins an anonymous kudos to its giver (why and how: bot/domain/kudos.py). Here that means:
a named kudos is stored with its giver id and no hash; an anonymous one with neither, at its
coarse time, with a withdrawal tag unique to it; and the quota's memory of anonymous kudos lives
in `kudos_quota` as (keyed giver hash, moment) rows that name no kudos and share no value with
any kudos row. A named kudos writes no ledger entry: its hash beside a moment equal to its own
`created_at` would name the hash's owner, and with it their anonymous entries.

The quota is checked and the kudos stored in one transaction, counting the giver's named kudos
by id and their anonymous ones by hash. On SQLite the IMMEDIATE transaction already serialises
writers; on PostgreSQL a transaction-scoped advisory lock on the giver's hash (computed in
memory for both kinds, never stored for a named kudos) does, so two concurrent sends from one
person, named or not, cannot both slip under the limit.

The same lock (or transaction) makes a kudos once-only: its marks (`once_marks`: keyed hashes of
the giver with the request's id and with the kudos' content) are looked for and written with it,
so of twenty identical submissions at once the first stores the kudos and the rest find its marks.
A mark names no kudos and shares no value with any other row; it keeps only the minute it lapses,
and lapsed marks are removed by the next kudos given, and by `forget_givers`.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, text, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.kudos import (
    ONCE_WINDOW,
    QUOTA_WINDOW,
    STORED_GRAIN,
    AlreadyGiven,
    Giver,
    Kudos,
    QuotaRefusal,
)
from bot.domain.messages import Platform
from bot.storage.tables import kudos as kudos_t
from bot.storage.tables import kudos_dedupe, kudos_name_optouts, kudos_quota, kudos_recipients


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
        giver_tag=row.giver_tag,
        created_at=row.created_at,
        channel_id=row.channel_id,
        channel_ref=row.channel_ref,
    )


def _check_unlinkable(kudos: Kudos, giver: Giver) -> None:
    """Refuse a kudos that would store what ties it to its giver, or a named one not theirs."""
    if kudos.anonymous:
        if kudos.giver_id is not None:
            raise ValueError("an anonymous kudos stores no giver id")
    elif kudos.giver_id != giver.user_id or kudos.giver_tag is not None:
        raise ValueError("a named kudos stores its giver's id and no tag")


def _lapses(now: datetime) -> datetime:
    """When a kudos' marks lapse: ONCE_WINDOW after it, at the next whole minute, so that the
    stored time is not the kudos' own moment."""
    end = (now + ONCE_WINDOW).astimezone(UTC)
    whole = end.replace(second=0, microsecond=0)
    return whole if whole == end else whole + timedelta(minutes=1)


def _columns(kudos: Kudos) -> dict[str, Any]:
    return {
        "id": kudos.id,
        "team_id": kudos.team_id,
        "platform": kudos.platform.value,
        "category": kudos.category,
        "message": kudos.message,
        "anonymous": kudos.anonymous,
        "giver_id": kudos.giver_id,
        "giver_tag": kudos.giver_tag,
        "created_at": kudos.created_at,
        "channel_id": kudos.channel_id,
        "channel_ref": kudos.channel_ref,
    }


class SqlKudosStore:
    enabled = True  # the KudosStore port: recognition is on

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def add_within_quota(
        self,
        kudos: Kudos,
        giver: Giver,
        limit: int,
        now: datetime,
        once: Sequence[str] = (),
    ) -> QuotaRefusal | AlreadyGiven | None:
        _check_unlinkable(kudos, giver)
        try:
            async with self._sessions.begin() as s:
                if s.get_bind().dialect.name == "postgresql":
                    lock_key = int(giver.hash[:15], 16)
                    await s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key})
                # Marks are of one giver, whose sends the lock above (or SQLite's write lock)
                # puts one after another: the check and the write below cannot interleave.
                await s.execute(delete(kudos_dedupe).where(kudos_dedupe.c.expires_at <= now))
                if once and await s.scalar(
                    select(func.count()).where(kudos_dedupe.c.mark.in_(list(once)))
                ):
                    return AlreadyGiven()
                recent = await self._given_since(s, kudos.platform, giver, now - QUOTA_WINDOW)
                if len(recent) >= limit:
                    return QuotaRefusal(len(recent), recent[0] + QUOTA_WINDOW)
                await s.execute(insert(kudos_t).values(**_columns(kudos)))
                await s.execute(
                    insert(kudos_recipients),
                    [
                        {"kudos_id": kudos.id, "user_id": user, "position": i}
                        for i, user in enumerate(kudos.recipients)
                    ],
                )
                if kudos.anonymous:
                    await s.execute(
                        insert(kudos_quota).values(
                            id=secrets.token_hex(16), giver_hash=giver.hash, given_at=now
                        )
                    )
                if once:
                    lapses = _lapses(now)
                    await s.execute(
                        insert(kudos_dedupe),
                        [{"mark": m, "expires_at": lapses} for m in sorted(set(once))],
                    )
        except IntegrityError as exc:
            if once:
                # A mark written meanwhile by another process's transaction: the same kudos.
                return AlreadyGiven()
            raise ValueError("kudos id already used") from exc
        return None

    @staticmethod
    async def _given_since(
        s: AsyncSession, platform: Platform, giver: Giver, since: datetime
    ) -> list[datetime]:
        """When this giver gave in the window, oldest first: named kudos and ledger entries."""
        named = (
            select(kudos_t.c.created_at.label("at"))
            .where(kudos_t.c.platform == platform.value)
            .where(kudos_t.c.giver_id == giver.user_id)
            .where(kudos_t.c.created_at > since)
        )
        anonymous = (
            select(kudos_quota.c.given_at.label("at"))
            .where(kudos_quota.c.giver_hash == giver.hash)
            .where(kudos_quota.c.given_at > since)
        )
        return sorted((await s.scalars(union_all(named, anonymous))).all())

    async def discard(
        self, kudos_id: str, giver: Giver, now: datetime, once: Sequence[str] = ()
    ) -> None:
        async with self._sessions.begin() as s:
            if once:
                await s.execute(delete(kudos_dedupe).where(kudos_dedupe.c.mark.in_(list(once))))
            anonymous = await s.scalar(select(kudos_t.c.anonymous).where(kudos_t.c.id == kudos_id))
            await s.execute(delete(kudos_recipients).where(kudos_recipients.c.kudos_id == kudos_id))
            await s.execute(delete(kudos_t).where(kudos_t.c.id == kudos_id))
            if anonymous:
                # One entry of this giver at this moment: the one this kudos wrote.
                one = (
                    select(kudos_quota.c.id)
                    .where(kudos_quota.c.giver_hash == giver.hash)
                    .where(kudos_quota.c.given_at == now)
                    .limit(1)
                    .scalar_subquery()
                )
                await s.execute(delete(kudos_quota).where(kudos_quota.c.id == one))

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
        """Delete ledger entries from before `before`, and withdrawal tags of anonymous kudos
        given before it: a stored time is up to STORED_GRAIN earlier than the moment, so a tag
        goes once its stored time is that much further back, and lasts at least the window."""
        async with self._sessions.begin() as s:
            # `before` is the start of the quota window, a day ago: marks lapse within minutes.
            lapsed = kudos_dedupe.c.expires_at <= before + QUOTA_WINDOW
            await s.execute(delete(kudos_dedupe).where(lapsed))
            ledger = await s.execute(delete(kudos_quota).where(kudos_quota.c.given_at <= before))
            tags = await s.execute(
                update(kudos_t)
                .where(kudos_t.c.giver_tag.is_not(None))
                .where(kudos_t.c.created_at <= before - STORED_GRAIN)
                .values(giver_tag=None)
            )
            return int(ledger.rowcount or 0) + int(tags.rowcount or 0)  # type: ignore[attr-defined]

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
