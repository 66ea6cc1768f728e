"""A kudos is posted once however often it reaches Respite: twenty identical form submissions at
once, a captured signed /kudos replayed within Slack's five minutes, a request Slack retries.
Two different kudos both post. Through the real Slack path, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.kudos import ONCE_WINDOW
from bot.storage.tables import kudos_dedupe
from tests.support.roster import CLINICIANS, roster_data
from tests.support.slack_driver import signed_headers
from tests.support.slack_harness import SlackHarness
from tests.support.slack_kudos import KUDOS_CHANNEL, channel_posts, kudos_rows, open_form, slash

GIVER, ANA, BEN = CLINICIANS[0], CLINICIANS[1], CLINICIANS[2]


@pytest.fixture
def harness_roster() -> dict[str, Any]:
    return roster_data(kudos_channel=KUDOS_CHANNEL, kudos_daily_limit=50)


async def _marks(h: SlackHarness) -> list[Any]:
    async with AsyncSession(h.respite.engine) as s:
        return list((await s.execute(select(kudos_dedupe))).all())


async def test_twenty_identical_form_submissions_at_once_post_one(slack_app: SlackHarness) -> None:
    h = slack_app
    view = {**await open_form(h, GIVER), "id": "V0KUDOSFORM"}
    values = {
        "recipients": f"{ANA} {BEN}",
        "category": "cover",
        "visibility": "anonymous",
        "message": "Thank you for taking my 4pm when I was ill.",
    }
    body = h.slack.interactive_body(h.slack.submission(view, values, GIVER))
    answers = await asyncio.gather(*(h.slack.post(body) for _ in range(20)))
    titles = [(await a.json())["view"]["title"]["text"] for a in answers]
    assert titles.count("Kudos sent") == 1
    assert titles.count("Kudos already sent") == 19
    assert len(channel_posts(h)) == 1
    assert len(await kudos_rows(h)) == 1
    assert await h.deliver() == 2  # one private note to each recipient, once
    # The marks name nobody: no giver, recipient or message in plain.
    marks = await _marks(h)
    assert len(marks) == 2  # the form's view id, and the kudos' content
    for mark in marks:
        assert all(s not in json.dumps([str(v) for v in mark]) for s in (GIVER, ANA, "Thank"))


async def test_a_replayed_signed_command_posts_once(slack_app: SlackHarness) -> None:
    h = slack_app
    body = h.slack.slash_body("/kudos", f"<@{ANA}> thank you for the handover", GIVER, "T.1")
    headers = signed_headers(body)  # captured once, replayed byte for byte
    for _ in range(5):
        assert (await h.slack.post(body, headers)).status == 200
    await h.respite.inflight.drain()
    assert len(channel_posts(h)) == 1
    titles = [r["text"].splitlines()[0] for r in h.fake.responses]
    assert titles.count("Kudos sent") == 1 and titles.count("Kudos already sent") == 4
    # Slack retrying a request sends it again with X-Slack-Retry-Num: it posts nothing more.
    retried = {**headers, "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert (await h.slack.post(body, retried)).status == 200
    await h.respite.inflight.drain()
    assert len(channel_posts(h)) == 1


async def test_different_kudos_all_post_and_the_same_again_after_the_window(
    slack_app: SlackHarness,
) -> None:
    h = slack_app
    sent = [
        await slash(h, f"<@{ANA}> thank you for the handover", GIVER),
        await slash(h, f"<@{ANA}> thank you for the handover!", GIVER),  # another message
        await slash(h, f"<@{BEN}> thank you for the handover", GIVER),  # another recipient
        await slash(h, f"<@{ANA}> anon thank you for the handover", GIVER),  # anonymous
        await slash(h, f"<@{ANA}> thank you for the handover", BEN),  # another giver
        await slash(h, f"<@{ANA}> cover thank you for the handover", GIVER),  # another category
    ]
    assert all(r["text"].startswith("Kudos sent") for r in sent)
    assert len(channel_posts(h)) == 6
    # Typed again at once with the recipients the other way round: the same kudos.
    again = await slash(h, f"<@{BEN}> <@{ANA}> group thanks", GIVER)
    assert again["text"].startswith("Kudos sent")
    again = await slash(h, f"<@{ANA}> <@{BEN}> group thanks", GIVER)
    assert again["text"].startswith("Kudos already sent")
    # Once the window has passed the same words may be given again, and the marks are gone.
    h.clock.advance(ONCE_WINDOW)
    later = await slash(h, f"<@{ANA}> thank you for the handover", GIVER)
    assert later["text"].startswith("Kudos sent")
    assert len(channel_posts(h)) == 8
    assert len(await _marks(h)) == 2  # the last kudos' own
