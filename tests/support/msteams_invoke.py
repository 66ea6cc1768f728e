"""Invokes through the real app with Bot Framework authentication on, large teams, and the
Adaptive Cards schema with the one addition a searching picker makes.

With an app id set, every request must carry a JWT signed by the keys a local OpenID server
publishes, exactly as Teams' tokens are checked. Replies the bot would send through the connector
need an outbound token no test can fetch, so invoke tests with authentication on use answers that
travel in the HTTP response; flows that post elsewhere run in emulator mode.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import ClientResponse
from jsonschema import Draft6Validator

from bot.config import Settings
from bot.demo.bot_connector import FakeConnector
from bot.domain.ports.addresses import Address
from bot.infra.clock import FixedClock
from bot.platforms.msteams.render import TEAMMATES_DATASET
from bot.storage.addresses import SqlAddressBook
from bot.storage.db import session_factory
from tests.support.card_schema import COPY, SHARED
from tests.support.fakes.openid import OpenIdServer
from tests.support.msteams_driver import TEAM_ID, TENANT, aad, member, teams_user_id
from tests.support.msteams_harness import TeamsHarness, start_teams_harness, teams_roster

APP_ID = "5b0e8c2a-7d41-4f93-a6b8-2c9d0e1f3a47"
TEAMS_LIMIT = 28_000  # bytes: about what Teams accepts in one bot message

FIRST = ["Alexandra", "Benedict", "Catalina", "Dmitri", "Eleanor", "Fionnuala", "Gabriel"]
LAST = ["Whitfield-Okafor", "Fitzgerald", "Nakamura", "Castellanos", "Abernathy", "Lindqvist"]


def full_name(n: int) -> str:
    """A realistic display name for test person n: seven first names, six surnames, a number."""
    return f"{FIRST[n % len(FIRST)]} {LAST[(n // len(FIRST)) % len(LAST)]} {n:04d}"


def schema_1_5() -> dict[str, Any]:
    path = SHARED if SHARED.exists() else COPY
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


def strict_validator() -> Draft6Validator:
    """The official Adaptive Cards 1.5 schema, as it is."""
    return Draft6Validator(schema_1_5())


def typeahead_validator() -> Draft6Validator:
    """The 1.5 schema plus exactly what a searching picker carries from Adaptive Cards 1.6.

    `Input.ChoiceSet` gains `choices.data`, a `Data.Query` (type, dataset required, count, skip,
    as the 1.6 schema defines it), and its style may be `filtered`. Nothing else is loosened.
    """
    schema = copy.deepcopy(schema_1_5())
    definitions = schema["definitions"]
    definitions["Data.Query"] = {
        "type": "object",
        "properties": {
            "type": {"enum": ["Data.Query"]},
            "dataset": {"type": "string"},
            "count": {"type": "number"},
            "skip": {"type": "number"},
        },
        "required": ["type", "dataset"],
        "additionalProperties": False,
    }
    definitions["Input.ChoiceSet"]["properties"]["choices.data"] = {
        "$ref": "#/definitions/Data.Query"
    }
    definitions["ChoiceInputStyle"] = {"enum": ["compact", "expanded", "filtered"]}
    return Draft6Validator(schema)


def schema_errors(validator: Draft6Validator, card: dict[str, Any]) -> list[str]:
    return [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(card)]


def bearer(openid: OpenIdServer, service_url: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {openid.token(APP_ID, service_url)}"}


@pytest.fixture
def openid() -> Iterator[OpenIdServer]:
    server = OpenIdServer()
    server.start()
    yield server
    server.stop()


@asynccontextmanager
async def running(
    sqlite_url: str,
    connector: FakeConnector,
    clock: FixedClock,
    roster: dict[str, Any],
    openid: OpenIdServer | None = None,
) -> AsyncIterator[TeamsHarness]:
    """The app on `roster`, with authentication on when an OpenID server is given."""
    settings = Settings(database_url=sqlite_url)
    if openid is not None:
        settings = Settings(
            database_url=sqlite_url,
            microsoft_app_id=APP_ID,
            microsoft_app_password="not-a-real-secret",
            to_bot_from_channel_openid_metadata_url=openid.metadata_url,
        )
    harness, session = await start_teams_harness(settings, connector, clock, roster)
    try:
        yield harness
    finally:
        await session.close()
        await harness.server.close()
        await harness.respite.close()


def large_roster(size: int, **overrides: Any) -> dict[str, Any]:
    """One Teams team of people 1..size, plus a second team (people 5001..5010) beside it."""
    roster = teams_roster(
        members=[aad(n) for n in range(1, size + 1)], kudos_channel=TEAM_ID, **overrides
    )
    roster["teams"].append(
        {
            "id": "lighthouse",
            "name": "Lighthouse Psychology",
            "platform": "teams",
            "timezone": "Europe/London",
            "members": [aad(n) for n in range(5001, 5011)],
            "leads": [aad(5099)],
        }
    )
    return roster


def team_members(people: Sequence[int]) -> list[dict[str, Any]]:
    return [member(n, full_name(n)) for n in people]


async def post(
    h: TeamsHarness, activity: dict[str, Any], openid: OpenIdServer | None = None
) -> ClientResponse:
    headers = bearer(openid, activity["serviceUrl"]) if openid is not None else None
    return await h.teams.post(activity, headers)


async def install_team(h: TeamsHarness, people: Sequence[int]) -> None:
    """Add the bot to the team: Teams sends conversationUpdate, the bot reads the roster."""
    h.connector.team_members[TEAM_ID] = team_members(people)
    resp = await h.teams.post(h.teams.activity("conversation_update_team.json"))
    assert resp.status == 200


async def remember_team(h: TeamsHarness, people: Sequence[int]) -> None:
    """What installing the bot in the team leaves in the contacts table, written by its store.

    With authentication on, the bot's own roster read would need an outbound token no test can
    fetch, so the rows it would write are written through the same store instead.
    """
    store = SqlAddressBook(session_factory(h.respite.engine))
    for n in people:
        contact = Address(
            "user",
            aad(n),
            teams_user_id=teams_user_id(n),
            name=full_name(n),
            tenant_id=TENANT,
            service_url=h.connector.url,
            team_id=TEAM_ID,
        )
        await store.upsert(contact, h.clock.now())


def search_activity(
    h: TeamsHarness,
    person: int,
    text: str,
    skip: int = 0,
    top: int = 15,
    dataset: str = TEAMMATES_DATASET,
) -> dict[str, Any]:
    """An `application/search` invoke as Teams sends it while person types in the picker."""
    return h.teams.activity(
        "invoke_search.json",
        person,
        value={"queryText": text, "queryOptions": {"skip": skip, "top": top}, "dataset": dataset},
    )


def card_action_activity(
    h: TeamsHarness, person: int, data: dict[str, Any], reply_to: str = "1764493513000"
) -> dict[str, Any]:
    """An `adaptiveCard/action` invoke: an Action.Execute with its data and the card's inputs."""
    activity = h.teams.activity("invoke_card_action.json", person, reply_to=reply_to)
    activity["value"]["action"]["data"] = data
    return activity
