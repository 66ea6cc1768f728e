"""Pulse rounds: opening, answering, closing and the figures a closed round keeps."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol

from bot.domain.messages import Platform
from bot.domain.ports.clock import Period
from bot.domain.pulse_times import PulseTime


@dataclass(frozen=True, slots=True)
class Round:
    id: str
    team_id: str
    period_key: str
    opens_at: datetime
    remind_at: datetime
    closes_at: datetime
    invited_at: datetime | None = None
    reminded_at: datetime | None = None
    closed_at: datetime | None = None

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class Recorded(Enum):
    """What became of one pulse answer."""

    STORED = "stored"
    ALREADY_ANSWERED = "already_answered"
    ROUND_CLOSED = "round_closed"


class RoundStore(Protocol):
    async def get(self, round_id: str) -> Round | None: ...

    async def find(self, team_id: str, period_key: str) -> Round | None: ...

    async def ensure(self, team_id: str, period: Period) -> Round:
        """Get or create the round of this (team, period); safe under concurrent callers."""
        ...

    async def record_response(
        self,
        round_id: str,
        unit_id: str,
        platform: Platform,
        user_id: str,
        answers: Mapping[str, int],
    ) -> bool:
        """Store an anonymous answer and, apart from it, that this person took part.

        In the same transaction every answer of the round is re-written under new ids in random
        order, so nothing written alongside the participation row singles out this answer.
        Returns False, storing nothing, when this person already answered this round or it is
        closed.
        """
        ...

    async def record_in_period(
        self,
        team_id: str,
        period: Period,
        unit_id: str,
        platform: Platform,
        user_id: str,
        answers: Mapping[str, int],
    ) -> Recorded:
        """Open the (team, period) round if nobody has, then record the answer in it as
        `record_response` does: the path of every check-in."""
        ...

    async def has_answered(self, round_id: str, platform: Platform, user_id: str) -> bool: ...

    async def answered_in_period(
        self, team_id: str, period_key: str, platform: Platform, user_id: str
    ) -> bool:
        """Whether this person answered the (team, period) round; False when there is none."""
        ...

    async def participants(self, round_id: str) -> set[tuple[Platform, str]]: ...

    async def mark_invited(self, round_id: str, when: datetime) -> bool:
        """Returns True for the one caller that marked it first."""
        ...

    async def mark_reminded(self, round_id: str, when: datetime) -> bool: ...

    async def close(self, round_id: str, members: int, when: datetime) -> bool:
        """Freeze per-unit figures and re-write answers in random order, in one transaction.

        True for the one caller that closed it; later calls change nothing.
        """
        ...

    async def answers(self, round_id: str) -> list[tuple[str, dict[str, int]]]:
        """(unit id, answers) of every response of a round, in storage order."""
        ...

    async def open_rounds(self) -> list[Round]: ...


@dataclass(frozen=True, slots=True)
class OwnTimes:
    """When a round invites one person at their own pulse time, and reminds them (None: not
    before the close)."""

    invite_at: datetime
    remind_at: datetime | None


@dataclass(frozen=True, slots=True)
class OwnDue:
    """A person whose own invitation to a round has come due, and when their own reminder is
    (None: none before the close)."""

    user_id: str
    remind_at: datetime | None


class PulseTimes(Protocol):
    """Each person's own pulse time (`/respite pulse at thu 08:00`), a setting kept until they
    turn it off or are forgotten."""

    @property
    def enabled(self) -> bool:
        """False for NullPulseTimes: nobody can choose a time, and a handler says so."""
        ...

    async def get(self, platform: Platform, user_id: str) -> PulseTime | None: ...

    async def of_people(
        self, platform: Platform, user_ids: Collection[str]
    ) -> dict[str, PulseTime]:
        """The chosen times of these people, by user id; people without one are left out."""
        ...

    async def set(self, platform: Platform, user_id: str, chosen: PulseTime) -> None: ...

    async def clear(self, platform: Platform, user_id: str) -> bool:
        """Back to the team's time; False when there was no choice to clear."""
        ...

    async def plan(self, round_id: str, platform: Platform, due: Mapping[str, OwnTimes]) -> None:
        """Keep, by user id, when this round invites these people at their own time. Written as
        the round opens; a person planned already keeps their first plan."""
        ...

    async def planned(
        self, round_id: str, platform: Platform, user_ids: Collection[str]
    ) -> frozenset[str]:
        """Which of these people this round invites at their own time. The round keeps this
        whatever they choose later."""
        ...

    async def due(self, round_id: str, now: datetime) -> list[OwnDue]:
        """The round's people whose own invitation is due at `now`, by user id, whether or not
        it is queued already (the caller asks the outbox). Nothing here knows who answered:
        the caller leaves those out."""
        ...

    async def end_round(self, round_id: str) -> None:
        """Drop the round's plans: it has closed."""
        ...


class NullPulseTimes:
    """No store wired in: nobody has a time of their own, and choosing one is refused.

    Handlers ask `enabled` and answer that own pulse times are not available here."""

    enabled = False

    async def get(self, platform: Platform, user_id: str) -> PulseTime | None:
        return None

    async def of_people(
        self, platform: Platform, user_ids: Collection[str]
    ) -> dict[str, PulseTime]:
        return {}

    async def set(self, platform: Platform, user_id: str, chosen: PulseTime) -> None:
        raise NotImplementedError("own pulse times are not enabled; ask `enabled` first")

    async def clear(self, platform: Platform, user_id: str) -> bool:
        return False

    async def plan(self, round_id: str, platform: Platform, due: Mapping[str, OwnTimes]) -> None:
        return None

    async def planned(
        self, round_id: str, platform: Platform, user_ids: Collection[str]
    ) -> frozenset[str]:
        return frozenset()

    async def due(self, round_id: str, now: datetime) -> list[OwnDue]:
        return []

    async def end_round(self, round_id: str) -> None:
        return None
