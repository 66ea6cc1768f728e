"""Rendered views are shared read-only and written into Web API bodies as their kept text."""

from __future__ import annotations

import copy
import json
import pickle

import pytest

from bot.domain.messages import Card
from bot.platforms.slack.client import _json_body
from bot.platforms.slack.render import RenderedJson, modal_view

CARD = Card(title="Check-in", blocks=('Quotes " and <tags> & a \\ backslash', "ünïcödé ✓"))


def test_a_view_body_carries_the_kept_text_and_decodes_to_the_view() -> None:
    view = modal_view(CARD, "info")
    body = {"trigger_id": "123.456", "view": view, "interactivity_pointer": None}
    text = _json_body(body)
    assert view.text in text
    assert json.loads(text) == {
        "trigger_id": "123.456",
        "view": dict(view),
        "interactivity_pointer": None,
    }
    assert json.loads(text) == json.loads(json.dumps(body))


def test_bodies_without_a_rendered_view_are_plain_json() -> None:
    body = {"channel": "D1", "blocks": [{"type": "section"}], "n": 3}
    assert _json_body(body) == json.dumps(body)
    assert _json_body([1, 2]) == "[1, 2]"


def test_the_same_card_gives_the_same_shared_view_which_refuses_changes() -> None:
    view = modal_view(CARD, "info")
    assert modal_view(CARD, "info") is view
    assert modal_view(CARD, "info", "ctx") is not view
    for change in (
        lambda: view.__setitem__("type", "home"),
        lambda: view.update(type="home"),
        lambda: view.pop("type"),
        lambda: view.setdefault("x", 1),
        view.clear,
        view.popitem,
    ):
        with pytest.raises(TypeError):
            change()
    with pytest.raises(TypeError):
        del view["type"]
    copy = dict(view)
    copy["type"] = "home"
    assert view["type"] == "modal"
    assert json.loads(view.text) == dict(view) == RenderedJson(view.text)


def test_copies_of_a_view_are_whole_views() -> None:
    view = modal_view(CARD, "info")
    pickled = pickle.loads(pickle.dumps(view))  # noqa: S301 - our own bytes
    for copy_of in (copy.copy(view), copy.deepcopy(view), pickled):
        assert isinstance(copy_of, RenderedJson)
        assert copy_of == view and copy_of.text == view.text
