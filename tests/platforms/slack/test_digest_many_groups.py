"""`/respite digest` from a lead of seven groups: Slack accepts five posts to one response_url
within 30 minutes, so the digests go as direct messages and the response_url carries one note."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.platforms.slack.app import RESPONSE_URL_USES
from scheduler import pulse
from tests.support.slack_harness import SlackHarness
from tests.support.waiting import settle

LEAD = "UMULTI1"
TEAMS = {
    "riverside": "Riverside Therapy",
    "lighthouse": "Lighthouse",
    "harbour": "Harbour",
    "meadow": "Meadow",
    "oak": "Oak Ward",
    "elm": "Elm Ward",
    "ash": "Ash Ward",
    "pine": "Pine Ward",
    "fir": "Fir Ward",
}
DEPARTMENTS = {
    "adult": ("Adult Services", ["riverside", "lighthouse"]),
    "child": (
        "Child Services",
        ["harbour", "meadow"],
    ),
}
# The two departments and the five teams outside them: seven groups.
GROUPS = {
    "adult": "Adult Services",
    "child": "Child Services",
    **{t: TEAMS[t] for t in ("oak", "elm", "ash", "pine", "fir")},
}
ANSWERS = {
    "drained": 4,
    "recharged": 2,
    "going_through_motions": 3,
    "made_a_difference": 3,
    "caseload": 4,
    "supported": 2,
}


def _members(team: str) -> list[str]:
    return [f"U{team[:3].upper()}{i:04d}" for i in range(1, 6)]


ROSTER: dict[str, Any] = {
    "organisation": {"name": "Northside Clinics", "leads": ["UORG001"]},
    "departments": [
        {"id": d, "name": name, "teams": teams, "leads": [LEAD]}
        for d, (name, teams) in DEPARTMENTS.items()
    ],
    "teams": [
        {
            "id": t,
            "name": name,
            "timezone": "UTC",
            "members": _members(t),
            "leads": [LEAD] if t in GROUPS else [f"ULEAD{t[:2].upper()}"],
        }
        for t, name in TEAMS.items()
    ],
}


@pytest.fixture
def harness_roster() -> dict[str, Any]:
    return ROSTER


async def _run_round(h: SlackHarness) -> None:
    deps = h.respite.deps
    h.clock.set(h.clock.now().replace(hour=10))
    await pulse.tick(deps)
    for team in TEAMS:
        rnd = next(r for r in await deps.rounds.open_rounds() if r.team_id == team)
        found = deps.directory.team(team)
        assert found is not None
        for user in _members(team):
            assert await deps.rounds.record_response(rnd.id, team, found.platform, user, ANSWERS)
    h.clock.advance(timedelta(hours=72))
    await pulse.tick(deps)
    await h.deliver()


async def test_a_lead_of_seven_groups_gets_every_digest_within_slacks_limit(
    slack_app: SlackHarness,
) -> None:
    await _run_round(slack_app)
    fake = slack_app.fake
    fake.calls.clear()
    fake.response_limit = RESPONSE_URL_USES
    token = fake.response_url().rsplit("/", 1)[1]

    resp = await slack_app.slack.slash("/respite", "digest", LEAD)
    assert resp.status == 200
    await settle(slack_app.respite)
    assert fake.responses

    assert fake.response_posts.get(token, 0) <= RESPONSE_URL_USES
    assert len(fake.responses) == 1
    note = fake.responses[0]
    assert "Something went wrong" not in note["text"]
    assert "direct message" in note["text"] and "7 parts" in note["text"]

    dms = [c.params for c in fake.called("chat.postMessage") if c.params["channel"] == LEAD]
    assert len(dms) == len(GROUPS)
    for group, name in GROUPS.items():
        digest = [m for m in dms if name in m["text"]]
        assert digest, f"no digest of {group} reached the lead"
        assert "Respondents: " in digest[0]["text"]
        assert name in note["text"]
    # The department digests come first, as `/respite digest` lists them.
    assert "Adult Services" in dms[0]["text"] and "Child Services" in dms[1]["text"]


async def test_a_failure_after_the_digests_still_gets_its_apology(
    slack_app: SlackHarness,
) -> None:
    await _run_round(slack_app)
    fake = slack_app.fake
    fake.calls.clear()
    fake.response_limit = RESPONSE_URL_USES
    fake.script("chat.postMessage", 200, {"ok": False, "error": "invalid_blocks"})

    resp = await slack_app.slack.slash("/respite", "digest", LEAD)
    assert resp.status == 200
    await settle(slack_app.respite)
    assert fake.responses

    assert sum(fake.response_posts.values()) <= RESPONSE_URL_USES
    assert [r["text"] for r in fake.responses if "Something went wrong" in r["text"]]
