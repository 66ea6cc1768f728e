"""Captured payloads with one to three fields removed or given a value of another type, for the
tests that feed every platform a malformed but correctly signed request."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

Path = tuple[str | int, ...]

# The captured Slack payloads a click or a form submission sends (tests/data/slack).
SLACK_INTERACTIVE = ("block_actions.json", "block_actions_view.json", "view_submission.json")


# Values of every JSON type, to put where a field of another type was.
retyped = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**12),
    st.text(max_size=12),
    st.just(""),
    st.lists(st.integers(0, 3) | st.text(max_size=3), max_size=3),
    st.dictionaries(st.sampled_from(("id", "type", "x")), st.text(max_size=5), max_size=2),
    st.just([]),
    st.just({}),
)


def paths(value: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every field and list item in a JSON document, outermost first."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield (*prefix, key)
            yield from paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield (*prefix, index)
            yield from paths(inner, (*prefix, index))


def mutate(document: Any, path: Path, new: Any, remove: bool) -> None:
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    if remove:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new


@st.composite
def mutations(draw: st.DrawFn, document: dict[str, Any]) -> dict[str, Any]:
    """The document with one to three fields removed or given a value of another type."""
    mutated = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, 3))):
        found = list(paths(mutated))
        if not found:
            break
        path = draw(st.sampled_from(found))
        mutate(mutated, path, draw(retyped), remove=draw(st.booleans()))
    return mutated
