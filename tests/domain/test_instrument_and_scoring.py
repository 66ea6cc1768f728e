"""The instrument file and scoring rules."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from bot.config import DEFAULT_INSTRUMENT, load_instrument
from bot.domain.instrument import CORE_DIMENSIONS, Instrument, InstrumentError
from bot.domain.scoring import band, dimension_scores, needs_support_note, parse_answers, tally


def _raw() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DEFAULT_INSTRUMENT.read_text())
    return data


def test_shipped_instrument_covers_the_five_dimensions() -> None:
    inst = load_instrument()
    assert 5 <= len(inst.items) <= 7
    assert set(CORE_DIMENSIONS) <= {it.dimension for it in inst.items}
    assert list(inst.scale) == [1, 2, 3, 4, 5]
    assert all(inst.labels[v] for v in inst.scale)
    assert inst.dimensions["resources"].higher_is == "better"
    assert inst.dimensions["exhaustion"].higher_is == "worse"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["items"].append(dict(d["items"][0])), "duplicate item id"),
        (lambda d: d["items"][0].update(dimension="mood"), "unknown dimension"),
        (lambda d: d["scale"]["labels"].pop(3), "one label for every point"),
        (lambda d: d["dimensions"]["demands"].update(higher_is="up"), "higher_is"),
        (lambda d: d.pop("items"), "missing or has a bad field"),
    ],
)
def test_a_malformed_instrument_is_refused_with_a_reason(mutate: Any, message: str) -> None:
    data = _raw()
    mutate(data)
    with pytest.raises(InstrumentError, match=message):
        Instrument.from_mapping(data)


def test_parse_answers_reports_each_bad_item_and_keeps_good_ones() -> None:
    inst = load_instrument()
    raw = {it.id: "3" for it in inst.items}
    raw["drained"] = "7"
    raw["caseload"] = "lots"
    del raw["supported"]
    answers, errors = parse_answers(inst, raw)
    assert set(errors) == {"drained", "caseload", "supported"}
    assert answers["recharged"] == 3


def test_reverse_items_and_bands_are_direction_aware() -> None:
    inst = load_instrument()
    answers = {
        "drained": 5,
        "recharged": 1,
        "going_through_motions": 1,
        "made_a_difference": 5,
        "caseload": 4,
        "supported": 1,
    }
    scores = dimension_scores(inst, answers)
    assert scores["exhaustion"] == 5.0  # "recharged" 1 counts as exhaustion 5
    assert band(inst, "exhaustion", 5.0) == "concern"
    assert band(inst, "accomplishment", 5.0) == "ok"  # more accomplishment is good
    assert band(inst, "resources", 1.0) == "concern"  # few resources is bad
    assert band(inst, "detachment", 2.9) == "watch"
    assert needs_support_note(inst, answers)
    calm = dict.fromkeys(answers, 3) | {"drained": 2, "recharged": 4}
    assert not needs_support_note(inst, calm)


def test_tally_sums_add_up() -> None:
    inst = load_instrument()
    a = {it.id: 2 for it in inst.items}
    b = {it.id: 4 for it in inst.items}
    t = tally(inst, [a, b])
    assert t.respondents == 2
    assert t.means()["demands"] == 3.0
