"""A platform defined here, in the tests, joins Respite through the plug-in seam alone.

"Relay" is a chat platform nobody in `bot/` knows: it defines its `Platform` value (commands typed
`!checkin`, `!respite help`), a sender that records cards, a member lookup, and one web route that
turns its JSON into neutral events for the router. The test registers its plug-in, builds Respite
with no sender handed in, and runs a whole pulse round over the web route on each database:
invitations to its members, answers, the round closed, the digest queued and sent to the lead.
If the composition root skipped the seam (no wiring of registered plug-ins, no route, no sender,
no roster entry for an unknown platform), the round would not reach anyone and the test fails.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer

from bot.app.compose import Respite, build
from bot.app.web import build_web_app
from bot.config import RosterConfig, Settings, parse_roster
from bot.domain.events import Actor, ButtonPress, Command, FormErrors, FormSubmission, ShowForm
from bot.domain.messages import Card, CommandStyle, Platform, PlatformTraits, Recipient
from bot.domain.pulse import START_CHECKIN
from bot.domain.team import MemberSource
from bot.infra.clock import FixedClock
from bot.platforms import registry
from bot.platforms.plugin import Wired, Wiring
from bot.platforms.startup import Finding, Verdict
from handlers import router
from handlers.deps import Deps
from scheduler import pulse
from tests.support.delivery import deliver_all

MEMBERS = [f"relay-{i}" for i in range(1, 7)]
LEAD = "relay-lead"
ROUTE = "/relay/events"
BANG = CommandStyle(own="!", umbrella="!respite ")


@dataclass
class RecordingSender:
    """Relay's sender: keeps every card it was asked to deliver."""

    sent: list[tuple[Recipient, Card]] = field(default_factory=list)

    async def send(self, recipient: Recipient, card: Card) -> str | None:
        self.sent.append((recipient, card))
        return str(len(self.sent))

    async def delete(self, recipient: Recipient, ref: str) -> None:
        return None

    def to(self, user_id: str) -> list[Card]:
        return [card for r, card in self.sent if r.user_id == user_id]


@dataclass
class RelayMembers:
    """Relay's member lookup: it lists nobody beyond the roster."""

    asked: list[str] = field(default_factory=list)

    async def members(self, source: MemberSource) -> set[str]:
        self.asked.append(str(source))
        return set()


def relay_route(deps: Deps, platform: Platform) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Relay's inbound edge: its JSON becomes a neutral event, the router's outcome JSON again."""

    async def route(request: web.Request) -> web.Response:
        body = await request.json()
        actor = Actor(platform, str(body["user"]))
        kind = body["kind"]
        if kind == "command":
            outcome = await router.on_command(deps, Command(actor, "respite", str(body["text"])))
        elif kind == "button":
            outcome = await router.on_button(deps, ButtonPress(actor, str(body["action"])))
        else:
            values = {str(k): str(v) for k, v in body["values"].items()}
            outcome = await router.on_form(
                deps, FormSubmission(actor, str(body["form"]), values, str(body.get("context", "")))
            )
        if isinstance(outcome, ShowForm):
            card = outcome.card
            form = card.form
            assert form is not None
            return web.json_response(
                {
                    "form": form.form_id,
                    "context": form.context,
                    "questions": [q.id for q in card.questions],
                }
            )
        if isinstance(outcome, FormErrors):
            return web.json_response({"errors": dict(outcome.errors)}, status=400)
        shown: Card | None = getattr(outcome, "card", None)
        return web.json_response({"title": shown.title if shown else "", "text": _text(shown)})

    return route


def _text(card: Card | None) -> str:
    return card.fallback if card is not None else ""


@dataclass
class RelayPlugin:
    """The whole of Relay, as Respite's composition root sees it."""

    platform: Platform
    sender: RecordingSender = field(default_factory=RecordingSender)
    lookup: RelayMembers = field(default_factory=RelayMembers)
    closed: bool = False
    ticks: int = 0

    async def tick(self, deps: Deps) -> None:
        """Relay's own minute tick."""
        self.ticks += 1

    def configured(self, settings: Settings, roster: RosterConfig) -> bool:
        return any(t.platform == self.platform for t in roster.team_list)

    async def wire(self, wiring: Wiring) -> Wired:
        async def close() -> None:
            self.closed = True

        async def check() -> Finding:
            return Finding(Verdict.OK, "Relay: accepted")

        return Wired(
            sender=self.sender,
            lookup=self.lookup,
            routes={ROUTE: relay_route(wiring.deps, self.platform)},
            checks=[("Relay", check)],
            closers=[close],
            ticks=[self.tick],
            notices=["Relay is wired"],
        )


def relay_roster() -> dict[str, Any]:
    return {
        "teams": [
            {
                "id": "harbour",
                "name": "Harbour Ward",
                "platform": "relay",
                "timezone": "UTC",
                "members": MEMBERS,
                "leads": [LEAD],
                "min_group_size": 5,
                "pulse": {"cron": "0 10 * * mon", "open_hours": 72, "remind_after_hours": 48},
            }
        ]
    }


@pytest.fixture
def relay() -> Iterator[RelayPlugin]:
    """Relay defined and registered for one test, and gone again after it."""
    platform = Platform.define("relay", PlatformTraits(style=BANG))
    plugin = RelayPlugin(platform)
    registry.register(plugin)
    yield plugin
    registry.unregister(plugin)
    Platform.forget("relay")


@dataclass
class RelayHarness:
    respite: Respite
    plugin: RelayPlugin
    clock: FixedClock
    session: ClientSession
    url: str

    async def post(self, body: dict[str, Any]) -> dict[str, Any]:
        async with self.session.post(self.url + ROUTE, json=body) as resp:
            data: dict[str, Any] = await resp.json()
            assert resp.status == 200, data
            return data

    async def deliver(self) -> int:
        return await deliver_all(self.respite, self.clock)


@pytest.fixture
async def relay_app(
    relay: RelayPlugin, database_url: str, clock: FixedClock
) -> AsyncIterator[RelayHarness]:
    # No Slack or Teams settings, and no sender handed to build(): Relay comes in by its plug-in.
    settings = Settings(database_url=database_url)
    respite = await build(settings, clock=clock, roster=parse_roster(relay_roster()))
    server = TestServer(build_web_app(respite), host="127.0.0.1")
    await server.start_server()
    session = ClientSession()
    yield RelayHarness(respite, relay, clock, session, str(server.make_url("")).rstrip("/"))
    await session.close()
    await server.close()
    await respite.close()
    assert relay.closed, "Respite.close() closes what the plug-in asked it to"


async def _answer(h: RelayHarness, user: str, value: int) -> None:
    form = await h.post({"kind": "button", "user": user, "action": START_CHECKIN})
    assert form["questions"], form
    values = {q: str(value) for q in form["questions"]}
    thanks = await h.post(
        {
            "kind": "form",
            "user": user,
            "form": form["form"],
            "context": form["context"],
            "values": values,
        }
    )
    assert "errors" not in thanks, thanks


async def test_a_platform_from_outside_bot_runs_the_pulse_round(relay_app: RelayHarness) -> None:
    h = relay_app
    respite, plugin = h.respite, h.plugin
    deps = respite.deps
    # Wired through the seam: its sender, lookup, route, check, notice and tick are Respite's.
    assert respite.senders[plugin.platform] is plugin.sender
    assert respite.runtime.member_lookups[plugin.platform] is plugin.lookup
    assert ROUTE in respite.routes
    assert [name for name, _ in respite.checks] == ["Relay"]
    assert "Relay is wired" in respite.notices
    assert plugin.tick in respite.runtime.extra_ticks
    # Commands are written the way Relay's people type them.
    help_ = await h.post({"kind": "command", "user": MEMBERS[0], "text": "help"})
    assert "!respite checkin" in help_["text"] and "(!checkin)" in help_["text"]
    assert "Type !respite followed by one of these words." in help_["text"]

    # 10:00 Monday: the round opens and each member gets one invitation through Relay's sender.
    h.clock.advance(timedelta(hours=1))
    await pulse.tick(deps)
    assert await h.deliver() == len(MEMBERS)
    for user in MEMBERS:
        invitations = plugin.sender.to(user)
        assert len(invitations) == 1
        assert any(b.action_id == START_CHECKIN for b in invitations[0].buttons)

    # Five answer over Relay's own route.
    for i, user in enumerate(MEMBERS[:5]):
        await _answer(h, user, 2 + i % 3)
    again = await h.post({"kind": "button", "user": MEMBERS[0], "action": START_CHECKIN})
    assert "form" not in again, "one answer per person and round"

    # 72 h later the round closes and the lead's digest goes out through Relay.
    h.clock.advance(timedelta(hours=72))
    await pulse.tick(deps)
    await pulse.tick(deps)
    await h.deliver()
    digests = plugin.sender.to(LEAD)
    assert len(digests) == 1
    assert "5 of 6" in digests[0].fallback
    assert all(r.platform is plugin.platform for r, _ in plugin.sender.sent)


async def test_without_its_plugin_the_platform_is_not_wired(
    database_url: str, clock: FixedClock
) -> None:
    """The seam is the only way in: undefined, a roster may not name Relay; defined but not
    registered, nothing sends to it or serves its route."""
    from bot.config import ConfigError

    with pytest.raises(ConfigError):
        parse_roster(relay_roster())
    platform = Platform.define("relay", PlatformTraits(style=BANG))
    try:
        respite = await build(
            Settings(database_url=database_url), clock=clock, roster=parse_roster(relay_roster())
        )
        try:
            assert platform not in respite.senders
            assert ROUTE not in respite.routes
            clock.advance(timedelta(hours=1))
            await pulse.tick(respite.deps)
            assert await deliver_all(respite, clock) == 0
        finally:
            await respite.close()
    finally:
        Platform.forget("relay")
