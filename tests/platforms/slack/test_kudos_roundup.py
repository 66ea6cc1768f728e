"""The weekly recognition roundup and the digest's kudos count, on both databases."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from scheduler import kudos
from tests.support.roster import CLINICIANS, MONDAY, roster_data
from tests.support.slack_harness import SlackHarness
from tests.support.slack_kudos import KUDOS_CHANNEL, button_value, channel_posts, slash

GIVER, ANA, BEN, CARA = CLINICIANS[0], CLINICIANS[1], CLINICIANS[2], CLINICIANS[3]
FRIDAY_1600 = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)


@pytest.fixture
def harness_roster() -> dict[str, Any]:
    return roster_data(kudos_channel=KUDOS_CHANNEL)


async def _week_of_kudos(h: SlackHarness) -> None:
    await slash(h, f"<@{ANA}> cover thank you for Tuesday", GIVER)
    h.clock.advance(timedelta(days=1))
    await slash(h, f"<@{ANA}> <@{CARA}> anon support you both kept me going", BEN)
    h.clock.advance(timedelta(days=1))
    await slash(h, f"<@{BEN}> hard-session that family meeting", CARA)
    withdrawn = await slash(h, f"<@{CARA}> consult a kudos that is taken back", ANA)
    await slash(h, f"withdraw {button_value(withdrawn['blocks'], 'kudos-withdraw')}", ANA)


async def test_roundup_counts_categories_and_names_only_who_agreed(
    slack_app: SlackHarness,
) -> None:
    assert kudos.tick in slack_app.respite.runtime.extra_ticks
    await _week_of_kudos(slack_app)
    reply = await slash(slack_app, "kudos-names off", BEN, command="/respite")
    assert "will not name you" in reply["text"]
    deps = slack_app.respite.deps
    # Before Friday 16:00 nothing is due for this week.
    slack_app.clock.set(FRIDAY_1600 - timedelta(minutes=1))
    await kudos.tick(deps)
    await slack_app.deliver()
    assert len(channel_posts(slack_app)) == 4  # the four kudos, one since withdrawn
    slack_app.clock.set(FRIDAY_1600 + timedelta(minutes=3))
    await kudos.tick(deps)
    await kudos.tick(deps)  # idempotent: keyed by (team, week)
    await slack_app.deliver()
    roundup = channel_posts(slack_app)[-1]
    assert len(channel_posts(slack_app)) == 5
    assert roundup.params["blocks"] == [
        {"type": "header", "text": {"type": "plain_text", "text": "This week's recognition"}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "3 kudos between Fri 27 Nov and Fri 04 Dec.",
                "verbatim": True,
            },
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "🫶 held a hard session: 1\n🤝 covered for a colleague: 1\n"
                "🌱 supported me: 1",
                "verbatim": True,
            },
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"Recognised: <@{ANA}> and <@{CARA}>, and 1 more who prefer not to be "
                "named.",
                "verbatim": True,
            },
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "Thank you for noticing each other's work. `/respite kudos-names "
                    "off` keeps your name out of roundups.",
                    "verbatim": True,
                }
            ],
        },
    ]
    assert BEN not in json.dumps(roundup.params)
    # Later ticks that week change nothing; the next week's roundup has nothing to say.
    slack_app.clock.advance(timedelta(days=2))
    await kudos.tick(deps)
    slack_app.clock.set(FRIDAY_1600 + timedelta(days=7))
    await kudos.tick(deps)
    assert await slack_app.deliver() == 0


async def test_names_can_be_turned_back_on(slack_app: SlackHarness) -> None:
    await slash(slack_app, "kudos-names off", ANA, command="/respite")
    assert "will not name you" in (await slash(slack_app, "kudos-names", ANA, "/respite"))["text"]
    await slash(slack_app, "kudos-names on", ANA, command="/respite")
    assert "may name you" in (await slash(slack_app, "kudos-names", ANA, "/respite"))["text"]
    await slash(slack_app, f"<@{ANA}> thanks", GIVER)
    slack_app.clock.set(FRIDAY_1600)
    await kudos.tick(slack_app.respite.deps)
    await slack_app.deliver()
    assert f"Recognised: <@{ANA}>." in json.dumps(channel_posts(slack_app)[-1].params)


async def test_kudos_count_for_the_digest(slack_app: SlackHarness) -> None:
    await _week_of_kudos(slack_app)
    store = slack_app.respite.deps.kudos
    assert store is not None
    assert await store.kudos_count("riverside", MONDAY, MONDAY + timedelta(days=7)) == 3
    assert await store.kudos_count("riverside", MONDAY, MONDAY + timedelta(days=1)) == 1
    assert await store.kudos_count("riverside", MONDAY + timedelta(days=1), FRIDAY_1600) == 2
    assert await store.kudos_count("elsewhere", MONDAY, FRIDAY_1600) == 0


async def test_givers_are_forgotten_after_the_quota_window(slack_app: SlackHarness) -> None:
    from sqlalchemy import func, select
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.storage.tables import kudos as kudos_t
    from bot.storage.tables import kudos_quota

    async def tags_and_ledger() -> tuple[list[bool], int]:
        async with AsyncSession(slack_app.respite.engine) as s:
            tags = await s.execute(select(kudos_t.c.giver_tag).order_by(kudos_t.c.created_at))
            ledger = await s.scalar(select(func.count()).select_from(kudos_quota))
            return [t is not None for (t,) in tags], int(ledger or 0)

    await _week_of_kudos(slack_app)  # Monday, Tuesday (anonymous) and Wednesday 09:00
    deps = slack_app.respite.deps
    assert await tags_and_ledger() == ([False, True, False], 1)
    slack_app.clock.set(MONDAY + timedelta(days=2, minutes=30))
    assert await kudos.forget_givers(deps) == 1  # the quota's entry, once out of the window
    assert await tags_and_ledger() == ([False, True, False], 0)
    slack_app.clock.set(MONDAY + timedelta(days=2, hours=1))
    assert await kudos.forget_givers(deps) == 1  # the tag, at most an hour later
    assert await tags_and_ledger() == ([False, False, False], 0)
