"""In-memory ports for calling handlers directly: `(Deps, event) -> Outcome` with no platform,
no database and no clock of the wall. Each fake keeps what it was given in plain lists and dicts
for the test to read; the null objects the composition root uses for a feature that is off
stand in for everything a test does not give.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, cast

from bot.config import load_instrument, parse_roster
from bot.domain.breaks import BreakSettings
from bot.domain.directory import RosterDirectory
from bot.domain.events import Actor
from bot.domain.kudos import AlreadyGiven, Giver, Kudos, QuotaRefusal
from bot.domain.messages import Card, Platform, Recipient
from bot.domain.ports import Outbox, Period, Recorded, Round, RoundStore
from bot.domain.ports.breaks import NullBreaks
from bot.domain.ports.kudos import NullKudos
from bot.infra.clock import FixedClock
from handlers.deps import Deps
from scheduler.periods import CronCalendar
from tests.support.roster import CLINICIANS, MONDAY, roster_data


@dataclass
class FakeRounds:
    """Pulse rounds in memory: the answers given (without who gave them) and, apart, who took
    part in which (team, period). A period in `closed` refuses answers as a closed round does."""

    answers: list[Mapping[str, int]] = field(default_factory=list)
    took_part: set[tuple[str, str, Platform, str]] = field(default_factory=set)
    closed: set[str] = field(default_factory=set)

    async def answered_in_period(
        self, team_id: str, period_key: str, platform: Platform, user_id: str
    ) -> bool:
        return (team_id, period_key, platform, user_id) in self.took_part

    async def record_in_period(
        self,
        team_id: str,
        period: Period,
        unit_id: str,
        platform: Platform,
        user_id: str,
        answers: Mapping[str, int],
    ) -> Recorded:
        if period.key in self.closed:
            return Recorded.ROUND_CLOSED
        who = (team_id, period.key, platform, user_id)
        if who in self.took_part:
            return Recorded.ALREADY_ANSWERED
        self.took_part.add(who)
        self.answers.append(dict(answers))
        return Recorded.STORED

    async def find(self, team_id: str, period_key: str) -> Round | None:
        return None  # no round was opened by the scheduler, so no invitation waits to be taken back


@dataclass
class FakeOutbox:
    """Messages queued, by key; `cancel` takes back those not yet sent."""

    queued: dict[str, tuple[Recipient, Card, datetime]] = field(default_factory=dict)

    async def enqueue(
        self,
        key: str,
        recipient: Recipient,
        card: Card,
        not_before: datetime,
        drop_after: datetime | None = None,
        holds: bool = False,
    ) -> bool:
        if key in self.queued:
            return False
        self.queued[key] = (recipient, card, not_before)
        return True

    async def cancel(self, key_prefix: str) -> int:
        gone = [k for k in self.queued if k.startswith(key_prefix)]
        for key in gone:
            del self.queued[key]
        return len(gone)

    async def existing(self, keys: Collection[str]) -> set[str]:
        return set(keys) & self.queued.keys()


@dataclass
class FakeSender:
    """A platform that accepts every message: each send gets a reference, deletes are noted."""

    sent: list[tuple[Recipient, Card]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    async def send(self, recipient: Recipient, card: Card) -> str | None:
        self.sent.append((recipient, card))
        return f"post-{len(self.sent)}"

    async def delete(self, recipient: Recipient, ref: str) -> None:
        self.deleted.append(ref)


class FakeKudos(NullKudos):
    """Kudos in memory; the daily quota counts what each giver gave in the last day."""

    enabled = True

    def __init__(self) -> None:
        self.kudos: dict[str, Kudos] = {}
        self.given: list[tuple[str, datetime]] = []  # (giver hash, when): the quota ledger

    async def add_within_quota(
        self,
        kudos: Kudos,
        giver: Giver,
        limit: int,
        now: datetime,
        once: Sequence[str] = (),
    ) -> QuotaRefusal | AlreadyGiven | None:
        recent = [at for who, at in self.given if who == giver.hash and at > now - timedelta(1)]
        if len(recent) >= limit:
            return QuotaRefusal(len(recent), min(recent) + timedelta(1))
        self.given.append((giver.hash, now))
        self.kudos[kudos.id] = kudos
        return None

    async def set_channel_ref(self, kudos_id: str, ref: str) -> bool:
        found = self.kudos.get(kudos_id)
        if found is None:
            return False
        self.kudos[kudos_id] = replace(found, channel_ref=ref)
        return True

    async def get(self, kudos_id: str) -> Kudos | None:
        return self.kudos.get(kudos_id)

    async def delete(self, kudos_id: str) -> bool:
        return self.kudos.pop(kudos_id, None) is not None


class FakeBreaks(NullBreaks):
    """Break settings in memory, and the presses counted (platform, user, slot, outcome)."""

    enabled = True

    def __init__(self) -> None:
        self.settings: dict[tuple[Platform, str], BreakSettings] = {}
        self.counted: list[tuple[Platform, str, str, str]] = []

    async def get(self, platform: Platform, user_id: str) -> BreakSettings | None:
        return self.settings.get((platform, user_id))

    async def of_people(
        self, platform: Platform, user_ids: Collection[str]
    ) -> dict[str, BreakSettings]:
        found = {user: self.settings.get((platform, user)) for user in user_ids}
        return {user: settings for user, settings in found.items() if settings is not None}

    async def save(self, settings: BreakSettings, now: datetime) -> None:
        self.settings[(Platform(settings.platform), settings.user_id)] = settings

    async def acknowledge(
        self,
        platform: Platform,
        user_id: str,
        slot: str,
        outcome: str,
        team_id: str,
        week: tuple[datetime, datetime],
        now: datetime,
    ) -> bool:
        press = (platform, user_id, slot, outcome)
        if any(c[:3] == press[:3] for c in self.counted):
            return False  # one count per prompt, whatever the button
        self.counted.append(press)
        return True


def member(n: int = 1) -> Actor:
    """The n-th clinician of the sample Slack team (1 to 8)."""
    return Actor(Platform.SLACK, CLINICIANS[n - 1])


def fake_deps(
    *,
    rounds: FakeRounds | None = None,
    outbox: FakeOutbox | None = None,
    clock: FixedClock | None = None,
    team: Mapping[str, Any] | None = None,
    **features: Any,
) -> Deps:
    """Deps over the sample roster (its team changed by `team`), the shipped instrument, the
    cron calendar and Monday morning's clock; `features` sets the other ports (kudos=, breaks=,
    senders=...), which are otherwise the null objects of a feature that is off."""
    roster = parse_roster(roster_data(**(team or {})))
    return Deps(
        instrument=load_instrument(),
        directory=RosterDirectory(roster.team_list),
        calendar=CronCalendar(),
        rounds=cast(RoundStore, rounds or FakeRounds()),
        outbox=cast(Outbox, outbox or FakeOutbox()),
        clock=clock or FixedClock(MONDAY),
        **features,
    )
