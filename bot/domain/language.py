"""Which language to speak to a person.

Resolution order: the language the person chose > the one their platform reports > their team's
`language` in the roster > the organisation's > English. Only languages Respite ships count at
each step; a regional tag counts as its language (es-MX is Spanish), and anything else is passed
over, so a Slack user set to French hears their team's language rather than nothing.

Every interaction asks for the actor's language, so what the store said is kept in process for
`RECENT_SECONDS` (`RecentLocales`). A write made through this process (`language de`, `language
auto`, a new platform locale) takes effect here at once; one made by another replica takes effect
here within `RECENT_SECONDS`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping

from bot.domain.events import Actor
from bot.domain.messages import Platform
from bot.domain.ports.locales import LocaleStore, NullLocaleStore, PersonLocale
from bot.domain.ports.people import Directory
from bot.infra.bounded import Bounded
from bot.infra.i18n import DEFAULT_LOCALE, supported

REPORTED_CACHE_SIZE = 10_000
# How long a person's stored language is trusted without asking the store again: the delay before
# a choice made on another replica applies here. A lookup costs 0.3 ms on SQLite and about 3 ms on
# PostgreSQL, a notable share of an interaction.
RECENT_SECONDS = 30.0
RECENT_CACHE_SIZE = 10_000


class RecentLocales:
    """A LocaleStore that remembers what `get` read for `seconds`; writes through it forget.

    A read that overlaps a write through this process is not remembered, so it cannot keep the
    value the write replaced. `many` (scheduled fan-outs, not interactions) always asks the store.
    """

    def __init__(
        self,
        store: LocaleStore,
        seconds: float = RECENT_SECONDS,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = store
        self._seconds = seconds
        self._now = now
        self._recent: Bounded[tuple[Platform, str], tuple[PersonLocale | None, float]] = Bounded(
            RECENT_CACHE_SIZE
        )
        self._writes = 0

    async def get(self, platform: Platform, user_id: str) -> PersonLocale | None:
        key = (platform, user_id)
        now = self._now()
        known = self._recent.get(key)
        if known is not None and now < known[1]:
            return known[0]
        writes = self._writes
        found = await self.inner.get(platform, user_id)
        if writes == self._writes and self._seconds > 0:
            self._recent[key] = (found, now + self._seconds)
        return found

    async def many(self, platform: Platform, user_ids: list[str]) -> dict[str, PersonLocale]:
        return await self.inner.many(platform, user_ids)

    async def choose(self, platform: Platform, user_id: str, locale: str) -> None:
        self._forget(platform, user_id)
        await self.inner.choose(platform, user_id, locale)

    async def reported(self, platform: Platform, user_id: str, locale: str) -> bool:
        self._forget(platform, user_id)
        return await self.inner.reported(platform, user_id, locale)

    async def clear_choice(self, platform: Platform, user_id: str) -> None:
        self._forget(platform, user_id)
        await self.inner.clear_choice(platform, user_id)

    def _forget(self, platform: Platform, user_id: str) -> None:
        self._writes += 1
        self._recent.pop((platform, user_id), None)


class Languages:
    """The locale for one person or many, from the store and the roster's defaults."""

    def __init__(
        self,
        store: LocaleStore | None = None,
        team_defaults: Mapping[str, str] | None = None,
        org_default: str | None = None,
        recent_seconds: float = RECENT_SECONDS,
    ) -> None:
        # Every write goes through `store`, so this process's own changes apply at once.
        self.enabled = store is not None and not isinstance(store, NullLocaleStore)
        self.store: LocaleStore = (
            RecentLocales(store, recent_seconds)
            if store is not None and self.enabled
            else NullLocaleStore()
        )
        self._teams = dict(team_defaults or {})
        self._org = org_default
        # What each person's platform reported last, so a Teams turn writes only on a change.
        self._reported: Bounded[tuple[Platform, str], str] = Bounded(REPORTED_CACHE_SIZE)

    async def reported(self, platform: Platform, user_id: str, tag: str | None) -> None:
        """Record the locale the platform reports for a person (Slack users.info, Teams turns).

        Stored as the platform's tag ("de-DE"), read through `supported` when used; a person's
        own choice is never overwritten. Remembered in process so a repeat costs no query.
        """
        if not self.enabled or not tag or not user_id:
            return
        key = (platform, user_id)
        if self._reported.get(key) == tag:
            return
        await self.store.reported(platform, user_id, tag[:16])
        self._reported[key] = tag

    async def clear_choice(self, platform: Platform, user_id: str) -> None:
        """`language auto`: drop the person's choice; what the platform said last applies again.

        The store keeps one row a person, so a choice hid the platform's locale; the one this
        process last saw is written back (Teams says it again on the next turn anyway).
        """
        await self.store.clear_choice(platform, user_id)
        last = self._reported.get((platform, user_id))
        if last:
            await self.store.reported(platform, user_id, last)

    async def choose(self, platform: Platform, user_id: str, locale: str) -> None:
        """`language de`: the person's own choice, kept until `language auto`.

        Nothing is kept when languages are off (`enabled` is False); callers ask first.
        """
        await self.store.choose(platform, user_id, locale)

    def default_for(self, team_id: str | None) -> str:
        """The team's language, else the organisation's, else English."""
        team = self._teams.get(team_id) if team_id else None
        return supported(team) or supported(self._org) or DEFAULT_LOCALE

    async def of(self, platform: Platform, user_id: str, team_id: str | None = None) -> str:
        stored = await self.store.get(platform, user_id)
        if stored is not None and (locale := supported(stored.locale)):
            return locale
        return self.default_for(team_id)

    async def for_actor(self, directory: Directory, actor: Actor) -> str:
        """The language of the person who acted: every reply to them is built in it.

        Their team's language applies when they have none of their own.
        """
        team = directory.team_of(actor.platform, actor.user_id)
        return await self.of(actor.platform, actor.user_id, team.id if team else None)

    async def of_many(
        self, platform: Platform, user_ids: list[str], team_id: str | None = None
    ) -> dict[str, str]:
        fallback = self.default_for(team_id)
        stored = await self.store.many(platform, user_ids)
        return {
            user: (supported(stored[user].locale) if user in stored else None) or fallback
            for user in user_ids
        }

    async def groups(
        self, platform: Platform, user_ids: Collection[str], team_id: str | None = None
    ) -> dict[str, frozenset[str]]:
        """The people grouped by language, so each group's cards are built once."""
        by_user = await self.of_many(platform, sorted(user_ids), team_id)
        grouped: dict[str, set[str]] = {}
        for user, locale in by_user.items():
            grouped.setdefault(locale, set()).add(user)
        return {locale: frozenset(users) for locale, users in sorted(grouped.items())}
