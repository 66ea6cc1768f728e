"""The pulse instrument as data.

The items, scale, dimensions and their direction live in a YAML file so an organisation can swap
in another instrument (for example one it holds a licence for) without touching code. This module
only checks the shape and gives the rest of the domain typed access to it.

The file may carry its items in other languages (`translations: {de: {...}}`). Those are not
gettext strings: an organisation swapping in its own instrument translates its own items, and a
clinical instrument's wording is validated per language, not looked up message by message. Every
language given must translate every item, scale label and dimension, or the file is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.infra.i18n import LOCALES, current_locale

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
class Translation:
    """One language's wording of the instrument: item texts, scale labels, dimension labels."""

    name: str
    labels: Mapping[int, str]
    dimensions: Mapping[str, str]
    items: Mapping[str, str]


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
    translations: Mapping[str, Translation] = field(default_factory=dict)

    def _wording(self) -> Translation | None:
        return self.translations.get(current_locale())

    def item_text(self, item: Item) -> str:
        """The item's question in the current language (the file's own wording if untranslated)."""
        wording = self._wording()
        return wording.items.get(item.id, item.text) if wording else item.text

    def label(self, point: int) -> str:
        """A scale point's label in the current language."""
        wording = self._wording()
        return wording.labels.get(point, self.labels[point]) if wording else self.labels[point]

    def dimension_label(self, dimension: str) -> str:
        """A dimension's label in the current language."""
        own = self.dimensions[dimension].label
        wording = self._wording()
        return wording.dimensions.get(dimension, own) if wording else own

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
                translations={
                    str(lang): _translation(str(lang), body, str(data.get("name", data["id"])))
                    for lang, body in (data.get("translations") or {}).items()
                },
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
        for lang, wording in self.translations.items():
            self._check_translation(lang, wording)

    def _check_translation(self, lang: str, wording: Translation) -> None:
        """Refuse a language that leaves any item, label or dimension in the file's own words."""
        where = f"translations.{lang}"
        if lang not in LOCALES:
            raise InstrumentError(
                f"{where}: Respite does not ship {lang!r}; give one of {', '.join(LOCALES)}"
            )
        for it in self.items:
            if not wording.items.get(it.id, "").strip():
                raise InstrumentError(f"{where}.items: no {lang} text for item {it.id!r}")
        for point in self.scale:
            if not wording.labels.get(point, "").strip():
                raise InstrumentError(f"{where}.scale: no {lang} label for point {point}")
        for dim in self.dimensions:
            if not wording.dimensions.get(dim, "").strip():
                raise InstrumentError(f"{where}.dimensions: no {lang} label for {dim!r}")
        extra = set(wording.items) - {it.id for it in self.items}
        if extra:
            raise InstrumentError(f"{where}.items: no such item(s) {sorted(extra)}")


def _direction(value: object) -> Direction:
    if value == "worse":
        return "worse"
    if value == "better":
        return "better"
    raise InstrumentError(f"higher_is must be 'worse' or 'better', not {value!r}")


def _translation(lang: str, body: Any, name: str) -> Translation:
    """One language's block; missing parts stay empty so the check names what is missing."""
    if not isinstance(body, Mapping):
        raise InstrumentError(f"translations.{lang}: give items, scale and dimensions")
    items = body.get("items") or {}
    labels = body.get("scale") or {}
    dims = body.get("dimensions") or {}
    return Translation(
        name=str(body.get("name", name)),
        labels={int(k): str(v) for k, v in labels.items()},
        dimensions={str(k): str(v) for k, v in dims.items()},
        items={str(k): str(v) for k, v in items.items()},
    )
