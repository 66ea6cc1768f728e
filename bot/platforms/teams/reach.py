"""Which Teams roster members the bot can reach, for the admin's log and `check-config --reach`.

Names are roster data, not survey data, so listing them here is fine; nothing about answers is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.messages import Platform
from bot.domain.team import Team
from bot.platforms.teams.contacts import ContactStore


@dataclass(frozen=True, slots=True)
class TeamReach:
    team: Team
    reachable: tuple[str, ...]
    unreachable: tuple[str, ...]


async def reach(teams: Iterable[Team], contacts: ContactStore) -> list[TeamReach]:
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
