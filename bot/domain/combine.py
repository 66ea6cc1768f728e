"""What a lead who keeps every digest can compute by combining the weeks: an exact check.

Take the worst case for privacy: everybody answers exactly as before, week after week. Then each
exact figure released in the trend window is a sum over the same unknowns, one per person, and
a reader who knows who answered can take any linear combination of those sums. A person's answer
is exposed when their own unknown lies in the span of the released sums.

Within one period the release rules (bot.domain.privacy) leave released figures that span exactly
the sums of their *regions*: disjoint sets of people, each region being a released group less the
released groups below it. So the whole window is a list of regions, disjoint within a period.
That structure makes the check cheap enough for an organisation of thousands:

- two people who lie in exactly the same regions can never be told apart (every combination
  weighs them alike), so they are one column: neither is exposed alone, but their sum is, and a
  column of fewer than k people whose sum lies in the span is a small group exposed (week 3
  less weeks 1 and 2 can be the sum of the two who answered only in week 3);
- regions that share nobody are independent, so the check runs on connected components, which
  are about the size of a team's people over the window, not of the organisation;
- in each component, a person is exposed exactly when their unit vector is a row of the reduced
  row echelon form of the region matrix (exact integer elimination, no rounding).

People whose answers the reader knows (a lead who answered) are taken out as known constants.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _reduce(v: list[int], b: list[int], col: int) -> list[int]:
    """v less a multiple of b that clears column `col`, kept in lowest integer terms: integer
    elimination is exact like fractions, and several times faster."""
    a, c = b[col], v[col]
    out = [x * a - y * c for x, y in zip(v, b, strict=True)]
    g = math.gcd(*out)
    return [x // g for x in out] if g > 1 else out


def _unit_rows(rows: list[list[int]]) -> set[int]:
    """Columns whose unit vector lies in the row space: exactly the single-entry rows of the
    reduced row echelon form (each row here scaled to integers)."""
    basis: list[tuple[int, list[int]]] = []
    for row in rows:
        v = list(row)
        for pivot, b in basis:
            if v[pivot]:
                v = _reduce(v, b, pivot)
        lead = next((i for i, x in enumerate(v) if x), None)
        if lead is None:
            continue
        for j, (p, b) in enumerate(basis):
            if b[lead]:
                basis[j] = (p, _reduce(b, v, lead))
        basis.append((lead, v))
    out = set()
    for _pivot, b in basis:
        nonzero = [i for i, x in enumerate(b) if x]
        if len(nonzero) == 1:
            out.add(nonzero[0])
    return out


def exposed(
    regions: Sequence[Iterable[str]], known: frozenset[str] = frozenset(), smaller_than: int = 2
) -> set[str]:
    """People whose answer, or whose small group's sum (people who lie in exactly the same
    regions, fewer than `smaller_than` of them), is a linear combination of the regions' sums
    (see the module)."""
    where: dict[str, list[int]] = defaultdict(list)
    for r, members in enumerate(regions):
        for person in members:
            if person not in known:
                where[person].append(r)
    # People in the same regions are one column; only a column of one person can be exposed.
    columns: dict[tuple[int, ...], list[str]] = defaultdict(list)
    for person, rs in where.items():
        columns[tuple(rs)].append(person)
    parent = list(range(len(regions)))
    for key in columns:
        for r in key[1:]:
            a, b = _find(parent, key[0]), _find(parent, r)
            if a != b:
                parent[b] = a
    components: dict[int, list[tuple[int, ...]]] = defaultdict(list)
    for key in columns:
        components[_find(parent, key[0])].append(key)
    out: set[str] = set()
    for cols in components.values():
        if not any(len(columns[c]) < smaller_than for c in cols):
            continue
        rows_in = sorted({r for c in cols for r in c})
        index = {r: i for i, r in enumerate(rows_in)}
        matrix = [[0] * len(cols) for _ in rows_in]
        for j, c in enumerate(cols):
            for r in c:
                matrix[index[r]][j] = 1
        for j in _unit_rows(matrix):
            if len(columns[cols[j]]) < smaller_than:
                out.update(columns[cols[j]])
    return out
