"""A pulse answer submitted while the database does not answer: Slack hears back within its 3 s
that nothing was saved, and nothing is saved later.

PostgreSQL freezes half way through the answer's transaction (behind
tests/support/fakes/frozen_proxy.py, just as the answers are read back to be sealed again, after
the participation row was written);
on SQLite another connection holds the file's write lock (a CLI command, for one).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import ClientSession, ClientTimeout
from sqlalchemy.engine import make_url

from bot.infra.clock import FixedClock
from bot.infra.deadline import settled
from bot.platforms.slack.submission_budget import NOT_SAVED
from tests.support.db import PostgresDatabase, run_sql
from tests.support.fakes.frozen_proxy import FrozenProxy
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.roster import CLINICIANS, roster_data
from tests.support.slack_driver import SlackDriver
from tests.support.slack_harness import SlackHarness, start_slack_harness
from tests.support.waiting import settle

ANSWERS = {
    "drained": "4",
    "recharged": "2",
    "going_through_motions": "3",
    "made_a_difference": "4",
    "caseload": "5",
    "supported": "2",
}

# Far beyond the budget, far below how long a submission waiting on the database would take.
CLIENT_BOUND_SECONDS = 10.0


@dataclass
class Stall:
    """A database made to stop answering, then to answer again."""

    url: str  # the database itself, not through the stall
    app_url: str  # what the app is given
    hold: Callable[[], None]
    release: Callable[[], None]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def stall(request: pytest.FixtureRequest) -> AsyncIterator[Stall]:
    if request.param == "sqlite":
        url: str = request.getfixturevalue("sqlite_url")
        other = sqlite3.connect(make_url(url).database or "", isolation_level=None)

        def hold() -> None:
            other.execute("BEGIN IMMEDIATE")

        def release() -> None:
            other.execute("ROLLBACK")

        yield Stall(url, url, hold, release)
        other.close()
        return
    db: PostgresDatabase = request.getfixturevalue("postgres_database")
    db.truncate()
    real = make_url(db.url)
    proxy = FrozenProxy(real.host or "127.0.0.1", real.port or 5432)
    await proxy.start()
    through = real.set(port=proxy.port).render_as_string(hide_password=False)
    # Frozen as the round's answers are read back, inside the answer's transaction.
    yield Stall(db.url, through, lambda: proxy.freeze_on(b"json_agg(sealed)"), proxy.thaw)
    proxy.thaw()
    await settled()
    await proxy.close()


@pytest.fixture
async def harness(
    stall: Stall, fake_slack: FakeSlackApi, clock: FixedClock
) -> AsyncIterator[SlackHarness]:
    h, session = await start_slack_harness(stall.app_url, fake_slack, clock, roster_data())
    yield h
    await session.close()
    await h.server.close()
    await h.respite.close()


async def _open_modal(h: SlackHarness, user: str) -> dict[str, Any]:
    before = len(h.fake.called("views.open"))
    assert (await h.slack.slash("/checkin", "", user)).status == 200
    await settle(h.respite)
    assert len(h.fake.called("views.open")) > before
    view: dict[str, Any] = h.fake.called("views.open")[-1].params["view"]
    return view


def _stored(url: str) -> tuple[int, int]:
    answers = run_sql(url, "SELECT count(*) FROM pulse_responses")[0][0]
    people = run_sql(url, "SELECT count(*) FROM pulse_participation")[0][0]
    return int(answers), int(people)


async def test_a_submission_the_database_cannot_take_in_time_says_not_saved_and_saves_nothing(
    stall: Stall, harness: SlackHarness
) -> None:
    user = CLINICIANS[0]
    view = await _open_modal(harness, user)
    # A client that gives up where an unbounded submission would still be waiting.
    async with ClientSession(timeout=ClientTimeout(total=CLIENT_BOUND_SECONDS)) as http:
        slack = SlackDriver(http, harness.slack.url.removesuffix("/slack/events"), "")
        stall.hold()
        try:
            resp = await slack.submit(view, ANSWERS, user)
            assert resp.status == 200
            body = await resp.json()
        finally:
            stall.release()
    # The modal stays open with the answers chosen, an error saying nothing was saved.
    assert body["response_action"] == "errors"
    first_question = next(b["block_id"] for b in view["blocks"] if b["type"] == "input")
    assert body["errors"] == {first_question: NOT_SAVED}
    # Once the abandoned work has unwound and the database answers again: nothing of it stayed.
    await settled()
    assert await asyncio.to_thread(_stored, stall.url) == (0, 0)
    # Submitting again, as the error asks, saves the answer once.
    body = await (await harness.slack.submit(view, ANSWERS, user)).json()
    assert body["response_action"] == "update"
    assert "Thank you" in body["view"]["title"]["text"] or "answers are in" in str(body["view"])
    assert await asyncio.to_thread(_stored, stall.url) == (1, 1)
