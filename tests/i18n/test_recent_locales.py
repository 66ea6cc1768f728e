"""A person's language is read from the store once per `RECENT_SECONDS`, and never stale here.

Writes made through this process apply to the next interaction; one made by another replica
(a direct write to the shared store below) applies once the remembered value expires.
"""

from __future__ import annotations

from bot.domain.language import RECENT_SECONDS, Languages, RecentLocales
from bot.domain.messages import Platform
from bot.domain.ports.locales import PersonLocale

TEAMS = Platform.TEAMS


class CountingLocales:
    """The LocaleStore port in memory, counting reads of one person."""

    def __init__(self) -> None:
        self.rows: dict[tuple[Platform, str], PersonLocale] = {}
        self.gets = 0

    async def get(self, platform: Platform, user_id: str) -> PersonLocale | None:
        self.gets += 1
        return self.rows.get((platform, user_id))

    async def choose(self, platform: Platform, user_id: str, locale: str) -> None:
        self.rows[(platform, user_id)] = PersonLocale(locale, "chosen")

    async def reported(self, platform: Platform, user_id: str, locale: str) -> bool:
        row = self.rows.get((platform, user_id))
        if row is not None and row.source == "chosen":
            return False
        self.rows[(platform, user_id)] = PersonLocale(locale, "platform")
        return True

    async def clear_choice(self, platform: Platform, user_id: str) -> None:
        if (row := self.rows.get((platform, user_id))) and row.source == "chosen":
            del self.rows[(platform, user_id)]

    async def many(self, platform: Platform, user_ids: list[str]) -> dict[str, PersonLocale]:
        return {u: r for (p, u), r in self.rows.items() if p == platform and u in user_ids}


class Ticking:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_interactions_within_the_window_ask_the_store_once() -> None:
    shared = CountingLocales()
    langs = Languages(shared, {"ward": "es"})
    for _turn in range(5):
        assert await langs.of(TEAMS, "aad-1", "ward") == "es"
    assert shared.gets == 1


async def test_own_choice_applies_at_once_and_another_replicas_within_the_window() -> None:
    shared = CountingLocales()
    clock = Ticking()
    here = Languages(shared, {"ward": "es"})
    assert here.store is not None
    here.store = RecentLocales(shared, now=clock)
    other = RecentLocales(shared, now=clock)  # another replica on the same database
    assert await here.of(TEAMS, "aad-1", "ward") == "es"
    assert await other.get(TEAMS, "aad-1") is None

    await here.store.choose(TEAMS, "aad-1", "de")  # `language de` handled here
    assert await here.of(TEAMS, "aad-1", "ward") == "de"
    assert await other.get(TEAMS, "aad-1") is None  # still what it read
    clock.now += RECENT_SECONDS
    assert await other.get(TEAMS, "aad-1") == PersonLocale("de", "chosen")

    await here.clear_choice(TEAMS, "aad-1")  # `language auto`
    assert await here.of(TEAMS, "aad-1", "ward") == "es"


async def test_a_read_overlapping_a_write_is_not_remembered() -> None:
    shared = CountingLocales()
    recent = RecentLocales(shared)

    class Racing(CountingLocales):
        async def get(self, platform: Platform, user_id: str) -> PersonLocale | None:
            found = self.rows.get((platform, user_id))
            await recent.choose(platform, user_id, "de")  # lands while the read is out
            return found

    racing = Racing()
    racing.rows = shared.rows
    recent.inner = racing
    assert await recent.get(TEAMS, "aad-1") is None
    recent.inner = shared
    assert await recent.get(TEAMS, "aad-1") == PersonLocale("de", "chosen")


async def test_zero_seconds_remembers_nothing() -> None:
    shared = CountingLocales()
    langs = Languages(shared, recent_seconds=0)
    await langs.of(TEAMS, "aad-1")
    await langs.of(TEAMS, "aad-1")
    assert shared.gets == 2
