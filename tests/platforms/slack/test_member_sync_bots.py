"""A channel's bots, apps, deactivated accounts and Slackbot never join its synced team."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app.compose import Respite, build
from bot.config import Settings, parse_roster
from bot.domain.messages import Platform
from bot.infra.clock import FixedClock
from bot.storage.tables import pulse_rounds
from scheduler import pulse
from scheduler.member_sync import sync_members
from tests.support.delivery import deliver_all
from tests.support.fakes.slack_api import BOT_USER, SLACKBOT, FakeSlackApi
from tests.support.roster import AROUND_THE_CLOCK, roster_data
from tests.support.slack_driver import SIGNING_SECRET

PEOPLE = ["UPERSON1", "UPERSON2", "UPERSON3"]
OTHER_APP = "UOTHERAPP"
APP_USER = "UAPPUSER"
GONE = "UGONE01"
CHANNEL = "C0CLINIC"


def _channel(fake: FakeSlackApi) -> None:
    """Three people, the bot itself, another app's bot user, an app user, a deactivated account
    and Slackbot, as conversations.members lists them."""
    for person in PEOPLE:
        fake.add_person(person)
    fake.add_bot(OTHER_APP, "BOTHER01")
    fake.add_bot(APP_USER, "BOTHER02", app_user=True)
    fake.add_person(GONE)
    fake.deactivate(GONE)
    fake.channel_members[CHANNEL] = [
        SLACKBOT,
        PEOPLE[0],
        BOT_USER,
        OTHER_APP,
        PEOPLE[1],
        GONE,
        APP_USER,
        PEOPLE[2],
    ]


async def _build(database_url: str, fake: FakeSlackApi, clock: FixedClock) -> Respite:
    roster = roster_data(members=[], members_from={"channel": CHANNEL}, **AROUND_THE_CLOCK)
    settings = Settings(
        database_url=database_url,
        slack_bot_token="xoxb-t",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake.url,
    )
    return await build(settings, roster=parse_roster(roster), clock=clock)


async def _sync(respite: Respite) -> dict[str, int]:
    rt = respite.runtime
    return await sync_members(rt.directory, rt.member_lookups, rt.member_store, rt.deps.clock)


def _members(respite: Respite) -> frozenset[str]:
    team = respite.runtime.directory.team("riverside")
    assert team is not None
    return team.members


async def test_only_people_join_invited_and_counted(
    database_url: str, fake_slack: FakeSlackApi, clock: FixedClock
) -> None:
    _channel(fake_slack)
    respite = await _build(database_url, fake_slack, clock)
    try:
        assert await _sync(respite) == {"riverside": 3}
        assert _members(respite) == frozenset(PEOPLE)
        for other in (BOT_USER, OTHER_APP, APP_USER, GONE, SLACKBOT):
            assert respite.runtime.directory.team_of(Platform.SLACK, other) is None
        # Each member but Slackbot is asked about once.
        asked = [c.params["user"] for c in fake_slack.called("users.info")]
        assert sorted(asked) == sorted(set(fake_slack.channel_members[CHANNEL]) - {SLACKBOT})

        deps = respite.deps
        rnd = await pulse.open_round(deps, "riverside")
        assert await deliver_all(respite, clock) == 3
        invited = {c.params["channel"] for c in fake_slack.called("chat.postMessage")}
        assert invited == set(PEOPLE)

        assert await pulse.close_round(deps, rnd, freeze=False)
        async with AsyncSession(respite.engine) as s:
            headcount = (
                await s.execute(select(pulse_rounds.c.members).where(pulse_rounds.c.id == rnd.id))
            ).scalar_one()
        assert headcount == 3
    finally:
        await respite.close()


async def test_a_failed_lookup_keeps_the_last_members_with_one_log_line(
    database_url: str,
    fake_slack: FakeSlackApi,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _channel(fake_slack)
    respite = await _build(database_url, fake_slack, clock)
    try:
        assert await _sync(respite) == {"riverside": 3}

    finally:
        await respite.close()

    # A fourth person joins; after a restart (nothing cached), Slack fails to answer about the
    # second (an error in an HTTP 200 answer, which the client does not retry).
    fake_slack.add_person("UPERSON4")
    fake_slack.channel_members[CHANNEL].append("UPERSON4")
    default = fake_slack._users_info

    def flaky(params: dict[str, Any]) -> dict[str, Any]:
        if params.get("user") == PEOPLE[1]:
            return {"ok": False, "error": "internal_error"}
        return default(params)

    fake_slack.responders["users.info"] = flaky
    respite = await _build(database_url, fake_slack, clock)
    try:
        caplog.clear()
        with caplog.at_level(logging.INFO):
            assert await _sync(respite) == {}
        assert _members(respite) == frozenset(PEOPLE)
        loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(loud) == 1
        line = loud[0].getMessage()
        assert "team riverside keeps its last members" in line
        assert "users.info failed for 1 of 8 members" in line
        assert "internal_error" in line
        assert loud[0].exc_info is None  # one line, no traceback

        # Once Slack answers again, the sync goes through.
        del fake_slack.responders["users.info"]
        assert await _sync(respite) == {"riverside": 4}
        assert _members(respite) == frozenset([*PEOPLE, "UPERSON4"])
    finally:
        await respite.close()
