"""A kudos form submitted again and again on Teams (a double click, a retried activity) posts
once; a different kudos still posts."""

from __future__ import annotations

import asyncio

from tests.support.msteams_driver import aad
from tests.support.msteams_harness import TeamsHarness
from tests.support.msteams_kudos import (
    channel_posts,
    install,
    kudos_rows,
    kudos_teams,
    open_form,
    send_form,
    submit_data,
)

__all__ = ["kudos_teams"]


async def test_the_same_form_submitted_again_and_again_posts_once(
    kudos_teams: TeamsHarness,
) -> None:
    h = kudos_teams
    await install(h)
    card, form_id = await open_form(h, 1)
    values = {
        "recipients": f"{aad(2)},{aad(3)}",
        "category": "support",
        "visibility": "anonymous",
        "message": "Thank you for sitting with me after that session.",
    }
    activity = h.teams.activity(
        "message_submit.json", 1, value={**submit_data(card), **values}, reply_to=form_id
    )
    answers = await asyncio.gather(*(h.teams.post(activity) for _ in range(10)))
    assert all(a.status == 200 for a in answers)
    # Submitted once more as a new activity (a second click): still the same kudos.
    assert (await h.teams.submit(1, submit_data(card), values, form_id)).status == 200
    assert len(channel_posts(h)) == 1
    assert len(await kudos_rows(h)) == 1
    await send_form(h, 1, [2, 3], "Thank you for sitting with me after that session!")
    assert len(channel_posts(h)) == 2
