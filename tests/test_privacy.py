"""The privacy promise, checked on the stored data and the logs after a real round.

Threat: someone with the database or the logs tries to learn what one clinician answered.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app.logs import cap_third_party
from bot.storage.tables import metadata, pulse_participation, pulse_responses
from scheduler import pulse
from tests.support.pulse_answers import answer_on_slack
from tests.support.roster import CLINICIANS
from tests.support.slack_harness import SlackHarness

ANSWERS = [
    {
        "drained": str(1 + i % 5),
        "recharged": str(1 + (i + 2) % 5),
        "going_through_motions": str(1 + (i + 1) % 5),
        "made_a_difference": str(1 + (i + 3) % 5),
        "caseload": str(1 + (i + 4) % 5),
        "supported": str(1 + i % 3),
    }
    for i in range(6)
]


async def _dump(h: SlackHarness) -> dict[str, list[dict[str, Any]]]:
    async with AsyncSession(h.respite.engine) as s:
        return {
            t.name: [dict(r._mapping) for r in await s.execute(select(t))]
            for t in metadata.sorted_tables
        }


def _mentions_user(row: dict[str, Any]) -> bool:
    blob = json.dumps(row, default=str)
    return any(u in blob for u in CLINICIANS)


async def test_no_row_links_a_person_to_an_answer(slack_app: SlackHarness) -> None:
    h = slack_app
    h.clock.advance(timedelta(hours=1))
    await pulse.tick(h.respite.deps)
    await h.deliver()
    for user, answers in zip(CLINICIANS, ANSWERS, strict=False):
        await answer_on_slack(h, user, answers)
    before_close = await _dump(h)
    h.clock.advance(timedelta(hours=72))
    await pulse.tick(h.respite.deps)
    await h.deliver()
    dump = await _dump(h)

    # Response rows: a random id, the round, the unit and answers sealed. Nothing else at all.
    assert set(pulse_responses.c.keys()) == {"id", "round_id", "sealed"}
    open_answers = before_close["pulse_responses"]
    assert len(open_answers) == len(ANSWERS)
    for row in open_answers:
        assert re.fullmatch(r"[0-9a-f]{32}", row["id"])
        assert not _mentions_user(row)
    # Closing tallied the answers and deleted them.
    assert dump["pulse_responses"] == []
    # Participation knows who took part, and shares nothing with responses but the round.
    assert set(pulse_participation.c.keys()) == {"round_id", "platform", "user_id"}
    # No row anywhere holds both a user id and answer values.
    answer_keys = set(ANSWERS[0])
    for table, rows in dump.items():
        for row in rows:
            if _mentions_user(row):
                blob = json.dumps(row, default=str)
                assert not any(f'"{k}"' in blob for k in answer_keys), (table, row)


async def test_debug_logs_never_put_an_answer_beside_a_user(
    slack_app: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    h = slack_app
    caplog.set_level(logging.DEBUG)
    cap_third_party()
    h.clock.advance(timedelta(hours=1))
    await pulse.tick(h.respite.deps)
    await h.deliver()
    for user, answers in zip(CLINICIANS[:5], ANSWERS, strict=False):
        await answer_on_slack(h, user, answers)
    h.clock.advance(timedelta(hours=72))
    await pulse.tick(h.respite.deps)
    await h.deliver()
    await asyncio.sleep(0.05)
    assert caplog.records, "the round should have logged something"
    item_ids = set(ANSWERS[0])
    for record in caplog.records:
        line = record.getMessage() + " " + json.dumps(record.__dict__, default=str)
        if any(u in line for u in CLINICIANS):
            assert not any(i in line for i in item_ids), line
