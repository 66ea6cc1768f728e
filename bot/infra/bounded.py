"""A mapping that keeps at most `size` entries, forgetting the least recently written first.

In-process memories (what a store said lately, what a platform reported, which writes were just
made) would otherwise grow with every person the process ever saw.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Bounded(MutableMapping[K, V]):
    """A dict of at most `size` entries; writing a key makes it the newest."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a bounded mapping holds at least one entry")
        self.size = size
        self._items: dict[K, V] = {}

    def __getitem__(self, key: K) -> V:
        return self._items[key]

    def __setitem__(self, key: K, value: V) -> None:
        self._items.pop(key, None)
        while len(self._items) >= self.size:
            self._items.pop(next(iter(self._items)))
        self._items[key] = value

    def __delitem__(self, key: K) -> None:
        del self._items[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)
