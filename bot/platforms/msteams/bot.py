"""The Teams bot: every turn saves where its people can be reached, then routes to the handlers.

A message in a channel (an @mention) is answered in the person's 1:1 chat with the bot, with a
short note in the channel: forms and the private notes a submission can bring must never appear
where colleagues can read them.

Invokes are questions Teams waits on, answered in the HTTP response (`invoke.py`): a searching
user picker's `application/search` from the roster, an `Action.Execute` (`adaptiveCard/action`)
through the same handlers as an `Action.Submit`, anything else with a clean 400.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial
from http import HTTPStatus
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import Activity, ActivityTypes

from bot.domain.events import (
    ButtonPress,
    Command,
    FormErrors,
    FormSubmission,
    Outcome,
    Reply,
    ShowForm,
)
from bot.domain.messages import Card, Platform, Recipient, translated
from bot.domain.ports.addresses import Address, AddressBook, AddressKind
from bot.infra.bounded import Bounded
from bot.infra.i18n import N_, _, use_locale
from bot.platforms.msteams import inbound, invoke
from bot.platforms.msteams.activity import card_activity
from bot.platforms.msteams.people import PeopleBook
from bot.platforms.msteams.render import (
    TEAMMATES_DATASET,
    People,
    form_errors_card,
    invoke_card,
)
from bot.platforms.msteams.retry import Retrier
from bot.platforms.msteams.sender import TeamsSender
from bot.platforms.msteams.teammate_search import search_teammates
from handlers import router
from handlers.deps import Deps

log = logging.getLogger(__name__)

# The cards and texts below are in English here and shown with `translated(...)` or `_(...)` in
# the reader's language.
PRIVATE_NOTE = Card(
    title=N_("I've replied in our private chat"),
    blocks=(N_("Check-ins and anything about you stay between you and Respite."),),
)
SORRY = Card(
    title=N_("Something went wrong on our side"),
    blocks=(N_("Nothing you sent was lost or half-saved. Please try again in a minute."),),
)
# What an invoke answered with a message (not a card) says.
REPLIED_PRIVATELY = N_("I've replied in our private chat.")
NOT_SAVED = N_("Nothing was saved yet: please complete the card and submit it again.")
ROSTER_PAGE_SIZE = 500
REWRITE_SECONDS = 3600.0
WRITE_CACHE_SIZE = 50_000


def _channel_data(activity: Activity) -> Mapping[str, Any]:
    data = activity.channel_data
    return data if isinstance(data, Mapping) else {}


def _id_of(data: Mapping[str, Any], key: str) -> str | None:
    part = data.get(key)
    if isinstance(part, Mapping) and part.get("id"):
        return str(part["id"])
    return None


def tenant_of(activity: Activity) -> str | None:
    return _id_of(_channel_data(activity), "tenant") or (
        getattr(activity.conversation, "tenant_id", None) if activity.conversation else None
    )


def conversation_type(activity: Activity) -> str:
    conversation = activity.conversation
    return str(getattr(conversation, "conversation_type", None) or "personal")


def reach_fingerprint(activity: Activity) -> str:
    """Everything `contacts_of` reads from a turn, cheaply: equal fingerprints, equal contacts.

    Building the contacts serializes a conversation reference (about 0.1 ms); comparing this
    first lets the turns of a chat that has not changed skip that.
    """

    def fields(model: Any) -> Any:
        return None if model is None else vars(model)

    data = _channel_data(activity)
    return repr(
        (
            activity.channel_id,
            activity.service_url,
            activity.locale,
            fields(activity.from_property),
            fields(activity.recipient),
            fields(activity.conversation),
            # Not the whole of channelData: a submission's carries the id it replies to.
            [_id_of(data, part) for part in ("tenant", "team", "channel")],
        )
    )


def contacts_of(activity: Activity) -> list[Address]:
    """What one turn tells us about reaching its sender and its conversation."""
    found: list[Address] = []
    data = _channel_data(activity)
    tenant = tenant_of(activity)
    team_id = _id_of(data, "team")
    who = activity.from_property
    bot_id = activity.recipient.id if activity.recipient else None
    reference = TurnContext.get_conversation_reference(activity)
    reference.activity_id = None
    kind = conversation_type(activity)
    if who is not None and who.id and who.id != bot_id:
        key = who.aad_object_id or who.id
        found.append(
            Address(
                "user",
                key,
                reference=reference.serialize() if kind == "personal" else None,
                teams_user_id=who.id,
                name=who.name or None,
                tenant_id=tenant,
                service_url=activity.service_url,
                team_id=team_id,
            )
        )
    if kind == "channel" and activity.conversation is not None:
        thread = str(activity.conversation.id)
        channel_id = _id_of(data, "channel") or thread.split(";", 1)[0]
        reference.conversation.id = channel_id
        found.append(
            Address(
                "channel",
                channel_id,
                reference=reference.serialize(),
                tenant_id=tenant,
                service_url=activity.service_url,
                team_id=team_id,
            )
        )
    return found


class RespiteTeamsBot:
    def __init__(
        self,
        deps: Deps,
        contacts: AddressBook,
        sender: TeamsSender,
        retrier: Retrier,
        now: Callable[[], datetime],
        people: PeopleBook | None = None,
    ) -> None:
        self.deps = deps
        self.people = people
        self.contacts = contacts
        self.sender = sender
        self.retrier = retrier
        self._now = now
        self._written: Bounded[tuple[str, str], tuple[str, float]] = Bounded(WRITE_CACHE_SIZE)
        self._turns: Bounded[tuple[str, str], tuple[str, float]] = Bounded(WRITE_CACHE_SIZE)

    async def on_turn(self, ctx: TurnContext) -> None:
        activity = ctx.activity
        team_id = _id_of(_channel_data(activity), "team")
        if (
            activity.type == ActivityTypes.conversation_update
            and team_id is not None
            and self._bot_removed(activity)
        ):
            # Nothing from this turn is saved: it is the team saying goodbye.
            await self.forget_team(team_id)
            return
        if activity.type in (
            ActivityTypes.message,
            ActivityTypes.conversation_update,
            ActivityTypes.installation_update,
        ):
            await self.remember(activity)
            who = inbound.actor(activity)
            await self.deps.languages.reported(
                who.platform, who.user_id, inbound.reported_locale(activity)
            )
        # The answer is rendered after the handler returns, with words of the card's own (a
        # form's error messages, a picker's placeholder): in the language of who acted. A
        # teammate search, on every pause in typing, answers with names only and skips the read.
        searching = activity.type == ActivityTypes.invoke and activity.name == invoke.SEARCH
        reader = None if searching else inbound.actor(activity)
        # The router is handed the language read here, so the turn asks the store once.
        locale = await router.locale_of(self.deps, reader) if reader else None
        with use_locale(locale):
            if activity.type == ActivityTypes.message:
                await self._on_message(ctx, locale)
            elif activity.type == ActivityTypes.conversation_update:
                await self._on_conversation_update(ctx)
            elif activity.type == ActivityTypes.installation_update:
                await self._on_installation_update(ctx, locale)
            elif activity.type == ActivityTypes.invoke:
                await self._on_invoke(ctx, locale)

    async def remember(self, activity: Activity) -> None:
        """Upsert what this turn says about reaching people; skip a write this process just made.

        A person's turns carry the same reference turn after turn, so re-writing it on every
        message only adds latency; it is written again when it changes, and at least hourly.
        """
        stamp = time.monotonic()
        turn = (
            str(activity.conversation.id if activity.conversation else ""),
            str(activity.from_property.id if activity.from_property else ""),
        )
        quick = reach_fingerprint(activity)
        seen = self._turns.get(turn)
        if seen and seen[0] == quick and stamp - seen[1] < REWRITE_SECONDS:
            return
        now = self._now()
        for contact in contacts_of(activity):
            cache_key = (contact.kind, contact.key)
            fingerprint = json.dumps(
                [
                    contact.reference,
                    contact.teams_user_id,
                    contact.name,
                    contact.tenant_id,
                    contact.service_url,
                    contact.team_id,
                ],
                sort_keys=True,
                default=str,
            )
            written = self._written.get(cache_key)
            if written and written[0] == fingerprint and stamp - written[1] < REWRITE_SECONDS:
                continue
            await self.contacts.upsert(contact, now)
            self._written[cache_key] = (fingerprint, stamp)
        self._turns[turn] = (quick, stamp)

    async def forget(self, kind: AddressKind, key: str) -> None:
        self._written.pop((kind, key), None)
        self._turns.clear()  # rare (an uninstall): the next turn of any chat is saved afresh
        await self.contacts.remove(kind, key)

    async def forget_team(self, team_id: str) -> None:
        """Forget how to post in a team the bot was removed from: its channels and the team.

        People's own 1:1 chats with the bot stay: the app stays installed for each of them
        personally, so their references still work and are not the team's to take away.
        """
        removed = await self.contacts.remove_team(team_id)
        for key in removed:
            self._written.pop(("channel", key), None)
        self._turns.clear()  # rare: the next turn of any chat is saved afresh
        log.info("Teams: removed from a team; forgot %d channel reference(s)", len(removed))

    # Messages ---------------------------------------------------------------------------------

    async def _on_message(self, ctx: TurnContext, locale: str | None) -> None:
        activity = ctx.activity
        others, _unmentioned = inbound.mentions(activity)
        mentioned = await self._resolve_mentions(ctx, others)
        event = inbound.translate(activity, mentioned)
        if event is None:
            return
        if isinstance(event, Command):
            outcome = await router.on_command(self.deps, event, locale)
        elif isinstance(event, ButtonPress):
            outcome = await router.on_button(self.deps, event, locale)
        else:
            outcome = await router.on_form(self.deps, event, locale)
        if not inbound.is_private(activity):
            await self._answer_privately(ctx, event.actor.user_id, outcome)
            return
        await self._show(ctx, outcome, isinstance(event, FormSubmission))

    async def _show(self, ctx: TurnContext, outcome: Outcome, submitted: bool) -> None:
        conversation_id = str(ctx.activity.conversation.id)
        if isinstance(outcome, FormErrors):
            await self._send(ctx, form_errors_card(outcome.errors))
        elif isinstance(outcome, ShowForm):
            await self._send(ctx, outcome.card)
        elif isinstance(outcome, Reply):
            first, *extra = outcome.cards
            form_message = ctx.activity.reply_to_id
            if submitted and form_message:
                update = await self._activity(ctx, first)
                update.id = form_message
                await self.retrier.call(
                    conversation_id, "a card update", lambda: ctx.update_activity(update)
                )
            else:
                await self._send(ctx, first)
            for card in extra:
                await self._send(ctx, card)

    async def _people(self, ctx: TurnContext, card: Card) -> People | None:
        """What the card needs about people, for whoever is talking to the bot."""
        if self.people is None:
            return None
        return await self.people.for_card(card, inbound.actor(ctx.activity).user_id)

    async def _activity(self, ctx: TurnContext, card: Card) -> Activity:
        """The card as an activity for whoever is talking to the bot (names, picker choices)."""
        return card_activity(card, await self._people(ctx, card))

    async def _send(self, ctx: TurnContext, card: Card) -> None:
        activity = await self._activity(ctx, card)
        await self.retrier.call(
            str(ctx.activity.conversation.id),
            "a reply",
            lambda: ctx.send_activity(activity),
        )

    async def _answer_privately(self, ctx: TurnContext, user_id: str, outcome: Outcome) -> None:
        await self._tell_privately(user_id, outcome)
        await self._send(ctx, translated(PRIVATE_NOTE))

    async def _tell_privately(self, user_id: str, outcome: Outcome) -> None:
        recipient = Recipient(Platform.TEAMS, user_id=user_id)
        if isinstance(outcome, FormErrors):
            cards: tuple[Card, ...] = (form_errors_card(outcome.errors),)
        elif isinstance(outcome, ShowForm):
            cards = (outcome.card,)
        else:
            cards = outcome.cards
        for card in cards:
            await self.sender.send(recipient, card)

    # Invokes ----------------------------------------------------------------------------------

    async def _on_invoke(self, ctx: TurnContext, locale: str | None) -> None:
        """Answer an invoke; whatever happens, Teams gets an answer rather than a bare 501."""
        name = str(ctx.activity.name or "")
        try:
            if name == invoke.SEARCH:
                status, body = await self._search(ctx)
            elif name == invoke.CARD_ACTION:
                # Saved like a message's turn; a search only reads (it comes on every pause in
                # typing and says nothing new).
                await self.remember(ctx.activity)
                status, body = await self._card_action(ctx, locale)
            else:
                # Nothing in Respite's manifest or cards asks Teams for any other kind.
                log.info("Teams: answered an invoke of a kind Respite does not handle")
                status = HTTPStatus.BAD_REQUEST
                body = invoke.error_body(
                    status, "NotSupported", _("Respite does not handle this kind of invoke.")
                )
        except Exception:
            failed = HTTPStatus.INTERNAL_SERVER_ERROR
            body = invoke.error_body(failed, "InternalError", _(SORRY.title))
            await ctx.send_activity(invoke.invoke_response(failed, body))
            raise
        await ctx.send_activity(invoke.invoke_response(status, body))

    async def _search(self, ctx: TurnContext) -> tuple[HTTPStatus, invoke.InvokeBody]:
        """A searching user picker's query, answered with the searcher's matching teammates."""
        query = inbound.search_query(ctx.activity)
        bad = HTTPStatus.BAD_REQUEST
        if query is None:
            return bad, invoke.error_body(bad, "BadRequest", _("The search is not well formed."))
        if query.dataset != TEAMMATES_DATASET:
            return bad, invoke.error_body(bad, "NotSupported", _("Respite has no such dataset."))
        searcher = inbound.actor(ctx.activity).user_id
        found = await search_teammates(self.contacts, self.deps.directory, searcher, query)
        return HTTPStatus.OK, invoke.search_body(found)

    async def _card_action(
        self, ctx: TurnContext, locale: str | None
    ) -> tuple[HTTPStatus, invoke.InvokeBody]:
        """An `Action.Execute`: the same handlers as an `Action.Submit`, answered in the response.

        The answer's first card replaces the card acted on (a form by its thanks), and any
        further cards follow as messages. Refused answers leave the form as it was, with the
        reasons beside it. In a channel or group chat everything goes to the 1:1 chat instead.
        """
        activity = ctx.activity
        event = inbound.card_action(activity)
        if event is None:
            bad = HTTPStatus.BAD_REQUEST
            return bad, invoke.error_body(bad, "BadRequest", _("Not an action of Respite's cards."))
        if isinstance(event, ButtonPress):
            outcome = await router.on_button(self.deps, event, locale)
        else:
            outcome = await router.on_form(self.deps, event, locale)
        if not inbound.is_private(activity):
            await self._tell_privately(event.actor.user_id, outcome)
            return HTTPStatus.OK, invoke.message_body(_(REPLIED_PRIVATELY))
        if isinstance(outcome, FormErrors):
            await self._send(ctx, form_errors_card(outcome.errors))
            return HTTPStatus.OK, invoke.message_body(_(NOT_SAVED))
        first, *extra = (outcome.card,) if isinstance(outcome, ShowForm) else outcome.cards
        answer = invoke_card(first, await self._people(ctx, first))
        for card in extra:
            await self._send(ctx, card)
        return HTTPStatus.OK, invoke.card_body(answer)

    async def _resolve_mentions(
        self, ctx: TurnContext, others: list[inbound.MentionRef]
    ) -> tuple[str, ...]:
        """AAD object ids of the people mentioned.

        Teams' mention entities usually name only the `29:` id: the contacts the bot already
        has answer first, and Teams is asked about the others.
        """
        resolved: list[str] = []
        for mention in others:
            aad = mention.aad_object_id
            if not aad:
                known = await self.contacts.user_by_teams_id(mention.teams_user_id)
                aad = known.key if known is not None else None
            if not aad:
                try:
                    member = await TeamsInfo.get_member(ctx, mention.teams_user_id)
                    aad = member.aad_object_id if member else None
                except Exception:
                    log.warning("Teams: could not resolve a mention in a message")
            if aad and aad not in resolved:
                resolved.append(aad)
        return tuple(resolved)

    # Installation and membership --------------------------------------------------------------

    def _bot_added(self, activity: Activity) -> bool:
        bot_id = activity.recipient.id if activity.recipient else None
        return any(m.id == bot_id for m in activity.members_added or [])

    def _bot_removed(self, activity: Activity) -> bool:
        bot_id = activity.recipient.id if activity.recipient else None
        return bot_id is not None and any(m.id == bot_id for m in activity.members_removed or [])

    async def _on_conversation_update(self, ctx: TurnContext) -> None:
        activity = ctx.activity
        team_id = _id_of(_channel_data(activity), "team")
        if team_id is None:
            return
        if self._bot_added(activity):
            await self.sync_team_roster(ctx, team_id)
            return
        now = self._now()
        bot_id = activity.recipient.id if activity.recipient else None
        for member in activity.members_added or []:
            if member.id == bot_id:
                continue
            await self.contacts.upsert(
                Address(
                    "user",
                    member.aad_object_id or member.id,
                    teams_user_id=member.id,
                    name=member.name or None,
                    tenant_id=tenant_of(activity),
                    service_url=activity.service_url,
                    team_id=team_id,
                ),
                now,
            )

    async def _on_installation_update(self, ctx: TurnContext, locale: str | None) -> None:
        activity = ctx.activity
        action = str(activity.action or "")
        team_id = _id_of(_channel_data(activity), "team")
        if action.startswith("remove"):
            who = activity.from_property
            if team_id is None and who is not None:
                await self.forget("user", who.aad_object_id or who.id)
            return
        if team_id is not None:
            await self.sync_team_roster(ctx, team_id)
        elif action.startswith("add") and activity.from_property is not None:
            welcome = await router.on_command(
                self.deps, Command(inbound.actor(activity), inbound.UMBRELLA, "help"), locale
            )
            await self._show(ctx, welcome, submitted=False)

    async def sync_team_roster(self, ctx: TurnContext, team_id: str) -> int:
        """Remember every member of a team the bot was added to, so each can be messaged."""
        activity = ctx.activity
        tenant = tenant_of(activity)
        now = self._now()
        count = 0
        token: str | None = None
        try:
            while True:
                page = await self.retrier.call(
                    team_id,
                    "a roster read",
                    partial(
                        TeamsInfo.get_paged_team_members, ctx, team_id, token, ROSTER_PAGE_SIZE
                    ),
                )
                for member in page.members or []:
                    await self.contacts.upsert(
                        Address(
                            "user",
                            member.aad_object_id or member.id,
                            teams_user_id=member.id,
                            name=member.name or None,
                            tenant_id=member.tenant_id or tenant,
                            service_url=activity.service_url,
                            team_id=team_id,
                        ),
                        now,
                    )
                    count += 1
                token = page.continuation_token
                if not token:
                    break
        except Exception:
            log.exception(
                "Teams: reading a team's roster failed; members will be added as they speak"
            )
        log.info("Teams: %d member(s) of an installed team remembered", count)
        return count
