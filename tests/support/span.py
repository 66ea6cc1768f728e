"""Exact rational linear algebra: is a vector in the span of others?"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction


class Span:
    """An echelon basis over the rationals, grown one vector at a time."""

    def __init__(self, width: int) -> None:
        self.width = width
        self._rows: list[tuple[int, list[Fraction]]] = []  # (pivot column, row)

    def _reduce(self, vector: Sequence[int | Fraction]) -> list[Fraction]:
        v = [Fraction(x) for x in vector]
        for pivot, row in self._rows:
            if v[pivot]:
                factor = v[pivot] / row[pivot]
                v = [a - factor * b for a, b in zip(v, row, strict=True)]
        return v

    def add(self, vector: Sequence[int | Fraction]) -> None:
        v = self._reduce(vector)
        pivot = next((i for i, x in enumerate(v) if x), None)
        if pivot is not None:
            self._rows.append((pivot, v))

    def contains(self, vector: Sequence[int | Fraction]) -> bool:
        return not any(self._reduce(vector))
