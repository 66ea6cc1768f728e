"""`respite export --format csv`: the frozen, released figures for HR and quality teams.

Only what a digest could already show leaves: the stored figures are the release rules' output
(bot/domain/privacy.py, disclosure.py), so a withheld group has no number to export and a group
shown as bands has only its bands. One row per period, group and dimension; a cell that is not
released is empty, and `reason` says why in the words a digest uses, never which rule (that
could itself say something about the answers).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from bot.domain.instrument import Instrument
from bot.domain.rollup import GroupFigures
from bot.domain.scoring import band

COLUMNS = (
    "period",
    "group_id",
    "group_kind",
    "group_name",
    "parent_id",
    "dimension",
    "dimension_label",
    "status",
    "respondents",
    "members",
    "mean",
    "band",
    "reason",
)

WITHHELD = "withheld: too few respondents, or a figure that could single someone out"
BANDS_ONLY = "bands only: exact figures would single someone out"
BAND_WITHHELD = "withheld: even a band could single someone out"
NO_ANSWERS = "no answers for this dimension"


def export_rows(instrument: Instrument, figures: Iterable[GroupFigures]) -> list[dict[str, str]]:
    """The rows, oldest period first, groups in id order, dimensions in the instrument's order."""
    rows: list[dict[str, str]] = []
    ordered = sorted(figures, key=lambda g: (g.period, g.group_id))
    for g in ordered:
        base = {
            "period": g.period,
            "group_id": g.group_id,
            "group_kind": g.kind,
            "group_name": g.name,
            "parent_id": g.parent_id or "",
        }
        means = g.tally.means() if g.released and g.tally is not None else None
        for dim in instrument.dimensions.values():
            row = dict.fromkeys(COLUMNS, "") | base
            row["dimension"], row["dimension_label"] = dim.id, dim.label
            if means is not None and g.tally is not None:
                if dim.id in means:
                    mean = means[dim.id]
                    row |= {
                        "status": "exact",
                        "respondents": str(g.tally.respondents),
                        "members": "" if g.members is None else str(g.members),
                        "mean": f"{mean:.2f}",
                        "band": band(instrument, dim.id, mean),
                    }
                else:
                    row |= {"status": "exact", "reason": NO_ANSWERS}
            elif g.bands is not None and not g.released:
                if dim.id in g.bands:
                    row |= {"status": "band", "band": g.bands[dim.id], "reason": BANDS_ONLY}
                else:
                    row |= {"status": "withheld", "reason": BAND_WITHHELD}
            else:
                row |= {"status": "withheld", "reason": WITHHELD}
            rows.append(row)
    return rows


# Names come from the roster; one starting like a formula would run as one in a spreadsheet.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(column: str, value: str) -> str:
    if column in ("group_name", "dimension_label") and value.startswith(_FORMULA):
        return "'" + value
    return value


def to_csv(rows: Sequence[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: _cell(k, v) for k, v in row.items()} for row in rows)
    return out.getvalue()
