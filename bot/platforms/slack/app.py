"""The Slack side of the web app: a slack-bolt AsyncApp whose listeners call neutral handlers.

Bolt verifies every request (signature and timestamp) before a listener runs; a forged or stale
request gets 401 and reaches no handler. Bolt answers a request when its listener returns
(`process_before_response`), not at its next look for an ack (it looks every 10 ms, and the
looks cost about a fifth of the CPU it spends on a request). So command and button listeners ack and
return at once, leaving their work (the read, the modal, the reply) to `InFlight`; a view
submission's listener does its work first, since its ack carries the answer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.events import FormErrors, Outcome, Reply, ShowForm
from bot.domain.messages import Card, Platform, Recipient
from bot.inflight import InFlight
from bot.platforms.slack import inbound
from bot.platforms.slack.render import fallback_text, form_errors, message_blocks, modal_view
from bot.platforms.slack.sender import SlackSender
from handlers import router
from handlers.deps import Deps

log = logging.getLogger(__name__)

SLASH_COMMANDS = ("/checkin", "/respite", "/kudos")

SORRY = Card(
    title="Something went wrong on our side",
    blocks=("Nothing you sent was lost or half-saved. Please try again in a minute.",),
)

# After the handler ran: what was sent may well be saved, so it must not invite a second send.
UNSHOWN = Card(
    title="Received",
    blocks=(
        "Respite received what you sent, but could not show its answer here. There is no need "
        "to send it again.",
    ),
)

# Slack accepts five posts to one response_url within 30 minutes. One is always kept free, so
# the apology for a failure can still be shown after every card went through it.
RESPONSE_URL_USES = 5
CARDS_THROUGH_RESPONSE_URL = RESPONSE_URL_USES - 1


def moved_to_messages(cards: tuple[Card, ...]) -> Card:
    """The one answer shown where the command was typed when its cards went as direct messages."""
    listed = "\n".join(f"• {card.title}" for card in cards if card.title)
    return Card(
        title="Sent to your messages with Respite",
        blocks=(
            f"Your answer has {len(cards)} parts, more than fit here, so each is a direct "
            "message from Respite, in this order, with any chart attached:",
            *((listed,) if listed else ()),
        ),
    )


def build_slack_app(
    deps: Deps, client: AsyncWebClient, signing_secret: str, inflight: InFlight
) -> AsyncApp:
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        request_verification_enabled=True,
        raise_error_for_unhandled_request=False,
        process_before_response=True,
    )
    sender = SlackSender(client)

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
        trigger_id: str | None,
        respond: AsyncRespond,
        view_id: str | None = None,
        user_id: str | None = None,
    ) -> None:
        if isinstance(outcome, Reply) and view_id:
            # A button inside a modal has no response_url: the answer replaces the modal.
            await client.views_update(view_id=view_id, view=modal_view(outcome.card, "info"))
        elif isinstance(outcome, ShowForm) and trigger_id:
            form = outcome.card.form
            await client.views_open(
                trigger_id=trigger_id,
                view=modal_view(
                    outcome.card, form.form_id if form else "info", form.context if form else ""
                ),
            )
        elif isinstance(outcome, Reply):
            await reply(outcome.cards, user_id, respond)

    async def guarded(work: Callable[[], Awaitable[None]], respond: AsyncRespond) -> None:
        try:
            await work()
        except Exception:
            log.exception("slack listener failed")
            await respond(
                text=fallback_text(SORRY),
                blocks=message_blocks(SORRY),
                response_type="ephemeral",
                replace_original=False,
            )

    for name in SLASH_COMMANDS:

        @app.command(name)
        async def _command(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
            await ack()

            async def work() -> None:
                command = inbound.slash_command(body)
                outcome = await router.on_command(deps, command)
                await show(outcome, body.get("trigger_id"), respond, user_id=body.get("user_id"))

            inflight.start(guarded(work, respond), f"slack {body.get('command')}")

    @app.action(re.compile(".*"))
    async def _button(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()

        async def work() -> None:
            press = inbound.button_press(body)
            in_modal = (body.get("container") or {}).get("type") == "view" and body.get("view")
            view_id = str(body["view"]["id"]) if in_modal else None
            outcome = await router.on_button(deps, press)
            user_id = (body.get("user") or {}).get("id")
            await show(outcome, body.get("trigger_id"), respond, view_id, user_id)

        inflight.start(guarded(work, respond), "slack button")

    @app.view(re.compile(".*"))
    async def _submit(ack: AsyncAck, body: dict[str, Any]) -> None:
        # Slack waits for this ack, and anything but a valid answer shows the person an error of
        # Slack's own: so whatever goes wrong, here or in rendering, the answer is a polite view.
        try:
            submission = inbound.view_submission(body)
            outcome = await router.on_form(deps, submission)
        except Exception:
            log.exception("slack view submission failed")
            await ack(response_action="update", view=modal_view(SORRY, "info"))
            return
        try:
            answer = _view_answer(outcome)
        except Exception:
            log.exception("slack view submission's answer could not be rendered")
            # A rejected submission saved nothing; any other outcome may have saved something.
            failed = SORRY if isinstance(outcome, FormErrors) else UNSHOWN
            answer = {"response_action": "update", "view": modal_view(failed, "info")}
        await ack(**answer)

    return app


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


def slack_route(app: AsyncApp) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        bolt_response = await app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    return handle
