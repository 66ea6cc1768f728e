"""The people a Teams card shows: names for its mentions, colleagues for its user pickers.

Slack resolves `<@U123>` and offers its own people picker; Teams needs the bot to name each
mentioned person and, on Adaptive Cards 1.5, to list the people a picker offers. Both come from
the contacts Teams has shown the bot (an installed team's roster, people who chat with it), so a
picker offers only the giver's roster colleagues whose names the bot has seen. Only a few rows are
read, and only for cards that mention someone or carry a picker.
"""

from __future__ import annotations

from bot.domain.messages import Card, Mention, Paragraph, Platform
from bot.domain.ports import Directory
from bot.domain.ports.addresses import AddressBook
from bot.platforms.msteams.render import People


def mentioned_ids(card: Card) -> set[str]:
    return {
        part.user_id
        for block in card.blocks
        if isinstance(block, Paragraph)
        for part in block.parts
        if isinstance(part, Mention) and not part.name
    }


class PeopleBook:
    def __init__(self, contacts: AddressBook, directory: Directory) -> None:
        self._contacts = contacts
        self._directory = directory

    async def for_card(self, card: Card, viewer: str | None) -> People | None:
        """What `card` needs about people when shown to `viewer` (None for a channel)."""
        wanted = mentioned_ids(card)
        candidates: list[str] = []
        if card.pickers and viewer:
            team = self._directory.team_of(Platform.TEAMS, viewer)
            if team is not None:
                candidates = sorted(team.members - {viewer})
        if not wanted and not candidates:
            return None if not card.pickers else People()
        names = await self._contacts.names(wanted | set(candidates))
        choices = tuple(
            sorted(
                ((user, names[user]) for user in candidates if user in names),
                key=lambda pair: (pair[1].casefold(), pair[0]),
            )
        )
        return People(names={u: names[u] for u in wanted if u in names}, choices=choices)
