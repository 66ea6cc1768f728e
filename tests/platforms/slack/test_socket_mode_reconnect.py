"""A Socket Mode connection that goes away comes back: at Slack's `disconnect` notice, when
Slack drops it, and after an outage, with /healthz saying how it is; stopping drains the work
the envelopes started."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.clock import FixedClock
from bot.platforms.slack.socket_mode import GRACE_SECONDS
from tests.conftest import CLINICIANS, roster_data
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.socket_mode import APP_TOKEN
from tests.platforms.slack.socket_mode_harness import SocketHarness, socket_harness, until


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


async def test_healthz_is_503_once_the_socket_is_down_past_its_grace(
    sqlite_url: str, fake_slack: FakeSlackApi, clock: FixedClock
) -> None:
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
