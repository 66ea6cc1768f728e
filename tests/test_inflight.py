"""Work left running after a response: kept, logged when it fails, and waited for at a stop."""

from __future__ import annotations

import asyncio

import pytest

from bot.infra.inflight import InFlight


async def test_a_stop_waits_for_work_in_hand_and_then_forgets_it() -> None:
    inflight = InFlight(drain_seconds=5)
    finished: list[str] = []

    async def work(name: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        finished.append(name)

    inflight.start(work("slow", 0.2), "slow")
    inflight.start(work("quick", 0.0), "quick")
    assert len(inflight) == 2
    await inflight.drain()
    assert sorted(finished) == ["quick", "slow"]
    assert len(inflight) == 0


async def test_work_that_outlasts_the_stop_is_cut_off_and_said_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    inflight = InFlight(drain_seconds=0.1)
    cancelled = asyncio.Event()

    async def forever() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    inflight.start(forever(), "stuck")
    await asyncio.wait_for(inflight.drain(), 5)
    assert cancelled.is_set()
    assert len(inflight) == 0
    assert "1 request(s) did not finish" in caplog.text


async def test_a_failure_that_escaped_its_handler_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    inflight = InFlight()

    async def broken() -> None:
        raise RuntimeError("the reply could not be sent either")

    inflight.start(broken(), "slack /checkin")
    await inflight.drain()
    assert "slack /checkin failed" in caplog.text
    assert "the reply could not be sent either" in caplog.text
