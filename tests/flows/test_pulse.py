"""The pulse check-in on every platform: a member asks for the form, answers it once, and the
answer is stored once, anonymously; what each platform's form looks like is in its own tests."""

from __future__ import annotations

import asyncio

from bot.storage.tables import pulse_participation, pulse_responses
from tests.support.flows import Flow, Form
from tests.support.pulse_answers import ANSWERS

CALM = {
    "drained": "1",
    "recharged": "5",
    "going_through_motions": "1",
    "made_a_difference": "5",
    "caseload": "2",
    "supported": "5",
}


async def _form(flow: Flow, person: int) -> Form:
    form = await flow.open_form(person, "pulse")
    assert isinstance(form, Form), form
    return form


async def test_the_form_asks_the_six_questions_on_a_five_point_scale(flow: Flow) -> None:
    form = await _form(flow, 1)
    assert form.questions == list(ANSWERS)
    for question in form.questions:
        assert form.choices[question] == ["1", "2", "3", "4", "5"], question
    assert "Anonymous" in form.text


async def test_an_answer_is_stored_once_and_thanked_with_the_support_note(flow: Flow) -> None:
    form = await _form(flow, 2)
    shown = await flow.submit(2, form, ANSWERS)
    assert shown.accepted
    assert "Thank you" in shown.text
    # High strain: the private note says so, above the team's resources.
    assert "this week has been heavy" in shown.text
    assert "Employee Assistance Programme" in shown.text
    assert await flow.count(pulse_responses) == 1
    assert await flow.count(pulse_participation) == 1


async def test_a_calm_week_gets_the_resources_without_the_note(flow: Flow) -> None:
    shown = await flow.submit(3, await _form(flow, 3), CALM)
    assert shown.accepted
    assert "this week has been heavy" not in shown.text
    # Everyone sees the resources, so the thanks is one size whatever the answers.
    assert "Employee Assistance Programme" in shown.text


async def test_a_double_submit_stores_one_answer_and_a_later_ask_is_refused(flow: Flow) -> None:
    form = await _form(flow, 4)
    first, second = await asyncio.gather(
        flow.submit(4, form, ANSWERS), flow.submit(4, form, ANSWERS)
    )
    assert "already" in first.text + second.text
    assert await flow.count(pulse_responses) == 1
    # A later ask in the same round is refused kindly, without a form.
    again = await flow.open_form(4, "pulse")
    assert not isinstance(again, Form)
    assert "already checked in" in again.text


async def test_a_retried_submission_stores_nothing_new(flow: Flow) -> None:
    form = await _form(flow, 5)
    assert (await flow.submit(5, form, ANSWERS)).accepted
    for _ in range(2):
        assert "already" in (await flow.submit(5, form, ANSWERS)).text.lower()
    assert await flow.count(pulse_responses) == 1
    assert await flow.count(pulse_participation) == 1


async def test_a_missing_or_unknown_answer_stores_nothing_and_says_which(flow: Flow) -> None:
    form = await _form(flow, 6)
    partial = {k: v for k, v in ANSWERS.items() if k != "caseload"}
    missing = await flow.submit(6, form, partial)
    assert not missing.accepted
    assert "caseload" in missing.text
    out_of_range = await flow.submit(6, form, dict(ANSWERS, caseload="9"))
    assert not out_of_range.accepted
    assert await flow.count(pulse_responses) == 0
    assert await flow.count(pulse_participation) == 0


async def test_someone_on_no_team_gets_a_clear_answer_and_no_form(flow: Flow) -> None:
    shown = await flow.open_form(42, "pulse")
    assert not isinstance(shown, Form)
    assert "not on a Respite team" in shown.text
