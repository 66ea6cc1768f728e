"""Each person's language: the one they chose, or the one their platform reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from bot.domain.messages import Platform

# "chosen": set with the `language` command, kept until `language auto`.
# "platform": what Slack's users.info or Teams' activity.locale said last.
LocaleSource = Literal["chosen", "platform"]


@dataclass(frozen=True, slots=True)
class PersonLocale:
    locale: str
    source: LocaleSource


class LocaleStore(Protocol):
    async def get(self, platform: Platform, user_id: str) -> PersonLocale | None: ...

    async def choose(self, platform: Platform, user_id: str, locale: str) -> None:
        """Record the person's own choice; it wins over anything the platform says later."""

    async def reported(self, platform: Platform, user_id: str, locale: str) -> bool:
        """Record what the platform reports, unless the person chose. True when it changed."""

    async def clear_choice(self, platform: Platform, user_id: str) -> None:
        """Forget the person's choice (`language auto`); the platform's locale applies again."""

    async def many(self, platform: Platform, user_ids: list[str]) -> dict[str, PersonLocale]: ...


class NullLocaleStore:
    """No place to keep languages: everyone hears their team's, or the organisation's, language.

    Reads find nothing and writes keep nothing; `enabled` is False so the `language` command
    says that a choice cannot be kept here rather than claiming it was.
    """

    enabled = False

    async def get(self, platform: Platform, user_id: str) -> PersonLocale | None:
        return None

    async def choose(self, platform: Platform, user_id: str, locale: str) -> None:
        return None

    async def reported(self, platform: Platform, user_id: str, locale: str) -> bool:
        return False

    async def clear_choice(self, platform: Platform, user_id: str) -> None:
        return None

    async def many(self, platform: Platform, user_ids: list[str]) -> dict[str, PersonLocale]:
        return {}
