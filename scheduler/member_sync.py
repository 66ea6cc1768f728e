"""Daily (and at start) sync of members listed by a channel or user group."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from bot.domain.directory import RosterDirectory
from bot.domain.messages import Platform
from bot.domain.ports import Clock, MemberLookup, MemberLookupFailed, MemberStore

log = logging.getLogger(__name__)


async def sync_members(
    directory: RosterDirectory,
    lookups: Mapping[Platform, MemberLookup],
    store: MemberStore,
    clock: Clock,
) -> dict[str, int]:
    """Refresh synced members; a team whose lookup fails keeps its last synced list."""
    counts: dict[str, int] = {}
    for team in directory.teams():
        source = team.members_from
        lookup = lookups.get(team.platform)
        if source is None or lookup is None:
            continue
        try:
            users = await lookup.members(source)
        except Exception as exc:
            # One line an admin can act on; the team keeps its last synced members.
            reason = str(exc) if isinstance(exc, MemberLookupFailed) else type(exc).__name__
            log.warning(
                "member sync: team %s keeps its last members; %s %s could not be read (%s)",
                team.id,
                source.kind,
                source.id,
                reason,
            )
            continue
        await store.replace(team.id, team.platform, users, clock.now())
        counts[team.id] = len(users)
    for line in directory.apply_synced(await store.load()):
        log.warning("member sync: %s; not added twice", line)
    return counts
