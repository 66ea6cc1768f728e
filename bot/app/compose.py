"""The composition root: Settings -> engine -> stores -> platforms -> handlers -> scheduler -> web.

This is the only module that knows every piece. Everything it builds is returned in one
`Respite` object so the CLI, the demo, the server and the tests assemble the same graph.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.adapters.calendar_feed import IcsCalendarFeed
from bot.adapters.charts import MatplotlibCharts
from bot.app.retention import DailyRetention
from bot.config import RosterConfig, Settings, load_instrument, load_roster
from bot.domain.directory import RosterDirectory
from bot.domain.instrument import Instrument
from bot.domain.kudos import GiverKey
from bot.domain.language import Languages
from bot.domain.messages import Platform
from bot.domain.ports import (
    CalendarFeed,
    Clock,
    DoNotDisturb,
    MemberLookup,
    Sender,
    TimezoneLookup,
)
from bot.infra.clock import SystemClock
from bot.infra.inflight import InFlight
from bot.platforms import registry
from bot.platforms.plugin import Handler, Link, Wiring
from bot.platforms.startup import StartupCheck
from bot.storage.addresses import SqlAddressBook
from bot.storage.audit import SqlAuditLog
from bot.storage.breaks import SqlBreakStore
from bot.storage.db import DatabaseTimeouts, create_engine_async, session_factory
from bot.storage.digest import SqlDigestStore, release_mark_key
from bot.storage.digest_activity import SqlPeriodActivity
from bot.storage.forget import PersonKeys
from bot.storage.kudos import SqlKudosStore
from bot.storage.lease import SqlLease
from bot.storage.locales import SqlLocaleStore
from bot.storage.members import SqlMemberSync
from bot.storage.outbox import SqlOutbox
from bot.storage.pulse import SqlRoundStore
from bot.storage.pulse_times import SqlPulseTimes
from handlers.deps import Deps
from scheduler import kudos
from scheduler.boundaries import WorkBoundaries
from scheduler.breaks import BreakTicker
from scheduler.periods import CronCalendar
from scheduler.runner import AfterTick, Runtime


@dataclass
class Respite:
    settings: Settings
    roster: RosterConfig
    instrument: Instrument
    engine: AsyncEngine
    deps: Deps
    runtime: Runtime
    senders: dict[Platform, Sender] = field(default_factory=dict)
    # POST routes the platforms serve on the web app, by path.
    routes: dict[str, Handler] = field(default_factory=dict)
    # GET routes, by path: Slack's install page and OAuth redirect.
    get_routes: dict[str, Handler] = field(default_factory=dict)
    # What to close on shutdown besides the engine (HTTP sessions of the platform clients).
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # Work requests started and their responses did not wait for; finished before closing.
    inflight: InFlight = field(default_factory=InFlight)
    # Whether each configured platform accepts our credentials; `serve` and `pulse` ask first.
    checks: list[tuple[str, StartupCheck]] = field(default_factory=list)
    # Routes that run without authentication (Teams' emulator mode): served only on a loopback
    # listener unless the admin opts in (TEAMS_EMULATOR_BEYOND_LOOPBACK).
    loopback_only: set[str] = field(default_factory=set)
    # What an admin running the server should know (a throwaway secret, emulator mode); the
    # commands that serve or send log them, read-only commands keep quiet.
    notices: list[str] = field(default_factory=list)
    # The connection a platform plugin opens itself instead of receiving on a route, if any;
    # `serve` starts it beside the web app and /healthz reports it.
    link: Link | None = None

    async def close(self) -> None:
        if self.link is not None:
            # Nothing new arrives while the work in hand drains (a no-op once `serve` stopped it).
            await self.link.stop()
        await self.inflight.drain()
        for closer in self.closers:
            await closer()
        await self.engine.dispose()


async def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    roster: RosterConfig | None = None,
    senders: Mapping[Platform, Sender] | None = None,
    calendar_feed: CalendarFeed | None = None,
) -> Respite:
    clock = clock or SystemClock()
    roster = roster or load_roster(settings.respite_config)
    instrument = load_instrument(roster.instrument)
    engine = create_engine_async(
        settings.database_url,
        DatabaseTimeouts(
            connect=settings.database_connect_timeout_seconds,
            pool=settings.database_pool_timeout_seconds,
            statement=settings.database_statement_timeout_seconds,
        ),
    )
    sessions = session_factory(engine)
    outbox = SqlOutbox(sessions, clock.now)
    members = SqlMemberSync(sessions)
    directory = RosterDirectory(roster.team_list)
    directory.apply_synced(await members.load())
    # Filled below as platforms are configured; handlers and the outbox worker share this map.
    all_senders: dict[Platform, Sender] = dict(senders or {})
    notices: list[str] = []
    checks: list[tuple[str, StartupCheck]] = []
    loopback_only: set[str] = set()
    secret = _secret(settings, notices)
    breaks = SqlBreakStore(sessions, directory.team, mark_key=secret)
    outbox.fan_outs.append(breaks.fan_out)
    outbox.on_sent.append(breaks.prompt_sent)
    kudos_store = SqlKudosStore(sessions)
    deps = Deps(
        instrument=instrument,
        directory=directory,
        calendar=CronCalendar(),
        rounds=SqlRoundStore(sessions, instrument, secret),
        outbox=outbox,
        clock=clock,
        kudos=kudos_store,
        giver_key=GiverKey(secret),
        senders=all_senders,
        breaks=breaks,
        org=roster.org_chart,
        digests=SqlDigestStore(sessions, mark_key=release_mark_key(secret)),
        activity=SqlPeriodActivity(kudos_store, breaks),
        charts=MatplotlibCharts(),
        audit=SqlAuditLog(sessions),
        languages=_languages(sessions, roster),
        pulse_times=SqlPulseTimes(sessions),
    )
    lookups: dict[Platform, MemberLookup] = {}
    extra_ticks: list[AfterTick] = []  # the platforms' own minute ticks (Teams' installer)
    routes: dict[str, Handler] = {}
    get_routes: dict[str, Handler] = {}
    closers: list[Callable[[], Awaitable[None]]] = []
    inflight = InFlight()
    dnd: dict[Platform, DoNotDisturb] = {}
    timezones: dict[Platform, TimezoneLookup] = {}
    link: Link | None = None
    wiring = Wiring(
        settings=settings,
        roster=roster,
        deps=deps,
        directory=directory,
        addresses=SqlAddressBook(sessions),
        clock=clock,
        inflight=inflight,
        secret=secret,
        engine=engine,
    )
    for plugin in registry.plugins():
        if not plugin.configured(settings, roster):
            continue
        wired = await plugin.wire(wiring)
        platform = plugin.platform
        # A sender handed to build() (the demo's console, a test's fake) wins over the wired one.
        if wired.sender is not None:
            all_senders.setdefault(platform, wired.sender)
        if wired.lookup is not None:
            lookups[platform] = wired.lookup
        if wired.dnd is not None:
            dnd[platform] = wired.dnd
        if wired.timezones is not None:
            timezones[platform] = wired.timezones
        routes.update(wired.routes)
        get_routes.update(wired.get_routes)
        loopback_only |= wired.loopback_only
        checks.extend(wired.checks)
        closers.extend(wired.closers)
        extra_ticks.extend(wired.ticks)
        notices.extend(wired.notices)
        if wired.link is not None:
            assert link is None, "one platform link at a time: serve starts one"
            link = wired.link
    feed = calendar_feed or IcsCalendarFeed(
        timeout=settings.calendar_timeout_seconds,
        max_bytes=settings.calendar_max_bytes,
        allow_private=settings.calendar_allow_private,
    )
    runtime = Runtime(
        deps=deps,
        queue=outbox,
        senders=all_senders,
        lease=SqlLease(
            sessions, "scheduler", f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        ),
        directory=directory,
        member_lookups=lookups,
        member_store=members,
        boundaries=WorkBoundaries(directory, breaks, dnd, roster.org_chart, feed),
    )
    runtime.extra_ticks.append(kudos.tick)
    runtime.extra_ticks.append(BreakTicker(breaks, feed, timezones))
    runtime.extra_ticks.extend(extra_ticks)
    # Once a day: the roster's retention policy (docs/privacy.md).
    runtime.extra_ticks.append(DailyRetention(sessions, roster.retention, PersonKeys(secret)))
    return Respite(
        settings=settings,
        roster=roster,
        instrument=instrument,
        engine=engine,
        deps=deps,
        runtime=runtime,
        closers=closers,
        inflight=inflight,
        senders=all_senders,
        routes=routes,
        get_routes=get_routes,
        checks=checks,
        notices=notices,
        loopback_only=loopback_only,
        link=link,
    )


def _languages(sessions: async_sessionmaker[AsyncSession], roster: RosterConfig) -> Languages:
    """Each person's language: their choice or their platform's, else the roster's defaults."""
    teams = {t.id: t.language for t in roster.teams if t.language}
    return Languages(SqlLocaleStore(sessions), teams, roster.organisation.language)


def _secret(settings: Settings, notices: list[str]) -> bytes:
    """RESPITE_SECRET, or a throwaway one (`serve` and `pulse` refuse to run without it)."""
    if settings.respite_secret is not None:
        return settings.respite_secret.get_secret_value().encode()
    notices.append(
        "RESPITE_SECRET is not set: using a throwaway secret, so anonymous kudos quotas reset "
        "when this process stops"
    )
    return secrets.token_bytes(32)
