"""One driver for the flows every platform carries: the pulse, kudos and breaks.

A flow test says what a person does ("asks for the pulse", "sends kudos to 2 and 3", "presses
Done on the prompt") and reads what the person was shown, as plain text. A `Flow` per platform
turns each step into that platform's own requests (signed Slack payloads through `SlackDriver`,
Bot Framework activities through `TeamsDriver`) and reads the answers back from the fakes. People
are numbered 1 to 8 (the team's members) on every platform, 99 is the team's lead and any other
number someone on no team; `Flow.user` gives the id the app stores for them. What only one
platform does stays in that platform's own tests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app.compose import Respite
from bot.config import Settings
from bot.demo.bot_connector import ConnectorCall, FakeConnector
from bot.domain.messages import Platform
from bot.infra.clock import FixedClock
from tests.support.delivery import deliver_all
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.msteams_driver import TEAM_ID, aad, member, personal_conversation, teams_user_id
from tests.support.msteams_harness import LEAD as TEAMS_LEAD
from tests.support.msteams_harness import MEMBERS as TEAMS_MEMBERS
from tests.support.msteams_harness import TeamsHarness, start_teams_harness, teams_roster
from tests.support.roster import CLINICIANS, roster_data
from tests.support.roster import LEAD as SLACK_LEAD
from tests.support.slack_harness import SlackHarness, start_slack_harness
from tests.support.waiting import settle

PLATFORMS = ("slack", "msteams")
LEAD = 99  # the team's lead, who is not one of its members
SLACK_KUDOS_CHANNEL = "C0KUDOS01"


def texts(value: Any) -> str:
    """Every piece of text a person can read in a Slack view or message, or a Teams card:
    the strings under "text", "title", "label" and "value" (a fact's), in order."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, inner in node.items():
                if key in ("text", "title", "label", "value") and isinstance(inner, str):
                    found.append(inner)
                else:
                    walk(inner)
        elif isinstance(node, list):
            for inner in node:
                walk(inner)

    walk(value)
    return "\n".join(found)


@dataclass
class Form:
    """A form the app showed: its questions in order, the values each offers, its text, and
    what the platform needs to submit it."""

    questions: list[str]
    choices: dict[str, list[str]]
    text: str
    handle: Any


@dataclass
class Shown:
    """What a person was shown after a step: its text, whether a form they submitted was
    accepted (closed with a confirmation), and the buttons on it (action id -> value)."""

    text: str
    accepted: bool = False
    buttons: dict[str, str] = field(default_factory=dict)
    handle: Any = None


class Flow:
    """The steps a flow test takes, the same on every platform."""

    name: str
    platform: Platform
    team_id: str
    respite: Respite
    clock: FixedClock
    kudos_channel: str

    def user(self, person: int) -> str:
        raise NotImplementedError

    def typed(self, command: str) -> str:
        """How a person types a Respite command on this platform (what hints must say)."""
        raise NotImplementedError

    async def say(self, person: int, command: str) -> Shown:
        """The person types a Respite command (`breaks at 10:50`, `kudos withdraw <id>`)."""
        raise NotImplementedError

    async def open_form(self, person: int, feature: str) -> Form | Shown:
        """The person asks for a feature's form (`pulse` or `kudos`); what they were shown
        instead when no form came."""
        raise NotImplementedError

    async def submit(self, person: int, form: Form, values: dict[str, str]) -> Shown:
        raise NotImplementedError

    async def press(self, person: int, shown: Shown, action: str) -> Shown:
        """The person presses the button `action` on something they were shown."""
        raise NotImplementedError

    def prompts(self, person: int, title: str = "short break") -> list[Shown]:
        """Messages the app sent the person on its own (not replies) whose text has `title`."""
        raise NotImplementedError

    def channel_posts(self) -> list[str]:
        """The text of each post in the team's recognition channel."""
        raise NotImplementedError

    def deleted_posts(self) -> int:
        raise NotImplementedError

    def kudos_values(
        self, recipients: Sequence[int], message: str, category: str, visibility: str
    ) -> dict[str, str]:
        raise NotImplementedError

    async def deliver(self) -> int:
        return await deliver_all(self.respite, self.clock)

    async def count(self, table: Any) -> int:
        async with AsyncSession(self.respite.engine) as s:
            return int(await s.scalar(select(func.count()).select_from(table)) or 0)

    async def send_kudos(
        self,
        person: int,
        recipients: Sequence[int],
        message: str,
        category: str = "other",
        visibility: str = "named",
    ) -> Shown:
        """Open the kudos form and submit it."""
        form = await self.open_form(person, "kudos")
        assert isinstance(form, Form), form
        values = self.kudos_values(recipients, message, category, visibility)
        return await self.submit(person, form, values)


class SlackFlow(Flow):
    name = "slack"
    platform = Platform.SLACK
    team_id = "riverside"
    kudos_channel = SLACK_KUDOS_CHANNEL

    def __init__(self, h: SlackHarness) -> None:
        self.h, self.respite, self.clock = h, h.respite, h.clock
        self.fake: FakeSlackApi = h.fake

    def user(self, person: int) -> str:
        if person == LEAD:
            return SLACK_LEAD
        return CLINICIANS[person - 1] if person <= len(CLINICIANS) else f"UOUTSIDER{person}"

    def typed(self, command: str) -> str:
        return f"/respite {command}"

    async def _replies_to(self, request: Any) -> Shown:
        before = len(self.fake.responses)
        resp = await request
        assert resp.status == 200
        await settle(self.respite)
        new = self.fake.responses[before:]
        # A reply to one person is only ever theirs to see.
        assert all(r.get("response_type") == "ephemeral" for r in new), new
        buttons = {k: v for r in new for k, v in _slack_buttons(r.get("blocks", [])).items()}
        return Shown(
            "\n".join(f"{r.get('text', '')}\n{texts(r.get('blocks', []))}" for r in new),
            buttons=buttons,
        )

    async def say(self, person: int, command: str) -> Shown:
        return await self._replies_to(self.h.slack.slash("/respite", command, self.user(person)))

    async def open_form(self, person: int, feature: str) -> Form | Shown:
        command = {"pulse": "/checkin", "kudos": "/kudos"}[feature]
        opened = len(self.fake.called("views.open"))
        shown = await self._replies_to(self.h.slack.slash(command, "", self.user(person)))
        if len(self.fake.called("views.open")) == opened:
            return shown
        view: dict[str, Any] = self.fake.called("views.open")[-1].params["view"]
        inputs = [b for b in view["blocks"] if b["type"] == "input"]
        return Form(
            questions=[b["block_id"] for b in inputs],
            choices={
                b["block_id"]: [o["value"] for o in b["element"].get("options", [])] for b in inputs
            },
            text=texts(view),
            handle=view,
        )

    async def submit(self, person: int, form: Form, values: dict[str, str]) -> Shown:
        resp = await self.h.slack.submit(form.handle, values, self.user(person))
        assert resp.status == 200
        body = await resp.json()
        await settle(self.respite)
        if body.get("response_action") == "errors":
            return Shown("\n".join(f"{k}: {v}" for k, v in body["errors"].items()))
        view = body["view"]
        view.setdefault("id", form.handle.get("id") or "V0123456")
        return Shown(
            texts(view),
            accepted=body.get("response_action") == "update",
            buttons=_slack_buttons(view.get("blocks", [])),
            handle=view,
        )

    async def press(self, person: int, shown: Shown, action: str) -> Shown:
        value = shown.buttons[action]
        if shown.handle is None:  # a message: the answer comes to its response_url
            return await self._replies_to(self.h.slack.click(action, value, self.user(person)))
        updated = len(self.fake.called("views.update"))
        shown_now = await self._replies_to(
            self.h.slack.click_in_modal(shown.handle, action, value, self.user(person))
        )
        updates = self.fake.called("views.update")[updated:]
        return Shown(shown_now.text + "\n" + "\n".join(texts(u.params["view"]) for u in updates))

    def prompts(self, person: int, title: str = "short break") -> list[Shown]:
        return [
            Shown(
                f"{c.params.get('text', '')}\n{texts(c.params.get('blocks', []))}",
                buttons=_slack_buttons(c.params.get("blocks", [])),
            )
            for c in self.fake.called("chat.postMessage")
            if c.params.get("channel") == self.user(person) and title in c.params.get("text", "")
        ]

    def channel_posts(self) -> list[str]:
        return [
            f"{c.params.get('text', '')}\n{texts(c.params.get('blocks', []))}"
            for c in self.fake.called("chat.postMessage")
            if c.params["channel"] == self.kudos_channel
        ]

    def deleted_posts(self) -> int:
        return len(self.fake.called("chat.delete"))

    def kudos_values(
        self, recipients: Sequence[int], message: str, category: str, visibility: str
    ) -> dict[str, str]:
        return {
            "recipients": " ".join(self.user(n) for n in recipients),
            "category": category,
            "visibility": visibility,
            "message": message,
        }


def _slack_buttons(blocks: list[dict[str, Any]]) -> dict[str, str]:
    return {
        e["action_id"]: str(e.get("value", ""))
        for b in blocks
        if b.get("type") == "actions"
        for e in b.get("elements", [])
        if "action_id" in e
    }


class TeamsFlow(Flow):
    name = "msteams"
    platform = Platform.TEAMS
    team_id = "harbour"
    kudos_channel = TEAM_ID

    def __init__(self, h: TeamsHarness) -> None:
        self.h, self.respite, self.clock = h, h.respite, h.clock
        self.connector: FakeConnector = h.connector

    def user(self, person: int) -> str:
        return aad(person)

    def typed(self, command: str) -> str:
        return command

    async def install(self) -> None:
        """Add the bot to the team: Teams sends conversationUpdate and the bot reads the roster,
        so it can reach every member and name them."""
        self.connector.team_members[TEAM_ID] = [member(n) for n in [*TEAMS_MEMBERS, TEAMS_LEAD]]
        resp = await self.h.teams.post(self.h.teams.activity("conversation_update_team.json"))
        assert resp.status == 200

    def _conversations(self, person: int) -> set[str]:
        created = {
            str(c.response_id)
            for c in self.connector.of("create")
            if c.body["members"][0]["id"] == teams_user_id(person)
        }
        return {personal_conversation(person), *created}

    async def _answer_to(self, person: int, activity: dict[str, Any]) -> Shown:
        before = len(self.connector.calls)
        resp = await self.h.teams.post(activity)
        assert resp.status == 200
        await settle(self.respite)
        mine = self._conversations(person)
        new = [
            c
            for c in self.connector.calls[before:]
            if c.kind in ("send", "reply", "update") and c.conversation_id in mine
        ]
        return Shown(
            "\n".join(_teams_text(c) for c in new),
            accepted=any(c.kind == "update" for c in new),
            buttons={k: v for c in new for k, v in _teams_buttons(c).items()},
            handle=next((c.activity_id or c.response_id for c in reversed(new)), None),
        )

    async def say(self, person: int, command: str) -> Shown:
        return await self._answer_to(
            person, self.h.teams.activity("message_text.json", person, text=command)
        )

    async def open_form(self, person: int, feature: str) -> Form | Shown:
        word = {"pulse": "checkin", "kudos": "kudos"}[feature]
        before = len(self.connector.calls)
        shown = await self.say(person, word)
        for call in self.connector.calls[before:]:
            for attachment in call.body.get("attachments") or []:
                card = attachment["content"]
                data = [
                    a["data"]
                    for a in card.get("actions", [])
                    if "respite_form" in a.get("data", {})
                ]
                if not data:
                    continue
                inputs = [b for b in card["body"] if str(b.get("type", "")).startswith("Input.")]
                return Form(
                    questions=[b["id"] for b in inputs],
                    choices={b["id"]: [c["value"] for c in b.get("choices", [])] for b in inputs},
                    text=texts(card),
                    handle=(data[0], call.response_id),
                )
        return shown

    async def submit(self, person: int, form: Form, values: dict[str, str]) -> Shown:
        data, form_id = form.handle
        activity = self.h.teams.activity(
            "message_submit.json", person, value={**data, **values}, reply_to=form_id
        )
        return await self._answer_to(person, activity)

    async def press(self, person: int, shown: Shown, action: str) -> Shown:
        value = {"respite_action": action, "respite_value": shown.buttons[action]}
        activity = self.h.teams.activity(
            "message_submit.json", person, value=value, reply_to=shown.handle
        )
        return await self._answer_to(person, activity)

    def prompts(self, person: int, title: str = "short break") -> list[Shown]:
        mine = self._conversations(person)
        return [
            Shown(_teams_text(c), buttons=_teams_buttons(c), handle=c.response_id)
            for c in self.connector.of("send", "reply")
            if c.conversation_id in mine and title in _teams_text(c)
        ]

    def channel_posts(self) -> list[str]:
        return [_teams_text(c) for c in self.connector.of("send") if c.conversation_id == TEAM_ID]

    def deleted_posts(self) -> int:
        return len([c for c in self.connector.of("delete") if c.conversation_id == TEAM_ID])

    def kudos_values(
        self, recipients: Sequence[int], message: str, category: str, visibility: str
    ) -> dict[str, str]:
        return {
            "recipients": ",".join(self.user(n) for n in recipients),
            "category": category,
            "visibility": visibility,
            "message": message,
        }


def _teams_text(call: ConnectorCall) -> str:
    parts = [str(call.body.get("text") or "")]
    for attachment in call.body.get("attachments") or []:
        parts.append(texts(attachment.get("content")))
    return "\n".join(parts)


def _teams_buttons(call: ConnectorCall) -> dict[str, str]:
    return {
        str(a["data"]["respite_action"]): str(a["data"].get("respite_value", ""))
        for attachment in call.body.get("attachments") or []
        for a in (attachment.get("content") or {}).get("actions", [])
        if "respite_action" in (a.get("data") or {})
    }


@asynccontextmanager
async def running(
    name: str,
    database_url: str,
    clock: FixedClock,
    fake_slack: FakeSlackApi,
    fake_connector: FakeConnector,
    **team: Any,
) -> AsyncIterator[Flow]:
    """The app serving one platform's sample team (with `team`'s settings and a recognition
    channel), and its flow."""
    flow: Flow
    if name == "slack":
        team.setdefault("kudos_channel", SlackFlow.kudos_channel)
        slack, session = await start_slack_harness(
            database_url, fake_slack, clock, roster_data(**team)
        )
        flow, server = SlackFlow(slack), slack.server
    else:
        team.setdefault("kudos_channel", TeamsFlow.kudos_channel)
        teams, session = await start_teams_harness(
            Settings(database_url=database_url), fake_connector, clock, teams_roster(**team)
        )
        flow, server = TeamsFlow(teams), teams.server
        await flow.install()
    try:
        yield flow
    finally:
        await session.close()
        await server.close()
        await flow.respite.close()
