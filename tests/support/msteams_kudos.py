"""Driving kudos through the real Teams path: a team with a recognition channel, mentions as
Teams sends them, and readers for what reached the fake Bot Framework connector."""

from __future__ import annotations

import copy
import html
import re
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.demo.bot_connector import ConnectorCall, FakeConnector
from bot.domain.kudos import Kudos
from bot.infra.clock import FixedClock
from bot.storage.db import session_factory
from bot.storage.kudos import SqlKudosStore
from bot.storage.tables import kudos as kudos_t
from tests.support.msteams_driver import TEAM_ID, aad, member, personal_conversation, teams_user_id
from tests.support.msteams_harness import (
    LEAD,
    MEMBERS,
    TeamsHarness,
    start_teams_harness,
    teams_roster,
)

# The team's General channel: its id is the team's id, and installing the bot saves a reference.
KUDOS_CHANNEL = TEAM_ID


@pytest.fixture
async def kudos_teams(
    database_url: str, fake_connector: FakeConnector, clock: FixedClock
) -> AsyncIterator[TeamsHarness]:
    harness, session = await start_teams_harness(
        Settings(database_url=database_url),
        fake_connector,
        clock,
        teams_roster(kudos_channel=KUDOS_CHANNEL, kudos_daily_limit=50),
    )
    yield harness
    await session.close()
    await harness.server.close()
    await harness.respite.close()


async def install(h: TeamsHarness, names: dict[int, str] | None = None) -> None:
    """Add the bot to the team: Teams sends conversationUpdate, the bot reads the roster."""
    names = names or {}
    h.connector.team_members[TEAM_ID] = [member(n, names.get(n)) for n in [*MEMBERS, LEAD]]
    resp = await h.teams.post(h.teams.activity("conversation_update_team.json"))
    assert resp.status == 200


def mention(n: int, name: str | None = None, with_aad: bool = False) -> dict[str, Any]:
    """A user mention entity as Teams sends it (usually without the AAD object id)."""
    mentioned: dict[str, Any] = {"id": teams_user_id(n), "name": name or f"Person {n}"}
    if with_aad:
        mentioned["aadObjectId"] = aad(n)
    return {"type": "mention", "text": f"<at>{name or f'Person {n}'}</at>", "mentioned": mentioned}


def with_mentions(
    h: TeamsHarness,
    template: str,
    person: int,
    text: str,
    mentioned: Sequence[int],
    *,
    with_aad: bool = False,
) -> dict[str, Any]:
    """A message activity whose text carries `<at>` tags and the matching mention entities."""
    activity = h.teams.activity(template, person, text=text)
    activity["entities"] = [
        *copy.deepcopy(activity.get("entities") or []),
        *(mention(n, with_aad=with_aad) for n in mentioned),
    ]
    return activity


async def say_kudos(
    h: TeamsHarness,
    person: int,
    mentioned: Sequence[int],
    rest: str,
    *,
    channel: bool = False,
    with_aad: bool = False,
) -> None:
    """`kudos @a @b rest` in a 1:1 chat, or `@Respite kudos @a @b rest` in the team's channel.

    `rest` is what the person typed; Teams sends typed text HTML-escaped.
    """
    tags = " ".join(f"<at>Person {n}</at>" for n in mentioned)
    typed = html.escape(rest, quote=False)
    if channel:
        activity = with_mentions(
            h,
            "channel_mention.json",
            person,
            f"<at>Respite</at> kudos {tags} {typed}",
            mentioned,
            with_aad=with_aad,
        )
    else:
        activity = with_mentions(
            h, "message_text.json", person, f"kudos {tags} {typed}", mentioned, with_aad=with_aad
        )
    resp = await h.teams.post(activity)
    assert resp.status == 200


async def open_form(h: TeamsHarness, person: int) -> tuple[dict[str, Any], str]:
    resp = await h.teams.say(person, "kudos")
    assert resp.status == 200
    call = h.connector.of("reply", "send")[-1]
    assert call.conversation_id == personal_conversation(person)
    assert call.response_id
    card: dict[str, Any] = call.body["attachments"][0]["content"]
    return card, call.response_id


def submit_data(card: dict[str, Any]) -> dict[str, Any]:
    actions = [a for a in card["actions"] if "respite_form" in a.get("data", {})]
    assert len(actions) == 1
    data: dict[str, Any] = actions[0]["data"]
    return data


async def send_form(
    h: TeamsHarness,
    person: int,
    recipients: Sequence[int],
    message: str,
    category: str = "other",
    visibility: str = "named",
) -> None:
    """Open the form and submit it, choices as Teams sends a multi-select (comma-separated)."""
    card, form_id = await open_form(h, person)
    values = {
        "recipients": ",".join(aad(n) for n in recipients),
        "category": category,
        "visibility": visibility,
        "message": message,
    }
    resp = await h.teams.submit(person, submit_data(card), values, form_id)
    assert resp.status == 200


def channel_posts(h: TeamsHarness) -> list[ConnectorCall]:
    return [c for c in h.connector.of("send") if c.conversation_id == KUDOS_CHANNEL]


def card_of(call: ConnectorCall) -> dict[str, Any]:
    content: dict[str, Any] = call.body["attachments"][0]["content"]
    return content


def body_texts(card: dict[str, Any]) -> list[str]:
    return [b["text"] for b in card["body"] if b["type"] == "TextBlock"]


def button_value(card: dict[str, Any], action_id: str) -> str:
    for action in card.get("actions", []):
        if action.get("data", {}).get("respite_action") == action_id:
            return str(action["data"]["respite_value"])
    raise AssertionError(f"no {action_id} button")


def expected_mention(n: int, name: str | None = None) -> dict[str, Any]:
    name = name or f"Person {n}"
    return {
        "type": "mention",
        "text": f"<at>{name}</at>",
        "mentioned": {"id": aad(n), "name": name},
    }


async def kudos_rows(h: TeamsHarness) -> list[Kudos]:
    """Every stored kudos, oldest first, read back through the store."""
    async with AsyncSession(h.respite.engine) as s:
        ids = (await s.scalars(select(kudos_t.c.id).order_by(kudos_t.c.created_at))).all()
    store = SqlKudosStore(session_factory(h.respite.engine))
    found = [await store.get(i) for i in ids]
    return [k for k in found if k is not None]


def teams_literal(text: str) -> str:
    """How a card's TextBlock must carry user text: HTML entities, then markdown escaped."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"([\\`*_\[\]()~#|!])", r"\\\1", text)
    text = re.sub(r"^(\s*)([-+]|\d+[.)])(\s)", r"\1\\\2\3", text, flags=re.MULTILINE)
    return text.replace("{{", "{\u200b{")
