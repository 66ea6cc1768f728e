"""The console Sender: prints each delivered card under its recipient's name."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bot.domain.messages import Card, Recipient
from bot.infra.i18n import _
from bot.platforms.console.render import card_text


class ConsoleSender:
    def __init__(self, write: Callable[[str], None], names: Mapping[str, str] | None = None):
        self._write = write
        self._names = dict(names or {})
        self.sent: list[tuple[Recipient, Card]] = []

    @property
    def names(self) -> Mapping[str, str]:
        return self._names

    def name(self, recipient: Recipient) -> str:
        key = recipient.user_id or recipient.channel_id or "?"
        return self._names.get(key, key)

    async def send(self, recipient: Recipient, card: Card) -> str | None:
        self.sent.append((recipient, card))
        heading = _("  → {who} receives:").format(who=self.name(recipient))
        self._write(f"{heading}\n{card_text(card, names=self._names)}")
        return str(len(self.sent))

    async def delete(self, recipient: Recipient, ref: str) -> None:
        self._write(
            _("  × message {ref} to {who} is removed").format(ref=ref, who=self.name(recipient))
        )
