"""The names a searching user picker offers: the searcher's teammates whose names match.

A large team's kudos form does not list its people (see `render.py`); Teams asks the bot for
them as the person types, with an `application/search` invoke. The answer comes from the roster:
the members of the searcher's own team, less the searcher, whose display names Teams has shown
the bot (an installed team's roster, people's own messages). Nobody outside that team is ever
offered, whatever is typed, and the recipients of a submitted form are checked again by the kudos
handler. A search reads and writes nothing else: it runs on every pause in typing.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.messages import Platform
from bot.domain.ports import Directory
from bot.domain.ports.addresses import AddressBook
from bot.platforms.msteams.render import SEARCH_PAGE


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What an `application/search` invoke asks: the dataset, the text typed, and the page."""

    dataset: str
    text: str
    skip: int = 0
    top: int = SEARCH_PAGE


def _rank(name: str, typed: str) -> int | None:
    """How well a name matches what was typed (lower is better), or None when it does not.

    The name's start first, then the start of any of its words, then anywhere in it.
    """
    if not typed:
        return 0
    if name.startswith(typed):
        return 0
    if any(word.startswith(typed) for word in name.split()):
        return 1
    return 2 if typed in name else None


def matching(
    people: dict[str, str], text: str, skip: int = 0, top: int = SEARCH_PAGE
) -> list[tuple[str, str]]:
    """One page of (user id, name) whose names contain `text`, case-insensitively.

    Ordered by how well they match, then by name and id, so pages of one query never overlap.
    """
    typed = " ".join(text.casefold().split())
    found: list[tuple[int, str, str, str]] = []
    for user_id, name in people.items():
        rank = _rank(" ".join(name.casefold().split()), typed)
        if rank is not None:
            found.append((rank, name.casefold(), user_id, name))
    found.sort()
    page = found[max(skip, 0) : max(skip, 0) + max(min(top, SEARCH_PAGE), 0)]
    return [(user_id, name) for _, _, user_id, name in page]


async def search_teammates(
    contacts: AddressBook, directory: Directory, searcher: str, query: SearchQuery
) -> list[tuple[str, str]]:
    """The searcher's teammates matching the query; nobody when they are on no Teams team."""
    team = directory.team_of(Platform.TEAMS, searcher)
    if team is None:
        return []
    names = await contacts.names(team.members - {searcher})
    return matching(names, query.text, query.skip, query.top)
