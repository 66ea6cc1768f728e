"""The release rules on named situations, as a reader of the issue would check them by hand."""

from __future__ import annotations

from bot.domain.privacy import GroupNode, decide_release


def tree(spec: dict[str, tuple[str | None, int]], k: int = 5) -> list[GroupNode]:
    return [GroupNode(g, parent, n, k) for g, (parent, n) in spec.items()]


def test_primary_suppression_hides_small_groups_entirely() -> None:
    d = decide_release(tree({"org": (None, 4), "a": ("org", 4)}))
    assert d.released == frozenset()
    assert d.reasons["a"] == "too few responses"


def test_all_large_enough_releases_everything() -> None:
    d = decide_release(tree({"org": (None, 15), "a": ("org", 8), "b": ("org", 7)}))
    assert d.released == {"org", "a", "b"}


def test_one_suppressed_child_takes_the_next_smallest_sibling_with_it() -> None:
    d = decide_release(
        tree(
            {"org": (None, 25), "a": ("org", 10), "b": ("org", 6), "c": ("org", 7), "s": ("org", 2)}
        )
    )
    assert d.released == {"org", "a", "c"}
    assert d.reasons["b"] == "protects s"


def test_two_suppressed_children_that_together_reach_k_need_no_more() -> None:
    d = decide_release(tree({"org": (None, 14), "a": ("org", 8), "s": ("org", 3), "t": ("org", 3)}))
    assert d.released == {"org", "a"}


def test_two_suppressed_children_below_k_together_take_a_third() -> None:
    d = decide_release(
        tree(
            {"org": (None, 20), "a": ("org", 9), "b": ("org", 7), "s": ("org", 2), "t": ("org", 2)}
        )
    )
    assert "b" not in d.released and d.released == {"org", "a"}


def test_complementary_suppression_goes_up_the_tree() -> None:
    # Department x is suppressed (too few); the organisation is released, so its sibling
    # department y goes too, and then y's teams must not add up to y.
    spec = {
        "org": (None, 30),
        "x": ("org", 4),
        "x1": ("x", 4),
        "y": ("org", 12),
        "y1": ("y", 6),
        "y2": ("y", 6),
        "z": ("org", 14),
        "z1": ("z", 14),
    }
    d = decide_release(tree(spec))
    assert "x" not in d.released and "y" not in d.released
    assert not {"y1", "y2"} <= d.released  # else y = y1 + y2
    assert {"org", "z", "z1"} <= d.released


def test_only_child_shares_its_parent_fate() -> None:
    d = decide_release(tree({"org": (None, 9), "d": ("org", 9), "t": ("d", 9)}))
    assert d.released == {"org", "d", "t"}
    d = decide_release([GroupNode("org", None, 4, 3), GroupNode("t", "org", 4, 5)])
    assert d.released == frozenset()  # org minus nothing would be t


def test_a_team_with_no_answers_is_not_revealed_by_its_siblings() -> None:
    # "No one in Harbour answered" is itself a count below the threshold.
    d = decide_release(tree({"org": (None, 10), "a": ("org", 10), "h": ("org", 0)}))
    # a is withheld so that org minus a cannot say how many in h answered; org itself is
    # safe: a reader who does not know who answered cannot split it.
    assert d.released == {"org"} and d.reasons["a"] == "protects h"
    d = decide_release(
        tree({"org": (None, 18), "a": ("org", 10), "b": ("org", 8), "h": ("org", 0)})
    )
    assert d.released == {"org", "a"} and d.reasons["b"] == "protects h"


def test_decisions_use_each_groups_own_threshold() -> None:
    nodes = [
        GroupNode("org", None, 12, 5),
        GroupNode("a", "org", 6, 7),
        GroupNode("b", "org", 6, 5),
    ]
    d = decide_release(nodes)
    assert "a" not in d.released  # 6 < 7
    assert "b" not in d.released  # protects a
    assert "org" in d.released
