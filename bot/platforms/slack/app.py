"""The Slack side of the web app: a slack-bolt AsyncApp whose listeners call neutral handlers.

The route verifies every request's signature and timestamp over the raw body (slack_sdk's
SignatureVerifier) before anything parses it: a forged, stale or unsigned request gets 401 and one
log line, whatever its body holds. A signed payload is then checked for the shape its kind needs
(`inbound.problem`) before bolt routes it; one that cannot be read gets a polite answer where its
sender can be told, and a 4xx where nobody can, and reaches no listener. Bolt still verifies the
signature again on its own.

Bolt answers a request when its listener returns (`process_before_response`), not at its next
look for an ack (it looks every 10 ms, and the looks cost about a fifth of the CPU it spends on a
request). So command and button listeners ack and return at once, leaving their work (the read,
the modal, the reply) to `InFlight`; a view submission's listener does its work first, since its
ack carries the answer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.request import payload_utils
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import parse_body
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.domain.events import FormErrors, FormSubmission, Outcome, Reply, ShowForm
from bot.domain.messages import Card, Platform, Recipient, translated
from bot.infra.deadline import within
from bot.infra.i18n import N_, _, format_number, ngettext, use_locale
from bot.infra.inflight import InFlight
from bot.platforms.slack import inbound
from bot.platforms.slack.installations import (
    OAuthInstall,
    Workspace,
    forget_installation,
    revoke_tokens,
)
from bot.platforms.slack.render import fallback_text, form_errors, message_blocks, modal_view
from bot.platforms.slack.sender import SlackSender
from bot.platforms.slack.submission_budget import SUBMISSION_BUDGET_SECONDS, not_saved_answer
from handlers import router
from handlers.deps import Deps

log = logging.getLogger(__name__)


class _SameTokenNotice(logging.Filter):
    """slack-bolt reads SLACK_BOT_TOKEN from the environment even when it is given a client, and
    then warns that the token will be unused. The client carries that same token, so the warning
    tells an admin nothing; it alone is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


logging.getLogger("slack_bolt.AsyncApp").addFilter(_SameTokenNotice())

SLASH_COMMANDS = ("/checkin", "/respite", "/kudos")
# The Events API events the app listens to (and the manifests subscribe to): the install's end.
BOT_EVENTS = ("app_uninstalled", "tokens_revoked")

# The cards below are in English here and shown with `translated(...)` in the reader's language.
SORRY = Card(
    title=N_("Something went wrong on our side"),
    blocks=(N_("Nothing you sent was lost or half-saved. Please try again in a minute."),),
)

# After the handler ran: what was sent may well be saved, so it must not invite a second send.
UNSHOWN = Card(
    title=N_("Received"),
    blocks=(
        N_(
            "Respite received what you sent, but could not show its answer here. There is no "
            "need to send it again."
        ),
    ),
)

# A signed payload the app could not read (a field missing or of another type): nothing was saved.
# A command's or a submission's answer is the response itself, sent before anyone's language
# could be read, so it is in English; a button's goes later, in the person's language.
UNREADABLE = Card(
    title=N_("Respite could not read that"),
    blocks=(
        N_(
            "Slack sent Respite a request it could not make sense of, so nothing was saved. "
            "Please try again; if it keeps happening, let whoever runs Respite know."
        ),
    ),
)

Route = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Slack's timestamps are whole seconds: ten digits until the year 2286.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")

# Slack accepts five posts to one response_url within 30 minutes. One is always kept free, so
# the apology for a failure can still be shown after every card went through it.
RESPONSE_URL_USES = 5
CARDS_THROUGH_RESPONSE_URL = RESPONSE_URL_USES - 1


def moved_to_messages(cards: tuple[Card, ...]) -> Card:
    """The one answer shown where the command was typed when its cards went as direct messages."""
    listed = "\n".join(f"• {card.title}" for card in cards if card.title)
    return Card(
        title=_("Sent to your messages with Respite"),
        blocks=(
            ngettext(
                "Your answer has {count} part, more than fits here, so it comes as a direct "
                "message from Respite, with any chart attached:",
                "Your answer has {count} parts, more than fit here, so each is a direct "
                "message from Respite, in this order, with any chart attached:",
                len(cards),
            ).format(count=format_number(len(cards))),
            *((listed,) if listed else ()),
        ),
    )


class SlackApp(AsyncApp):
    """Bolt's app with what its route does before bolt sees a request."""

    verifier: SignatureVerifier
    # The answer to a signed payload of a kind the app listens to that it cannot read.
    unreadable: Callable[[Mapping[str, Any], str], web.Response]

    def _handle_unmatched_requests(self, req: AsyncBoltRequest, resp: BoltResponse) -> BoltResponse:
        """A signed request no listener takes: one line naming its kind, and bolt's 404.

        Bolt's own warning prints a sample listener built from the payload's fields, which runs
        to many lines and raises on payloads of unexpected shapes.
        """
        body = req.body if isinstance(req.body, Mapping) else {}
        kind = body.get("type")
        kind = "command" if "command" in body else kind if isinstance(kind, str) else "untyped"
        log.warning("Slack: no listener for a signed %s request", kind[:40])
        return resp


def build_slack_app(
    deps: Deps,
    client: AsyncWebClient,
    signing_secret: str,
    inflight: InFlight,
    install: OAuthInstall | None = None,
) -> SlackApp:
    """The bolt app; with `install` (OAuth), bolt finds each request's bot token in the
    installation store, and `client` carries no token of its own."""
    app = SlackApp(
        client=client,
        signing_secret=signing_secret,
        # Every HTTP request is verified by `slack_route` before bolt parses it, and a Socket
        # Mode envelope needs no signature: bolt checking again would only cost an HMAC.
        request_verification_enabled=False,
        raise_error_for_unhandled_request=False,
        process_before_response=True,
        oauth_settings=install.settings if install is not None else None,
    )
    sender = SlackSender(client, install.tokens if install is not None else None)
    app.verifier = SignatureVerifier(signing_secret)

    async def apologise(card: Card, user_id: str | None, response_url: str | None) -> None:
        """Tell the person something went wrong: where they acted when Slack gave a
        response_url that still takes posts, in a direct message otherwise. It runs where
        something already failed, so it never raises. It speaks the person's language when
        that can be read, else English."""
        reader = inbound.actor(user_id) if user_id else None
        with use_locale(await router.locale_of(deps, reader) if reader else None):
            await _apologise(translated(card), user_id, response_url)

    async def _apologise(card: Card, user_id: str | None, response_url: str | None) -> None:
        if response_url:
            try:
                sent = await AsyncWebhookClient(response_url).send(
                    text=fallback_text(card),
                    blocks=message_blocks(card),
                    response_type="ephemeral",
                    replace_original=False,
                )
                if sent.status_code == 200:
                    return
            except Exception as exc:
                log.warning("Slack: could not apologise where it happened (%s)", type(exc).__name__)
        if user_id:
            try:
                await sender.send(Recipient(Platform.SLACK, user_id=user_id), card)
            except Exception as exc:
                log.warning("Slack: could not send an apology (%s)", type(exc).__name__)

    def unreadable(body: Mapping[str, Any], reason: str) -> web.Response:
        kind = "command" if "command" in body else str(body.get("type") or "unknown")[:40]
        log.warning("Slack: a signed %s payload could not be read (%s)", kind, reason)
        ephemeral = {
            "response_type": "ephemeral",
            "text": fallback_text(UNREADABLE),
            "blocks": message_blocks(UNREADABLE),
        }
        if kind == "command":
            # A slash command's answer may be its response body: no response_url needed.
            return web.json_response(ephemeral)
        if kind == "view_submission":
            # The ack is the answer: the modal shows the apology in place of the form.
            return web.json_response(
                {"response_action": "update", "view": modal_view(UNREADABLE, "info")}
            )
        user_id = inbound.user_id_of(body)
        response_url = inbound.web_url(body.get("response_url"))
        if kind == "block_actions" and (user_id or response_url):
            inflight.start(apologise(UNREADABLE, user_id, response_url), "slack apology")
            return web.Response(status=200)
        return web.Response(status=400)

    app.unreadable = unreadable

    async def reply(cards: tuple[Card, ...], user_id: str | None, respond: AsyncRespond) -> None:
        """Answer privately through the response_url, or in direct messages when there are more
        cards than it may carry (a lead of many groups asking for their digests).

        Past that limit every card goes as a direct message, none through the response_url but
        one short note saying where they went. A lead then finds all their digests in one place,
        in order, each with its trend chart attached (a response_url message cannot carry an
        uploaded file), and they stay there, where an ephemeral answer is gone on the next
        reload. Splitting them, some here and the rest in messages, would leave the lead to piece
        together two places; folding them into one message would pass Block Kit's 50 blocks for
        a handful of digests and bury each group's figures in one long scroll.

        The response_url is used at most twice this way (the note, then perhaps an apology), and
        at most CARDS_THROUGH_RESPONSE_URL + 1 times otherwise, so an apology always has a use
        left.
        """
        if len(cards) <= CARDS_THROUGH_RESPONSE_URL or not user_id:
            for card in cards[:CARDS_THROUGH_RESPONSE_URL]:
                await respond(
                    text=fallback_text(card),
                    blocks=message_blocks(card),
                    response_type="ephemeral",
                    replace_original=False,
                )
            if len(cards) > CARDS_THROUGH_RESPONSE_URL:
                log.warning("%d cards with no user to message; the rest were dropped", len(cards))
            return
        to = Recipient(Platform.SLACK, user_id=user_id)
        for card in cards:
            await sender.send(to, card)
        note = moved_to_messages(cards)
        await respond(
            text=fallback_text(note),
            blocks=message_blocks(note),
            response_type="ephemeral",
            replace_original=False,
        )

    async def show(
        outcome: Outcome,
        web_client: AsyncWebClient,
        trigger_id: str | None,
        respond: AsyncRespond,
        view_id: str | None = None,
        user_id: str | None = None,
    ) -> None:
        """Show the outcome; `web_client` is bolt's for the request, with its workspace's token."""
        if isinstance(outcome, Reply) and view_id:
            # A button inside a modal has no response_url: the answer replaces the modal.
            await web_client.views_update(view_id=view_id, view=modal_view(outcome.card, "info"))
        elif isinstance(outcome, ShowForm) and trigger_id:
            form = outcome.card.form
            await web_client.views_open(
                trigger_id=trigger_id,
                view=modal_view(
                    outcome.card, form.form_id if form else "info", form.context if form else ""
                ),
            )
        elif isinstance(outcome, Reply):
            await reply(outcome.cards, user_id, respond)

    async def guarded(
        work: Callable[[str | None], Awaitable[None]], respond: AsyncRespond, user_id: str | None
    ) -> None:
        """Do the work in the person's language (the views rendered after the handler carry
        words of Slack's own: Close, Cancel, a picker's placeholder), and apologise if it
        fails. The work is handed the language read here, so the router does not read it
        again."""
        try:
            reader = inbound.actor(user_id) if user_id else None
            locale = await router.locale_of(deps, reader) if reader else None
            with use_locale(locale):
                await work(locale)
        except Exception:
            log.exception("slack listener failed")
            await apologise(SORRY, user_id, respond.response_url)

    for name in SLASH_COMMANDS:

        @app.command(name)
        async def _command(
            ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
        ) -> None:
            await ack()

            async def work(locale: str | None) -> None:
                command = inbound.slash_command(body)
                outcome = await router.on_command(deps, command, locale)
                await show(
                    outcome, client, body.get("trigger_id"), respond, user_id=body.get("user_id")
                )

            inflight.start(
                guarded(work, respond, inbound.user_id_of(body)), f"slack {body.get('command')}"
            )

    @app.action(re.compile(".*"))
    async def _button(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()

        async def work(locale: str | None) -> None:
            press = inbound.button_press(body)
            in_modal = (body.get("container") or {}).get("type") == "view" and body.get("view")
            view_id = str(body["view"]["id"]) if in_modal else None
            outcome = await router.on_button(deps, press, locale)
            user_id = (body.get("user") or {}).get("id")
            await show(outcome, client, body.get("trigger_id"), respond, view_id, user_id)

        inflight.start(guarded(work, respond, inbound.user_id_of(body)), "slack button")

    @app.view(re.compile(".*"))
    async def _submit(ack: AsyncAck, body: dict[str, Any]) -> None:
        # Slack waits for this ack, and anything but a valid answer shows the person an error of
        # Slack's own: so whatever goes wrong, here or in rendering, the answer is a polite view.
        locale: str | None = None

        async def answered(submission: FormSubmission) -> Outcome:
            nonlocal locale
            locale = await router.locale_of(deps, submission.actor)
            return await router.on_form(deps, submission, locale)

        try:
            submission = inbound.view_submission(body)
            outcome = await within(SUBMISSION_BUDGET_SECONDS, answered(submission))
        except TimeoutError:
            log.warning("slack view submission ran out of time: cancelled, nothing saved")
            with use_locale(locale):
                await ack(**not_saved_answer(body))
            return
        except Exception:
            log.exception("slack view submission failed")
            with use_locale(locale):
                await ack(response_action="update", view=modal_view(translated(SORRY), "info"))
            return
        with use_locale(locale):
            try:
                answer = _view_answer(outcome)
            except Exception:
                log.exception("slack view submission's answer could not be rendered")
                # A rejected submission saved nothing; any other outcome may have saved something.
                failed = SORRY if isinstance(outcome, FormErrors) else UNSHOWN
                answer = {
                    "response_action": "update",
                    "view": modal_view(translated(failed), "info"),
                }
        await ack(**answer)

    @app.event(BOT_EVENTS[0])
    async def _uninstalled(ack: AsyncAck, context: AsyncBoltContext) -> None:
        await ack()
        where = _workspace(context)
        if install is None:
            log.warning(
                "Slack: Respite was uninstalled from %s; SLACK_BOT_TOKEN no longer works", where
            )
            return
        await forget_installation(install.store, where)

    @app.event(BOT_EVENTS[1])
    async def _revoked(ack: AsyncAck, event: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        given = event.get("tokens")
        tokens: dict[str, Any] = given if isinstance(given, dict) else {}
        bots = [str(u) for u in tokens.get("bot") or ()]
        people = [str(u) for u in tokens.get("oauth") or ()]
        where = _workspace(context)
        if install is None:
            if bots:
                log.warning(
                    "Slack: the bot token of %s was revoked; SLACK_BOT_TOKEN no longer works", where
                )
            return
        await revoke_tokens(install.store, where, bots, people)

    return app


def _workspace(context: AsyncBoltContext) -> Workspace:
    """The workspace an event came from, or the org for an org-wide install."""
    org_wide = bool(context.is_enterprise_install)
    return Workspace(None if org_wide else context.team_id, context.enterprise_id)


def _view_answer(outcome: Outcome) -> dict[str, Any]:
    """A view submission's ack: field errors, the modal's next view, or closing the modal."""
    if isinstance(outcome, FormErrors):
        if not outcome.errors:
            raise ValueError("a form rejected with no field errors")
        return {"response_action": "errors", "errors": form_errors(outcome.errors)}
    if isinstance(outcome, Reply):
        return {"response_action": "update", "view": modal_view(outcome.card, "info")}
    if isinstance(outcome, ShowForm):
        form = outcome.card.form
        view = modal_view(
            outcome.card, form.form_id if form else "info", form.context if form else ""
        )
        return {"response_action": "update", "view": view}
    return {}


def verified(verifier: SignatureVerifier, raw: bytes, headers: Mapping[str, str]) -> str | None:
    """The body as text when Slack signed it within the last five minutes, else None.

    Slack signs UTF-8 text, so a body that is not UTF-8 cannot carry a valid signature.
    """
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not signature.isascii() or not _TIMESTAMP.fullmatch(timestamp):
        # The verifier converts the timestamp with int() and compares the signature with
        # hmac.compare_digest, which refuses non-ASCII text by raising.
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if verifier.is_valid(text, timestamp, signature) else None


# What bolt reads out of every request's payload to offer its listeners (`action`, `view`,
# `event`...), whether or not a listener asks for it.
_BOLT_READS = (
    payload_utils.to_options,
    payload_utils.to_shortcut,
    payload_utils.to_action,
    payload_utils.to_view,
    payload_utils.to_command,
    payload_utils.to_event,
    payload_utils.to_message,
    payload_utils.to_step,
)


# Top-level fields of Slack's payloads, with the type bolt's middleware and matchers assume
# when they read them, whatever the payload's kind.
_SHAPES: dict[str, type] = {
    "event": dict,
    "view": dict,
    "container": dict,
    "message": dict,
    "state": dict,
    "workflow_step": dict,
    "function_data": dict,
    "actions": list,
    "authorizations": list,
    "response_urls": list,
    # Matched against listeners' patterns.
    "callback_id": str,
    "action_id": str,
    "block_id": str,
}


_NAMES: dict[type, str] = {dict: "an object", list: "a list", str: "a string"}


def payload_problem(body: Mapping[str, Any]) -> str | None:
    """Why a verified payload cannot go to bolt, or None; the same over HTTP and Socket Mode."""
    reason = inbound.problem(body) or bolt_problem(body)
    if reason is None and body.get("command", SLASH_COMMANDS[0]) not in SLASH_COMMANDS:
        reason = "a command the app does not serve"
    return reason


def bolt_problem(body: Mapping[str, Any]) -> str | None:
    """Why bolt itself would fail on a payload, or None.

    Bolt indexes into a payload's fields by its kind while it matches listeners (an event
    callback's `event`, a closed view's `view`), trusting their shape: a failure there is a 500
    with a traceback. The same reads are tried here first.
    """
    for key, kind in _SHAPES.items():
        value = body.get(key)
        # Bolt reads `event` and `view` as body.get(key, {}): present, they must be objects.
        if (value is not None or (key in ("event", "view") and key in body)) and not isinstance(
            value, kind
        ):
            return f"{key} is not {_NAMES[kind]}"
    for key in ("actions", "authorizations", "response_urls"):
        if any(not isinstance(item, dict) for item in body.get(key) or ()):
            return f"{key} holds something other than objects"
    payload = dict(body)
    for read in _BOLT_READS:
        try:
            read(payload)
        except Exception as exc:
            return f"bolt cannot read it ({type(exc).__name__})"
    return None


def slack_route(app: SlackApp) -> Route:
    async def handle(request: web.Request) -> web.StreamResponse:
        text = verified(app.verifier, await request.read(), request.headers)
        if text is None:
            log.warning("Slack: refused a request without a valid signature")
            return web.Response(status=401)
        try:
            bolt_request = AsyncBoltRequest(
                body=text, query=request.query_string, headers=dict(request.headers)
            )
        except Exception as exc:
            # Bolt reads ids out of the payload as it builds the request, trusting their shape.
            return _unparsed(app, text, request.content_type, type(exc).__name__)
        if not isinstance(bolt_request.body, Mapping):
            return _unparsed(app, text, request.content_type, "not an object")
        reason = payload_problem(bolt_request.body)
        if reason is not None:
            return app.unreadable(bolt_request.body, reason)
        bolt_response = await app.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    return handle


def _unparsed(app: SlackApp, text: str, content_type: str, reason: str) -> web.Response:
    """A signed body bolt could not take in: an apology when its sender can be told, else 400."""
    try:
        body = parse_body(text, content_type)
    except (ValueError, RecursionError):  # not JSON; nested past the parser's depth
        body = None
    if isinstance(body, Mapping):
        return app.unreadable(body, reason)
    log.warning("Slack: a signed request's body is not a payload (%s)", reason)
    return web.Response(status=400)
