"""Who is on which team, and how each platform's members are looked up and kept."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from bot.domain.messages import Platform
from bot.domain.team import MemberSource, Team


class Directory(Protocol):
    """Who is in which team, from the roster and any synced channel or group membership."""

    def teams(self) -> Sequence[Team]: ...

    def team(self, team_id: str) -> Team | None: ...

    def team_of(self, platform: Platform, user_id: str) -> Team | None: ...

    def teams_led_by(self, platform: Platform, user_id: str) -> Sequence[Team]: ...


class MemberLookupFailed(Exception):
    """The platform could not list a source's members; the message says why, in one line."""


class MemberLookup(Protocol):
    """Reads a channel's or user group's members from the platform (MemberLookupFailed when it
    cannot)."""

    async def members(self, source: MemberSource) -> set[str]: ...


class MemberStore(Protocol):
    async def replace(
        self, team_id: str, platform: Platform, user_ids: Iterable[str], when: datetime
    ) -> None: ...

    async def load(self) -> dict[str, set[str]]: ...
