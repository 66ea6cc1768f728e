"""Slack in Socket Mode: envelopes over the fake Socket Mode endpoint into the real app, each
acknowledged within Slack's 3 seconds, the same listeners as over HTTP, a pulse answered and
stored on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app.compose import build
from bot.app.logs import configure_logging
from bot.config import Settings, parse_roster
from bot.infra.clock import FixedClock
from bot.platforms.slack.app import UNREADABLE
from bot.platforms.slack.render import fallback_text
from bot.platforms.slack.socket_mode import app_token_check
from bot.platforms.startup import Verdict
from bot.storage.tables import pulse_participation, pulse_responses
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.fakes.socket_mode import (
    APP_TOKEN,
    button_press,
    event_callback,
    slash_command,
    view_submission,
)
from tests.support.roster import CLINICIANS, roster_data
from tests.support.slack_driver import SIGNING_SECRET, SlackDriver
from tests.support.slack_socket_mode import SocketHarness, socket_harness

ANSWERS = {
    "drained": "4",
    "recharged": "2",
    "going_through_motions": "3",
    "made_a_difference": "4",
    "caseload": "5",
    "supported": "2",
}


@pytest.fixture
async def harness(
    database_url: str, fake_slack: FakeSlackApi, clock: FixedClock
) -> AsyncIterator[SocketHarness]:
    async with socket_harness(database_url, fake_slack, clock, roster_data()) as h:
        yield h


async def _count(h: SocketHarness, table: Any) -> int:
    async with AsyncSession(h.respite.engine) as s:
        return int(await s.scalar(select(func.count()).select_from(table)) or 0)


async def test_a_pulse_round_over_the_socket(harness: SocketHarness) -> None:
    h = harness
    user = CLINICIANS[0]
    # The app token, not the bot token, asks Slack for the socket's address.
    assert h.slack.opened_with() == [f"Bearer {APP_TOKEN}"]

    ack = await h.slash("/checkin", "", user)
    # A slash command's ack carries nothing: the modal opens through the Web API.
    assert ack.payload is None
    view = await h.views_opened(1)
    assert h.fake.called("views.open")[0].params["trigger_id"] == h.last_trigger_id
    assert view["callback_id"] == "pulse"
    assert h.fake.called("views.open")[0].headers["Authorization"] == "Bearer xoxb-test-token"

    # A missing answer: the ack names the question and the modal stays open; nothing stored.
    partial = {k: v for k, v in ANSWERS.items() if k != "caseload"}
    ack = await h.slack.interactive(view_submission(view, partial, user))
    assert ack.payload is not None
    assert ack.payload["response_action"] == "errors"
    assert set(ack.payload["errors"]) == {"caseload"}
    assert await _count(h, pulse_responses) == 0

    ack = await h.slack.interactive(view_submission(view, ANSWERS, user))
    assert ack.payload is not None
    assert ack.payload["response_action"] == "update"
    texts = " ".join(b.get("text", {}).get("text", "") for b in ack.payload["view"]["blocks"])
    assert "Employee Assistance Programme" in texts
    assert await _count(h, pulse_responses) == 1
    assert await _count(h, pulse_participation) == 1

    # Submitted again (a retry): still one answer, and the person is told so.
    ack = await h.slack.interactive(view_submission(view, ANSWERS, user))
    assert ack.payload is not None
    assert "already" in ack.payload["view"]["title"]["text"].lower()
    assert await _count(h, pulse_responses) == 1

    # Every envelope went over the one connection and was acknowledged once, nothing else sent.
    assert [a.connection for a in h.slack.acks] == [0] * 4
    assert h.slack.current.stray == []


async def test_a_button_acks_at_once_and_opens_the_modal(harness: SocketHarness) -> None:
    h = harness
    ack = await h.slack.interactive(
        button_press("checkin.start", "riverside", CLINICIANS[1], h.fake.response_url())
    )
    assert ack.payload is None
    view = await h.views_opened(1)
    assert view["callback_id"] == "pulse"


async def test_an_event_nobody_listens_to_is_still_acknowledged(harness: SocketHarness) -> None:
    """Bolt answers 404 and its adapter would send no ack, so Slack would send it again."""
    h = harness
    before = len(h.fake.calls)
    ack = await h.slack.event(event_callback("member_joined_channel", CLINICIANS[2]))
    assert ack.payload is None
    # Nothing done for it (bolt's own auth.test on a first request aside).
    assert [c.method for c in h.fake.calls[before:] if c.method != "auth.test"] == []
    assert h.slack.current.stray == []


async def test_no_signing_secret_and_no_http_route(harness: SocketHarness) -> None:
    h = harness
    assert h.respite.settings.slack_signing_secret is None
    assert "/slack/events" not in h.respite.routes
    async with h.http.post(h.server.make_url("/slack/events"), data="command=/checkin") as resp:
        assert resp.status == 404
    status, body = await h.healthz()
    assert (status, body) == (200, {"status": "ok", "slack_socket": "connected"})


async def test_an_unreadable_command_gets_the_http_routes_answer(
    sqlite_url: str, fake_slack: FakeSlackApi, clock: FixedClock
) -> None:
    async with socket_harness(sqlite_url, fake_slack, clock, roster_data()) as h:
        fields = slash_command("/checkin", "", CLINICIANS[0], "", h.trigger_id())
        del fields["response_url"]
        ack = await h.slack.slash(fields)
        assert ack.payload is not None
        assert ack.payload["text"] == fallback_text(UNREADABLE)
        # A command the app does not serve is not passed to bolt either.
        other = slash_command("/other", "", CLINICIANS[0], h.fake.response_url(), "1.2.3")
        ack = await h.slack.slash(other)
        assert ack.payload is not None
        assert ack.payload["text"] == fallback_text(UNREADABLE)
        await asyncio.sleep(0)
        assert h.fake.called("views.open") == []


async def test_settings_accept_an_app_token_without_a_signing_secret(
    sqlite_url: str, fake_slack: FakeSlackApi, clock: FixedClock
) -> None:
    settings = Settings(
        database_url=sqlite_url,
        slack_bot_token="xoxb-test-token",
        slack_app_token=APP_TOKEN,
        slack_api_url=fake_slack.url,
    )
    respite = await build(settings, clock=clock, roster=parse_roster(roster_data()))
    try:
        assert respite.link is not None
        assert respite.routes == {}
        assert [name for name, _ in respite.checks] == ["Slack", "Slack Socket Mode"]
    finally:
        await respite.close()
    # Nothing connected: building does not open the socket, `serve` starts it.
    assert fake_slack.called("apps.connections.open") == []


async def test_app_token_check(fake_slack: FakeSlackApi) -> None:
    from bot.platforms.slack.client import web_client

    client = web_client("xoxb-test-token", fake_slack.url)
    fake_slack.responders["apps.connections.open"] = lambda _: {"ok": True, "url": "wss://x/"}
    finding = await app_token_check(client, APP_TOKEN)()
    assert finding.verdict is Verdict.OK
    assert fake_slack.calls[-1].headers["Authorization"] == f"Bearer {APP_TOKEN}"

    fake_slack.script("apps.connections.open", 200, {"ok": False, "error": "invalid_auth"})
    finding = await app_token_check(client, "xapp-revoked")()
    assert finding.verdict is Verdict.REFUSED
    assert finding.line.startswith("SLACK_APP_TOKEN: Slack refused it (invalid_auth)")

    fake_slack.script("apps.connections.open", 503, {"ok": False, "error": "fatal_error"}, times=3)
    finding = await app_token_check(client, APP_TOKEN)()
    assert finding.verdict is Verdict.UNREACHABLE


async def test_envelopes_stay_out_of_the_log_at_debug(
    sqlite_url: str, fake_slack: FakeSlackApi, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    """slack_sdk's Socket Mode client logs every envelope whole at DEBUG, and a view submission
    holds the person's id beside their answers: with LOG_LEVEL=DEBUG its logger stays capped."""
    configure_logging("DEBUG")
    # configure_logging replaces the root logger's handlers, caplog's among them.
    logging.getLogger().addHandler(caplog.handler)
    caplog.set_level(logging.DEBUG)
    async with socket_harness(sqlite_url, fake_slack, clock, roster_data()) as h:
        user = CLINICIANS[3]
        await h.slash("/checkin", "", user)
        view = await h.views_opened(1)
        ack = await h.slack.interactive(view_submission(view, ANSWERS, user))
        assert ack.payload is not None
        assert await _count(h, pulse_responses) == 1
    assert logging.getLogger("slack_sdk.socket_mode.aiohttp").getEffectiveLevel() >= logging.INFO
    leaked = [
        r for r in caplog.records if user in r.getMessage() or "selected_option" in r.getMessage()
    ]
    assert leaked == []
    # The test does see what gets through: the cap is what kept the envelopes out.
    assert any(r.name == "handlers.pulse" for r in caplog.records)


async def test_one_app_serves_http_and_the_socket_side_by_side(
    sqlite_url: str, fake_slack: FakeSlackApi, clock: FixedClock
) -> None:
    """With a signing secret as well, /slack/events stays (switching an app between the two
    modes needs no restart) and both reach the same listeners."""
    async with socket_harness(
        sqlite_url, fake_slack, clock, roster_data(), signing_secret=SIGNING_SECRET
    ) as h:
        driver = SlackDriver(h.http, str(h.server.make_url("/")), fake_slack.response_url())
        resp = await driver.slash("/checkin", "", CLINICIANS[0])
        assert resp.status == 200
        by_http = await h.views_opened(1)
        await h.slash("/checkin", "", CLINICIANS[1])
        by_socket = await h.views_opened(2)
        assert by_http == by_socket
        assert by_socket["callback_id"] == "pulse"
        # An unsigned request is still refused on the HTTP side.
        body = driver.slash_body("/checkin", "", CLINICIANS[2])
        forged = await driver.post(body, {"Content-Type": "application/x-www-form-urlencoded"})
        assert forged.status == 401
