"""The kudos form's people picker at any team size: a small team's people are listed, a large
team's are searched for as the giver types, and the form stays under Teams' size limit.

Sizes are those of the serialized activities as they reach the fake Bot Framework connector, and
of the HTTP answer to a search invoke.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text

from bot.demo.bot_connector import FakeConnector
from bot.infra.clock import FixedClock
from bot.platforms.msteams.render import SEARCH_PAGE, STATIC_CHOICES_MAX, TEAMMATES_DATASET
from bot.storage.tables import kudos as kudos_t
from tests.support.fakes.openid import OpenIdServer
from tests.support.msteams_driver import aad, personal_conversation
from tests.support.msteams_harness import LEAD, MEMBERS, TeamsHarness
from tests.support.msteams_invoke import (
    TEAMS_LIMIT,
    full_name,
    install_team,
    large_roster,
    openid,
    post,
    remember_team,
    running,
    schema_errors,
    search_activity,
    strict_validator,
    typeahead_validator,
)
from tests.support.msteams_kudos import channel_posts, submit_data

__all__ = ["openid"]  # a fixture, used by name

LARGE = 2000
GIVER = 1


async def open_form(h: TeamsHarness, person: int) -> tuple[dict[str, Any], int, str]:
    """Send `kudos`: the form's card, the size of the activity carrying it, and its id."""
    resp = await h.teams.say(person, "kudos")
    assert resp.status == 200
    call = h.connector.of("reply", "send")[-1]
    assert call.conversation_id == personal_conversation(person)
    assert call.response_id
    card: dict[str, Any] = call.body["attachments"][0]["content"]
    return card, int(call.headers["Content-Length"]), call.response_id


def picker_of(card: dict[str, Any]) -> dict[str, Any]:
    found: list[dict[str, Any]] = [b for b in card["body"] if b.get("id") == "recipients"]
    assert len(found) == 1
    return found[0]


async def search(
    h: TeamsHarness, person: int, text: str, openid: OpenIdServer | None = None, **options: Any
) -> tuple[int, dict[str, Any], int]:
    """A search invoke through the app: the HTTP status, the JSON answer and its size."""
    resp = await post(h, search_activity(h, person, text, **options), openid)
    raw = await resp.read()
    body: dict[str, Any] = await resp.json() if raw else {}
    return resp.status, body, len(raw)


def results(body: dict[str, Any]) -> list[tuple[str, str]]:
    assert body["type"] == "application/vnd.microsoft.search.searchResponse"
    return [(r["value"], r["title"]) for r in body["value"]["results"]]


@pytest.fixture
async def large_team(
    sqlite_url: str, fake_connector: FakeConnector, clock: FixedClock
) -> AsyncIterator[TeamsHarness]:
    async with running(sqlite_url, fake_connector, clock, large_roster(LARGE)) as h:
        await install_team(h, range(1, LARGE + 1))
        yield h


@pytest.fixture
async def secured_large_team(
    sqlite_url: str, fake_connector: FakeConnector, clock: FixedClock, openid: OpenIdServer
) -> AsyncIterator[TeamsHarness]:
    async with running(sqlite_url, fake_connector, clock, large_roster(LARGE), openid) as h:
        await remember_team(h, range(1, LARGE + 1))
        yield h


async def test_a_small_team_lists_its_people_on_a_pure_1_5_card(
    sqlite_url: str, fake_connector: FakeConnector, clock: FixedClock
) -> None:
    roster = large_roster(len(MEMBERS), leads=[aad(LEAD)])
    async with running(sqlite_url, fake_connector, clock, roster) as h:
        await install_team(h, [*MEMBERS, LEAD])
        card, size, _ = await open_form(h, GIVER)
        picker = picker_of(card)
        assert picker["style"] == "compact"
        assert "choices.data" not in picker
        offered = {c["value"] for c in picker["choices"]}
        team = h.respite.deps.directory.team("harbour")
        assert team is not None and len(team.members) >= len(MEMBERS)
        assert offered == team.members - {aad(GIVER)}
        assert schema_errors(strict_validator(), card) == []
        assert size < TEAMS_LIMIT


@pytest.mark.parametrize("size", [STATIC_CHOICES_MAX + 2, 600, LARGE])
async def test_a_large_team_form_searches_and_stays_under_teams_limit(
    sqlite_url: str, fake_connector: FakeConnector, clock: FixedClock, size: int
) -> None:
    async with running(sqlite_url, fake_connector, clock, large_roster(size)) as h:
        await install_team(h, range(1, size + 1))
        card, activity_size, _ = await open_form(h, GIVER)
        print(f"kudos form activity at {size} members: {activity_size} bytes")
        assert activity_size < TEAMS_LIMIT
        assert activity_size < 4_000  # the same whatever the team's size
        picker = picker_of(card)
        assert picker["choices"] == []
        assert picker["style"] == "filtered"
        assert picker["isMultiSelect"] is True
        assert picker["choices.data"] == {
            "type": "Data.Query",
            "dataset": TEAMMATES_DATASET,
            "count": SEARCH_PAGE,
        }
        texts = " ".join(b.get("text", "") for b in card["body"])
        assert "Type part of a name" in texts
        assert "send kudos @name message instead" in texts  # for a client that cannot search
        assert full_name(2) not in json.dumps(card)


async def test_the_searching_form_leaves_the_1_5_schema_by_exactly_two_documented_properties(
    large_team: TeamsHarness,
) -> None:
    card, _, _ = await open_form(large_team, GIVER)
    assert schema_errors(typeahead_validator(), card) == []
    # Against the official 1.5 schema alone the card fails, and it passes once the picker's
    # `choices.data` goes and its style is `compact`; with either one left, it fails again.
    index = next(i for i, b in enumerate(card["body"]) if b.get("id") == "recipients")
    assert schema_errors(strict_validator(), card)

    def changed(drop_query: bool, compact: bool) -> dict[str, Any]:
        body = [dict(b) for b in card["body"]]
        if drop_query:
            body[index].pop("choices.data")
        if compact:
            body[index]["style"] = "compact"
        return {**card, "body": body}

    assert schema_errors(strict_validator(), changed(drop_query=True, compact=True)) == []
    assert schema_errors(strict_validator(), changed(drop_query=True, compact=False))
    assert schema_errors(strict_validator(), changed(drop_query=False, compact=True))
    # The overlay really checks the Data.Query it allows.
    broken = {**card, "body": [dict(b) for b in card["body"]]}
    broken["body"][index]["choices.data"] = {"type": "Data.Query", "url": "https://x.example"}
    assert schema_errors(typeahead_validator(), broken)


async def test_search_answers_matching_teammates_paged_with_authentication_on(
    secured_large_team: TeamsHarness, openid: OpenIdServer
) -> None:
    h = secured_large_team
    everyone = {aad(n): full_name(n) for n in range(1, LARGE + 1) if n != GIVER}
    nakamura = sorted(
        ((i, name) for i, name in everyone.items() if "nakamura" in name.casefold()),
        key=lambda pair: (pair[1].casefold(), pair[0]),
    )
    assert len(nakamura) > 3 * SEARCH_PAGE

    pages: list[tuple[str, str]] = []
    sizes = []
    for skip in range(0, len(nakamura) + SEARCH_PAGE, SEARCH_PAGE):
        status, body, size = await search(h, GIVER, "NakaMura", openid, skip=skip)
        assert status == 200
        page = results(body)
        assert len(page) == min(SEARCH_PAGE, max(len(nakamura) - skip, 0))
        pages.extend(page)
        sizes.append(size)
    print(f"search invoke answer: {max(sizes)} bytes for a full page of {SEARCH_PAGE}")
    # Every match exactly once, in name order: pages neither overlap nor skip anyone.
    assert pages == nakamura[: len(pages)] and len(pages) == len(nakamura)
    assert max(sizes) < 2_000

    # Names starting with what was typed come first; then words starting with it; then the rest.
    status, body, _ = await search(h, GIVER, "fitz", openid)
    assert [name for _, name in results(body)][:1] == [
        min((n for n in everyone.values() if "Fitzgerald" in n), key=str.casefold)
    ]
    status, body, _ = await search(h, GIVER, "eleanor fitz", openid)
    found = results(body)
    assert found and all(name.startswith("Eleanor Fitzgerald") for _, name in found)

    # An empty query is the first page of everyone; nobody's name matches gibberish.
    status, body, _ = await search(h, GIVER, "", openid)
    expected = sorted(everyone.items(), key=lambda pair: (pair[1].casefold(), pair[0]))
    assert results(body) == expected[:SEARCH_PAGE]
    status, body, _ = await search(h, GIVER, "zzzz", openid)
    assert status == 200 and results(body) == []
    # Teams may ask for more than its drop-down shows; a page is never larger.
    status, body, _ = await search(h, GIVER, "a", openid, top=500)
    assert len(results(body)) == SEARCH_PAGE


async def test_search_never_offers_anyone_outside_the_searchers_team(
    secured_large_team: TeamsHarness, openid: OpenIdServer
) -> None:
    h = secured_large_team
    # People of another team, whose names Respite knows (they chatted with it).
    for n in range(5001, 5011):
        activity = h.teams.activity("conversation_update_personal.json", n)
        activity["from"]["name"] = full_name(n)
        assert (await post(h, activity, openid)).status == 200
    outsiders = {aad(n) for n in range(5001, 5011)}
    for typed in ("", full_name(5001), full_name(5001)[:6], "5001"):
        for skip in (0, SEARCH_PAGE):
            status, body, _ = await search(h, GIVER, typed, openid, skip=skip)
            assert status == 200
            ids = {i for i, _ in results(body)}
            assert not ids & outsiders, typed
            assert aad(GIVER) not in ids  # nor the giver themself
    # An outsider searching finds their own team, never the large one.
    status, body, _ = await search(h, 5001, "", openid)
    assert {i for i, _ in results(body)} == outsiders - {aad(5001)}
    # Someone on no team finds nobody.
    status, body, _ = await search(h, 7777, "", openid)
    assert status == 200 and results(body) == []


async def test_a_malformed_or_foreign_search_gets_a_clean_error(
    secured_large_team: TeamsHarness, openid: OpenIdServer
) -> None:
    h = secured_large_team
    status, body, _ = await search(h, GIVER, "ana", openid, dataset="graph.microsoft.com/users")
    assert status == 400
    assert body["type"] == "application/vnd.microsoft.error"
    assert body["value"]["code"] == "NotSupported"
    activity = search_activity(h, GIVER, "ana")
    activity["value"]["queryOptions"] = {"skip": "lots", "top": 15}
    resp = await post(h, activity, openid)
    assert resp.status == 400
    assert (await resp.json())["value"]["code"] == "BadRequest"
    # Without a valid token, a search is refused before it reaches the bot.
    resp = await h.teams.post(search_activity(h, GIVER, "ana"))
    assert resp.status == 401


async def test_a_person_found_by_search_can_be_recognised(large_team: TeamsHarness) -> None:
    h = large_team
    card, _, form_id = await open_form(h, GIVER)
    _, body, _ = await search(h, GIVER, full_name(1234))
    [(found, _)] = results(body)
    assert found == aad(1234)
    values = {
        "recipients": found,
        "category": "other",
        "visibility": "named",
        "message": "Thank you for the cover",
    }
    resp = await h.teams.submit(GIVER, submit_data(card), values, form_id)
    assert resp.status == 200
    assert await h.count(kudos_t) == 1
    [post_call] = channel_posts(h)
    mentioned = [e["mentioned"]["id"] for e in post_call.body["entities"]]
    assert mentioned == [aad(GIVER), aad(1234)]


async def test_a_search_that_fails_is_answered_with_an_error_not_a_bare_501(
    secured_large_team: TeamsHarness, openid: OpenIdServer
) -> None:
    h = secured_large_team
    async with h.respite.engine.begin() as connection:
        await connection.execute(text("DROP TABLE teams_contacts"))
    status, body, _ = await search(h, GIVER, "ana", openid)
    assert status == 500
    assert body["type"] == "application/vnd.microsoft.error"
    assert body["value"]["code"] == "InternalError"
