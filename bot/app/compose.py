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
from typing import TYPE_CHECKING

from aiohttp import web
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
from bot.platforms.startup import StartupCheck
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

if TYPE_CHECKING:
    from bot.platforms.slack.installations import OAuthInstall
    from bot.platforms.slack.socket_mode import SlackSocket

EMULATOR_NOTICE = (
    "TEAMS AUTHENTICATION IS OFF: MICROSOFT_APP_ID is not set, so /api/messages runs in local "
    "emulator mode. It serves loopback clients only, accepts requests without a Bot Framework "
    "token and replies without one. Set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD before "
    "connecting Respite to Microsoft Teams."
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


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
    # Slack over an outbound WebSocket (SLACK_APP_TOKEN); `serve` starts it beside the web app.
    slack_socket: SlackSocket | None = None

    async def close(self) -> None:
        if self.slack_socket is not None:
            # No new envelopes while the work in hand drains (a no-op once `serve` stopped it).
            await self.slack_socket.stop()
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
        pulse_times=SqlPulseTimes(sessions),
        languages=_languages(sessions, roster),
    )
    lookups: dict[Platform, MemberLookup] = {}
    extra_ticks: list[AfterTick] = []  # a platform's own minute ticks (Teams' installer)
    routes: dict[str, Handler] = {}
    closers: list[Callable[[], Awaitable[None]]] = []
    inflight = InFlight()
    dnd: dict[Platform, DoNotDisturb] = {}
    slack_socket: SlackSocket | None = None
    timezones: dict[Platform, TimezoneLookup] = {}
    get_routes: dict[str, Handler] = {}
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    oauth = (
        settings.slack_client_id and settings.slack_client_secret and settings.slack_state_secret
    )
    if token or oauth:
        from bot.platforms.slack.client import web_client, web_session
        from bot.platforms.slack.sender import SlackMemberLookup, SlackSender

        http = web_session()
        closers.append(http.close)
        # Installed through OAuth, each call carries its workspace's token, not the client's.
        client = web_client(None if oauth else token, settings.slack_api_url, http)
        install: OAuthInstall | None = None
        if oauth:
            install = _slack_install(settings, roster, engine, directory, secret)
            unplaced = sorted(
                t.id
                for t in roster.teams
                if t.platform == "slack" and not (t.slack_team_id or t.enterprise_id)
            )
            if unplaced:
                notices.append(
                    "Slack is installed through OAuth, but these teams name no slack_team_id or "
                    f"enterprise_id, so only a roster naming one workspace reaches them: "
                    f"{', '.join(unplaced)}"
                )
        tokens = install.tokens if install is not None else None
        all_senders.setdefault(Platform.SLACK, SlackSender(client, tokens))
        lookups[Platform.SLACK] = SlackMemberLookup(client, tokens=tokens)
        from bot.platforms.slack.people import SlackPeople

        people = SlackPeople(client, tokens=tokens, languages=deps.languages)
        if install is None:
            from bot.platforms.slack.startup import token_check

            checks.append(("Slack", token_check(client)))
        dnd[Platform.SLACK] = people
        timezones[Platform.SLACK] = people
        signing_secret = settings.slack_signing_secret
        app_token = settings.slack_app_token
        if signing_secret or app_token:
            from bot.platforms.slack.app import build_slack_app, slack_route

            # One bolt app serves both ways. Without a signing secret it serves the socket only,
            # and its verifier holds a secret nobody knows (no route leads to it anyway).
            signing = signing_secret.get_secret_value() if signing_secret else None
            slack_app = build_slack_app(
                deps, client, signing or secrets.token_hex(32), inflight, install
            )
            if signing_secret:
                routes["/slack/events"] = slack_route(slack_app)
            if install is not None:
                from bot.platforms.slack.installations import install_routes

                get_routes.update(install_routes(slack_app))
            if app_token:
                from bot.platforms.slack.socket_mode import SlackSocket, app_token_check

                slack_socket = SlackSocket(slack_app, app_token.get_secret_value())
                checks.append(
                    ("Slack Socket Mode", app_token_check(client, app_token.get_secret_value()))
                )
    teams_in_roster = any(t.platform == Platform.TEAMS for t in roster.team_list)
    if settings.microsoft_app_id or teams_in_roster:
        from bot.platforms.msteams.adapter import TeamsCredentials
        from bot.platforms.msteams.app import build_teams
        from bot.platforms.msteams.reach import reach
        from bot.storage.addresses import SqlAddressBook

        contacts = SqlAddressBook(sessions)
        password = settings.microsoft_app_password
        credentials = TeamsCredentials(
            app_id=settings.microsoft_app_id,
            app_password=password.get_secret_value() if password else None,
            tenant_id=settings.microsoft_app_tenant_id,
            app_type=settings.microsoft_app_type,
            openid_metadata_url=settings.to_bot_from_channel_openid_metadata_url,
        )
        teams = build_teams(deps, contacts, credentials, clock.now)
        if credentials.auth_enabled:
            from bot.platforms.msteams.startup import credentials_check

            checks.append(("Teams", credentials_check(credentials, settings.microsoft_login_url)))
        else:
            notices.append(EMULATOR_NOTICE)
            loopback_only.add("/api/messages")
        all_senders.setdefault(Platform.TEAMS, teams.sender)
        routes["/api/messages"] = teams.route
        from bot.platforms.msteams import graph_setup

        graph_creds = graph_setup.graph_credentials(
            credentials.app_id, credentials.app_password, credentials.tenant_id,
            settings.microsoft_login_url,
        )  # fmt: skip
        if graph_creds is not None:
            graph = graph_setup.teams_graph(
                graph_creds, settings.graph_api_url, settings.teams_service_url, contacts,
                directory, clock.now,
            )  # fmt: skip
            lookups[Platform.TEAMS] = graph.lookup
            closers.append(graph.close)
            extra_ticks.append(graph.tick)
        elif line := graph_setup.groups_without_graph(roster.team_list):
            notices.append(line)
        unreachable = sum(len(r.unreachable) for r in await reach(roster.team_list, contacts))
        if unreachable:
            notices.append(
                f"Teams: {unreachable} roster member(s) cannot be reached yet (no chat with the "
                "bot and not seen in an installed team); `respite check-config --reach` lists them"
                + ("; Respite installs itself for them in the background" if graph_creds else "")
            )
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
        slack_socket=slack_socket,
    )


def _slack_install(
    settings: Settings,
    roster: RosterConfig,
    engine: AsyncEngine,
    directory: RosterDirectory,
    secret: bytes,
) -> OAuthInstall:
    """Slack's OAuth install flow and per-workspace tokens, on Respite's own database."""
    from bot.platforms.slack.installations import oauth_install, workspace_of

    assert settings.slack_client_id and settings.slack_client_secret
    assert settings.slack_state_secret
    workspaces = {
        t.id: where
        for t in roster.teams
        if (where := workspace_of(t.slack_team_id, t.enterprise_id)) is not None
    }
    return oauth_install(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        state_secret=settings.slack_state_secret.get_secret_value(),
        secret=secret,
        engine=engine,
        workspaces=workspaces,
        directory=directory,
    )


def _languages(sessions: async_sessionmaker[AsyncSession], roster: RosterConfig) -> Languages:
    """Each person's language: their choice or their platform's, else the roster's defaults."""
    teams = {t.id: t.language for t in roster.teams if t.language}
    return Languages(SqlLocaleStore(sessions), teams, roster.organisation.language)


def _secret(settings: Settings, notices: list[str]) -> bytes:
    """RESPITE_SECRET, or a throwaway one (`respite serve` refuses to start without it)."""
    if settings.respite_secret is not None:
        return settings.respite_secret.get_secret_value().encode()
    notices.append(
        "RESPITE_SECRET is not set: using a throwaway secret, so anonymous kudos quotas reset "
        "when this process stops"
    )
    return secrets.token_bytes(32)
