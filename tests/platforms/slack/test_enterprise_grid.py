"""An Enterprise Grid org with Respite installed org-wide: W… user ids and `enterprise_id` payloads
through a whole pulse round. The install is org-wide (oauth.v2.access answers `team` null and
`is_enterprise_install` true), the roster's team names the org alone, and the captured payloads
(tests/data/slack/*.json) carry the fields Slack adds for an org-wide install: `enterprise_id` /
`enterprise`, `is_enterprise_install`, the workspace the person acted in, and W ids."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.tables import pulse_participation, pulse_responses, slack_bots
from scheduler import pulse
from tests.support.delivery import deliver_all
from tests.support.roster import roster_data
from tests.support.slack_driver import load
from tests.support.slack_oauth import (  # noqa: F401 - fixtures
    Installed,
    bearer,
    failed_rows,
    install,
    oauth_app_fixture,
    post_event,
    rows,
    stored_token,
)
from tests.support.waiting import settle

ORG = "E0001"
ORG_NAME = "Northside Health"
# The workspace of the org the person happens to act in.
WORKSPACE = "T0003"
ORG_TOKEN = "xoxb-org-wide"
PEOPLE = [f"W0{i:07d}" for i in range(1, 7)]
ANSWERS = {
    "drained": "2",
    "recharged": "4",
    "going_through_motions": "1",
    "made_a_difference": "4",
    "caseload": "3",
    "supported": "4",
}


@pytest.fixture(name="oauth_roster")
def org_roster() -> dict[str, Any]:
    """One team across the org, named by the org's id alone: an org-wide install."""
    return roster_data(members=PEOPLE, leads=["W0LEAD001"], enterprise_id=ORG)


def slash(h: Installed, user: str) -> str:
    fields = load("slash_command.json")
    fields.update(
        team_id=WORKSPACE,
        enterprise_id=ORG,
        enterprise_name=ORG_NAME,
        is_enterprise_install="true",
        user_id=user,
        response_url=h.slack.response_url,
        trigger_id=h.slack.trigger_id(),
    )
    return urlencode(fields)


def org_wide(payload: dict[str, Any], user: str) -> dict[str, Any]:
    """An interactivity payload as an org-wide install receives it: no `team` of the install's
    own (the person's workspace is on the user), the org in `enterprise`."""
    payload.update(
        team=None,
        enterprise={"id": ORG, "name": ORG_NAME},
        is_enterprise_install=True,
    )
    payload["user"].update(id=user, team_id=WORKSPACE)
    if isinstance(payload.get("view"), dict):
        payload["view"].update(team_id=WORKSPACE, app_installed_team_id=ORG)
    return payload


async def wait_for(h: Installed, method: str, count: int) -> Any:
    await settle(h.respite)
    assert len(h.fake.called(method)) >= count
    return h.fake.called(method)[count - 1]


async def count(h: Installed, table: Any) -> int:
    async with AsyncSession(h.respite.engine) as s:
        return int(await s.scalar(select(func.count()).select_from(table)) or 0)


async def test_an_org_wide_install_runs_a_pulse_round_with_w_ids(oauth_app: Installed) -> None:
    h = oauth_app
    await install(h, "code-org", None, ORG_TOKEN, enterprise_id=ORG)
    (bot,) = await rows(h, slack_bots)
    assert (bot["enterprise_id"], bot["team_id"], bot["is_enterprise_install"]) == (ORG, None, True)
    assert stored_token(bot) == ORG_TOKEN

    # The invitations, to W ids, with the org's token.
    h.clock.set(h.clock.now().replace(hour=10, minute=0))
    await pulse.tick(h.respite.deps)
    assert await deliver_all(h.respite, h.clock) == len(PEOPLE)
    invitations = {c.params["channel"]: c for c in h.fake.called("chat.postMessage")}
    assert set(invitations) == set(PEOPLE)
    assert {bearer(c) for c in invitations.values()} == {ORG_TOKEN}

    # The first person starts from the invitation's button; the modal opens with the org's token.
    first = PEOPLE[0]
    button = next(
        e
        for b in invitations[first].params["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    )
    click = org_wide(load("block_actions.json"), first)
    click["actions"][0].update(action_id=button["action_id"], value=button.get("value", ""))
    click["response_url"] = h.slack.response_url
    assert (await h.slack.post(h.slack.interactive_body(click))).status == 200
    opened = await wait_for(h, "views.open", 1)
    assert bearer(opened) == ORG_TOKEN
    view = opened.params["view"]
    assert view["callback_id"] == "pulse"

    submission = org_wide(h.slack.submission(view, ANSWERS, first), first)
    resp = await h.slack.post(h.slack.interactive_body(submission))
    assert resp.status == 200
    answer = await resp.json()
    assert answer["response_action"] == "update"
    assert await count(h, pulse_responses) == 1
    assert await count(h, pulse_participation) == 1

    # The second person types /checkin in another workspace of the org.
    second = PEOPLE[1]
    assert (await h.slack.post(slash(h, second))).status == 200
    opened = await wait_for(h, "views.open", 2)
    assert bearer(opened) == ORG_TOKEN
    submission = org_wide(h.slack.submission(opened.params["view"], ANSWERS, second), second)
    assert (await h.slack.post(h.slack.interactive_body(submission))).status == 200
    assert await count(h, pulse_responses) == 2
    assert await count(h, pulse_participation) == 2


async def test_uninstalled_from_the_org_stops_every_send(oauth_app: Installed) -> None:
    h = oauth_app
    await install(h, "code-org", None, ORG_TOKEN, enterprise_id=ORG)
    h.clock.set(h.clock.now().replace(hour=10, minute=0))
    await pulse.tick(h.respite.deps)
    assert await deliver_all(h.respite, h.clock) == len(PEOPLE)  # the org's token is cached now
    event = load("app_uninstalled.json")
    event.update(team_id=WORKSPACE, enterprise_id=ORG, is_enterprise_install=True)
    assert (await post_event(h, event)).status == 200
    assert await rows(h, slack_bots) == []
    h.fake.calls.clear()
    # The people are due a reminder 48 hours in: it fails, with the reason, and is not sent.
    h.clock.advance(timedelta(hours=49))
    await pulse.tick(h.respite.deps)
    await deliver_all(h.respite, h.clock)
    assert h.fake.called("chat.postMessage") == []
    failed = await failed_rows(h)
    assert {r["recipient"]["user_id"] for r in failed} == set(PEOPLE)
    assert all(f"not installed in Slack workspace {ORG}" in r["last_error"] for r in failed)
