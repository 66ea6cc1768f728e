"""The aiohttp application: the platforms' endpoints and /healthz (metrics have a listener of
their own, bot.cli.serve.start_metrics)."""

from __future__ import annotations

from aiohttp import web

from bot.app.compose import Respite
from bot.storage.health import ping

RESPITE_KEY = web.AppKey("respite", Respite)


async def healthz(request: web.Request) -> web.Response:
    respite = request.app[RESPITE_KEY]
    body: dict[str, object] = {"status": "ok"}
    healthy = True
    if respite.link is not None:
        # Everything from the link's platform comes over it (the only link is Slack's Socket
        # Mode, whose names the body keeps): down past its grace period, the process is not
        # healthy.
        socket = await respite.link.status()
        body["slack_socket"] = socket.state
        if not socket.healthy:
            healthy = False
            body.update(status="slack socket down", slack_socket_down_seconds=socket.down_seconds)
    if not await ping(respite.engine):
        healthy = False
        body["status"] = "database unavailable"
    return web.json_response(body, status=200 if healthy else 503)


def build_web_app(respite: Respite) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)
    app[RESPITE_KEY] = respite
    app.router.add_get("/healthz", healthz)
    for path, handler in respite.routes.items():
        app.router.add_post(path, handler)
    for path, handler in respite.get_routes.items():
        app.router.add_get(path, handler)
    return app
