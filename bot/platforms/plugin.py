"""The one seam a chat platform plugs into.

A platform is one object, a `PlatformPlugin`: it says whether the settings and roster ask for it,
and, if so, wires itself from what the composition root hands it (`Wiring`) into what the rest of
Respite needs from a platform (`Wired`): a sender, a member lookup, do-not-disturb and time zones,
web routes, start-up checks, clean-up, extra minute ticks. How its people type commands travels
with its `Platform` value (`Platform.define`), so the domain reads it without importing the
platform. `bot.app.compose` loops over `bot.platforms.registry.plugins()` and never names one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web

from bot.config import RosterConfig, Settings
from bot.domain.directory import RosterDirectory
from bot.domain.messages import Platform
from bot.domain.ports import (
    AddressBook,
    Clock,
    DoNotDisturb,
    MemberLookup,
    Sender,
    TimezoneLookup,
)
from bot.infra.inflight import InFlight
from bot.platforms.startup import StartupCheck
from handlers.deps import Deps
from scheduler.runner import AfterTick

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class LinkStatus(Protocol):
    """How an outbound connection is doing, for /healthz."""

    @property
    def state(self) -> str: ...

    @property
    def down_seconds(self) -> float: ...

    @property
    def healthy(self) -> bool: ...


class Link(Protocol):
    """A connection the platform opens itself (Slack's Socket Mode), which `serve` starts beside
    the web app and stops before the work in hand drains."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def status(self) -> LinkStatus: ...


@dataclass(frozen=True)
class Wiring:
    """What the composition root hands a configured platform: the shared pieces it builds on."""

    settings: Settings
    roster: RosterConfig
    deps: Deps
    directory: RosterDirectory
    # Where a platform keeps the addresses it must remember to reach people (Teams' references).
    addresses: AddressBook
    clock: Clock
    # Work a platform's responses did not wait for; drained before closing.
    inflight: InFlight
    # RESPITE_SECRET (or the throwaway one), for what a platform seals or keys.
    secret: bytes
    # The database engine, for a platform that keeps rows of its own (Slack's OAuth installs).
    engine: Any


@dataclass
class Wired:
    """What a configured platform gives back. Everything is optional: a platform that only
    receives needs no lookup, one that cannot tell do-not-disturb leaves it out."""

    sender: Sender | None = None
    lookup: MemberLookup | None = None
    dnd: DoNotDisturb | None = None
    timezones: TimezoneLookup | None = None
    # POST routes on the web app, by path; GET routes (install pages), by path.
    routes: dict[str, Handler] = field(default_factory=dict)
    get_routes: dict[str, Handler] = field(default_factory=dict)
    # Routes that run without authentication: served only on a loopback listener.
    loopback_only: set[str] = field(default_factory=set)
    # (name, check): does the service accept our credentials? `serve` and `pulse` ask first.
    checks: list[tuple[str, StartupCheck]] = field(default_factory=list)
    # What to close on shutdown (HTTP sessions of the platform's clients).
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # The platform's own minute ticks (Teams installs itself for people it cannot reach yet).
    ticks: list[AfterTick] = field(default_factory=list)
    # What an admin running the server should know.
    notices: list[str] = field(default_factory=list)
    # A connection the platform opens itself, if any.
    link: Link | None = None


class PlatformPlugin(Protocol):
    """One chat platform, as the composition root sees it."""

    @property
    def platform(self) -> Platform:
        """The platform's value, defined with its traits (`Platform.define`)."""
        ...

    def configured(self, settings: Settings, roster: RosterConfig) -> bool:
        """Whether the settings or the roster ask for this platform."""
        ...

    async def wire(self, wiring: Wiring) -> Wired:
        """Build the platform's pieces; called only when `configured` said yes."""
        ...
