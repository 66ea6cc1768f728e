"""How a searching picker matches names, and how a search invoke's query is read."""

from __future__ import annotations

from typing import Any

import pytest
from botbuilder.schema import Activity

from bot.platforms.msteams.inbound import search_query
from bot.platforms.msteams.render import SEARCH_PAGE, TEAMMATES_DATASET
from bot.platforms.msteams.teammate_search import SearchQuery, matching
from tests.support.msteams_driver import load

PEOPLE = {
    "u1": "Ana Lopez",
    "u2": "Anaïs Dubois",
    "u3": "Joanna Analyst",
    "u4": "Diana Moss",
    "u5": "Strauß  Heide",
    "u6": "ANA LOPEZ",
}


def names(found: list[tuple[str, str]]) -> list[str]:
    return [name for _, name in found]


def test_matches_ignore_case_and_rank_name_starts_then_word_starts_then_the_rest() -> None:
    assert names(matching(PEOPLE, "ana")) == [
        "Ana Lopez",
        "ANA LOPEZ",
        "Anaïs Dubois",
        "Joanna Analyst",  # a later word starts with it: after the names that do
        "Diana Moss",  # only inside a word: last
    ]
    assert names(matching(PEOPLE, "ANAÏS")) == ["Anaïs Dubois"]
    assert names(matching(PEOPLE, "strauss heide")) == ["Strauß  Heide"]  # casefold, spaces
    assert names(matching(PEOPLE, "  lopez ")) == ["Ana Lopez", "ANA LOPEZ"]
    assert matching(PEOPLE, "nobody") == []


def test_pages_are_stable_and_never_larger_than_teams_shows() -> None:
    many = {f"u{n:03d}": f"Person {n:03d}" for n in range(40)}
    first = matching(many, "person", 0, SEARCH_PAGE)
    second = matching(many, "person", SEARCH_PAGE, SEARCH_PAGE)
    assert len(first) == len(second) == SEARCH_PAGE
    assert not set(first) & set(second)
    assert first + second == sorted(many.items(), key=lambda p: p[1])[: 2 * SEARCH_PAGE]
    assert len(matching(many, "", 0, 1000)) == SEARCH_PAGE
    assert matching(many, "", 100, SEARCH_PAGE) == []


def invoke(value: Any) -> Activity:
    raw = load("invoke_search.json")
    raw["value"] = value
    activity: Activity = Activity().deserialize(raw)
    return activity


def test_a_search_invoke_is_read_as_teams_sends_it() -> None:
    activity = Activity().deserialize(load("invoke_search.json"))
    assert search_query(activity) == SearchQuery(TEAMMATES_DATASET, "nak", 0, 15)
    assert search_query(invoke({"dataset": "d"})) == SearchQuery("d", "", 0, SEARCH_PAGE)
    assert search_query(invoke({"dataset": "d", "queryText": None})) == SearchQuery("d", "")


@pytest.mark.parametrize(
    "value",
    [
        None,
        "text",
        {"queryText": "a"},
        {"dataset": 3, "queryText": "a"},
        {"dataset": "d", "queryText": ["a"]},
        {"dataset": "d", "queryOptions": "all"},
        {"dataset": "d", "queryOptions": {"skip": -1}},
        {"dataset": "d", "queryOptions": {"top": "15"}},
        {"dataset": "d", "queryOptions": {"top": True}},
    ],
)
def test_a_malformed_search_is_not_a_query(value: Any) -> None:
    assert search_query(invoke(value)) is None
