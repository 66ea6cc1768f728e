"""`respite demo`, Teams part: a Teams team beside the Slack one, through the real Teams path.

The bot serves /api/messages on 127.0.0.1 in emulator mode; a small in-process Bot Framework
connector (also on 127.0.0.1, the activities' serviceUrl) receives what the bot sends, and each
Adaptive Card is summarised as a person would read it. Activities, handlers, storage, scheduler
and outbox are the production ones.
"""

from __future__ import annotations

import contextlib
import html
import logging
import random
import re
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import ClientSession, web

from bot.app.compose import build
from bot.app.web import build_web_app
from bot.config import parse_roster
from bot.demo.bot_connector import FakeConnector
from bot.demo.settings import demo_settings
from bot.infra.clock import FixedClock
from bot.infra.i18n import N_, _, ngettext
from bot.storage.migrate import upgrade
from scheduler import pulse
from scheduler.delivery import deliver_due

TZ = "Europe/Dublin"
START = datetime(2027, 1, 4, 9, 0, tzinfo=ZoneInfo(TZ))
TENANT = "5b7c1d2e-3f4a-4b5c-8d6e-7f8091a2b3c4"
TEAM_THREAD = "19:harbourcounselling0001@thread.tacv2"
BOT = {"id": "28:respite-demo-bot", "name": "Respite"}
PEOPLE = (
    (N_("Aoife (counsellor)"), 2.4),
    (N_("Brian (psychotherapist)"), 3.1),
    (N_("Ciara (clinical psychologist)"), 3.6),
    (N_("Declan (family therapist)"), 2.2),
    (N_("Eimear (art therapist)"), 2.9),
    (N_("Fionn (trauma specialist)"), 3.8),
)
LEAD_NAME = N_("Dr Gallagher (team lead)")


def _aad(n: int) -> str:
    return f"0c1d2e3f-4a5b-4c6d-8e7f-{n:012d}"


def _member(n: int, name: str) -> dict[str, Any]:
    return {"id": f"29:demo-{n}", "name": name, "aadObjectId": _aad(n), "tenantId": TENANT}


def _members() -> list[dict[str, Any]]:
    """The clinicians as Teams names them, in the demo's language."""
    return [_member(n, _(role)) for n, (role, _strain) in enumerate(PEOPLE, 1)]


def _lead() -> dict[str, Any]:
    return _member(99, _(LEAD_NAME))


class DemoConnector:
    """What the demo shows of Teams' Bot Framework service: the cards it was sent, by chat.

    The service itself is the stand-in connector the tests use (`FakeConnector`); this reads its
    recorded calls as the demo narrates them.
    """

    def __init__(self, members: list[dict[str, Any]], lead: dict[str, Any]) -> None:
        self.fake = FakeConnector()
        self.fake.members = members
        self.people = [*members, lead]
        self.named: dict[str, str] = {}  # chats the demo names itself (chat id -> member name)

    @property
    def url(self) -> str:
        return self.fake.url

    async def start(self) -> None:
        await self.fake.start()

    async def close(self) -> None:
        await self.fake.close()

    def _sent(self) -> list[tuple[str, str, dict[str, Any], str]]:
        """(kind, chat, card, the activity's text) for each card, in the order they came."""
        sent = []
        for call in self.fake.of("send", "reply", "update"):
            kind = "update" if call.kind == "update" else "message"
            for attachment in call.body.get("attachments") or []:
                sent.append(
                    (kind, call.conversation_id, attachment["content"], call.body.get("text") or "")
                )
        return sent

    @property
    def cards(self) -> list[tuple[str, str, dict[str, Any]]]:
        return [(kind, chat, card) for kind, chat, card, _text in self._sent()]

    @property
    def texts(self) -> dict[int, str]:
        """Card index -> the activity's text (its mentions), where it has one."""
        return {i: text for i, (*_rest, text) in enumerate(self._sent()) if text}

    @property
    def chats(self) -> dict[str, str]:
        """Chat id -> member name, for the 1:1 chats Respite created and those the demo named."""
        names = {m["id"]: m["name"] for m in self.people}
        created = {
            call.response_id: names.get(who, who)
            for call in self.fake.of("create")
            if call.response_id
            for who in [call.body["members"][0]["id"]]
        }
        return {**created, **self.named}


async def _recognition(
    post: Callable[[dict[str, Any]], Any],
    activity: Callable[..., dict[str, Any]],
    deliver: Callable[[], Any],
    show: Callable[[str], None],
    chats: dict[str, str],
    members: list[dict[str, Any]],
) -> None:
    """One kudos on Teams: the form offers teammates by name, the post mentions them for real."""
    giver, recipient = members[0], members[5]
    chat = chats[giver["name"]]
    await post(activity(giver, chat, text="kudos"))
    show(
        _("\n{name} types “kudos”; the form offers teammates Teams has named:").format(
            name=giver["name"]
        )
    )
    form = {"respite_form": "kudos", "respite_context": "harbour", "respite_pickers": "recipients"}
    values = {
        "recipients": recipient["aadObjectId"],
        "category": "hard-session",
        "visibility": "named",
        "message": _("You stayed steady through a very hard disclosure on Tuesday. Thank you."),
    }
    await post(activity(giver, chat, value={**form, **values}, replyToId="act-kudos-form"))
    await deliver()
    show(
        _(
            "\n{giver} recognises {recipient}: posted in the team's channel, and told privately:"
        ).format(giver=giver["name"], recipient=recipient["name"])
    )


def _socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def summarise(card: dict[str, Any]) -> list[str]:
    """An Adaptive Card as a reader sees it, in a few lines."""
    lines: list[str] = []
    questions: list[tuple[int, str]] = []  # (line index, choices)
    for element in card.get("body", []):
        kind = element["type"]
        if kind == "TextBlock":
            lines.append(element["text"].replace("\\", ""))
        elif kind == "FactSet":
            lines.extend(f"{f['title']}: {f['value']}".replace("\\", "") for f in element["facts"])
        elif kind == "Input.ChoiceSet" and element.get("isMultiSelect"):
            people = ", ".join(c["title"] for c in element["choices"])
            lines.append(
                "["
                + _("{label} Pick one or more of: {people}").format(
                    label=element["label"], people=people
                )
                + "]"
            )
        elif kind == "Input.ChoiceSet":
            scale = " / ".join(c["title"] for c in element["choices"])
            questions.append((len(lines), scale))
            lines.append(f"[{element['label']} {scale}]")
        elif kind == "Input.Text":
            lines.append("[" + _("{label}: a text box").format(label=element["label"]) + "]")
    if len(questions) > 1 and len({scale for _, scale in questions}) == 1:
        for index, _scale in reversed(questions):
            del lines[index]
        choices = ngettext(
            "{count} question, each a choice of: {scale}",
            "{count} questions, each a choice of: {scale}",
            len(questions),
        ).format(count=len(questions), scale=questions[0][1])
        lines.insert(2, f"[{choices}]")
    for action in card.get("actions", []):
        lines.append(f"[{action['title']}]")
    return lines


@contextlib.contextmanager
def _quiet(*names: str) -> Iterator[None]:
    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


async def run_teams_demo(write: Callable[[str], None] = print, language: str = "en") -> None:
    tmp = tempfile.mkdtemp(prefix="respite-teams-demo-")
    url = f"sqlite:///{Path(tmp) / 'teams.db'}"
    try:
        with _quiet("bot.platforms.msteams.adapter", "bot.app.compose"):
            await _run(url, write, language)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


async def _run(url: str, write: Callable[[str], None], language: str) -> None:
    import asyncio

    await asyncio.to_thread(upgrade, url)
    members, lead = _members(), _lead()
    connector = DemoConnector(members, lead)
    await connector.start()
    clock = FixedClock(START)
    roster = {
        "teams": [
            {
                "id": "harbour",
                "name": "Harbour Counselling",
                "platform": "teams",
                "timezone": TZ,
                "members": [m["aadObjectId"] for m in members],
                "leads": [lead["aadObjectId"]],
                "min_group_size": 5,
                "resources": [
                    {"label": _("Employee Assistance Programme"), "text": "1800 000 000"}
                ],
                "kudos_channel": TEAM_THREAD,
            }
        ]
    }
    # A demo told in another language: the team speaks it, and each Teams client reports it.
    spoken = {"language": language} if language != "en" else {}
    reported = {"locale": language} if language != "en" else {}
    roster["teams"][0].update(spoken)
    respite = await build(demo_settings(url), clock=clock, roster=parse_roster(roster))
    runner = web.AppRunner(build_web_app(respite), access_log=None)
    await runner.setup()
    site = web.SockSite(runner, _socket())
    await site.start()
    api = f"http://127.0.0.1:{site._sock.getsockname()[1]}/api/messages"
    session = ClientSession()
    seen = 0

    def show(heading: str, only_first: bool = False) -> None:
        nonlocal seen
        fresh = connector.cards[seen:]
        seen = len(connector.cards)
        if fresh:
            write(heading)
        first = len(connector.cards) - len(fresh)
        for i, (kind, chat, card) in enumerate(fresh[:1] if only_first else fresh, first):
            who = connector.chats.get(chat, _("the channel") if chat.startswith("19:") else chat)
            if kind == "update":
                write(_("  → {who} sees the card change to:").format(who=who))
            else:
                write(_("  → {who} receives:").format(who=who))
            if i in connector.texts:
                mentions = re.sub(r"<at>(.*?)</at>", r"@\1", connector.texts[i])
                write(f"      {html.unescape(mentions)}   " + _("(real Teams mentions)"))
            for line in summarise(card):
                write(f"      {line}")
        if only_first and len(fresh) > 1:
            more = len(fresh) - 1
            write(
                ngettext(
                    "  (and {count} more like it)", "  (and {count} more like it)", more
                ).format(count=more)
            )

    def activity(person: dict[str, Any], chat: str, **extra: Any) -> dict[str, Any]:
        return {
            "type": "message",
            "id": f"in-{random.random():.8f}",
            "channelId": "msteams",
            "serviceUrl": connector.url,
            "from": {k: person[k] for k in ("id", "name", "aadObjectId")},
            "recipient": BOT,
            "conversation": {"conversationType": "personal", "tenantId": TENANT, "id": chat},
            "channelData": {"tenant": {"id": TENANT}},
            "localTimezone": TZ,
            **reported,
            **extra,
        }

    async def post(body: dict[str, Any]) -> None:
        async with session.post(api, json=body) as resp:
            resp.raise_for_status()

    async def deliver() -> None:
        while await deliver_due(respite.runtime.queue, respite.senders, clock):
            pass

    try:
        write(
            "\n══ "
            + _("Microsoft Teams: Harbour Counselling, a second team in the same process")
            + " ══"
        )
        write(
            _(
                "{count} clinicians and a lead on Teams, served by the same process "
                "(/api/messages, emulator mode on 127.0.0.1)."
            ).format(count=len(members))
        )
        await post(
            {
                "type": "conversationUpdate",
                "id": "f:install",
                "channelId": "msteams",
                "serviceUrl": connector.url,
                "from": {k: lead[k] for k in ("id", "aadObjectId")},
                "recipient": BOT,
                "membersAdded": [BOT],
                "conversation": {
                    "isGroup": True,
                    "conversationType": "channel",
                    "tenantId": TENANT,
                    "id": TEAM_THREAD,
                },
                "channelData": {"team": {"id": TEAM_THREAD}, "tenant": {"id": TENANT}},
            }
        )
        write(_("The lead adds Respite to the team; the bot reads the team's roster."))
        clock.set(START.replace(hour=10))
        await pulse.tick(respite.deps)
        await deliver()
        show(
            _(
                "Monday 10:00, the round opens: no one has spoken to the bot yet, so it starts a "
                "1:1 chat with each member."
            ),
            only_first=True,
        )
        chats = {name: chat for chat, name in connector.chats.items()}
        rng = random.Random(2027)
        instrument = respite.deps.instrument
        items = [
            (i.id, instrument.dimensions[i.dimension].higher_is == "worse", i.reverse)
            for i in instrument.items
        ]

        def answers(strain: float) -> dict[str, str]:
            result = {}
            for item_id, worse, reverse in items:
                value = strain + rng.uniform(-0.7, 0.7)
                wanted = value if worse != reverse else 6 - value
                result[item_id] = str(min(5, max(1, round(wanted))))
            return result

        for n, (_role, strain) in enumerate(PEOPLE, 1):
            person = members[n - 1]
            name = person["name"]
            chat = chats[name]
            await post(activity(person, chat, text="checkin"))
            first = n == 1
            if first:
                show(_("\n{name} types “checkin”:").format(name=name))
            values = answers(strain)
            if n == 2:
                partial = dict(list(values.items())[:3])
                await post(
                    activity(
                        person,
                        chat,
                        value={"respite_form": "pulse", "respite_context": "harbour", **partial},
                        replyToId="act-form",
                    )
                )
                show(_("\n{name} submits with three questions unanswered:").format(name=name))
            await post(
                activity(
                    person,
                    chat,
                    value={"respite_form": "pulse", "respite_context": "harbour", **values},
                    replyToId="act-form",
                )
            )
            if first:
                show(
                    _(
                        "\n{name} submits; the form is replaced in place, so it cannot be sent "
                        "twice:"
                    ).format(name=name)
                )
            elif strain > 3.5:
                seen = len(connector.cards) - 1
                show(
                    _("\n{name} submits after a heavy week; only {first} sees:").format(
                        name=name, first=name.split()[0]
                    )
                )
            else:
                seen = len(connector.cards)
        connector.named["a:lead-chat"] = lead["name"]
        await post(activity(lead, "a:lead-chat", text="help"))
        seen = len(connector.cards)
        clock.set(START.replace(hour=10) + timedelta(hours=72))
        await pulse.tick(respite.deps)
        await deliver()
        show(_("\nThursday 10:00, the round closes; the lead gets the team digest on Teams:"))
        await _recognition(post, activity, deliver, show, chats, members)
    finally:
        await session.close()
        await runner.cleanup()
        await connector.close()
        await respite.close()
