"""Digests through Slack's real protocol path: rounds close on the scheduler tick, the period is
frozen, leads get a DM with the trend chart attached by files upload v2, and `/respite digest`
shows each person exactly what they lead."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from scheduler import pulse
from tests.support.department import ROSTER, ask, run_round
from tests.support.slack_harness import SlackHarness


@pytest.fixture
def harness_roster() -> dict[str, Any]:
    return ROSTER


def _dm(h: SlackHarness, user: str) -> dict[str, Any]:
    calls = [c for c in h.fake.called("chat.postMessage") if c.params["channel"] == user]
    assert len(calls) == 1, f"{user}: {len(calls)} message(s)"
    return calls[0].params


async def test_leads_get_digests_with_the_chart_uploaded(slack_app: SlackHarness) -> None:
    await run_round(slack_app)
    fake = slack_app.fake

    dept = _dm(slack_app, "UDEPT01")
    assert "Adult Services" in dept["text"]
    assert "Respondents: 15 of 20" in dept["text"]
    assert "Riverside Therapy: 7 of 8" in dept["text"]
    # Harbour is below the minimum, so Lighthouse (the next smallest) is withheld too.
    assert "Harbour: not shown" in dept["text"] and "Lighthouse: not shown" in dept["text"]
    assert "6 of 7" not in dept["text"] and "2 of 5" not in dept["text"]

    for lead in ("ULEADB1", "ULEADC1"):
        msg = _dm(slack_app, lead)
        assert "Not enough responses" in msg["text"]
        assert "Respondents" not in msg["text"]
    river = _dm(slack_app, "ULEADA1")
    assert "Respondents: 7 of 8" in river["text"]
    org = _dm(slack_app, "UORG001")
    assert "Northside Clinics" in org["text"] and "Adult Services: 15 of 20" in org["text"]

    # Released digests carry a chart: files upload v2 in three steps, to the lead's DM.
    urls = fake.called("files.getUploadURLExternal")
    completes = fake.called("files.completeUploadExternal")
    assert len(urls) == len(completes) == 3  # riverside, the department, the organisation
    assert {c.params["channel_id"] for c in completes} == {"ULEADA1", "UDEPT01", "UORG001"}
    assert all(u.params["alt_txt"].startswith("Line chart of") for u in urls)
    assert len(fake.uploads) == 3
    assert all(data.startswith(b"\x89PNG") for data in fake.uploads.values())
    assert all(
        int(u.params["length"]) == len(fake.uploads[f])
        for u, f in zip(urls, fake.uploads, strict=True)
    )


async def test_digest_messages_are_not_sent_twice(slack_app: SlackHarness) -> None:
    await run_round(slack_app)
    sent = len(slack_app.fake.called("chat.postMessage"))
    await pulse.tick(slack_app.respite.deps)
    from scheduler.digest import freeze_due

    assert await freeze_due(slack_app.respite.deps) == []
    assert await slack_app.deliver() == 0
    assert len(slack_app.fake.called("chat.postMessage")) == sent


async def test_respite_digest_shows_each_person_only_what_they_lead(
    slack_app: SlackHarness,
) -> None:
    await run_round(slack_app)
    await asyncio.sleep(0)
    clinician = await ask(slack_app, "UA00001", "digest")
    assert "Digests are for leads" in clinician and "Respondents" not in clinician
    for target in ("riverside", "adult", "organisation"):
        text = await ask(slack_app, "UA00001", f"digest {target}")
        assert "Digests are for leads" in text and "Respondents" not in text

    team_lead = await ask(slack_app, "ULEADA1", "digest adult")
    assert "No digest you can read" in team_lead and "15" not in team_lead
    other_team = await ask(slack_app, "ULEADA1", "digest lighthouse")
    assert "No digest you can read" in other_team
    own = await ask(slack_app, "ULEADA1", "digest")
    assert "Riverside Therapy" in own and "Respondents: 7 of 8" in own

    dept = await ask(slack_app, "UDEPT01", "digest")
    assert "Adult Services" in dept and "Respondents: 15 of 20" in dept
    dept_team = await ask(slack_app, "UDEPT01", "digest riverside")
    assert "Respondents: 7 of 8" in dept_team
    dept_org = await ask(slack_app, "UDEPT01", "digest organisation")
    assert "No digest you can read" in dept_org

    org = await ask(slack_app, "UORG001", "digest harbour")
    assert "Not enough responses" in org and "Respondents" not in org
