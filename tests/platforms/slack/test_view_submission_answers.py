"""Whatever a form's handler answers, a view submission gets a valid answer from the running app:
signed view_submission requests, with fake handlers put in the routing table."""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain.events import FormErrors, FormSubmission, Outcome, Reply, ShowForm
from bot.domain.messages import Card, Form, Mention, Paragraph
from handlers import router
from handlers.deps import Deps
from tests.support.roster import CLINICIANS
from tests.support.slack_harness import SlackHarness

FORM = "fake-form"


def answering(outcome: Outcome) -> router.FormHandler:
    async def handler(deps: Deps, submission: FormSubmission) -> Outcome:
        return outcome

    return handler


async def submit(h: SlackHarness, monkeypatch: pytest.MonkeyPatch, outcome: Outcome) -> Any:
    monkeypatch.setitem(router.FORMS, FORM, answering(outcome))
    resp = await h.slack.submit({"callback_id": FORM, "blocks": []}, {}, CLINICIANS[0])
    assert resp.status == 200
    return await resp.json()


def assert_valid_view(view: dict[str, Any]) -> None:
    assert view["type"] == "modal"
    assert 1 <= len(view["title"]["text"]) <= 24
    assert 1 <= len(view["blocks"]) <= 100


@pytest.mark.parametrize(
    "outcome",
    [
        Reply(Card(title="Saved")),
        Reply(Card(title="")),
        ShowForm(Card(title="Next", form=Form("next", "Send"))),
    ],
    ids=["reply with only a title", "reply with nothing", "form with no fields"],
)
async def test_a_card_with_no_body_still_renders_a_view(
    slack_app: SlackHarness, monkeypatch: pytest.MonkeyPatch, outcome: Outcome
) -> None:
    body = await submit(slack_app, monkeypatch, outcome)
    assert body["response_action"] == "update"
    assert_valid_view(body["view"])
    title = outcome.card.title if isinstance(outcome, (Reply, ShowForm)) else ""
    assert body["view"]["title"]["text"] == (title or "Respite")


async def test_an_answer_that_cannot_render_becomes_a_polite_view(
    slack_app: SlackHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    unrenderable = Reply(Card(title="Saved", blocks=(Paragraph((Mention("not-an-id"),)),)))
    body = await submit(slack_app, monkeypatch, unrenderable)
    assert body["response_action"] == "update"
    assert_valid_view(body["view"])
    # The handler ran, so the person is not asked to send it again.
    assert body["view"]["title"]["text"] == "Received"
    assert "no need to send it again" in body["view"]["blocks"][0]["text"]["text"]


async def test_a_rejection_without_field_errors_becomes_a_polite_view(
    slack_app: SlackHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = await submit(slack_app, monkeypatch, FormErrors({}))
    assert body["response_action"] == "update"
    assert_valid_view(body["view"])
    assert "Nothing you sent was lost" in body["view"]["blocks"][0]["text"]["text"]


async def test_field_errors_still_reach_the_form(
    slack_app: SlackHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = await submit(slack_app, monkeypatch, FormErrors({"message": "Say a little more."}))
    assert body == {"response_action": "errors", "errors": {"message": "Say a little more."}}
