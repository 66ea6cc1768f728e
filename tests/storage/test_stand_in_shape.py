"""A forgotten person's stand-in looks like the colleagues around it.

Where their presence protects their own answers, `forget` replaces a person by a random stand-in.
In an Enterprise Grid org Slack ids start with "W", not "U": a stand-in always shaped "U..." would
be the one odd id in the round, and so would one of another length or alphabet.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import load_instrument
from bot.domain.messages import Platform
from bot.domain.ports import Period
from bot.storage.db import session_factory
from bot.storage.forget import PersonKeys, forget_person, stand_in_id
from bot.storage.pulse import SqlRoundStore
from bot.storage.tables import pulse_participation

SECRET = b"stand-in-test-secret-0123456789abcdef"
START = datetime(2026, 11, 30, 10, tzinfo=UTC)
PERIOD = Period("2026-W49", START, START + timedelta(hours=48), START + timedelta(hours=72))
ANSWERS = {"drained": 3, "recharged": 3, "caseload": 4, "supported": 2}


@pytest.mark.parametrize("replaced", ["U0GONE0001", "W0GONE0001", "U0GONE001", "W01234567XYZ"])
def test_a_slack_stand_in_keeps_the_first_letter_length_and_alphabet(replaced: str) -> None:
    ids = {stand_in_id(Platform.SLACK, replaced) for _ in range(50)}
    assert replaced not in ids
    assert len(ids) == 50  # random, never shared
    shape = rf"{replaced[0]}[A-Z0-9]{{{len(replaced) - 1}}}"
    assert all(re.fullmatch(shape, who) for who in ids), ids


@pytest.mark.parametrize("replaced", [str(uuid.uuid4()), str(uuid.uuid4()).upper()])
def test_a_teams_stand_in_is_a_guid_in_the_same_case(replaced: str) -> None:
    who = stand_in_id(Platform.TEAMS, replaced)
    assert who != replaced
    assert uuid.UUID(who).version == 4
    assert who.isupper() == replaced.isupper()
    assert re.fullmatch(re.sub(r"[0-9a-fA-F]", ".", replaced), who)


def test_a_teams_person_known_by_a_channel_id_gets_a_stand_in_of_that_shape() -> None:
    who = stand_in_id(Platform.TEAMS, "29:1GoneBotFwId")
    assert who != "29:1GoneBotFwId"
    assert re.fullmatch(r"29:[0-9][A-Z][a-z]{3}[A-Z][a-z]{2}[A-Z][a-z][A-Z][a-z]", who), who


@pytest.mark.parametrize("gone", ["U0GONE0001", "W0GONE0001"])
async def test_forget_leaves_a_stand_in_shaped_like_the_round_s_other_ids(
    engine: AsyncEngine, gone: str
) -> None:
    """Through `forget` itself: the person answered a closed round beside colleagues of the same
    org; afterwards the round's ids all share one shape, and theirs is gone."""
    sessions = session_factory(engine)
    store = SqlRoundStore(sessions, load_instrument(), SECRET)
    rnd = await store.ensure("t1", PERIOD)
    colleagues = [f"{gone[0]}0STAY000{n}" for n in range(3)]
    for user in [gone, *colleagues]:
        assert await store.record_response(rnd.id, "t1", Platform.SLACK, user, ANSWERS)
    assert await store.close(rnd.id, 8, PERIOD.closes_at)

    await forget_person(sessions, PersonKeys(SECRET), Platform.SLACK, gone)

    async with sessions() as s:
        ids = set((await s.scalars(select(pulse_participation.c.user_id))).all())
    (stand_in,) = ids - set(colleagues)
    assert stand_in != gone
    assert re.fullmatch(rf"{gone[0]}[A-Z0-9]{{9}}", stand_in), stand_in
