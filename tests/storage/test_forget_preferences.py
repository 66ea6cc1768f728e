"""`forget` and the two per-person preferences added beside the pulse: the person's own pulse
time and their language (chosen, or as their platform reported it), on Slack and Teams, on
SQLite and PostgreSQL. Nothing of theirs stays; a colleague's rows do."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.messages import Platform
from bot.domain.pulse_times import PulseTime
from bot.storage.db import session_factory
from bot.storage.forget import PersonKeys, forget_person
from bot.storage.locales import SqlLocaleStore
from bot.storage.pulse_times import SqlPulseTimes
from bot.storage.tables import person_locales, pulse_times

GONE = {Platform.SLACK: "U0GONE0001", Platform.TEAMS: "6f1c4a2e-0b7d-4e57-9a8c-000000000099"}
STAYS = {Platform.SLACK: "U0STAY0001", Platform.TEAMS: "6f1c4a2e-0b7d-4e57-9a8c-000000000098"}


async def test_forget_erases_own_times_and_languages_on_every_platform(
    engine: AsyncEngine,
) -> None:
    sessions = session_factory(engine)
    times, locales = SqlPulseTimes(sessions), SqlLocaleStore(sessions)
    for platform in (Platform.SLACK, Platform.TEAMS):
        for user in (GONE[platform], STAYS[platform]):
            await times.set(platform, user, PulseTime(3, 8 * 60))
            await locales.reported(platform, user, "de-DE")
        await locales.choose(platform, GONE[platform], "es")
    for platform in (Platform.SLACK, Platform.TEAMS):
        await forget_person(sessions, PersonKeys(b"k" * 32), platform, GONE[platform])
    async with sessions() as s:
        left = {
            (table.name, row.platform, row.user_id)
            for table in (pulse_times, person_locales)
            for row in await s.execute(select(table))
        }
    assert left == {
        (table, platform.value, STAYS[platform])
        for table in ("pulse_times", "person_locales")
        for platform in (Platform.SLACK, Platform.TEAMS)
    }
