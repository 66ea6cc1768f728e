"""Break uptake cannot be inflated: Done and Skip pressed through Slack's signed block_actions
count only for a prompt really sent to the presser, once, even after the server restarts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from bot.app.compose import Respite, build
from bot.app.web import build_web_app
from bot.config import Settings, parse_roster
from bot.infra.clock import FixedClock
from tests.support.breaks_sim import deliver, ticker
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.roster import CLINICIANS, roster_data
from tests.support.slack_driver import SIGNING_SECRET, SlackDriver
from tests.support.slack_harness import SlackHarness

U1, U2, U3 = CLINICIANS[:3]
SECRET = "break-presses-secret-0123456789abcdef"
WEEK = (datetime(2026, 11, 30, tzinfo=UTC), datetime(2026, 12, 7, tzinfo=UTC))


@asynccontextmanager
async def _slack(
    database_url: str, fake: FakeSlackApi, clock: FixedClock
) -> AsyncIterator[SlackHarness]:
    """The Slack app, started with the same server secret every time, as in production."""
    settings = Settings(
        database_url=database_url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake.url,
        respite_secret=SECRET,
    )
    respite = await build(settings, clock=clock, roster=parse_roster(roster_data()))
    server = TestServer(build_web_app(respite), host="127.0.0.1")
    await server.start_server()
    async with ClientSession() as session:
        driver = SlackDriver(session, str(server.make_url("/")), fake.response_url())
        try:
            yield SlackHarness(respite, driver, fake, clock, server)
        finally:
            await server.close()
            await respite.close()


async def _prompt_everyone(respite: Respite, clock: FixedClock) -> None:
    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    await ticker(respite).tick(respite.deps)
    await deliver(respite)
    clock.set(datetime(2026, 11, 30, 10, 50, tzinfo=UTC))
    await ticker(respite).tick(respite.deps)
    await deliver(respite)


async def _uptake(respite: Respite) -> tuple[int, int, int]:
    store = respite.deps.breaks
    assert store is not None
    return await store.break_uptake("riverside", *WEEK)


def _slack_buttons(h: SlackHarness, user: str) -> dict[str, str]:
    for call in h.fake.called("chat.postMessage"):
        if call.params.get("channel") == user and "short break" in call.params.get("text", ""):
            for block in call.params["blocks"]:
                if block.get("type") == "actions":
                    return {e["action_id"]: e.get("value", "") for e in block["elements"]}
    raise AssertionError(f"no break prompt was sent to {user}")


async def _click(h: SlackHarness, action: str, value: str, user: str) -> None:
    resp = await h.slack.click(action, value, user)
    assert resp.status == 200
    await h.respite.inflight.drain()  # the press's work runs after the ack


async def test_slack_presses_count_only_for_prompts_sent_to_the_presser(
    database_url: str, fake_slack: FakeSlackApi, clock: FixedClock
) -> None:
    # U3 is in Do Not Disturb at 10:50: their prompt is dropped, never sent.
    fake_slack.dnd[U3] = (
        datetime(2026, 11, 30, 10, 0, tzinfo=UTC),
        datetime(2026, 11, 30, 12, 0, tzinfo=UTC),
    )
    async with _slack(database_url, fake_slack, clock) as h:
        await _prompt_everyone(h.respite, clock)
        done = _slack_buttons(h, U1)["break_done"]
        slot, _, practice = done.partition("|")
        # Forged slot strings: another minute, another day, junk, empty, a slot with a tail.
        for forged in (
            f"2026-11-30T10:51|{practice}",
            f"2026-12-01T10:50|{practice}",
            "x" * 40,
            "",
            f"{slot}:extra|0",
            f"{slot} |0",
        ):
            await _click(h, "break_done", forged, U1)
            await _click(h, "break_skip_today", forged.partition("|")[0], U1)
        assert await _uptake(h.respite) == (len(CLINICIANS), 0, 0)
        # The prompt sent to U1, pressed by U3, whose own prompt never went out, and by a lead
        # who is not prompted at all.
        await _click(h, "break_done", done, U3)
        await _click(h, "break_done", done, "ULEAD01")
        assert await _uptake(h.respite) == (len(CLINICIANS), 0, 0)
        # 50 presses of U1's own Done: one counts; Skip on the same prompt adds nothing.
        for _ in range(50):
            await _click(h, "break_done", done, U1)
        await _click(h, "break_skip_today", slot, U1)
        assert await _uptake(h.respite) == (len(CLINICIANS), 1, 0)

    # A restart (same database, same server secret): U1's prompt stays counted, U2's first press
    # counts.
    async with _slack(database_url, fake_slack, clock) as h:
        await _click(h, "break_done", done, U1)
        await _click(h, "break_skip_today", _slack_buttons(h, U2)["break_skip_today"], U2)
        await _click(h, "break_skip_today", _slack_buttons(h, U2)["break_skip_today"], U2)
        assert await _uptake(h.respite) == (len(CLINICIANS), 1, 1)
