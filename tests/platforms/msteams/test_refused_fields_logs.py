"""A message carrying a field the Agents SDK's models refuse (an empty `textFormat`) is still
answered, and the refusal leaves no log line: the SDK logs each refusal at ERROR with the refused
values and a traceback, and the hosting caps its logger above that (rather than switching it off
and on around each validation), whatever the process's logging set-up. On botbuilder the same
message is answered the same way."""

from __future__ import annotations

import json
import logging

import pytest

from bot.app.logs import cap_third_party
from tests.support.msteams_harness import TeamsHarness
from tests.support.waiting import settle

PRIVATE = "help I am at the end of my rope today"


async def test_a_refused_field_is_answered_and_its_values_stay_out_of_the_logs(
    teams_app: TeamsHarness, caplog: pytest.LogCaptureFixture
) -> None:
    h = teams_app
    caplog.set_level(logging.DEBUG)
    cap_third_party()
    activity = h.teams.activity("message_text.json", 2, text=PRIVATE)
    activity["textFormat"] = ""
    before = len(h.connector.of("reply", "send"))
    resp = await h.teams.post(activity)
    assert resp.status in (200, 201, 202)
    await settle(h.respite)
    assert len(h.connector.of("reply", "send")) > before
    for record in caplog.records:
        line = record.getMessage() + " " + json.dumps(record.__dict__, default=str)
        assert PRIVATE not in line, (record.name, line[:2000])
        assert not record.name.startswith("microsoft_agents.activity"), line[:2000]
