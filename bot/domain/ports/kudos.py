"""Recognition: storing kudos within each giver's quota, withdrawing them, and roundups."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.domain.kudos import AlreadyGiven, Giver, Kudos, QuotaRefusal
from bot.domain.messages import Platform


class KudosStore(Protocol):
    @property
    def enabled(self) -> bool:
        """False for NullKudos: recognition is off here, and a handler tells the person so."""
        ...

    async def add_within_quota(
        self,
        kudos: Kudos,
        giver: Giver,
        limit: int,
        now: datetime,
        once: Sequence[str] = (),
    ) -> QuotaRefusal | AlreadyGiven | None:
        """Store the kudos unless one of its `once` marks (`once_marks`) was left by a kudos
        given within ONCE_WINDOW before `now`, or its giver already gave `limit` in the quota
        window before `now`.

        Named kudos count by their giver id, anonymous ones by the giver's hash in the quota
        ledger (an entry at `now`, with no kudos id). Checking and storing happen in one
        transaction, so concurrent sends cannot exceed the quota nor give one kudos twice.
        Returns None when stored.
        """
        ...

    async def discard(
        self, kudos_id: str, giver: Giver, now: datetime, once: Sequence[str] = ()
    ) -> None:
        """Undo `add_within_quota(kudos, giver, _, now, once)` whose post failed: the kudos, the
        quota it took and its marks, so that it can be sent again."""
        ...

    async def set_channel_ref(self, kudos_id: str, ref: str) -> bool:
        """Remember the channel message; False when the kudos was withdrawn meanwhile."""
        ...

    async def get(self, kudos_id: str) -> Kudos | None: ...

    async def delete(self, kudos_id: str) -> bool: ...

    async def between(self, team_id: str, start: datetime, end: datetime) -> list[Kudos]: ...

    async def kudos_count(self, team_id: str, start: datetime, end: datetime) -> int:
        """How many kudos the team gave in [start, end): the recognition figure of a digest."""
        ...

    async def forget_givers(self, before: datetime) -> int:
        """Forget givers of anonymous kudos given before `before` (the start of the quota window):
        quota ledger entries and withdrawal tags; returns how many."""
        ...

    async def set_names_shown(
        self, platform: Platform, user_id: str, shown: bool, when: datetime
    ) -> None: ...

    async def names_hidden(self, platform: Platform, user_ids: Sequence[str]) -> set[str]:
        """Of these people, those who opted out of being named in roundups."""
        ...


class NullKudos:
    """Recognition is not wired in: nothing is stored, every list is empty, roundups are empty.

    Handlers ask `enabled` before giving or withdrawing and answer that kudos are not set up;
    `kudos_count` raises NotImplementedError like NullActivity, so a digest leaves the line out.
    """

    enabled = False

    async def add_within_quota(
        self,
        kudos: Kudos,
        giver: Giver,
        limit: int,
        now: datetime,
        once: Sequence[str] = (),
    ) -> QuotaRefusal | AlreadyGiven | None:
        # No answer here is true: None would claim the kudos was stored.
        raise NotImplementedError("recognition is not enabled")

    async def discard(
        self, kudos_id: str, giver: Giver, now: datetime, once: Sequence[str] = ()
    ) -> None:
        return None

    async def set_channel_ref(self, kudos_id: str, ref: str) -> bool:
        return False

    async def get(self, kudos_id: str) -> Kudos | None:
        return None

    async def delete(self, kudos_id: str) -> bool:
        return False

    async def between(self, team_id: str, start: datetime, end: datetime) -> list[Kudos]:
        return []

    async def kudos_count(self, team_id: str, start: datetime, end: datetime) -> int:
        raise NotImplementedError("recognition is not enabled")

    async def forget_givers(self, before: datetime) -> int:
        return 0

    async def set_names_shown(
        self, platform: Platform, user_id: str, shown: bool, when: datetime
    ) -> None:
        return None

    async def names_hidden(self, platform: Platform, user_ids: Sequence[str]) -> set[str]:
        return set()
