"""The address book: whom a platform can reach, and how, before they ever write to Respite.

A platform that must open a conversation itself (Teams: a 1:1 chat needs a service URL, a tenant
and the person's platform id) keeps an address per person and channel. An address is roster data
(who can be messaged and how), never survey data.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

AddressKind = Literal["user", "channel"]


@dataclass(frozen=True, slots=True)
class Address:
    """A person (keyed by their directory id: Teams' AAD object id) or a channel (by its id).

    `reference` is a serialized ConversationReference, present once the bot has a conversation
    there. A user seen only in a team's roster has none yet, but `teams_user_id`, `tenant_id` and
    `service_url` are enough to create a 1:1 conversation with them.
    """

    kind: AddressKind
    key: str
    reference: Mapping[str, Any] | None = None
    teams_user_id: str | None = None
    name: str | None = None
    tenant_id: str | None = None
    service_url: str | None = None
    team_id: str | None = None
    updated_at: datetime | None = None


class AddressBook(Protocol):
    async def upsert(self, address: Address, when: datetime) -> None:
        """Insert or merge: fields given as None keep what was stored before."""
        ...

    async def get(self, kind: AddressKind, key: str) -> Address | None: ...

    async def any_in_tenant(
        self, tenant_id: str | None, with_reference: bool = False
    ) -> Address | None:
        """Some address with a service URL (in this tenant when given), for creating chats."""
        ...

    async def keys(self, kind: AddressKind) -> Sequence[Address]: ...

    async def names(self, keys: Collection[str]) -> dict[str, str]:
        """Display names Teams gave for these users (AAD object ids); unknown ones are left out."""
        ...

    async def user_by_teams_id(self, teams_user_id: str) -> Address | None:
        """The user Teams knows as `29:...`, for mentions that arrive without an AAD object id."""
        ...

    async def remove(self, kind: AddressKind, key: str) -> None: ...

    async def remove_team(self, team_id: str) -> Sequence[str]:
        """Delete a team's channels (the team's own id names its General channel), returning
        their keys; users, and their 1:1 chat references, are kept."""
        ...
