"""The aiohttp application: the platforms' endpoints and /healthz (metrics have a listener of
their own, bot.serve.start_metrics)."""

from __future__ import annotations

from aiohttp import web

from bot.main import Respite
from bot.storage.health import ping

RESPITE_KEY = web.AppKey("respite", Respite)


async def healthz(request: web.Request) -> web.Response:
    respite = request.app[RESPITE_KEY]
    if await ping(respite.engine):
        return web.json_response({"status": "ok"})
    return web.json_response({"status": "database unavailable"}, status=503)


def build_web_app(respite: Respite) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)
    app[RESPITE_KEY] = respite
    app.router.add_get("/healthz", healthz)
    for path, handler in respite.routes.items():
        app.router.add_post(path, handler)
    return app
