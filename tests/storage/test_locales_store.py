"""People's languages on both databases: choice over report, reports written once, forget."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.messages import Platform
from bot.domain.ports.locales import PersonLocale
from bot.storage.db import create_engine_async, session_factory
from bot.storage.forget import PersonKeys, forget_person
from bot.storage.locales import SqlLocaleStore
from bot.storage.tables import person_locales

SLACK, TEAMS = Platform.SLACK, Platform.TEAMS


async def test_choice_wins_over_reports_and_forget_erases_it(database_url: str) -> None:
    engine = create_engine_async(database_url)
    sessions = session_factory(engine)
    store = SqlLocaleStore(sessions)
    try:
        assert await store.get(SLACK, "U1") is None
        assert await store.reported(SLACK, "U1", "de-DE") is True
        assert await store.reported(SLACK, "U1", "de-DE") is False  # unchanged: no write
        assert await store.get(SLACK, "U1") == PersonLocale("de-DE", "platform")
        await store.choose(SLACK, "U1", "es")
        assert await store.reported(SLACK, "U1", "en-US") is False
        assert await store.get(SLACK, "U1") == PersonLocale("es", "chosen")
        # Same id, other platform: another person.
        await store.reported(TEAMS, "U1", "en-GB")
        assert await store.many(SLACK, ["U1", "U2"]) == {"U1": PersonLocale("es", "chosen")}
        await store.clear_choice(SLACK, "U1")
        assert await store.get(SLACK, "U1") is None
        await store.clear_choice(TEAMS, "U1")  # a report is not a choice: kept
        assert await store.get(TEAMS, "U1") == PersonLocale("en-GB", "platform")

        await store.choose(SLACK, "U2", "de")
        removed = await forget_person(sessions, PersonKeys(b"k" * 32), SLACK, "U2")
        assert removed.get("person_locales") == 1
        async with AsyncSession(engine) as s:
            left = await s.scalar(select(func.count()).select_from(person_locales))
        assert left == 1  # Teams' U1 only
    finally:
        await engine.dispose()
