"""What a handler may use: the domain's ports, wired by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.instrument import Instrument
from bot.domain.ports import BreakStore, Clock, Directory, Outbox, PeriodCalendar, RoundStore


@dataclass(frozen=True, slots=True)
class Deps:
    instrument: Instrument
    directory: Directory
    calendar: PeriodCalendar
    rounds: RoundStore
    outbox: Outbox
    clock: Clock
    breaks: BreakStore | None = None
