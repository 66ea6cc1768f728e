"""Helpers for driving kudos through the Slack path and reading what reached the fake Slack."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.tables import kudos as kudos_t
from tests.support.fakes.slack_api import Call
from tests.support.slack_harness import SlackHarness
from tests.support.waiting import settle

KUDOS_CHANNEL = "C0KUDOS01"
HOSTILE = Path(__file__).parents[1] / "data" / "hostile_strings.json"


def hostile_strings() -> list[str]:
    data: list[str] = json.loads(HOSTILE.read_text(encoding="utf-8"))
    return data


def slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


async def slash(h: SlackHarness, text: str, user: str, command: str = "/kudos") -> dict[str, Any]:
    """Run a slash command and return the ephemeral reply it produced."""
    before = len(h.fake.responses)
    resp = await h.slack.slash(command, text, user)
    assert resp.status == 200
    await settle(h.respite)
    assert len(h.fake.responses) > before, f"no reply to {command} {text!r}"
    reply: dict[str, Any] = h.fake.responses[-1]
    assert reply["response_type"] == "ephemeral"
    return reply


async def open_form(h: SlackHarness, user: str) -> dict[str, Any]:
    before = len(h.fake.called("views.open"))
    resp = await h.slack.slash("/kudos", "", user)
    assert resp.status == 200
    await settle(h.respite)
    assert len(h.fake.called("views.open")) > before, "no kudos modal"
    view: dict[str, Any] = h.fake.called("views.open")[-1].params["view"]
    return view


def channel_posts(h: SlackHarness) -> list[Call]:
    return [c for c in h.fake.called("chat.postMessage") if c.params["channel"] == KUDOS_CHANNEL]


def texts(blocks: list[dict[str, Any]]) -> str:
    """All visible text of a list of blocks."""
    out: list[str] = []
    for block in blocks:
        if "text" in block:
            out.append(block["text"]["text"])
        for element in block.get("elements", []):
            if "text" in element:
                text = element["text"]
                out.append(text["text"] if isinstance(text, dict) else text)
        for field in block.get("fields", []):
            out.append(field["text"])
    return "\n".join(out)


def button_value(blocks: list[dict[str, Any]], action_id: str) -> str:
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button")


async def kudos_rows(h: SlackHarness) -> list[Any]:
    async with AsyncSession(h.respite.engine) as s:
        return list((await s.execute(select(kudos_t).order_by(kudos_t.c.created_at))).all())
