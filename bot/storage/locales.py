"""People's languages on SQL: one row a person in `person_locales`.

A row holds either the person's own choice or what their platform reported last; a report never
overwrites a choice, and is written only when it changes (Teams reports on every turn).
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.messages import Platform
from bot.domain.ports.locales import LocaleSource, PersonLocale
from bot.storage.db import dialect_insert
from bot.storage.tables import person_locales as t


def _where(platform: Platform, user_id: str):  # type: ignore[no-untyped-def]
    return (t.c.platform == platform.value) & (t.c.user_id == user_id)


def _source(value: str) -> LocaleSource:
    return "chosen" if value == "chosen" else "platform"


class SqlLocaleStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def get(self, platform: Platform, user_id: str) -> PersonLocale | None:
        async with self._sessions() as s:
            row = (
                await s.execute(select(t.c.locale, t.c.source).where(_where(platform, user_id)))
            ).first()
        return None if row is None else PersonLocale(row.locale, _source(row.source))

    async def many(self, platform: Platform, user_ids: list[str]) -> dict[str, PersonLocale]:
        if not user_ids:
            return {}
        async with self._sessions() as s:
            rows = await s.execute(
                select(t.c.user_id, t.c.locale, t.c.source).where(
                    (t.c.platform == platform.value) & t.c.user_id.in_(user_ids)
                )
            )
            return {r.user_id: PersonLocale(r.locale, _source(r.source)) for r in rows}

    async def choose(self, platform: Platform, user_id: str, locale: str) -> None:
        await self._put(platform, user_id, locale, "chosen", overwrite_choice=True)

    async def reported(self, platform: Platform, user_id: str, locale: str) -> bool:
        return await self._put(platform, user_id, locale, "platform", overwrite_choice=False)

    async def clear_choice(self, platform: Platform, user_id: str) -> None:
        async with self._sessions.begin() as s:
            await s.execute(delete(t).where(_where(platform, user_id) & (t.c.source == "chosen")))

    async def _put(
        self,
        platform: Platform,
        user_id: str,
        locale: str,
        source: LocaleSource,
        *,
        overwrite_choice: bool,
    ) -> bool:
        """Insert or update the row in one statement; True when it changed.

        ON CONFLICT updates only a row that differs (and, for a report, only one the person did
        not choose), so an unchanged report writes nothing and racing inserts cannot collide.
        """
        async with self._sessions.begin() as s:
            stmt = dialect_insert(s, t).values(
                platform=platform.value, user_id=user_id, locale=locale, source=source
            )
            differs = (t.c.locale != stmt.excluded.locale) | (t.c.source != stmt.excluded.source)
            if not overwrite_choice:
                differs = differs & (t.c.source != "chosen")
            upsert = stmt.on_conflict_do_update(
                index_elements=[t.c.platform, t.c.user_id],
                set_={"locale": stmt.excluded.locale, "source": stmt.excluded.source},
                where=differs,
            ).returning(t.c.locale)
            # RETURNING yields the row only when it was inserted or updated.
            return (await s.execute(upsert)).first() is not None
