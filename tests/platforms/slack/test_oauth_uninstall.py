"""An uninstalled workspace, or one whose bot token was revoked: the app_uninstalled and
tokens_revoked events (Slack's documented payloads, tests/data/slack/) delete its installation,
nothing more is sent there, and what was still queued for it fails with a reason, once."""

from __future__ import annotations

from datetime import timedelta

from bot.app.compose import build
from bot.config import Settings, parse_roster
from bot.infra.clock import FixedClock
from bot.storage.tables import outbox, slack_bots, slack_installations
from scheduler import pulse
from tests.support.delivery import deliver_all
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.roster import CLINICIANS, roster_data
from tests.support.slack_driver import SIGNING_SECRET, SlackDriver, load
from tests.support.slack_oauth import (  # noqa: F401 - fixtures
    HILLSIDE,
    HILLSIDE_TOKEN,
    RIVERSIDE_TOKEN,
    Installed,
    bearer,
    failed_rows,
    install,
    oauth_app_fixture,
    oauth_roster_fixture,
    post_event,
    rows,
)


async def both_installed_and_invited(h: Installed) -> None:
    """Both workspaces installed; this week's invitations sent (each workspace's token cached)."""
    await install(h, "code-riverside", "T0001", RIVERSIDE_TOKEN)
    await install(h, "code-hillside", "T0002", HILLSIDE_TOKEN)
    h.clock.set(h.clock.now().replace(hour=10, minute=0))
    await pulse.tick(h.respite.deps)
    assert await deliver_all(h.respite, h.clock) == len(CLINICIANS) + len(HILLSIDE)


async def reminders(h: Installed) -> None:
    """On to the reminder (48 hours in): queue it and deliver what can be."""
    h.fake.calls.clear()
    h.clock.advance(timedelta(hours=49))
    await pulse.tick(h.respite.deps)
    await deliver_all(h.respite, h.clock)


async def test_app_uninstalled_stops_sending_there_and_fails_its_queue(
    oauth_app: Installed,
) -> None:
    h = oauth_app
    await both_installed_and_invited(h)
    resp = await post_event(h, load("app_uninstalled.json"))
    assert resp.status == 200
    assert {b["team_id"] for b in await rows(h, slack_bots)} == {"T0001"}
    assert {i["team_id"] for i in await rows(h, slack_installations)} == {"T0001"}
    await reminders(h)
    sent = {c.params["channel"]: bearer(c) for c in h.fake.called("chat.postMessage")}
    assert sent == dict.fromkeys(CLINICIANS, RIVERSIDE_TOKEN)
    failed = await failed_rows(h)
    assert {r["recipient"]["user_id"] for r in failed} == set(HILLSIDE)
    assert all("not installed in Slack workspace T0002" in r["last_error"] for r in failed)
    # Failed for good: nothing is left pending for the workspace, and nothing is tried again.
    assert not [r for r in await rows(h, outbox) if r["status"] == "pending"]
    h.clock.advance(timedelta(hours=1))
    assert await deliver_all(h.respite, h.clock) == 0
    assert not h.fake.called("chat.postMessage")[len(CLINICIANS) :]


async def test_tokens_revoked_for_the_bot_removes_the_installation(oauth_app: Installed) -> None:
    h = oauth_app
    await both_installed_and_invited(h)
    resp = await post_event(h, load("tokens_revoked.json"))
    assert resp.status == 200
    assert {b["team_id"] for b in await rows(h, slack_bots)} == {"T0002"}
    assert {i["team_id"] for i in await rows(h, slack_installations)} == {"T0002"}
    await reminders(h)
    sent = {c.params["channel"]: bearer(c) for c in h.fake.called("chat.postMessage")}
    assert sent == dict.fromkeys(HILLSIDE, HILLSIDE_TOKEN)
    failed = await failed_rows(h)
    assert {r["recipient"]["user_id"] for r in failed} == set(CLINICIANS)
    assert all("not installed in Slack workspace T0001" in r["last_error"] for r in failed)


async def test_tokens_revoked_for_people_only_keeps_the_bot(oauth_app: Installed) -> None:
    h = oauth_app
    await both_installed_and_invited(h)
    payload = load("tokens_revoked.json")
    payload["event"]["tokens"]["bot"] = []
    resp = await post_event(h, payload)
    assert resp.status == 200
    # The installer's row (their user token) is gone; the bot token still sends.
    assert {i["team_id"] for i in await rows(h, slack_installations)} == {"T0002"}
    assert {b["team_id"] for b in await rows(h, slack_bots)} == {"T0001", "T0002"}
    await reminders(h)
    assert {bearer(c) for c in h.fake.called("chat.postMessage")} == {
        RIVERSIDE_TOKEN,
        HILLSIDE_TOKEN,
    }
    assert await failed_rows(h) == []


async def test_with_a_single_bot_token_the_events_are_acknowledged(
    database_url: str, fake_slack: FakeSlackApi, clock: FixedClock
) -> None:
    """No installations to delete: the events are acknowledged (Slack would otherwise count
    failures against the subscription), and the token keeps failing sends on its own."""
    from aiohttp import ClientSession
    from aiohttp.test_utils import TestServer

    from bot.app.web import build_web_app

    settings = Settings(
        database_url=database_url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.url,
    )
    respite = await build(settings, clock=clock, roster=parse_roster(roster_data()))
    server = TestServer(build_web_app(respite), host="127.0.0.1")
    await server.start_server()
    session = ClientSession()
    try:
        driver = SlackDriver(session, str(server.make_url("/")), fake_slack.response_url())
        h = Installed(respite, fake_slack, clock, "", session, driver)
        for name in ("app_uninstalled.json", "tokens_revoked.json"):
            payload = load(name)
            payload["team_id"] = "T0001"
            assert (await post_event(h, payload)).status == 200
    finally:
        await session.close()
        await server.close()
        await respite.close()
