"""Proactive delivery to Teams: scheduled pulses, reminders and digests.

A saved ConversationReference is continued with `continue_conversation`. A member of an installed
team who never spoke to the bot has no reference yet: the bot creates a 1:1 conversation with them
(`create_conversation` with their tenant id and the service URL of their team), saves the new
reference, and sends. A member the bot knows nothing about cannot be reached: the delivery fails
with a reason an admin can act on, and `respite check-config --reach` lists such members.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationParameters,
    ConversationReference,
)

from bot.domain.messages import Card, Recipient
from bot.domain.ports import DeliveryFailed
from bot.domain.ports.addresses import Address, AddressBook
from bot.platforms.msteams.activity import card_activity
from bot.platforms.msteams.hosting import TeamsHosting
from bot.platforms.msteams.people import PeopleBook
from bot.platforms.msteams.retry import Retrier

log = logging.getLogger(__name__)


def encode_ref(conversation_id: str, activity_id: str) -> str:
    return json.dumps({"conversation": conversation_id, "activity": activity_id})


def decode_ref(ref: str) -> tuple[str, str]:
    data = json.loads(ref)
    return str(data["conversation"]), str(data["activity"])


def reference_of(contact: Address) -> ConversationReference:
    assert contact.reference is not None
    ref: ConversationReference = ConversationReference().deserialize(dict(contact.reference))
    return ref


class TeamsSender:
    def __init__(
        self,
        hosting: TeamsHosting,
        contacts: AddressBook,
        retrier: Retrier,
        now: Callable[[], datetime],
        people: PeopleBook | None = None,
        *,
        app_id: str | None = None,
    ) -> None:
        self._hosting = hosting
        self._people = people
        self._contacts = contacts
        self._app_id = app_id or None
        self._retrier = retrier
        self._now = now

    async def _contact(self, recipient: Recipient) -> Address | None:
        if recipient.user_id:
            return await self._contacts.get("user", recipient.user_id)
        assert recipient.channel_id is not None
        return await self._contacts.get("channel", recipient.channel_id)

    async def send(self, recipient: Recipient, card: Card) -> str | None:
        """Send a card; a channel post's mentions are named and become real Teams mentions."""
        people = None
        if self._people is not None:
            people = await self._people.for_card(card, recipient.user_id)
        return await self.send_activity(recipient, card_activity(card, people))

    async def send_activity(self, recipient: Recipient, activity: Activity) -> str | None:
        contact = await self._contact(recipient)
        if contact is not None and contact.reference:
            return await self._continue(
                reference_of(contact), activity, new_post=recipient.channel_id is not None
            )
        if recipient.user_id:
            return await self._create_and_send(recipient.user_id, contact, activity)
        raise DeliveryFailed(
            "Teams: no conversation in that channel yet; add Respite to the channel's team"
        )

    async def delete(self, recipient: Recipient, ref: str) -> None:
        conversation_id, activity_id = decode_ref(ref)
        contact = await self._contact(recipient)
        if contact is None or not contact.reference:
            raise DeliveryFailed("Teams: no conversation reference to delete the message from")
        reference = reference_of(contact)
        reference.conversation.id = conversation_id

        async def logic(ctx: TurnContext) -> None:
            await self._retrier.call(
                conversation_id, "a delete", lambda: ctx.delete_activity(activity_id)
            )

        await self._run(lambda cb: self._hosting.send_to(reference, cb), logic)

    async def _run(
        self,
        start: Callable[[Callable[[TurnContext], Awaitable[None]]], Awaitable[Any]],
        logic: Callable[[TurnContext], Awaitable[None]],
    ) -> None:
        """Run a proactive turn; errors inside it reach the caller, not on_turn_error."""
        failure: list[BaseException] = []

        async def guarded(ctx: TurnContext) -> None:
            try:
                await logic(ctx)
            except Exception as exc:
                failure.append(exc)

        await start(guarded)
        if failure:
            raise failure[0]

    async def _continue(
        self, reference: ConversationReference, activity: Activity, new_post: bool = False
    ) -> str:
        """Continue a saved conversation and send.

        A proactive turn starts from an event with a made-up id, which botbuilder would turn
        into a reply to that id. In a channel that must be a new post of its own (a new thread,
        sent to the channel's conversation), so the made-up id is dropped there.
        """
        conversation_id = str(reference.conversation.id)
        sent: list[str] = []

        async def logic(ctx: TurnContext) -> None:
            if new_post:
                ctx.activity.id = None
            response = await self._retrier.call(
                conversation_id, "a message", lambda: ctx.send_activity(activity)
            )
            sent.append(str(response.id) if response and response.id else "")

        await self._run(lambda cb: self._hosting.send_to(reference, cb), logic)
        return encode_ref(conversation_id, sent[0] if sent else "")

    async def _bot_account(self, base: Address, tenant_id: str | None) -> ChannelAccount | None:
        """The bot's own account, as Teams named it in an earlier conversation."""
        known = base if base.reference else await self._contacts.any_in_tenant(tenant_id, True)
        if known is not None and known.reference:
            account: ChannelAccount | None = reference_of(known).bot
            return account
        return ChannelAccount(id=f"28:{self._app_id}") if self._app_id else None

    async def _create_and_send(
        self, aad_object_id: str, contact: Address | None, activity: Activity
    ) -> str:
        # Only people Teams has shown us (in a chat or an installed team's roster) are tried:
        # guessing someone's tenant from another person's would message the wrong organisation.
        base = None
        if contact is not None:
            base = (
                contact
                if contact.service_url
                else await self._contacts.any_in_tenant(contact.tenant_id)
            )
        if contact is None or base is None or not base.service_url:
            raise DeliveryFailed(
                "Teams: cannot reach this member yet (no chat with the bot and no installed "
                "team); install Respite for them or in their team"
            )
        tenant_id = contact.tenant_id or base.tenant_id
        member_id = contact.teams_user_id or aad_object_id
        bot = await self._bot_account(base, tenant_id)
        params = ConversationParameters(
            is_group=False,
            bot=bot,
            members=[ChannelAccount(id=member_id)],
            tenant_id=tenant_id,
            channel_data={"tenant": {"id": tenant_id}} if tenant_id else None,
        )
        service_url = base.service_url
        sent: list[str] = []

        async def logic(ctx: TurnContext) -> None:
            reference = TurnContext.get_conversation_reference(ctx.activity)
            reference.activity_id = None
            reference.user = ChannelAccount(id=member_id, aad_object_id=aad_object_id)
            if bot is not None:
                reference.bot = bot
            await self._contacts.upsert(
                Address(
                    "user",
                    aad_object_id,
                    reference=reference.serialize(),
                    teams_user_id=member_id,
                    tenant_id=tenant_id,
                    service_url=service_url,
                ),
                self._now(),
            )
            conversation_id = str(ctx.activity.conversation.id)
            response = await self._retrier.call(
                conversation_id, "a message", lambda: ctx.send_activity(activity)
            )
            sent.append(encode_ref(conversation_id, str(response.id if response else "")))

        async def start(cb: Callable[[TurnContext], Awaitable[None]]) -> None:
            await self._retrier.call(
                f"create:{aad_object_id}",
                "creating a chat",
                lambda: self._hosting.create_personal_chat(params, service_url, cb),
            )

        await self._run(start, logic)
        log.info("Teams: created a 1:1 chat with a team member who had not spoken to the bot")
        return sent[0] if sent else ""
