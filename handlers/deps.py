"""What a handler may use: the domain's ports, wired by the composition root.

Every field is present. A feature that is off has a null object in its place (NullKudos,
NullBreaks, NullDigests, NullCharts, NullAudit, NullActivity, NullPulseTimes) that stores nothing
and finds nothing; a handler that must tell someone the feature is off asks the port's `enabled`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from bot.domain.instrument import Instrument
from bot.domain.kudos import GiverKey
from bot.domain.language import Languages
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
from bot.domain.ports.audit import NullAudit
from bot.domain.ports.breaks import NullBreaks
from bot.domain.ports.digest import NullCharts, NullDigests
from bot.domain.ports.kudos import KudosStore, NullKudos
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
    kudos: KudosStore = NullKudos()  # noqa: RUF009 - stateless
    # The composition root passes the key made from the server secret. Without recognition
    # (NullKudos) nothing keyed by it is stored, so a key made up for this process serves;
    # with it, that key is refused (see __post_init__).
    giver_key: GiverKey = field(default_factory=lambda: _ThrowawayGiverKey(secrets.token_bytes(32)))
    senders: SenderMap = field(default_factory=dict)
    breaks: BreakStore = NullBreaks()  # noqa: RUF009 - stateless
    # Digests: the organisation chart, frozen period figures, other features' counts, charts.
    org: OrgChart = OrgChart()  # noqa: RUF009 - immutable
    digests: DigestStore = NullDigests()  # noqa: RUF009 - stateless
    activity: PeriodActivity = NullActivity()  # noqa: RUF009 - stateless
    charts: ChartRenderer = NullCharts()  # noqa: RUF009 - stateless
    # Who read which digest (and which admin command ran): append-only.
    audit: AuditLog = NullAudit()  # noqa: RUF009 - stateless
    # Each person's own pulse time (`pulse at thu 08:00`); nobody has one until it is wired in.
    pulse_times: PulseTimes = NullPulseTimes()  # noqa: RUF009 - stateless
    # Which language each person reads (bot/domain/language.py); English until wired in.
    languages: Languages = Languages()  # noqa: RUF009 - read-only without a store

    def __post_init__(self) -> None:
        """Refuse a real kudos store keyed by a key made up for this process.

        Quotas would then count apart on each replica and restart, and `forget` (which derives
        the key from RESPITE_SECRET) would not find that person's anonymous kudos.
        """
        if self.kudos.enabled and isinstance(self.giver_key, _ThrowawayGiverKey):
            raise ValueError(
                "Deps: a kudos store needs giver_key=GiverKey(<the server's RESPITE_SECRET>); "
                "the default key is made up for this process and only serves with NullKudos"
            )


class _ThrowawayGiverKey(GiverKey):
    """The default key: random, for this process only, so fit only where nothing is keyed."""
