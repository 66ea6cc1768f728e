"""Bot Framework authentication: with an app id, only a correctly signed token for this app gets
in; everything else is a 401 that changes nothing. Without one, only loopback clients."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import pytest
from aiohttp.test_utils import make_mocked_request

from bot.cli.serve import start_up
from bot.config import Settings
from bot.demo.bot_connector import FakeConnector
from bot.platforms.msteams.app import is_loopback
from bot.storage.tables import teams_contacts
from tests.support.fakes.openid import OpenIdServer, new_key
from tests.support.msteams_harness import TeamsHarness, start_teams_harness, teams_roster

APP_ID = "8a3f2c1d-5e6b-4a79-8c0d-1e2f3a4b5c6d"


@pytest.fixture
def openid() -> Iterator[OpenIdServer]:
    server = OpenIdServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def secured_app(
    sqlite_url: str,
    fake_connector: FakeConnector,
    clock,
    openid: OpenIdServer,  # type: ignore[no-untyped-def]
) -> AsyncIterator[TeamsHarness]:
    settings = Settings(
        database_url=sqlite_url,
        microsoft_app_id=APP_ID,
        microsoft_app_password="not-a-real-secret",
        to_bot_from_channel_openid_metadata_url=openid.metadata_url,
    )
    harness, session = await start_teams_harness(settings, fake_connector, clock, teams_roster())
    yield harness
    await session.close()
    await harness.server.close()
    await harness.respite.close()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_only_a_correctly_signed_token_gets_in(
    secured_app: TeamsHarness, openid: OpenIdServer
) -> None:
    h = secured_app
    activity = h.teams.activity("conversation_update_personal.json", 1)
    service_url = activity["serviceUrl"]
    refused = {
        "missing": {},
        "not bearer": {"Authorization": "Basic dXNlcjpwYXNz"},
        "garbage": _bearer("not.a.jwt"),
        "forged": _bearer(openid.token(APP_ID, service_url, key=new_key())),
        "expired": _bearer(openid.token(APP_ID, service_url, expires_in=-3600)),
        "wrong audience": _bearer(openid.token("someone-elses-app", service_url)),
        "wrong service url": _bearer(openid.token(APP_ID, "https://elsewhere.example/")),
    }
    for label, headers in refused.items():
        resp = await h.teams.post(activity, headers)
        assert resp.status == 401, label
    assert await h.count(teams_contacts) == 0
    assert not h.connector.calls

    resp = await h.teams.post(activity, _bearer(openid.token(APP_ID, service_url)))
    assert resp.status == 200
    assert await h.count(teams_contacts) == 1
    assert openid.requests >= 2  # metadata and keys were read from the local server


async def test_a_refused_message_reaches_no_handler(
    secured_app: TeamsHarness, openid: OpenIdServer
) -> None:
    activity = secured_app.teams.activity("message_text.json", 1, text="checkin")
    forged = openid.token(APP_ID, activity["serviceUrl"], key=new_key())
    resp = await secured_app.teams.post(activity, _bearer(forged))
    assert resp.status == 401
    assert not secured_app.connector.calls
    assert await secured_app.count(teams_contacts) == 0


def test_emulator_mode_serves_loopback_clients_only() -> None:
    assert is_loopback("127.0.0.1")
    assert is_loopback("::1")
    assert not is_loopback("192.0.2.10")
    assert not is_loopback(None)
    assert not is_loopback("not-an-address")


async def test_emulator_mode_refuses_a_remote_client(
    teams_app: TeamsHarness, caplog: pytest.LogCaptureFixture
) -> None:
    route = teams_app.respite.routes["/api/messages"]

    class Transport:
        def get_extra_info(self, name: str, default: object = None) -> object:
            return ("192.0.2.10", 50000) if name == "peername" else default

        def is_closing(self) -> bool:
            return False

    request = make_mocked_request(
        "POST",
        "/api/messages",
        headers={"Content-Type": "application/json"},
        transport=Transport(),
    )
    with caplog.at_level(logging.WARNING):
        resp = await route(request)
    assert resp.status == 403
    assert await teams_app.count(teams_contacts) == 0


async def test_emulator_mode_says_loudly_that_authentication_is_off(
    sqlite_url: str,
    fake_connector: FakeConnector,
    clock,
    caplog: pytest.LogCaptureFixture,  # type: ignore[no-untyped-def]
) -> None:
    harness, session = await start_teams_harness(
        Settings(database_url=sqlite_url), fake_connector, clock, teams_roster()
    )
    try:
        with caplog.at_level(logging.WARNING):
            await start_up(harness.respite)
        assert any("AUTHENTICATION IS OFF" in r.getMessage() for r in caplog.records)
        # Replies in emulator mode carry no token.
        await harness.teams.say(1, "help")
        call = harness.connector.of("reply", "send")[-1]
        assert "Authorization" not in call.headers
    finally:
        await session.close()
        await harness.server.close()
        await harness.respite.close()


@pytest.mark.parametrize(
    "header",
    [
        {"X-Forwarded-For": "203.0.113.9"},
        {"Forwarded": "for=203.0.113.9;proto=https"},
        {"X-Real-IP": "203.0.113.9"},
    ],
)
async def test_emulator_mode_refuses_a_request_through_a_proxy(
    teams_app: TeamsHarness, header: dict[str, str]
) -> None:
    """A reverse proxy on the same host (the usual way to add TLS) makes an outside caller look
    like loopback; the headers it adds give it away."""
    activity = teams_app.teams.activity("message_text.json", 1, text="help")
    resp = await teams_app.teams.post(activity, headers=header)
    assert resp.status == 403
    assert await teams_app.count(teams_contacts) == 0
    assert teams_app.connector.calls == []

    # The same activity straight from this host is served.
    resp = await teams_app.teams.post(activity)
    assert resp.status == 200
    assert await teams_app.count(teams_contacts) == 1
