"""The pulse instrument as data.

The items, scale, dimensions and their direction live in a YAML file so an organisation can swap
in another instrument (for example one it holds a licence for) without touching code. This module
only checks the shape and gives the rest of the domain typed access to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Direction = Literal["worse", "better"]

CORE_DIMENSIONS = ("exhaustion", "detachment", "accomplishment", "demands", "resources")
# Answers are offered as radio buttons, and Slack shows at most 10 of them.
MAX_SCALE_POINTS = 10


class InstrumentError(ValueError):
    """The instrument file does not have the shape Respite needs."""


@dataclass(frozen=True, slots=True)
class Dimension:
    id: str
    label: str
    higher_is: Direction


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    dimension: str
    text: str
    reverse: bool = False


@dataclass(frozen=True, slots=True)
class Instrument:
    id: str
    name: str
    scale_min: int
    scale_max: int
    labels: Mapping[int, str]
    dimensions: Mapping[str, Dimension]
    items: Sequence[Item]
    watch_at: float
    concern_at: float
    note_any_dimension_at: float
    note_mean_at: float

    @property
    def scale(self) -> range:
        return range(self.scale_min, self.scale_max + 1)

    def item(self, item_id: str) -> Item:
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(item_id)

    def to_strain(self, dimension: str, mean: float) -> float:
        """Put a dimension mean on a scale where higher is always worse."""
        if self.dimensions[dimension].higher_is == "worse":
            return mean
        return self.scale_min + self.scale_max - mean

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Instrument:
        try:
            scale = data["scale"]
            lo, hi = int(scale["min"]), int(scale["max"])
            labels = {int(k): str(v) for k, v in scale["labels"].items()}
            dims = {
                str(k): Dimension(str(k), str(v["label"]), _direction(v.get("higher_is", "worse")))
                for k, v in data["dimensions"].items()
            }
            items = [
                Item(
                    str(i["id"]),
                    str(i["dimension"]),
                    str(i["text"]),
                    bool(i.get("reverse", False)),
                )
                for i in data["items"]
            ]
            bands = data.get("bands", {})
            note = data.get("support_note", {})
            inst = cls(
                id=str(data["id"]),
                name=str(data.get("name", data["id"])),
                scale_min=lo,
                scale_max=hi,
                labels=labels,
                dimensions=dims,
                items=tuple(items),
                watch_at=float(bands.get("watch", 2.75)),
                concern_at=float(bands.get("concern", 3.5)),
                note_any_dimension_at=float(note.get("any_dimension_at_least", 4.5)),
                note_mean_at=float(note.get("mean_at_least", 3.75)),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InstrumentError(f"instrument file is missing or has a bad field: {exc}") from exc
        inst._check()
        return inst

    def _check(self) -> None:
        if self.scale_max <= self.scale_min:
            raise InstrumentError("scale: max must be greater than min")
        if len(self.scale) > MAX_SCALE_POINTS:
            raise InstrumentError(
                f"scale: {len(self.scale)} points from {self.scale_min} to {self.scale_max}; "
                f"give at most {MAX_SCALE_POINTS} (Slack's radio buttons take at most "
                f"{MAX_SCALE_POINTS} options, so /checkin could not show the question)"
            )
        if set(self.labels) != set(self.scale):
            raise InstrumentError("scale.labels: give one label for every point of the scale")
        if not self.items:
            raise InstrumentError("items: the instrument has no items")
        seen: set[str] = set()
        for it in self.items:
            if it.id in seen:
                raise InstrumentError(f"items: duplicate item id {it.id!r}")
            seen.add(it.id)
            if it.dimension not in self.dimensions:
                raise InstrumentError(f"items.{it.id}: unknown dimension {it.dimension!r}")
        unused = set(self.dimensions) - {it.dimension for it in self.items}
        if unused:
            raise InstrumentError(f"dimensions: no item measures {sorted(unused)}")
        if not self.watch_at < self.concern_at:
            raise InstrumentError("bands: watch must be below concern")


def _direction(value: object) -> Direction:
    if value == "worse":
        return "worse"
    if value == "better":
        return "better"
    raise InstrumentError(f"higher_is must be 'worse' or 'better', not {value!r}")
