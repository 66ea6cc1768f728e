"""People's languages on SQL: one row a person in `person_locales`.

A row holds either the person's own choice or what their platform reported last; a report never
overwrites a choice, and is written only when it changes (Teams reports on every turn).
"""

from __future__ import annotations

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.messages import Platform
from bot.domain.ports.locales import LocaleSource, PersonLocale
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
        """Insert or update the row; True when it changed. Retried once on a racing insert."""
        where = _where(platform, user_id)
        for _ in range(2):
            try:
                async with self._sessions.begin() as s:
                    row = (await s.execute(select(t.c.locale, t.c.source).where(where))).first()
                    if row is None:
                        await s.execute(
                            insert(t).values(
                                platform=platform.value,
                                user_id=user_id,
                                locale=locale,
                                source=source,
                            )
                        )
                        return True
                    if row.source == "chosen" and not overwrite_choice:
                        return False
                    if (row.locale, row.source) == (locale, source):
                        return False
                    await s.execute(update(t).where(where).values(locale=locale, source=source))
                    return True
            except IntegrityError:
                continue
        return False
