"""What the composition root gets when Microsoft Graph is configured for Teams.

Graph needs the bot's app id and client secret and, because Graph answers for one directory, the
app's tenant id. With those, one Graph client (one throttling budget) serves both the Entra group
lookup for member sync and the proactive installer; the installer's tick joins the scheduling
replica's minute ticks, and closing stops a run in progress before the client's session closes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.domain.directory import RosterDirectory
from bot.domain.ports.addresses import AddressBook
from bot.domain.team import Team
from bot.platforms.msteams.entra_groups import EntraGroupLookup
from bot.platforms.msteams.graph import GraphClient, GraphCredentials, graph_client
from bot.platforms.msteams.install import InstallTick, ProactiveInstaller


@dataclass(frozen=True, slots=True)
class TeamsGraph:
    graph: GraphClient
    lookup: EntraGroupLookup
    tick: InstallTick

    async def close(self) -> None:
        await self.tick.close()
        await self.graph.close()


def graph_credentials(
    app_id: str | None, password: str | None, tenant_id: str | None, login_url: str | None
) -> GraphCredentials | None:
    """Credentials for Graph, or None when the bot's settings lack one of them."""
    if not (app_id and password and tenant_id):
        return None
    return GraphCredentials(app_id, password, tenant_id, login_url)


def teams_graph(
    creds: GraphCredentials,
    graph_url: str,
    service_url: str,
    contacts: AddressBook,
    directory: RosterDirectory,
    now: Callable[[], datetime],
) -> TeamsGraph:
    graph = graph_client(creds, graph_url)
    installer = ProactiveInstaller(graph, contacts, creds.app_id, creds.tenant_id, now, service_url)
    return TeamsGraph(graph, EntraGroupLookup(graph), InstallTick(installer, directory, now))


def groups_without_graph(teams: list[Team]) -> str | None:
    """A notice for teams that sync from an Entra group while Graph is not configured."""
    ids = sorted(
        t.id for t in teams if t.members_from is not None and t.members_from.kind == "group"
    )
    if not ids:
        return None
    return (
        f"Teams: {', '.join(ids)} sync members from an Entra group, but Microsoft Graph needs "
        "MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD and MICROSOFT_APP_TENANT_ID; those teams keep "
        "their listed and last synced members"
    )
