"""What a pulse submission puts on the wire must not tell a heavy week from a light one.

A reverse proxy's access log records each response's body bytes, and an egress proxy's log the
size of each outbound call; TLS hides neither. So a strained and a calm answer set, submitted by
two clinicians through the real protocol paths, must produce HTTP responses and outbound calls of
exactly equal sizes, while each clinician still reads the thanks meant for them.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import ClientResponse

from bot.config import Settings
from bot.demo.bot_connector import FakeConnector
from bot.domain.messages import Card, Platform
from bot.domain.pulse import ANY_WEEK_LINE, HEAVY_WEEK_LINE, thanks_card
from bot.domain.team import SupportResource, Team
from bot.infra.clock import FixedClock
from bot.platforms.msteams.activity import card_activity
from bot.platforms.slack.render import fallback_text, message_blocks, modal_view
from tests.support.msteams_harness import TeamsHarness, start_teams_harness, teams_roster
from tests.support.roster import CLINICIANS
from tests.support.slack_harness import SlackHarness
from tests.support.waiting import settle

STRAINED = {
    "drained": "5",
    "recharged": "1",
    "going_through_motions": "4",
    "made_a_difference": "2",
    "caseload": "5",
    "supported": "1",
}
CALM = {
    "drained": "1",
    "recharged": "5",
    "going_through_motions": "1",
    "made_a_difference": "5",
    "caseload": "2",
    "supported": "5",
}
HEAVY_WEEK = "this week has been heavy"


@dataclass(frozen=True)
class Wire:
    """One HTTP message as a proxy's log would measure it."""

    content_length: str | None
    body: bytes


async def _wire(response: ClientResponse) -> Wire:
    return Wire(response.headers.get("Content-Length"), await response.read())


def _texts(blocks: list[dict[str, Any]]) -> str:
    return " ".join(str(b.get("text", {}).get("text", "")) for b in blocks)


# Every rendering, for teams of every shape ----------------------------------------------------


def _team(*resources: SupportResource) -> Team:
    return Team(
        "t", "Team", Platform.SLACK, "UTC", frozenset({"U1"}), frozenset(), resources=resources
    )


TEAMS = [
    _team(),
    _team(SupportResource("Employee Assistance Programme", text="0800 123 4567, 24/7")),
    _team(
        SupportResource("Peer support <Tuesdays> & *drop-in*", url="https://example.org/a?b=1&c"),
        SupportResource("Chaplaincy — Café {{room}}"),
    ),
]


def _renderings(card: Card) -> list[str]:
    """Every text the thanks card can travel as, on each platform."""
    return [
        # Slack: a view submission's ack, and an ephemeral message (a reply outside a modal).
        json.dumps(
            {"response_action": "update", "view": json.loads(modal_view(card, "info").text)}
        ),
        json.dumps({"text": fallback_text(card), "blocks": message_blocks(card)}),
        # Teams: the activity the connector receives, and the console's plain text.
        json.dumps(card_activity(card).serialize()),
        card.fallback,
    ]


@pytest.mark.parametrize("team", TEAMS, ids=["no resources", "one resource", "odd characters"])
def test_every_rendering_of_the_thanks_has_one_size(team: Team) -> None:
    heavy, light = thanks_card(team, True), thanks_card(team, False)
    assert heavy != light
    for heavy_text, light_text in zip(_renderings(heavy), _renderings(light), strict=True):
        assert len(heavy_text.encode()) == len(light_text.encode())


def test_the_two_lines_differ_only_in_what_they_say() -> None:
    """Both are plain ASCII that no renderer escapes, and neither needs padding today."""
    for line in (HEAVY_WEEK_LINE, ANY_WEEK_LINE):
        assert set(line) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ ,.;:")
    assert len(HEAVY_WEEK_LINE) == len(ANY_WEEK_LINE)


# Slack ----------------------------------------------------------------------------------------


async def _slack_form(h: SlackHarness, user: str) -> dict[str, Any]:
    before = len(h.fake.called("views.open"))
    assert (await h.slack.slash("/checkin", "", user)).status == 200
    await settle(h.respite)
    assert len(h.fake.called("views.open")) > before
    view: dict[str, Any] = h.fake.called("views.open")[-1].params["view"]
    return view


async def _slack_submit(h: SlackHarness, user: str, answers: dict[str, str]) -> tuple[Wire, int]:
    """The submission's HTTP response, and how many Web API calls it made."""
    view = await _slack_form(h, user)
    calls_before = len(h.fake.calls)
    response = await h.slack.submit(view, answers, user)
    assert response.status == 200
    return await _wire(response), len(h.fake.calls) - calls_before


def _view_blocks(wire: Wire) -> list[dict[str, Any]]:
    body = json.loads(wire.body)
    assert body["response_action"] == "update"
    blocks: list[dict[str, Any]] = body["view"]["blocks"]
    return blocks


async def test_slack_thanks_are_one_size_whatever_the_answers(slack_app: SlackHarness) -> None:
    strained, strained_calls = await _slack_submit(slack_app, CLINICIANS[0], STRAINED)
    calm, calm_calls = await _slack_submit(slack_app, CLINICIANS[1], CALM)
    # Each clinician reads the thanks meant for them...
    assert HEAVY_WEEK in _texts(_view_blocks(strained))
    assert HEAVY_WEEK not in _texts(_view_blocks(calm))
    # ...in a response the proxy cannot tell apart, and nothing else goes out.
    assert strained.content_length is not None
    assert strained.content_length == calm.content_length == str(len(strained.body))
    assert len(strained.body) == len(calm.body)
    assert strained_calls == calm_calls == 0


# Teams ----------------------------------------------------------------------------------------


@pytest.fixture
async def teams(database_url: str, clock: FixedClock) -> AsyncIterator[TeamsHarness]:
    connector = FakeConnector()
    await connector.start()
    harness, session = await start_teams_harness(
        Settings(database_url=database_url), connector, clock, teams_roster()
    )
    yield harness
    await session.close()
    await harness.server.close()
    await harness.respite.close()
    await connector.close()


async def _teams_form(h: TeamsHarness, person: int) -> tuple[dict[str, Any], str]:
    assert (await h.teams.say(person, "checkin")).status == 200
    call = h.connector.of("reply", "send")[-1]
    card = call.body["attachments"][0]["content"]
    data = next(a["data"] for a in card["actions"] if "respite_form" in a.get("data", {}))
    assert call.response_id
    return data, call.response_id


async def _teams_submit(
    h: TeamsHarness, person: int, answers: dict[str, str]
) -> tuple[Wire, list[tuple[str, str | None]], dict[str, Any]]:
    """The HTTP response to the submission, the connector calls it made, and the thanks card."""
    form, form_id = await _teams_form(h, person)
    before = len(h.connector.calls)
    response = await h.teams.submit(person, form, answers, form_id)
    assert response.status == 200
    calls = h.connector.calls[before:]
    sizes = [(c.kind, c.headers.get("Content-Length")) for c in calls]
    update = next(c for c in calls if c.kind == "update")
    card: dict[str, Any] = update.body["attachments"][0]["content"]
    return await _wire(response), sizes, card


async def test_teams_thanks_are_one_size_whatever_the_answers(teams: TeamsHarness) -> None:
    strained, strained_calls, strained_card = await _teams_submit(teams, 1, STRAINED)
    calm, calm_calls, calm_card = await _teams_submit(teams, 2, CALM)
    assert HEAVY_WEEK in " ".join(b.get("text", "") for b in strained_card["body"])
    assert HEAVY_WEEK not in " ".join(b.get("text", "") for b in calm_card["body"])
    # The answer to Teams' POST is the same, and so is every call out to the connector.
    assert strained == calm
    assert [kind for kind, _ in strained_calls] == ["update"]
    assert all(length is not None for _, length in strained_calls)
    assert strained_calls == calm_calls
