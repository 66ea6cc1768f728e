"""Correctly signed payloads with fields removed or retyped: derived from the captured ones in
tests/data/slack and tests/data/teams, signed with the real secret (Slack) or a valid Bot
Framework token (Teams). Each gets a 2xx or 4xx, never a 5xx, never a traceback; and where the
sender can be told, they get an answer (an apology when nothing could be read).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.platforms.slack import inbound
from tests.support.hostile_app import (  # noqa: F401
    HostileApp,
    emulated_fixture,
    hostile_fixture,
    openid_fixture,
)
from tests.support.msteams_driver import member
from tests.support.mutations import SLACK_INTERACTIVE, mutations
from tests.support.roster import CLINICIANS
from tests.support.slack_driver import load as load_slack
from tests.support.slack_driver import signed_headers

TEAMS_TEMPLATES = (
    "message_text.json",
    "message_submit.json",
    "channel_mention.json",
    "conversation_update_personal.json",
    "conversation_update_team.json",
    "conversation_update_team_removed.json",
    "installation_update.json",
)
# The connector calls that show a person something.
ANSWERS = ("send", "reply", "update", "create")
HYPOTHESIS = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# Slack ---------------------------------------------------------------------------------------


def slack_interactive(template: str, app: HostileApp) -> dict[str, Any]:
    payload = load_slack(template)
    payload["user"]["id"] = CLINICIANS[0]
    if "response_url" in payload:
        payload["response_url"] = app.fake_slack.response_url()
    if payload["type"] == "view_submission":
        payload["view"].update(
            callback_id="pulse",
            private_metadata="riverside",
            state={
                "values": {
                    "drained": {"a": {"type": "radio_buttons", "selected_option": {"value": "4"}}},
                    "caseload": {"a": {"type": "radio_buttons", "selected_option": {"value": "5"}}},
                    "note": {"a": {"type": "plain_text_input", "value": "fine"}},
                    "who": {"a": {"type": "multi_users_select", "selected_users": ["U002"]}},
                }
            },
        )
    if template == "block_actions.json":
        payload["actions"][0].update(action_id="checkin.start", value="riverside")
    return payload


@st.composite
def slack_payloads(draw: st.DrawFn, app: HostileApp) -> tuple[str, dict[str, Any]]:
    """A signed body (form-encoded, as Slack sends them) and the payload it carries."""
    template = draw(st.sampled_from(("slash_command.json", *SLACK_INTERACTIVE)))
    if template == "slash_command.json":
        fields = load_slack(template)
        fields.update(user_id=CLINICIANS[0], response_url=app.fake_slack.response_url())
        # Form fields are always text: they can only go missing, be emptied, or hold junk.
        for key in draw(st.lists(st.sampled_from(sorted(fields)), max_size=3, unique=True)):
            choice = draw(st.sampled_from(("remove", "empty", "junk")))
            if choice == "remove":
                del fields[key]
            else:
                fields[key] = "" if choice == "empty" else draw(st.text(max_size=12))
        return urlencode(fields), fields
    payload = draw(mutations(slack_interactive(template, app)))
    return urlencode({"payload": json.dumps(payload)}), payload


def slack_answered(app: HostileApp, before: tuple[int, int], status: int, body: bytes) -> bool:
    """Whether the sender saw anything: an answer in the response, or a call Slack shows them."""
    shown = ("chat.postMessage", "chat.postEphemeral", "views.open", "views.update")
    calls = [c for c in app.fake_slack.calls[before[0] :] if c.method in shown]
    return (
        bool(calls) or len(app.fake_slack.responses) > before[1] or (status == 200 and bool(body))
    )


def slack_kind_kept(payload: dict[str, Any], original_kind: str) -> bool:
    kind = "command" if "command" in payload else payload.get("type")
    return kind == original_kind and (kind != "command" or bool(payload.get("command")))


async def test_the_reported_slack_shapes_get_an_apology(hostile: HostileApp) -> None:
    """A button press without `actions`, one without a response_url, and one whose
    response_url is not an address: each crashed its listener and then the apology, or went
    unanswered; now the person is told, once."""
    no_actions = slack_interactive("block_actions.json", hostile)
    del no_actions["actions"]
    no_url = slack_interactive("block_actions.json", hostile)
    del no_url["response_url"], no_url["actions"][0]["action_id"]
    not_a_url = slack_interactive("block_actions.json", hostile)
    not_a_url.update(response_url="0", actions=None)
    for payload in (no_actions, no_url, not_a_url):
        hostile.log.clear()
        responses, messages = (
            len(hostile.fake_slack.responses),
            len(hostile.fake_slack.called("chat.postMessage")),
        )
        body = urlencode({"payload": json.dumps(payload)})
        resp = await hostile.slack.post(body, signed_headers(body))
        assert resp.status == 200
        await hostile.settle()
        told = hostile.fake_slack.responses[responses:] + [
            c.params for c in hostile.fake_slack.called("chat.postMessage")[messages:]
        ]
        assert len(told) == 1
        assert "could not read" in json.dumps(told[0])
        assert not hostile.log.tracebacks()
        assert len(hostile.log.lines()) == 1


async def test_a_view_submission_without_a_user_is_answered_in_the_modal(
    hostile: HostileApp,
) -> None:
    payload = slack_interactive("view_submission.json", hostile)
    del payload["user"]
    resp = await hostile.slack.post(hostile.slack.interactive_body(payload))
    assert resp.status == 200
    answer = await resp.json()
    assert answer["response_action"] == "update"
    assert "could not read" in json.dumps(answer["view"])
    assert not hostile.log.tracebacks()


async def test_a_command_without_a_user_is_answered_where_it_was_typed(
    hostile: HostileApp,
) -> None:
    fields = load_slack("slash_command.json")
    del fields["user_id"]
    resp = await hostile.slack.post(urlencode(fields))
    assert resp.status == 200
    assert "could not read" in (await resp.json())["text"]
    assert not hostile.log.tracebacks()


@HYPOTHESIS
@given(data=st.data())
async def test_mutated_signed_slack_payloads(hostile: HostileApp, data: st.DataObject) -> None:
    body, payload = data.draw(slack_payloads(hostile))
    hostile.log.clear()
    before = (len(hostile.fake_slack.calls), len(hostile.fake_slack.responses))
    resp = await hostile.slack.post(body, signed_headers(body))
    answer = await resp.read()
    await hostile.settle()
    assert resp.status < 500, (json.dumps(payload), resp.status)
    assert not hostile.log.tracebacks(), payload
    original = _template_kind(payload) if body.startswith("payload=") else "command"
    if original and slack_kind_kept(payload, original) and inbound.user_id_of(payload):
        assert slack_answered(hostile, before, resp.status, answer), json.dumps(payload)


def _template_kind(payload: dict[str, Any]) -> str:
    kind = payload.get("type")
    return kind if kind in ("block_actions", "view_submission") else ""


# Teams ---------------------------------------------------------------------------------------


def teams_activity(template: str, app: HostileApp) -> dict[str, Any]:
    activity = app.teams.activity(template, 1)
    if template == "message_submit.json":
        activity["value"] = {"respite_form": "pulse", "respite_context": "harbour", "drained": "4"}
    if template == "conversation_update_team.json":
        activity["membersAdded"] = [member(2)]
    return activity


@st.composite
def teams_activities(draw: st.DrawFn, app: HostileApp) -> dict[str, Any]:
    return draw(mutations(teams_activity(draw(st.sampled_from(TEAMS_TEMPLATES)), app)))


def teams_identifiable(activity: dict[str, Any], service_url: str) -> bool:
    """A message from someone, in a conversation the bot can answer in: ids as Teams writes
    them (printable ASCII, which the connector's URLs carry as they are)."""

    def ident(part: Any) -> bool:
        value = part.get("id") if isinstance(part, dict) else None
        return isinstance(value, str) and re.fullmatch(r"[!-~]+", value) is not None

    return (
        activity.get("type") == "message"
        and activity.get("serviceUrl") == service_url
        and ident(activity.get("from"))
        and ident(activity.get("conversation"))
    )


async def test_the_reported_teams_shapes_are_refused(hostile: HostileApp) -> None:
    """A message without `from` or `conversation`, with a valid token, cannot be answered and
    reaches no handler: a 400 and one line, where it was a 500 with a traceback."""
    without_from = teams_activity("message_text.json", hostile)
    del without_from["from"]
    without_conversation = teams_activity("message_text.json", hostile)
    del without_conversation["conversation"]
    for activity in (without_from, without_conversation):
        hostile.log.clear()
        resp = await hostile.teams.post(activity, hostile.teams_headers(activity))
        assert resp.status == 400
        assert not hostile.log.tracebacks()
        assert len(hostile.log.lines()) == 1
    assert not hostile.connector.calls


async def test_a_submit_whose_value_is_not_an_object_gets_an_apology(
    emulated: HostileApp,
) -> None:
    for value in (["respite_form", "pulse"], "pulse", {"drained": "4"}):
        activity = teams_activity("message_submit.json", emulated)
        activity["value"] = value
        emulated.log.clear()
        before = len(emulated.connector.calls)
        resp = await emulated.teams.post(activity)
        await emulated.settle()
        assert resp.status == 200
        sent = emulated.connector.calls[before:]
        assert len(sent) == 1
        assert "could not read" in json.dumps(sent[0].body)
        assert not emulated.log.tracebacks()
        assert len(emulated.log.lines()) == 1, emulated.log.lines()


@HYPOTHESIS
@given(data=st.data())
async def test_mutated_teams_activities(emulated: HostileApp, data: st.DataObject) -> None:
    """Teams in emulator mode, so the bot's answers reach the fake connector; with a token the
    route takes the same path once the token is proven."""
    activity = data.draw(teams_activities(emulated))
    emulated.log.clear()
    before = len(emulated.connector.calls)
    resp = await emulated.teams.post(activity)
    await resp.read()
    await emulated.settle()
    assert resp.status < 500, (json.dumps(activity), resp.status)
    assert not emulated.log.tracebacks(), json.dumps(activity)
    if teams_identifiable(activity, emulated.connector.url):
        assert resp.status == 200, json.dumps(activity)
        answers = [c for c in emulated.connector.calls[before:] if c.kind in ANSWERS]
        assert answers, json.dumps(activity)


async def test_a_failed_button_in_a_modal_is_apologised_for_by_message(
    hostile: HostileApp,
) -> None:
    """A button inside a modal comes without a response_url. When its work fails, the apology
    goes as a direct message, once; it used to raise again inside the error path."""
    hostile.fake_slack.script("views.update", 200, {"ok": False, "error": "internal_error"})
    payload = load_slack("block_actions_view.json")
    payload["user"]["id"] = CLINICIANS[0]
    payload["actions"][0].update(action_id="no.such.button", value="")
    hostile.log.clear()
    resp = await hostile.slack.post(hostile.slack.interactive_body(payload))
    assert resp.status == 200
    await hostile.settle()
    messages = hostile.fake_slack.called("chat.postMessage")
    assert [m.params["channel"] for m in messages] == [CLINICIANS[0]]
    assert "Something went wrong" in json.dumps(messages[0].params)
    # The failure itself is logged with its traceback, once; the apology adds none.
    assert len(hostile.log.tracebacks()) == 1
    assert "slack listener failed" in hostile.log.tracebacks()[0]
