"""The data of a trend chart, independent of how it is drawn.

A suppressed round is a missing value (None), never zero: drawn as a gap in the line, written as
a dash in tables, and named in the alt text.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TrendSeries:
    label: str
    values: tuple[float | None, ...]


@dataclass(frozen=True, slots=True)
class TrendChart:
    title: str
    periods: tuple[str, ...]
    series: tuple[TrendSeries, ...]
    scale_min: int
    scale_max: int
    alt_text: str

    @property
    def gaps(self) -> tuple[int, ...]:
        """Indexes of periods with no released figure."""
        return tuple(
            i for i in range(len(self.periods)) if all(s.values[i] is None for s in self.series)
        )
