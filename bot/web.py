"""The aiohttp application: the platforms' endpoints and /healthz."""

from __future__ import annotations

from aiohttp import web

from bot.main import Respite
from bot.metrics import exposition
from bot.storage.health import ping

RESPITE_KEY = web.AppKey("respite", Respite)


async def healthz(request: web.Request) -> web.Response:
    respite = request.app[RESPITE_KEY]
    if await ping(respite.engine):
        return web.json_response({"status": "ok"})
    return web.json_response({"status": "database unavailable"}, status=503)


async def metrics(request: web.Request) -> web.Response:
    return web.Response(body=exposition(), content_type="text/plain", charset="utf-8")


def build_web_app(respite: Respite) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)
    app[RESPITE_KEY] = respite
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    for path, handler in respite.routes.items():
        app.router.add_post(path, handler)
    return app
