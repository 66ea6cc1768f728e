"""`respite serve`: one process serving HTTP and running the scheduler until told to stop."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal

from aiohttp import web

from bot.app.compose import Respite, build
from bot.app.web import build_web_app
from bot.config import GENERATE_SECRET, ConfigError, Settings
from bot.infra.metrics import Backlog, OutboxBacklog, exposition
from bot.platforms.msteams.app import is_loopback
from bot.platforms.startup import refusals, run_checks
from bot.storage.backlog import outbox_backlog
from bot.storage.migrate import upgrade_when_ready
from scheduler.member_sync import sync_members
from scheduler.runner import SchedulerRunner

log = logging.getLogger(__name__)


async def start_up(respite: Respite) -> None:
    """Say what an admin should know, then check each platform's credentials: a refusal stops
    the command (ConfigError) before anything is sent or queued."""
    for notice in respite.notices:
        log.warning("%s", notice)
    refused = refusals(await run_checks(respite.checks))
    if refused:
        raise ConfigError(refused)


def backlog_collector(respite: Respite) -> OutboxBacklog:
    """What `respite`'s outbox holds, read at each scrape, for its configured platforms."""

    async def read() -> list[Backlog]:
        now = respite.deps.clock.now()
        return [
            Backlog(g.platform, g.state, g.rows, (now - g.oldest).total_seconds())
            for g in await outbox_backlog(respite.engine, now)
        ]

    return OutboxBacklog(read, platforms=[p.value for p in respite.senders])


def metrics_app(respite: Respite | None = None) -> web.Application:
    """GET /metrics alone, for the metrics listener (never the public one); with `respite`, the
    scrape also reads its outbox backlog."""
    backlog = None if respite is None else backlog_collector(respite)

    async def metrics(request: web.Request) -> web.Response:
        body = await exposition(backlog)
        return web.Response(body=body, content_type="text/plain", charset="utf-8")

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    return app


async def start_metrics(
    host: str, port: int, respite: Respite | None = None
) -> web.AppRunner | None:
    """The metrics listener, or None when it is off or its port is taken (metrics are not worth
    refusing to serve for; the log says why they are missing)."""
    if port == 0:
        return None
    runner = web.AppRunner(metrics_app(respite), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        log.error("metrics: cannot listen on %s:%s (%s); /metrics is off", host, port, reason)
        return None
    log.info("metrics: http://%s:%s/metrics", host, port)
    return runner


async def serve(settings: Settings, host: str, port: int) -> None:
    if settings.secret_is_placeholder:
        raise ConfigError(
            [
                "RESPITE_SECRET is still the example's placeholder: generate one with "
                f"`{GENERATE_SECRET}`"
            ]
        )
    if settings.respite_secret is None:
        raise ConfigError(
            [
                "RESPITE_SECRET is not set: it keys the hashes that stand in for anonymous kudos "
                "givers, and must stay the same across restarts and replicas. Generate one with "
                f"`{GENERATE_SECRET}`."
            ]
        )
    await asyncio.to_thread(
        upgrade_when_ready, settings.database_url, settings.database_wait_seconds
    )
    respite = await build(settings)
    try:
        await start_up(respite)
    except ConfigError:
        await respite.close()
        raise
    if not respite.routes and respite.link is None:
        log.warning(
            "no chat platform is configured (set SLACK_BOT_TOKEN, with SLACK_SIGNING_SECRET or "
            "with SLACK_APP_TOKEN for Socket Mode); serving /healthz only"
        )
    rt = respite.runtime
    runner = SchedulerRunner(
        rt,
        tick_seconds=settings.tick_interval_seconds,
        outbox_seconds=settings.outbox_interval_seconds,
        outbox_concurrency=settings.outbox_concurrency,
    )
    if not is_loopback(host) and not settings.teams_emulator_beyond_loopback:
        for path in sorted(respite.loopback_only):
            # Without authentication, the peer's address is all that keeps outsiders out, and a
            # server listening beyond loopback may sit behind a proxy that hides it.
            del respite.routes[path]
            log.warning(
                "%s is not served: it runs without authentication (Teams emulator mode) and "
                "this server listens on %s; listen on 127.0.0.1, set MICROSOFT_APP_ID, or set "
                "TEAMS_EMULATOR_BEYOND_LOOPBACK=true",
                path,
                host,
            )
    app = build_web_app(respite)
    # Everything built so far lives as long as the process: move it out of the collector's way,
    # so a full collection under load does not stall the event loop scanning SDKs and models.
    gc.collect()
    gc.freeze()
    web_runner = web.AppRunner(app, access_log=None)
    await web_runner.setup()
    site = web.TCPSite(web_runner, host, port)
    await site.start()
    log.info("Respite is listening on http://%s:%s", host, port)
    if respite.link is not None:
        # The platform's own outbound connection; it connects in the background and /healthz
        # says how.
        await respite.link.start()
    metrics = await start_metrics(settings.metrics_host, settings.metrics_port, respite)
    sync = asyncio.create_task(
        sync_members(rt.directory, rt.member_lookups, rt.member_store, rt.deps.clock)
    )
    runner.start()

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        log.info("Respite is stopping")
        sync.cancel()
        await runner.stop()
        if respite.link is not None:
            await respite.link.stop()
        await web_runner.cleanup()
        if metrics is not None:
            await metrics.cleanup()
        await respite.close()
