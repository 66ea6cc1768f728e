"""Unauthenticated junk at every route: a 4xx (or the route's normal answer), never a 5xx, at most
one log line and never a traceback, and nothing reaches a handler.

Signatures and tokens are checked before anything parses a body, so whatever the body holds
(not UTF-8, `null`, `[1]`, half a JSON object, a form with a payload that is not JSON) it is
refused the same way as any other request without valid credentials.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.storage.tables import teams_contacts
from tests.support.hostile_app import HostileApp, hostile_fixture, openid_fixture  # noqa: F401
from tests.support.slack_driver import signed_headers

ROUTES = ("/slack/events", "/api/messages", "/healthz", "/metrics")
UNKNOWN = ("/", "/slack", "/slack/events/x", "/api", "/api/messages/", "/admin", "/%2e%2e/etc")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD")
CONTENT_TYPES = (
    "application/x-www-form-urlencoded",
    "application/json",
    "application/json; charset=latin-1",
    "text/plain",
    "multipart/form-data; boundary=x",
    "application/octet-stream",
    "",
)

# The junk of the report: each was once a 500 with a traceback.
NAMED_JUNK: dict[str, tuple[str, bytes, dict[str, str]]] = {
    "non-numeric timestamp": (
        "/slack/events",
        b"command=%2Fcheckin&user_id=U001",
        {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=00"},
    ),
    "unsigned payload=null": ("/slack/events", b"payload=null", {}),
    "unsigned payload={": ("/slack/events", b"payload=%7B", {}),
    "unsigned non-UTF-8 body": ("/slack/events", b"payload=\xff\xfe\x80", {}),
    "unsigned JSON [1]": ("/slack/events", b"[1]", {"Content-Type": "application/json"}),
    "Teams JSON null": ("/api/messages", b"null", {"Content-Type": "application/json"}),
    "Teams JSON [1]": ("/api/messages", b"[1]", {"Content-Type": "application/json"}),
    "Teams not JSON": ("/api/messages", b"{", {"Content-Type": "application/json"}),
    "Teams JSON nested past the parser's depth": (
        "/api/messages",
        b"[" * 200_000,
        {"Content-Type": "application/json", "Authorization": "Bearer x"},
    ),
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
# Header values an HTTP client can send: visible Latin-1, no line breaks.
header_text = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f"), max_size=40
)


def _as_payload(text: str) -> bytes:
    return urlencode({"payload": text}).encode()


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(("bytes", "json", "form", "payload", "text")))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "json":
        return json.dumps(draw(json_values)).encode()
    if kind == "form":
        fields = draw(
            st.dictionaries(
                st.sampled_from(("command", "user_id", "text", "response_url", "trigger_id", "x")),
                st.text(max_size=20),
                max_size=5,
            )
        )
        return urlencode(fields).encode()
    if kind == "payload":
        inner = draw(st.one_of(json_values.map(json.dumps), st.text(max_size=30)))
        return urlencode({"payload": inner}).encode()
    return draw(st.text(max_size=200)).encode()


# Fields and kinds of Slack's payloads, so that signed junk reaches the code that reads them.
SLACK_KEYS = (
    "type",
    "view",
    "event",
    "actions",
    "command",
    "user",
    "user_id",
    "team",
    "enterprise",
    "authorizations",
    "response_url",
    "response_urls",
    "trigger_id",
    "callback_id",
    "container",
    "workflow_step",
    "message",
    "channel",
    "challenge",
    "is_enterprise_install",
    "function_data",
)
SLACK_KINDS = (
    "block_actions",
    "view_submission",
    "view_closed",
    "event_callback",
    "url_verification",
    "shortcut",
    "message_action",
    "block_suggestion",
    "interactive_message",
    "dialog_submission",
    "workflow_step_edit",
    "app_rate_limited",
)
slack_shaped = st.fixed_dictionaries(
    {"type": st.sampled_from(SLACK_KINDS)},
    optional={key: json_values for key in SLACK_KEYS[1:]},
).map(json.dumps)


@st.composite
def slack_headers(draw: st.DrawFn) -> dict[str, str]:
    headers: dict[str, str] = {}
    stamp = draw(st.sampled_from(("now", "old", "junk", "none", "huge")))
    if stamp == "now":
        headers["X-Slack-Request-Timestamp"] = str(int(time.time()))
    elif stamp == "old":
        headers["X-Slack-Request-Timestamp"] = str(int(time.time()) - 3600)
    elif stamp == "junk":
        headers["X-Slack-Request-Timestamp"] = draw(header_text)
    elif stamp == "huge":
        headers["X-Slack-Request-Timestamp"] = "9" * draw(st.integers(13, 5000))
    if draw(st.booleans()):
        headers["X-Slack-Signature"] = draw(
            st.sampled_from(("v0=", "v0=" + "0" * 64, "")) | header_text
        )
    return headers


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str, bytes, dict[str, str]]:
    path = draw(st.sampled_from(ROUTES + UNKNOWN))
    method = draw(st.sampled_from(METHODS))
    body = draw(bodies())
    headers = draw(slack_headers())
    content_type = draw(st.sampled_from(CONTENT_TYPES) | header_text)
    if content_type:
        headers["Content-Type"] = content_type
    auth = draw(st.sampled_from(("none", "junk", "bearer")))
    if auth == "junk":
        headers["Authorization"] = draw(header_text)
    elif auth == "bearer":
        headers["Authorization"] = "Bearer " + draw(
            st.sampled_from(("not.a.jwt", "e30.e30.", "")) | header_text
        )
    return method, path, body, headers


async def _send(
    app: HostileApp, method: str, path: str, body: bytes, headers: dict[str, str], base: str = ""
) -> int:
    url = (base or app.base) + path
    async with app.session.request(method, url, data=body, headers=headers) as resp:
        await resp.read()
        status = resp.status
    await app.settle()
    return status


def _expected(method: str, path: str, status: int, on_metrics: bool) -> bool:
    """What a request without credentials may get on each route of each listener."""
    if (path == "/healthz" and not on_metrics) or (path == "/metrics" and on_metrics):
        return status == 200 if method in ("GET", "HEAD") else status == 405
    if path in ("/slack/events", "/api/messages") and not on_metrics:
        return 400 <= status < 500
    return status in (404, 405)


async def test_the_reported_junk_is_refused_quietly(hostile: HostileApp) -> None:
    for label, (path, body, headers) in NAMED_JUNK.items():
        hostile.log.clear()
        status = await _send(hostile, "POST", path, body, headers)
        assert status in (400, 401, 415), (label, status)
        assert not hostile.log.tracebacks(), label
        assert len(hostile.log.lines()) <= 1, (label, hostile.log.lines())
    assert not hostile.fake_slack.calls
    assert not hostile.connector.calls
    assert await _count_contacts(hostile) == 0


async def test_a_teams_null_body_with_a_valid_token_is_a_400(hostile: HostileApp) -> None:
    """Even with the right credentials, a body that is not an activity is the sender's mistake."""
    activity = hostile.teams.activity("message_text.json", 1)
    headers = {**hostile.teams_headers(activity), "Content-Type": "application/json"}
    for body in (b"null", b"[1]", b'"text"', b"{}"):
        hostile.log.clear()
        status = await _send(hostile, "POST", "/api/messages", body, headers)
        assert status == 400, body
        assert not hostile.log.tracebacks()
        assert len(hostile.log.lines()) <= 1


async def test_signed_slack_junk_is_a_4xx(hostile: HostileApp) -> None:
    """A correctly signed body bolt cannot read is refused, not a 500."""
    for text, content_type in (
        ("payload=null", "application/x-www-form-urlencoded"),
        ("payload=%7B", "application/x-www-form-urlencoded"),
        ("payload=%5B1%5D", "application/x-www-form-urlencoded"),
        ("[1]", "application/json"),
        ("null", "application/json"),
        ('{"user": 5, "team": [1], "enterprise": 7, "authorizations": 3}', "application/json"),
        ("[" * 200_000, "application/json"),
        # No listener takes these; bolt's own warning for them used to raise on the shape.
        ('{"type": "view_closed", "view": null}', "application/json"),
        ('{"type": "block_actions_x", "view": "text", "actions": [null]}', "application/json"),
        ("payload=" + "%5B" * 200_000, "application/x-www-form-urlencoded"),
    ):
        hostile.log.clear()
        headers = signed_headers(text, content_type=content_type)
        status = await _send(hostile, "POST", "/slack/events", text.encode(), headers)
        assert 400 <= status < 500, (text, status)
        assert not hostile.log.tracebacks(), text
        assert len(hostile.log.lines()) <= 1, (text, hostile.log.lines())


@settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=requests(), on_metrics=st.booleans())
async def test_no_junk_gets_a_5xx_or_a_traceback(
    hostile: HostileApp, request: tuple[str, str, bytes, dict[str, str]], on_metrics: bool
) -> None:
    """Every route of the public listener and of the metrics listener, and unknown paths."""
    method, path, body, headers = request
    hostile.log.clear()
    base = hostile.metrics_base if on_metrics else hostile.base
    status = await _send(hostile, method, path, body, headers, base)
    assert status < 500, (method, path, body[:80], headers, status)
    assert _expected(method, path, status, on_metrics), (method, path, status)
    assert not hostile.log.tracebacks()
    assert len(hostile.log.lines()) <= 1, hostile.log.lines()
    # Nothing unauthenticated reached a handler or the platforms' APIs.
    assert not hostile.fake_slack.calls
    assert not hostile.connector.calls


async def _count_contacts(app: HostileApp) -> int:
    from sqlalchemy import func, select
    from sqlalchemy.ext.asyncio import AsyncSession

    async with AsyncSession(app.respite.engine) as s:
        return int(await s.scalar(select(func.count()).select_from(teams_contacts)) or 0)


@settings(
    max_examples=600,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=bodies() | slack_shaped.map(str.encode) | slack_shaped.map(_as_payload),
    content_type=st.sampled_from(CONTENT_TYPES),
)
async def test_signed_junk_gets_no_5xx_or_traceback(
    hostile: HostileApp, body: bytes, content_type: str
) -> None:
    """Junk that carries a valid signature (UTF-8 bodies only: Slack signs text) is the signing
    side's mistake: a 4xx or an answer, never a 5xx or a traceback."""
    text = body.decode("utf-8", errors="replace")
    hostile.log.clear()
    headers = signed_headers(text, content_type=content_type or "text/plain")
    status = await _send(hostile, "POST", "/slack/events", text.encode(), headers)
    assert status < 500, (text[:200], content_type, status)
    assert not hostile.log.tracebacks(), text[:200]
    assert len(hostile.log.lines()) <= 1, hostile.log.lines()
