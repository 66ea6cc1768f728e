"""The bounded mapping keeps the newest writes and never grows past its size."""

from __future__ import annotations

import pytest

from bot.infra.bounded import Bounded


def test_the_oldest_write_goes_first_and_a_rewrite_counts_as_new() -> None:
    seen: Bounded[str, int] = Bounded(2)
    seen["a"] = 1
    seen["b"] = 2
    seen["a"] = 3  # `a` is now the newest
    seen["c"] = 4
    assert dict(seen) == {"a": 3, "c": 4}
    assert len(seen) == 2


def test_it_reads_and_forgets_like_a_dict() -> None:
    seen: Bounded[str, int] = Bounded(3)
    seen["a"] = 1
    assert seen.get("a") == 1
    assert seen.get("z") is None
    assert seen.pop("a", None) == 1
    assert "a" not in seen
    seen["b"] = 2
    seen.clear()
    assert len(seen) == 0


def test_it_holds_at_least_one_entry() -> None:
    with pytest.raises(ValueError):
        Bounded[str, int](0)
