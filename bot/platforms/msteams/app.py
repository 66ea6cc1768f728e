"""The Teams side of the web app: POST /api/messages, and the pieces the composition root wires.

The route authenticates each request itself before the adapter sees it, so that any failure to
prove a Bot Framework token (missing, forged, expired, wrong audience) is a 401 that reaches no
handler and stores nothing, rather than whichever error the SDK happens to raise.

Verify first, parse second: a request without a bearer token is refused before its body is
read; the token is proven against the channel and service URL read from the raw JSON object;
only then is the activity checked for the shape a turn needs (`shape.problem`) and deserialized.
A signed activity that fails the check reaches no handler: a message whose sender and
conversation can be told gets an apology, anything else a 400, with one log line either way.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web
from botbuilder.core import TurnContext, serializer_helper
from botbuilder.schema import Activity, ActivityTypes

from bot.domain.messages import Card, translated
from bot.domain.ports.addresses import AddressBook
from bot.infra.i18n import N_, use_locale
from bot.platforms.msteams import inbound, shape
from bot.platforms.msteams.activity import card_activity
from bot.platforms.msteams.adapter import TeamsCredentials
from bot.platforms.msteams.bot import SORRY, RespiteTeamsBot
from bot.platforms.msteams.hosting import TeamsHosting, Unreadable, build_hosting
from bot.platforms.msteams.people import PeopleBook
from bot.platforms.msteams.retry import Retrier
from bot.platforms.msteams.sender import TeamsSender
from handlers.deps import Deps

log = logging.getLogger(__name__)

# A signed message the bot could not read (a field missing or of another type): nothing saved.
# Shown with `translated(...)` in the language the Teams client reports on the activity: the
# apologies below are sent where reading the person's chosen language may be what failed.
UNREADABLE = Card(
    title=N_("Respite could not read that"),
    blocks=(
        N_(
            "Teams sent Respite a message it could not make sense of, so nothing was saved. "
            "Please try again; if it keeps happening, let whoever runs Respite know."
        ),
    ),
)

Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class TeamsPlatform:
    hosting: TeamsHosting
    bot: RespiteTeamsBot
    sender: TeamsSender
    credentials: TeamsCredentials
    route: Route


def is_loopback(remote: str | None) -> bool:
    if not remote:
        return False
    try:
        return ipaddress.ip_address(remote.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


# Headers a reverse proxy adds; a client on this host talking directly sends none of them.
PROXY_HEADERS = (
    "Forwarded",
    "X-Forwarded-For",
    "X-Forwarded-Host",
    "X-Forwarded-Proto",
    "X-Real-IP",
    "Via",
)


def proxied(request: web.Request) -> bool:
    return any(name in request.headers for name in PROXY_HEADERS)


def build_teams(
    deps: Deps,
    contacts: AddressBook,
    credentials: TeamsCredentials,
    now: Callable[[], datetime],
    retrier: Retrier | None = None,
) -> TeamsPlatform:
    hosting = build_hosting(credentials)
    retrier = retrier or Retrier()
    people = PeopleBook(contacts, deps.directory)
    sender = TeamsSender(hosting, contacts, retrier, now, people, app_id=credentials.app_id)
    bot = RespiteTeamsBot(deps, contacts, sender, retrier, now, people)

    async def on_turn_error(ctx: TurnContext, error: Exception) -> None:
        # The type only: the activity may carry answers, and logs never pair them with a person.
        log.error(
            "Teams turn failed (%s activity): %s",
            ctx.activity.type,
            type(error).__name__,
            exc_info=(type(error), error, error.__traceback__),
        )
        if ctx.activity.type == ActivityTypes.message:
            try:
                with use_locale(inbound.reported_locale(ctx.activity)):
                    await ctx.send_activity(card_activity(translated(SORRY)))
            except Exception:
                log.warning("Teams: could not tell the user about a failed turn")

    hosting.on_error(on_turn_error)
    route = messages_route(hosting, bot.on_turn, credentials.auth_enabled)
    return TeamsPlatform(hosting, bot, sender, credentials, route)


def messages_route(
    hosting: TeamsHosting,
    on_turn: Callable[[TurnContext], Awaitable[None]],
    auth_enabled: bool,
) -> Route:
    async def handle(request: web.Request) -> web.StreamResponse:
        if not auth_enabled and not is_loopback(request.remote):
            log.warning("Teams emulator mode: refused a request from a non-loopback client")
            return web.Response(status=403, text="authentication is off; loopback clients only")
        if not auth_enabled and proxied(request):
            # A reverse proxy on this host makes every caller look like loopback.
            log.warning("Teams emulator mode: refused a request that came through a proxy")
            return web.Response(status=403, text="authentication is off; no proxied requests")
        header = request.headers.get("Authorization", "")
        if auth_enabled and not header.startswith("Bearer "):
            # Refused before the body is read: nothing unauthenticated is parsed.
            log.warning("Teams: refused a request without a bearer token")
            return web.Response(status=401)
        if "application/json" not in request.headers.get("Content-Type", ""):
            return web.Response(status=415)
        body = await read_json(request)
        if body is None:
            log.warning("Teams: refused a request whose body is not a JSON object")
            return web.Response(status=400)
        try:
            result = await hosting.authenticate(shape.for_authentication(body), header)
        except Exception as exc:
            log.warning("Teams: refused a request without a valid token (%s)", type(exc).__name__)
            return web.Response(status=401)
        problem = shape.problem(body)
        activity = as_activity(body) if problem is None else None
        invoke = None
        if activity is not None:
            try:
                invoke = await hosting.receive(result, activity, on_turn, body)
            except Unreadable as exc:  # the SDK refused it before any handler ran
                activity, problem = None, str(exc)
        if activity is None:
            kind = body.get("type")
            kind = kind if isinstance(kind, str) else "untyped"
            log.warning(
                "Teams: a signed %s activity could not be read (%s)",
                kind[:40],
                problem or "not an activity",
            )
            address = shape.reply_address(body)
            if address is None:
                return web.Response(status=400)
            try:
                await hosting.receive(result, address, apologise)
            except Unreadable:
                return web.Response(status=400)
            return web.Response(status=200)
        if invoke is not None:
            body = invoke.body  # botbuilder's models, or plain JSON from the Agents SDK
            plain = (
                body if body is None or isinstance(body, dict | list) else serializer_helper(body)
            )
            return web.json_response(plain, status=invoke.status)
        return web.Response(status=200)

    return handle


async def read_json(request: web.Request) -> dict[str, Any] | None:
    """The body when it is a JSON object, else None (not JSON, not UTF-8, or another value)."""
    try:
        body = await request.json()
    except (ValueError, RecursionError):  # not JSON or not UTF-8; nested past the parser's depth
        return None
    return body if isinstance(body, dict) else None


def as_activity(body: dict[str, Any]) -> Activity | None:
    """The object as an activity, or None when msrest refuses it or it names no type."""
    try:
        activity: Activity = Activity().deserialize(body)
    except Exception:  # msrest's own error types
        return None
    return activity if isinstance(activity.type, str) and activity.type else None


async def apologise(ctx: TurnContext) -> None:
    """The answer to a message that could not be read; it never raises."""
    try:
        with use_locale(inbound.reported_locale(ctx.activity)):
            await ctx.send_activity(card_activity(translated(UNREADABLE)))
    except Exception as exc:
        log.warning("Teams: could not send an apology (%s)", type(exc).__name__)
