"""The check-in on Teams at DEBUG, with production's caps on chatty libraries: no log line puts
the person (their object id, Bot Framework id or chat) beside an answer or the support note, on
either Teams SDK."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import quote

import pytest

from bot.app.logs import cap_third_party
from tests.support.msteams_driver import aad, personal_conversation, teams_user_id
from tests.support.msteams_harness import TeamsHarness
from tests.support.pulse_answers import ANSWERS
from tests.support.waiting import settle


def _submit_data(card: dict[str, Any]) -> dict[str, Any]:
    [submit] = [
        a for a in card["actions"] if a["type"] == "Action.Submit" and "respite_form" in a["data"]
    ]
    data: dict[str, Any] = submit["data"]
    return data


async def _open_form(h: TeamsHarness) -> tuple[dict[str, Any], str]:
    await h.teams.say(2, "checkin")
    call = h.connector.of("reply", "send")[-1]
    assert call.response_id
    card: dict[str, Any] = call.body["attachments"][0]["content"]
    return card, call.response_id


async def test_debug_logs_never_put_an_answer_beside_a_teams_user(
    teams_app: TeamsHarness, caplog: pytest.LogCaptureFixture
) -> None:
    h = teams_app
    caplog.set_level(logging.DEBUG)
    cap_third_party()
    card, form_id = await _open_form(h)
    resp = await h.teams.submit(2, _submit_data(card), ANSWERS, form_id)
    assert resp.status == 200
    await settle(h.respite)
    chat = personal_conversation(2)
    person = (aad(2), teams_user_id(2), chat, quote(chat, safe=""))
    answers = set(ANSWERS) | {"Employee Assistance", "heavy"}
    for record in caplog.records:
        line = record.getMessage() + " " + json.dumps(record.__dict__, default=str)
        if any(p in line for p in person):
            assert not any(a in line for a in answers), (record.name, line[:2000])


async def test_a_failed_thanks_leaves_no_line_naming_the_chat(
    teams_app: TeamsHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """The thanks replaces the form right after the answer is stored: a line naming the chat at
    that moment says who just answered. Teams refusing the update is logged without the chat."""
    h = teams_app
    caplog.set_level(logging.DEBUG)
    cap_third_party()
    card, form_id = await _open_form(h)
    h.connector.script("update", 403, times=5)
    before = len(caplog.records)
    await h.teams.submit(2, _submit_data(card), ANSWERS, form_id)
    await settle(h.respite)
    chat = personal_conversation(2)
    person = (aad(2), teams_user_id(2), chat, quote(chat, safe=""))
    named = [
        (r.name, r.levelname, r.getMessage())
        for r in caplog.records[before:]
        if any(p in r.getMessage() for p in person)
    ]
    assert named == []
