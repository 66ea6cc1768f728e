"""Teams contacts on SQL: upsert on every turn, read when sending proactively.

A contact names a person, so it must not record when they spoke: a turn's moment is also the
moment of whatever they did in it, such as giving an anonymous kudos (bot/domain/kudos.py). So a
row is written only when what it says changes, and `updated_at` holds the start of that (UTC)
day: it still orders contacts by how recently they changed, and matches no kudos' time.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.ports.addresses import Address, AddressKind
from bot.storage.tables import teams_contacts as t

_FIELDS = ("reference", "teams_user_id", "name", "tenant_id", "service_url", "team_id")


def _row(row: Any) -> Address:
    return Address(
        kind=row.kind,
        key=row.key,
        reference=row.reference,
        teams_user_id=row.teams_user_id,
        name=row.name,
        tenant_id=row.tenant_id,
        service_url=row.service_url,
        team_id=row.team_id,
        updated_at=row.updated_at,
    )


def changed_on(when: datetime) -> datetime:
    """The start of the UTC day of `when`: the only time a contact row keeps."""
    return when.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


class SqlAddressBook:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def upsert(self, contact: Address, when: datetime) -> None:
        given = {f: getattr(contact, f) for f in _FIELDS if getattr(contact, f) is not None}
        where = (t.c.kind == contact.kind) & (t.c.key == contact.key)
        day = changed_on(when)
        for _ in range(2):
            try:
                async with self._sessions.begin() as s:
                    stored = (await s.execute(select(*t.c[_FIELDS]).where(where))).first()
                    if stored is None:
                        await s.execute(
                            insert(t).values(
                                kind=contact.kind, key=contact.key, **given, updated_at=day
                            )
                        )
                    elif any(getattr(stored, f) != v for f, v in given.items()):
                        await s.execute(update(t).where(where).values(**given, updated_at=day))
                return
            except IntegrityError:
                continue  # inserted concurrently: the next pass compares with it

    async def get(self, kind: AddressKind, key: str) -> Address | None:
        async with self._sessions() as s:
            row = (await s.execute(select(t).where(t.c.kind == kind, t.c.key == key))).first()
            return _row(row) if row else None

    async def any_in_tenant(
        self, tenant_id: str | None, with_reference: bool = False
    ) -> Address | None:
        query = select(t).where(t.c.service_url.is_not(None))
        if with_reference:
            query = query.where(t.c.reference.is_not(None))
        if tenant_id:
            query = query.where(t.c.tenant_id == tenant_id)
        async with self._sessions() as s:
            row = (await s.execute(query.order_by(t.c.updated_at.desc()).limit(1))).first()
            return _row(row) if row else None

    async def keys(self, kind: AddressKind) -> Sequence[Address]:
        async with self._sessions() as s:
            rows = await s.execute(select(t).where(t.c.kind == kind).order_by(t.c.key))
            return [_row(r) for r in rows]

    async def names(self, keys: Collection[str]) -> dict[str, str]:
        wanted = sorted(set(keys))
        found: dict[str, str] = {}
        async with self._sessions() as s:
            for start in range(0, len(wanted), 500):
                rows = await s.execute(
                    select(t.c.key, t.c.name).where(
                        t.c.kind == "user",
                        t.c.key.in_(wanted[start : start + 500]),
                        t.c.name.is_not(None),
                    )
                )
                found.update({str(r.key): str(r.name) for r in rows if r.name})
        return found

    async def user_by_teams_id(self, teams_user_id: str) -> Address | None:
        query = (
            select(t)
            .where(t.c.kind == "user", t.c.teams_user_id == teams_user_id)
            .order_by(t.c.updated_at.desc())
            .limit(1)
        )
        async with self._sessions() as s:
            row = (await s.execute(query)).first()
            return _row(row) if row else None

    async def remove(self, kind: AddressKind, key: str) -> None:
        async with self._sessions.begin() as s:
            await s.execute(delete(t).where(t.c.kind == kind, t.c.key == key))

    async def remove_team(self, team_id: str) -> Sequence[str]:
        where = (t.c.kind == "channel") & ((t.c.team_id == team_id) | (t.c.key == team_id))
        async with self._sessions.begin() as s:
            keys = sorted(str(k) for k in (await s.scalars(select(t.c.key).where(where))))
            await s.execute(delete(t).where(where))
            return keys
