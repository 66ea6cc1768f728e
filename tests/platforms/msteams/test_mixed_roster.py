"""One process serves a Slack team and a Teams team side by side, through the same handlers."""

from __future__ import annotations

import copy
from typing import Any

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from bot.app.compose import build
from bot.app.web import build_web_app
from bot.config import Settings, parse_roster
from bot.demo.bot_connector import FakeConnector
from bot.domain.messages import Platform
from bot.infra.clock import FixedClock
from bot.storage.tables import pulse_responses
from scheduler import pulse
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.msteams_driver import TeamsDriver, personal_conversation
from tests.support.msteams_harness import TeamsHarness, teams_roster
from tests.support.pulse_answers import ANSWERS
from tests.support.roster import BASE_ROSTER, CLINICIANS
from tests.support.slack_driver import SIGNING_SECRET, SlackDriver
from tests.support.waiting import settle


async def test_slack_and_teams_in_one_process(
    database_url: str, fake_slack: FakeSlackApi, fake_connector: FakeConnector, clock: FixedClock
) -> None:
    roster: dict[str, Any] = copy.deepcopy(BASE_ROSTER)
    roster["teams"].extend(teams_roster()["teams"])
    settings = Settings(
        database_url=database_url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.url,
    )
    respite = await build(settings, clock=clock, roster=parse_roster(roster))
    server = TestServer(build_web_app(respite), host="127.0.0.1")
    await server.start_server()
    session = ClientSession()
    try:
        assert set(respite.routes) == {"/slack/events", "/api/messages"}
        assert set(respite.senders) == {Platform.SLACK, Platform.TEAMS}
        teams = TeamsDriver(session, str(server.make_url("/")), fake_connector.url)
        slack = SlackDriver(session, str(server.make_url("/")), fake_slack.response_url())
        h = TeamsHarness(respite, teams, fake_connector, clock, server)

        await teams.say(1, "checkin")
        form = {"respite_form": "pulse", "respite_context": "harbour"}
        await teams.submit(1, form, ANSWERS, "act-1")
        await slack.slash("/checkin", "", CLINICIANS[0])
        await settle(respite)
        assert fake_slack.called("views.open")
        view = fake_slack.called("views.open")[-1].params["view"]
        await slack.submit(view, ANSWERS, CLINICIANS[0])
        assert await h.count(pulse_responses) == 2

        await teams.say(2, "help")
        # Scheduled invitations go to each team on its own platform.
        await pulse.open_round(respite.deps, "riverside")
        await pulse.open_round(respite.deps, "harbour")
        await h.deliver()
        slack_dms = {c.params["channel"] for c in fake_slack.called("chat.postMessage")}
        assert set(CLINICIANS[1:]) <= slack_dms
        invites = [
            c.conversation_id
            for c in fake_connector.of("send", "reply")
            if c.body["attachments"][0]["content"]["body"][0]["text"].startswith("Time for")
        ]
        # Person 2 has a chat with the bot; person 1 answered already; the rest are unreachable.
        assert invites == [personal_conversation(2)]
    finally:
        await session.close()
        await server.close()
        await respite.close()
