"""Rendered cards into Bot Framework message activities."""

from __future__ import annotations

from botbuilder.core import CardFactory, MessageFactory
from botbuilder.schema import Activity, ChannelAccount, Mention

from bot.domain.messages import Card
from bot.platforms.msteams.render import People, TeamsMessage, render


def message_activity(message: TeamsMessage) -> Activity:
    activity: Activity = MessageFactory.attachment(CardFactory.adaptive_card(message.card))
    activity.summary = message.summary
    if message.text:
        activity.text = message.text
        activity.text_format = "xml"
        activity.entities = [
            Mention(
                mentioned=ChannelAccount(
                    id=entity["mentioned"]["id"], name=entity["mentioned"]["name"]
                ),
                text=entity["text"],
                type="mention",
            )
            for entity in message.entities
        ]
    return activity


def card_activity(card: Card, people: People | None = None) -> Activity:
    return message_activity(render(card, people))
