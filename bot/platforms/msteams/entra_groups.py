"""A Teams team's members from an Entra ID group (`members_from: {group: <object id>}`).

Rosters on Teams name people by their Entra object id, and typing those by hand goes stale the day
someone joins. So a team may name a group instead, and its members are read from Graph at start
and daily, as Slack channels are: the transitive members (nested groups count), people only.
Disabled accounts are left out (they cannot answer, and would count toward a team's headcount);
guests are left out unless the team says `include_guests: true`, because a guest is usually an
outside partner, not one of the team's clinicians. A lookup that fails raises MemberLookupFailed
with one line, and the team keeps its last members.
"""

from __future__ import annotations

from bot.domain.ports import MemberLookupFailed
from bot.domain.team import MemberSource
from bot.platforms.msteams.graph import GraphClient, GraphError, quoted

PERMISSION_MEMBERS = "GroupMember.Read.All"
PERMISSION_USERS = "User.Read.All"
PAGE_SIZE = "999"  # Graph's largest page for directory objects


class EntraGroupLookup:
    def __init__(self, graph: GraphClient) -> None:
        self._graph = graph

    async def members(self, source: MemberSource) -> set[str]:
        if source.kind != "group":
            raise MemberLookupFailed(
                f"a Teams team syncs members from an Entra group, not a {source.kind}"
            )
        people: set[str] = set()
        path = f"/groups/{quoted(source.id)}/transitiveMembers/microsoft.graph.user"
        params = {"$select": "id,accountEnabled,userType", "$top": PAGE_SIZE}
        try:
            async for user in self._graph.pages(path, params):
                # Without User.Read.All, Graph may leave these out: then nobody is dropped.
                if user.get("accountEnabled") is False:
                    continue
                if user.get("userType") == "Guest" and not source.include_guests:
                    continue
                if user.get("id"):
                    people.add(str(user["id"]))
        except GraphError as exc:
            raise MemberLookupFailed(_reason(exc, source.id)) from None
        return people


def _reason(exc: GraphError, group: str) -> str:
    if exc.status == 403:
        return (
            f"Microsoft Graph refused to list Entra group {group} ({exc.code}); grant the app "
            f"the {PERMISSION_MEMBERS} and {PERMISSION_USERS} application permissions"
        )
    if exc.status == 404:
        return f"no Entra group {group} in the app's tenant (check the group's object id)"
    return f"Microsoft Graph: {exc}"
