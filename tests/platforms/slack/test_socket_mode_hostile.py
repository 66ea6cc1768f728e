"""Envelopes whose payloads lost fields or hold values of another type, derived from the captured
ones in tests/data/slack: each is acknowledged within Slack's 3 seconds, none leaves a traceback,
and the socket stays up. Over HTTP the same payloads get a 2xx or 4xx
(tests/platforms/test_malformed_signed.py); over the socket there is no status, only the ack,
and an envelope not acknowledged would come back again and again."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.infra.clock import FixedClock
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.mutations import SLACK_INTERACTIVE, mutations
from tests.support.roster import CLINICIANS, roster_data
from tests.support.slack_driver import load
from tests.support.slack_socket_mode import SocketHarness, socket_harness

OURS = ("bot", "handlers", "slack_bolt", "slack_sdk")


@pytest.fixture
async def harness(
    sqlite_url: str, fake_slack: FakeSlackApi, clock: FixedClock
) -> AsyncIterator[SocketHarness]:
    async with socket_harness(sqlite_url, fake_slack, clock, roster_data()) as h:
        yield h


def _interactive(template: str, response_url: str) -> dict[str, Any]:
    payload = load(template)
    payload["user"]["id"] = CLINICIANS[0]
    if "response_url" in payload:
        payload["response_url"] = response_url
    if payload["type"] == "view_submission":
        radio = {"type": "radio_buttons", "selected_option": {"value": "4"}}
        payload["view"].update(
            callback_id="pulse",
            private_metadata="riverside",
            state={"values": {"drained": {"a": radio}, "caseload": {"a": radio}}},
        )
    if template == "block_actions.json":
        payload["actions"][0].update(action_id="checkin.start", value="riverside")
    return payload


@st.composite
def envelopes(draw: st.DrawFn, response_url: str) -> tuple[str, dict[str, Any]]:
    """An envelope type and its payload, one to three fields removed or retyped."""
    template = draw(st.sampled_from(("slash_command.json", *SLACK_INTERACTIVE)))
    if template == "slash_command.json":
        fields = load(template)
        fields.update(user_id=CLINICIANS[0], response_url=response_url)
        return "slash_commands", draw(mutations(fields))
    return "interactive", draw(mutations(_interactive(template, response_url)))


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_mutated_envelopes_are_acknowledged(
    harness: SocketHarness, data: st.DataObject, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    caplog.set_level(logging.INFO)
    caplog.clear()
    kind, payload = data.draw(envelopes(h.fake.response_url()))
    answers = kind == "slash_commands" or payload.get("type") == "view_submission"
    ack = await h.slack.send(kind, payload, accepts_response_payload=answers)
    assert ack.connection == 0
    assert h.slack.current.stray == []
    tracebacks = [r for r in caplog.records if r.exc_info and r.name.startswith(OURS)]
    assert tracebacks == [], [r.getMessage() for r in tracebacks]


@pytest.mark.parametrize("field", ["container", "message", "workflow_step", "function_data"])
async def test_a_payload_bolt_cannot_read_is_answered_as_over_http(
    harness: SocketHarness, caplog: pytest.LogCaptureFixture, field: str
) -> None:
    """The socket checks what bolt reads before bolt does, with the HTTP route's own check: the
    clinician's modal says it could not be read, and no traceback is left."""
    h = harness
    payload = _interactive("view_submission.json", h.fake.response_url())
    payload[field] = "not an object"
    caplog.set_level(logging.INFO)
    ack = await h.slack.send("interactive", payload, accepts_response_payload=True)
    assert ack.payload is not None
    assert ack.payload["response_action"] == "update"
    assert "could not make sense of" in str(ack.payload["view"])
    assert [r for r in caplog.records if r.exc_info and r.name.startswith(OURS)] == []
