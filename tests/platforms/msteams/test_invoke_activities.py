"""Invoke activities get a real answer in the HTTP response, never botbuilder's bare 501.

`adaptiveCard/action` (an Action.Execute) goes to the same handlers as an Action.Submit and is
answered with the card that replaces the one acted on; kinds Respite never asks Teams for are
answered with a clean 400. Requests carry Bot Framework JWTs checked against a local OpenID
server where the answer needs no outbound call; flows that also post messages run in emulator
mode (their outbound calls would need a token no test can fetch).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.demo.bot_connector import FakeConnector
from bot.infra.clock import FixedClock
from bot.storage.tables import kudos as kudos_t
from bot.storage.tables import pulse_participation, pulse_responses, teams_contacts
from tests.support.fakes.openid import OpenIdServer, new_key
from tests.support.msteams_driver import TEAM_ID, aad, personal_conversation
from tests.support.msteams_harness import TeamsHarness, teams_roster
from tests.support.msteams_invoke import (
    APP_ID,
    card_action_activity,
    openid,
    post,
    running,
    strict_validator,
)
from tests.support.msteams_kudos import (
    KUDOS_CHANNEL,
    channel_posts,
    install,
    kudos_teams,
)
from tests.support.pulse_answers import ANSWERS

__all__ = ["kudos_teams", "openid"]  # fixtures, used by name

PULSE = {"respite_form": "pulse", "respite_context": "harbour"}
CARD = "application/vnd.microsoft.card.adaptive"
MESSAGE = "application/vnd.microsoft.activity.message"
ERROR = "application/vnd.microsoft.error"


@pytest.fixture
async def secured(
    sqlite_url: str, fake_connector: FakeConnector, clock: FixedClock, openid: OpenIdServer
) -> AsyncIterator[TeamsHarness]:
    async with running(sqlite_url, fake_connector, clock, teams_roster(), openid) as h:
        yield h


async def answer(
    h: TeamsHarness, activity: dict[str, Any], openid: OpenIdServer | None = None
) -> tuple[int, dict[str, Any]]:
    resp = await post(h, activity, openid)
    raw = await resp.read()
    return resp.status, (await resp.json() if raw else {})


def texts(card: dict[str, Any]) -> list[str]:
    return [b["text"] for b in card["body"] if b["type"] == "TextBlock"]


async def test_an_execute_submission_is_recorded_and_answered_with_the_thanks(
    secured: TeamsHarness, openid: OpenIdServer
) -> None:
    h = secured
    status, body = await answer(h, card_action_activity(h, 2, {**PULSE, **ANSWERS}), openid)
    assert status == 200
    assert body["statusCode"] == 200 and body["type"] == CARD
    thanks = body["value"]
    assert thanks["type"] == "AdaptiveCard" and thanks["version"] == "1.5"
    assert "Thank you" in texts(thanks)[0]
    assert not [b for b in thanks["body"] if b["type"].startswith("Input.")]
    assert "actions" not in thanks  # nothing left to submit twice
    assert list(strict_validator().iter_errors(thanks)) == []
    assert await h.count(pulse_responses) == 1
    assert await h.count(pulse_participation) == 1
    assert not h.connector.calls  # the answer travelled in the response, nothing else was sent
    assert await h.count(teams_contacts) == 1  # the turn saved where person 2 can be reached

    # The same card pressed again: already answered, still one answer stored.
    status, body = await answer(h, card_action_activity(h, 2, {**PULSE, **ANSWERS}), openid)
    assert status == 200 and body["type"] == CARD
    assert texts(body["value"])[0] == "You've already checked in this week"
    assert await h.count(pulse_responses) == 1


async def test_an_execute_button_goes_to_the_button_handlers(
    secured: TeamsHarness, openid: OpenIdServer
) -> None:
    h = secured
    data = {"respite_action": "gone.button", "respite_value": "x"}
    status, body = await answer(h, card_action_activity(h, 3, data), openid)
    assert status == 200 and body["statusCode"] == 200 and body["type"] == CARD
    assert texts(body["value"])[0] == "That button has expired"
    data = {"respite_form": "gone", "respite_context": ""}
    status, body = await answer(h, card_action_activity(h, 3, data), openid)
    assert texts(body["value"])[0] == "That form has expired"


@pytest.mark.parametrize(
    "name",
    ["task/fetch", "composeExtension/query", "signin/verifyState", "config/fetch", "healthCheck"],
)
async def test_invokes_respite_never_asks_for_get_a_clean_400(
    secured: TeamsHarness, openid: OpenIdServer, name: str
) -> None:
    h = secured
    activity = card_action_activity(h, 4, PULSE)
    activity["name"] = name
    activity["value"] = {"commandId": "anything", "data": PULSE}
    status, body = await answer(h, activity, openid)
    assert status == 400
    assert body == {
        "statusCode": 400,
        "type": ERROR,
        "value": {
            "code": "NotSupported",
            "message": "Respite does not handle this kind of invoke.",
        },
    }
    assert await h.count(pulse_responses) == 0
    assert not h.connector.calls


@pytest.mark.parametrize(
    "value",
    [
        None,
        {"trigger": "manual"},
        {"action": {"type": "Action.Submit", "data": {**PULSE, **ANSWERS}}},
        {"action": {"type": "Action.Execute", "data": {"somebody_elses": "data"}}},
        {"action": {"type": "Action.Execute", "data": "respite_form=pulse"}},
        {
            "action": {"type": "Action.Execute", "data": {**PULSE, **ANSWERS}},
            "trigger": "automatic",
        },
    ],
)
async def test_a_card_action_that_is_not_ours_gets_a_clean_400_and_changes_nothing(
    secured: TeamsHarness, openid: OpenIdServer, value: Any
) -> None:
    h = secured
    activity = card_action_activity(h, 5, PULSE)
    activity["value"] = value
    status, body = await answer(h, activity, openid)
    assert status == 400
    assert body["type"] == ERROR and body["value"]["code"] == "BadRequest"
    assert await h.count(pulse_responses) == 0


async def test_an_invoke_without_a_valid_token_reaches_no_handler(
    secured: TeamsHarness, openid: OpenIdServer
) -> None:
    h = secured
    activity = card_action_activity(h, 6, {**PULSE, **ANSWERS})
    forged = openid.token(APP_ID, activity["serviceUrl"], key=new_key())
    for headers in ({}, {"Authorization": f"Bearer {forged}"}):
        resp = await h.teams.post(activity, headers)
        assert resp.status == 401
    assert await h.count(pulse_responses) == 0
    assert await h.count(teams_contacts) == 0


async def test_refused_answers_keep_the_form_and_say_why(teams_app: TeamsHarness) -> None:
    h = teams_app
    partial = {k: v for k, v in ANSWERS.items() if k != "caseload"}
    status, body = await answer(h, card_action_activity(h, 3, {**PULSE, **partial}))
    assert status == 200
    assert body["statusCode"] == 200 and body["type"] == MESSAGE
    assert body["value"].startswith("Nothing was saved yet")
    [errors] = h.connector.of("reply", "send")
    assert errors.conversation_id == personal_conversation(3)
    assert texts(errors.body["attachments"][0]["content"])[0] == "Nothing was saved yet"
    assert not h.connector.of("update")  # the form stays as it was
    assert await h.count(pulse_responses) == 0


async def test_kudos_by_execute_posts_to_the_channel_and_answers_with_the_confirmation(
    kudos_teams: TeamsHarness,
) -> None:
    h = kudos_teams
    await install(h)
    data = {
        "respite_form": "kudos",
        "respite_context": "harbour",
        "respite_pickers": "recipients",
        "recipients": f"{aad(2)},{aad(3)}",
        "category": "cover",
        "visibility": "named",
        "message": "You held the room after that session.",
    }
    status, body = await answer(h, card_action_activity(h, 1, data))
    assert status == 200 and body["type"] == CARD
    confirmation = body["value"]
    # No message text can carry mentions with an invoke's card: the names are written in it.
    assert texts(confirmation)[:2] == [
        "Kudos sent",
        "Your recognition of @Person 2 and @Person 3 is posted.",
    ]
    assert list(strict_validator().iter_errors(confirmation)) == []
    assert await h.count(kudos_t) == 1
    [channel_post] = channel_posts(h)
    assert channel_post.conversation_id == KUDOS_CHANNEL
    assert [e["mentioned"]["id"] for e in channel_post.body["entities"]] == [
        aad(1),
        aad(2),
        aad(3),
    ]
    assert not h.connector.of("update")  # Teams replaces the card with the answer itself
    assert await h.deliver() == 2  # each recipient is told privately


async def test_an_execute_in_a_channel_is_answered_in_the_private_chat(
    kudos_teams: TeamsHarness,
) -> None:
    h = kudos_teams
    await install(h)
    activity = card_action_activity(h, 2, {"respite_action": "gone.button"})
    activity["conversation"] = {
        "isGroup": True,
        "conversationType": "channel",
        "tenantId": activity["conversation"]["tenantId"],
        "id": f"{TEAM_ID};messageid=1764493964012",
    }
    activity["channelData"] = {
        "channel": {"id": TEAM_ID},
        "team": {"id": TEAM_ID},
        "tenant": {"id": activity["conversation"]["tenantId"]},
    }
    status, body = await answer(h, activity)
    assert status == 200
    assert body == {
        "statusCode": 200,
        "type": MESSAGE,
        "value": "I've replied in our private chat.",
    }
    # The answer went to person 2's 1:1 chat (opened for them), nothing to the channel.
    [created] = h.connector.of("create")
    assert created.body["members"][0]["id"] == "29:1test-user-0002"
    private = [c for c in h.connector.of("send", "reply") if c.conversation_id.startswith("a:")]
    assert [texts(c.body["attachments"][0]["content"])[0] for c in private] == [
        "That button has expired"
    ]
    posted = h.connector.of("send", "reply", "update")
    assert not [c for c in posted if c.conversation_id.startswith("19:")]
