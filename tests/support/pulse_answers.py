"""Sample pulse answers, and a Slack clinician answering the pulse form the way Slack sends it
(button, then the modal's submission)."""

from __future__ import annotations

from tests.support.slack_harness import SlackHarness
from tests.support.waiting import settle

CALM = {
    "drained": "2",
    "recharged": "4",
    "going_through_motions": "2",
    "made_a_difference": "4",
    "caseload": "3",
    "supported": "4",
}


HEAVY = {
    "drained": "5",
    "recharged": "1",
    "going_through_motions": "4",
    "made_a_difference": "2",
    "caseload": "5",
    "supported": "1",
}


async def answer_on_slack(h: SlackHarness, user: str, answers: dict[str, str]) -> None:
    before = len(h.fake.called("views.open"))
    await h.slack.click("checkin.start", "riverside", user)
    await settle(h.respite)
    assert len(h.fake.called("views.open")) > before
    view = h.fake.called("views.open")[-1].params["view"]
    resp = await h.slack.submit(view, answers, user)
    assert (await resp.json())["response_action"] == "update"


# A middling week, as a Teams member answers it.
ANSWERS = {
    "drained": "4",
    "recharged": "2",
    "going_through_motions": "3",
    "made_a_difference": "4",
    "caseload": "5",
    "supported": "2",
}
