"""The check-in on Teams alone: the form is an Adaptive Card 1.5 in the person's 1:1 chat, the
thanks replaces it in place, an error comes as a message below it, and words other than the
commands route generically. The flow every platform shares is in tests/flows/test_pulse.py."""

from __future__ import annotations

from typing import Any

from bot.storage.tables import pulse_participation, pulse_responses
from tests.support.msteams_driver import personal_conversation
from tests.support.msteams_harness import TeamsHarness
from tests.support.pulse_answers import ANSWERS


def _submit_data(card: dict[str, Any]) -> dict[str, Any]:
    submit = [
        a for a in card["actions"] if a["type"] == "Action.Submit" and "respite_form" in a["data"]
    ]
    assert len(submit) == 1
    data: dict[str, Any] = submit[0]["data"]
    return data


async def _open_form(h: TeamsHarness, person: int) -> tuple[dict[str, Any], str]:
    resp = await h.teams.say(person, "checkin")
    assert resp.status == 200
    call = h.connector.of("reply", "send")[-1]
    assert call.conversation_id == personal_conversation(person)
    card = call.body["attachments"][0]["content"]
    assert call.response_id  # the id Teams gave the form message; a submit replies to it
    return card, call.response_id


async def test_checkin_word_sends_the_pulse_card(teams_app: TeamsHarness) -> None:
    card, _ = await _open_form(teams_app, 1)
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    choice_sets = [b for b in card["body"] if b["type"] == "Input.ChoiceSet"]
    for choice_set in choice_sets:
        assert choice_set["label"]
        assert all(c["title"] for c in choice_set["choices"])
    assert _submit_data(card) == {"respite_form": "pulse", "respite_context": "harbour"}
    assert "Anonymous" in card["body"][-1]["text"]


async def test_submission_records_one_answer_and_updates_the_card(teams_app: TeamsHarness) -> None:
    card, form_id = await _open_form(teams_app, 2)
    resp = await teams_app.teams.submit(2, _submit_data(card), ANSWERS, form_id)
    assert resp.status == 200
    updates = teams_app.connector.of("update")
    assert len(updates) == 1
    assert updates[0].activity_id == form_id
    assert updates[0].conversation_id == personal_conversation(2)
    thanks = updates[0].body["attachments"][0]["content"]
    texts = " ".join(b.get("text", "") for b in thanks["body"])
    assert "Thank you" in texts
    assert "Employee Assistance Programme" in texts  # high strain: the private note
    assert not [b for b in thanks["body"] if b["type"].startswith("Input.")]
    assert "actions" not in thanks  # nothing left to submit twice
    assert await teams_app.count(pulse_responses) == 1
    assert await teams_app.count(pulse_participation) == 1


async def test_missing_answers_get_a_message_below_the_form(
    teams_app: TeamsHarness,
) -> None:
    card, form_id = await _open_form(teams_app, 3)
    partial = {k: v for k, v in ANSWERS.items() if k != "caseload"}
    before = len(teams_app.connector.of("reply", "send"))
    await teams_app.teams.submit(3, _submit_data(card), partial, form_id)
    assert not teams_app.connector.of("update")
    message = teams_app.connector.of("reply", "send")[before:]
    assert len(message) == 1
    body = message[0].body["attachments"][0]["content"]["body"]
    texts = " ".join(b["text"] for b in body)
    assert "Nothing was saved" in texts and "caseload" in texts


async def test_words_route_generically(teams_app: TeamsHarness) -> None:
    expected = {
        "help": "Respite helps your team",
        "privacy": "Your privacy in Respite",
        "digest": "Digests are for leads",
        "PRIVACY please": "Your privacy in Respite",
        "<p>help</p>": "Respite helps your team",
        "frobnicate": "I don't know “frobnicate”",
    }
    for text, title in expected.items():
        await teams_app.teams.say(5, text)
        card = teams_app.connector.of("reply", "send")[-1].body["attachments"][0]["content"]
        assert card["body"][0]["text"].startswith(title), text


async def test_requests_that_are_not_activities_are_refused(teams_app: TeamsHarness) -> None:
    session, url = teams_app.teams.session, teams_app.teams.url
    assert (
        await session.post(url, data=b"{not json", headers={"Content-Type": "application/json"})
    ).status == 400
    assert (await session.post(url, json={"text": "no type"})).status == 400
    assert (
        await session.post(url, data=b"checkin", headers={"Content-Type": "text/plain"})
    ).status == 415
    assert not teams_app.connector.calls


async def test_start_button_on_an_invitation_opens_the_form(teams_app: TeamsHarness) -> None:
    press = teams_app.teams.activity(
        "message_submit.json",
        6,
        value={"respite_action": "checkin.start", "respite_value": "harbour"},
        reply_to="invitation-6",
    )
    assert (await teams_app.teams.post(press)).status == 200
    card = teams_app.connector.of("reply", "send")[-1].body["attachments"][0]["content"]
    assert _submit_data(card)["respite_form"] == "pulse"
    assert not teams_app.connector.of("update")  # the invitation stays; the form comes below
