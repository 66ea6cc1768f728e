"""A Socket Mode connection that goes away comes back: at Slack's `disconnect` notice, when
Slack drops it, and after an outage, with /healthz saying how it is; stopping drains the work
the envelopes started."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from contextlib import closing
from typing import Any

import pytest

from bot.infra.clock import FixedClock
from bot.platforms.slack.socket_mode import GRACE_SECONDS
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.fakes.socket_mode import APP_TOKEN, view_submission
from tests.support.roster import CLINICIANS, roster_data
from tests.support.slack_socket_mode import SocketHarness, socket_harness
from tests.support.waiting import until

ANSWERS = {
    "drained": "2",
    "recharged": "4",
    "going_through_motions": "1",
    "made_a_difference": "4",
    "caseload": "3",
    "supported": "4",
}


class Monotonic:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


async def _checkin_opens_the_modal(h: SocketHarness, user: str) -> int:
    """/checkin over the newest connection; which connection acknowledged it."""
    before = len(h.fake.called("views.open"))
    ack = await h.slash("/checkin", "", user)
    await h.views_opened(before + 1)
    assert h.fake.called("views.open")[-1].params["trigger_id"] == h.last_trigger_id
    return ack.connection


async def _healthz_until(h: SocketHarness, state: str) -> tuple[int, dict[str, Any]]:
    for _ in range(1500):
        status, body = await h.healthz()
        if body.get("slack_socket") == state:
            return status, body
        await asyncio.sleep(0.01)
    raise AssertionError(f"/healthz never said {state}: {body}")


async def test_refresh_requested_moves_to_a_new_connection(
    sqlite_url: str, fake_slack: FakeSlackApi, clock: FixedClock
) -> None:
    async with socket_harness(sqlite_url, fake_slack, clock, roster_data()) as h:
        assert await _checkin_opens_the_modal(h, CLINICIANS[0]) == 0
        first = await h.slack.disconnect("refresh_requested")
        # A new address from apps.connections.open, a new connection, and the old one closed by
        # the client.
        await h.slack.wait_for_connections(2)
        await asyncio.wait_for(first.closed.wait(), 10)
        assert h.slack.opened_with() == [f"Bearer {APP_TOKEN}"] * 2
        assert h.slack.refused == 0
        assert await _checkin_opens_the_modal(h, CLINICIANS[1]) == 1
        assert await h.healthz() == (200, {"status": "ok", "slack_socket": "connected"})
        assert all(not c.stray for c in h.slack.connections)


async def test_a_dropped_connection_reconnects(
    sqlite_url: str, fake_slack: FakeSlackApi, clock: FixedClock
) -> None:
    async with socket_harness(sqlite_url, fake_slack, clock, roster_data()) as h:
        await h.slack.drop()
        await h.slack.wait_for_connections(2)
        assert len(h.fake.called("apps.connections.open")) == 2
        assert await _checkin_opens_the_modal(h, CLINICIANS[0]) == 1
        await _healthz_until(h, "connected")


async def test_a_connection_gone_silent_is_replaced(
    sqlite_url: str, fake_slack: FakeSlackApi, clock: FixedClock
) -> None:
    """No close, no error: pings just stop being answered (a proxy or NAT dropped the
    connection). slack_sdk's heartbeat notices and opens a new one."""
    async with socket_harness(sqlite_url, fake_slack, clock, roster_data(), ping_interval=0.5) as h:
        silent = h.slack.silence()
        await h.slack.wait_for_connections(2)
        await asyncio.wait_for(silent.closed.wait(), 10)
        assert await _checkin_opens_the_modal(h, CLINICIANS[0]) == 1
        await _healthz_until(h, "connected")


async def test_healthz_is_503_once_the_socket_is_down_past_its_grace(
    sqlite_url: str, fake_slack: FakeSlackApi, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    now = Monotonic()
    async with socket_harness(
        sqlite_url, fake_slack, clock, roster_data(), ping_interval=0.5, now=now
    ) as h:
        await _healthz_until(h, "connected")
        h.slack.accepting = False  # an outage on Slack's side: connections are refused
        await h.slack.drop()
        # Down, and retrying: still healthy within the grace period.
        status, body = await _healthz_until(h, "disconnected")
        assert status == 200
        assert body["status"] == "ok"
        now.value += GRACE_SECONDS + 1
        status, body = await h.healthz()
        assert status == 503
        assert body["status"] == "slack socket down"
        assert body["slack_socket"] == "disconnected"
        assert body["slack_socket_down_seconds"] >= GRACE_SECONDS
        # Each failed try is one line, without a traceback or the address (its ticket).
        await until(lambda: any("could not open" in r.getMessage() for r in caplog.records), "")
        tries = [r for r in caplog.records if "could not open" in r.getMessage()]
        assert tries[0].getMessage() == (
            "Slack: could not open the Socket Mode connection (WSServerHandshakeError 503); "
            "retrying"
        )
        ours = [r for r in caplog.records if r.name.startswith(("slack_sdk", "slack_bolt", "bot"))]
        assert not [r for r in ours if r.exc_info or "ticket=" in r.getMessage()]
        # Slack is back: slack_sdk's next try gets through, and so does a command.
        h.slack.accepting = True
        await h.slack.wait_for_connections(2)
        assert await _healthz_until(h, "connected") == (
            200,
            {"status": "ok", "slack_socket": "connected"},
        )
        assert await _checkin_opens_the_modal(h, CLINICIANS[0]) == 1


async def test_a_first_connection_that_never_opens_is_reported(
    sqlite_url: str, fake_slack: FakeSlackApi, clock: FixedClock
) -> None:
    now = Monotonic()
    async with socket_harness(
        sqlite_url, fake_slack, clock, roster_data(), accepting=False, ping_interval=0.5, now=now
    ) as h:
        await until(lambda: bool(h.fake.called("apps.connections.open")), "a first try")
        assert await h.healthz() == (200, {"status": "ok", "slack_socket": "connecting"})
        now.value += GRACE_SECONDS + 1
        status, body = await h.healthz()
        assert (status, body["slack_socket"]) == (503, "connecting")
        h.slack.accepting = True
        await h.slack.wait_for_connections(1)
        await _healthz_until(h, "connected")


async def test_stop_closes_the_socket_then_drains_the_work_in_hand(
    sqlite_url: str, fake_slack: FakeSlackApi, clock: FixedClock
) -> None:
    async with socket_harness(sqlite_url, fake_slack, clock, roster_data()) as h:
        answered = asyncio.Event()
        h.fake.holds["views.open"] = answered
        # The ack comes while the modal's views.open is still waiting at Slack.
        ack = await h.slash("/checkin", "", CLINICIANS[0])
        assert ack.payload is None
        await until(lambda: bool(h.fake.called("views.open")), "views.open")
        assert not answered.is_set()
        assert len(h.respite.inflight) == 1

        closing = asyncio.create_task(h.respite.close())
        # The socket closes first, so no new envelope arrives while the work drains...
        await asyncio.wait_for(h.slack.connections[0].closed.wait(), 10)
        await asyncio.sleep(0.05)
        assert not closing.done()
        assert len(h.respite.inflight) == 1
        # ...and the work in hand finishes: the clinician still gets the modal.
        answered.set()
        await asyncio.wait_for(closing, 10)
        assert len(h.respite.inflight) == 0
        assert (await h.healthz())[1]["slack_socket"] == "stopped"


async def test_stop_waits_for_the_ack_of_a_submission_in_hand(
    sqlite_url: str, fake_slack: FakeSlackApi, clock: FixedClock
) -> None:
    """A view submission's ack is its answer, sent when its work is done: stopping in the
    middle still sends it before the socket closes."""
    async with socket_harness(sqlite_url, fake_slack, clock, roster_data()) as h:
        await h.slash("/checkin", "", CLINICIANS[0])
        view = await h.views_opened(1)
        with closing(sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))) as other:
            # A write lock held elsewhere (a CLI command): the submission waits for it.
            other.execute("BEGIN IMMEDIATE")
            submitting = asyncio.create_task(
                h.slack.interactive(view_submission(view, ANSWERS, CLINICIANS[0]))
            )
            await until(lambda: h.socket.envelopes_in_hand == 1, "the submission in hand")
            stopping = asyncio.create_task(h.socket.stop())
            await asyncio.sleep(0.1)
            assert not h.slack.connections[0].closed.is_set()
            other.rollback()
        ack = await submitting
        await stopping
        assert h.slack.connections[0].closed.is_set()
        assert ack.payload is not None
        assert ack.payload["response_action"] == "update"
        assert "Thank you" in ack.payload["view"]["title"]["text"]
