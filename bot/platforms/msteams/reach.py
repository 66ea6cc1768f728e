"""Which Teams roster members the bot can reach, for the admin's log and `check-config --reach`.

Names are roster data, not survey data, so listing them here is fine; nothing about answers is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.domain.messages import Platform
from bot.domain.ports.addresses import AddressBook
from bot.domain.team import Team
from bot.platforms.msteams.graph import GraphCredentials, graph_client
from bot.platforms.msteams.install import PERMISSION_INSTALL, ProactiveInstaller


@dataclass(frozen=True, slots=True)
class TeamReach:
    team: Team
    reachable: tuple[str, ...]
    unreachable: tuple[str, ...]


async def reach(teams: Iterable[Team], contacts: AddressBook) -> list[TeamReach]:
    """A member is reachable with a saved chat, or once seen in an installed team's roster."""
    report: list[TeamReach] = []
    for team in teams:
        if team.platform != Platform.TEAMS:
            continue
        ok: list[str] = []
        missing: list[str] = []
        for member in sorted(team.members | team.leads):
            contact = await contacts.get("user", member)
            if contact is not None and (
                contact.reference or (contact.teams_user_id and contact.service_url)
            ):
                ok.append(member)
            else:
                missing.append(member)
        report.append(TeamReach(team, tuple(ok), tuple(missing)))
    return report


async def install_advice(
    creds: GraphCredentials | None, graph_url: str, contacts: AddressBook, sample: str
) -> str:
    """One line on whether Respite can install itself for the members it cannot reach (asked of
    Graph read-only, with `sample`, one of them), and what would let it."""
    if creds is None:
        return (
            "Microsoft Graph is not configured: with MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD "
            f"and MICROSOFT_APP_TENANT_ID set and the {PERMISSION_INSTALL} application "
            "permission granted, Respite installs itself for them"
        )
    graph = graph_client(creds, graph_url)
    try:
        installer = ProactiveInstaller(graph, contacts, creds.app_id, creds.tenant_id, _never)
        problem = await installer.check(sample)
    finally:
        await graph.close()
    if problem is not None:
        return problem
    return (
        "Microsoft Graph lets Respite install itself for them: `respite serve` does so at start "
        "and daily"
    )


def _never() -> datetime:
    raise AssertionError("a read-only check stores nothing")
