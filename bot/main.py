"""The composition root: Settings -> engine -> stores -> platforms -> handlers -> scheduler -> web.

This is the only module that knows every piece. Everything it builds is returned in one
`Respite` object so the CLI, the demo, the server and the tests assemble the same graph.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.charts import MatplotlibCharts
from bot.clock import SystemClock
from bot.config import RosterConfig, Settings, load_instrument, load_roster
from bot.domain.directory import RosterDirectory
from bot.domain.instrument import Instrument
from bot.domain.messages import Platform
from bot.domain.ports import Clock, MemberLookup, Sender
from bot.storage.db import create_engine_async, session_factory
from bot.storage.digests import SqlDigestStore
from bot.storage.lease import SqlLease
from bot.storage.members import SqlMemberSync
from bot.storage.outbox import SqlOutbox
from bot.storage.rounds import SqlRoundStore
from handlers.deps import Deps
from scheduler.periods import CronCalendar
from scheduler.runner import Runtime

log = logging.getLogger(__name__)

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

    async def close(self) -> None:
        await self.engine.dispose()


async def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    roster: RosterConfig | None = None,
    senders: Mapping[Platform, Sender] | None = None,
) -> Respite:
    clock = clock or SystemClock()
    roster = roster or load_roster(settings.respite_config)
    instrument = load_instrument(roster.instrument)
    engine = create_engine_async(settings.database_url)
    sessions = session_factory(engine)
    outbox = SqlOutbox(sessions, clock.now)
    members = SqlMemberSync(sessions)
    directory = RosterDirectory(roster.team_list)
    directory.apply_synced(await members.load())
    deps = Deps(
        instrument=instrument,
        directory=directory,
        calendar=CronCalendar(),
        rounds=SqlRoundStore(sessions, instrument),
        outbox=outbox,
        clock=clock,
        org=roster.org_chart,
        digests=SqlDigestStore(sessions),
        charts=MatplotlibCharts(),
    )
    all_senders: dict[Platform, Sender] = dict(senders or {})
    lookups: dict[Platform, MemberLookup] = {}
    routes: dict[str, Handler] = {}
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    if token:
        from bot.platforms.slack.client import web_client
        from bot.platforms.slack.sender import SlackMemberLookup, SlackSender

        client = web_client(token, settings.slack_api_url)
        all_senders.setdefault(Platform.SLACK, SlackSender(client))
        lookups[Platform.SLACK] = SlackMemberLookup(client)
        if settings.slack_signing_secret:
            from bot.platforms.slack.app import build_slack_app, slack_route

            slack_app = build_slack_app(
                deps, client, settings.slack_signing_secret.get_secret_value()
            )
            routes["/slack/events"] = slack_route(slack_app)
    runtime = Runtime(
        deps=deps,
        queue=outbox,
        senders=all_senders,
        lease=SqlLease(sessions, "scheduler", f"{socket.gethostname()}:{os.getpid()}"),
        directory=directory,
        member_lookups=lookups,
        member_store=members,
    )
    return Respite(
        settings=settings,
        roster=roster,
        instrument=instrument,
        engine=engine,
        deps=deps,
        runtime=runtime,
        senders=all_senders,
        routes=routes,
    )
