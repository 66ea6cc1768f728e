"""What a handler may use: the domain's ports, wired by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.instrument import Instrument
from bot.domain.org import OrgChart
from bot.domain.ports import (
    ChartRenderer,
    Clock,
    DigestStore,
    Directory,
    NullActivity,
    Outbox,
    PeriodActivity,
    PeriodCalendar,
    RoundStore,
)


@dataclass(frozen=True, slots=True)
class Deps:
    instrument: Instrument
    directory: Directory
    calendar: PeriodCalendar
    rounds: RoundStore
    outbox: Outbox
    clock: Clock
    # Digests: the organisation chart, frozen period figures, other features' counts, charts.
    org: OrgChart = OrgChart()  # noqa: RUF009 - immutable
    digests: DigestStore | None = None
    activity: PeriodActivity = NullActivity()  # noqa: RUF009 - stateless
    charts: ChartRenderer | None = None
