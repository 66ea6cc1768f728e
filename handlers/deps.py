"""What a handler may use: the domain's ports, wired by the composition root."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain.instrument import Instrument
from bot.domain.kudos import GiverKey
from bot.domain.org import OrgChart
from bot.domain.ports import (
    AuditLog,
    BreakStore,
    ChartRenderer,
    Clock,
    DigestStore,
    Directory,
    NullActivity,
    Outbox,
    PeriodActivity,
    PeriodCalendar,
    RoundStore,
    SenderMap,
)
from bot.domain.ports.kudos import KudosStore
from bot.domain.ports.pulse import NullPulseTimes, PulseTimes


@dataclass(frozen=True, slots=True)
class Deps:
    instrument: Instrument
    directory: Directory
    calendar: PeriodCalendar
    rounds: RoundStore
    outbox: Outbox
    clock: Clock
    # Recognition: the kudos store, the keyed hash for anonymous givers, and the platform senders
    # (a kudos is posted directly so its channel message can be deleted on withdrawal).
    kudos: KudosStore | None = None
    giver_key: GiverKey | None = None
    senders: SenderMap = field(default_factory=dict)
    breaks: BreakStore | None = None
    # Digests: the organisation chart, frozen period figures, other features' counts, charts.
    org: OrgChart = OrgChart()  # noqa: RUF009 - immutable
    digests: DigestStore | None = None
    activity: PeriodActivity = NullActivity()  # noqa: RUF009 - stateless
    charts: ChartRenderer | None = None
    # Who read which digest (and which admin command ran): append-only.
    audit: AuditLog | None = None
    # Each person's own pulse time (`pulse at thu 08:00`); nobody has one until it is wired in.
    pulse_times: PulseTimes = NullPulseTimes()  # noqa: RUF009 - stateless
