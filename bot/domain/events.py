"""Neutral inbound events and the outcomes handlers return.

Each platform adapter has one translation table from its payloads to these events, and one from
these outcomes to its own responses. A handler never learns which platform it is talking to
beyond `Actor.platform`, which it needs only to address replies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.domain.messages import Card, Platform, Recipient


@dataclass(frozen=True, slots=True)
class Actor:
    """The person who acted, as the platform identifies them."""

    platform: Platform
    user_id: str
    timezone: str | None = None

    @property
    def recipient(self) -> Recipient:
        return Recipient(self.platform, user_id=self.user_id)


@dataclass(frozen=True, slots=True)
class Command:
    """A typed command: `/checkin`, `/respite privacy`, Teams `checkin`.

    `private` is False when the command's text itself was seen by others (a Teams channel or
    group chat @mention), so a handler can refuse a secret typed there. Slack slash commands are
    never shown to a channel, so they are always private.
    """

    actor: Actor
    name: str
    args: str = ""
    mentions: tuple[str, ...] = ()
    private: bool = True
    # The platform's id of this very request (Slack's trigger_id), the same when a request is
    # replayed or retried: what makes a command that gives something take effect once.
    request_id: str = ""


@dataclass(frozen=True, slots=True)
class ButtonPress:
    actor: Actor
    action_id: str
    value: str = ""


@dataclass(frozen=True, slots=True)
class FormSubmission:
    actor: Actor
    form_id: str
    values: Mapping[str, str]
    context: str = ""
    # The platform's id of the form instance submitted (Slack's view id), the same however
    # often that form is submitted.
    request_id: str = ""


@dataclass(frozen=True, slots=True)
class ShowForm:
    """Open an interactive form (Slack modal, Teams card)."""

    card: Card


@dataclass(frozen=True, slots=True)
class Reply:
    """Answer the actor privately.

    After a form submission the card replaces the form in place (Slack modal update, Teams card
    update), so the form cannot be submitted twice.
    """

    card: Card
    extra: tuple[Card, ...] = ()

    @property
    def cards(self) -> tuple[Card, ...]:
        return (self.card, *self.extra)


@dataclass(frozen=True, slots=True)
class FormErrors:
    """Reject a submission and keep the form open, with a message per field."""

    errors: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Post:
    """Say something to someone other than the actor (a channel, a recipient)."""

    recipient: Recipient
    card: Card


Outcome = ShowForm | Reply | FormErrors
