"""An in-memory Directory built from the roster plus synced channel or group membership."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from bot.domain.messages import Platform
from bot.domain.team import Team


class RosterDirectory:
    def __init__(self, teams: Iterable[Team]) -> None:
        self._roster = {t.id: t for t in teams}
        self._teams = dict(self._roster)
        self._index()

    def _index(self) -> None:
        self._by_member: dict[tuple[Platform, str], Team] = {}
        for team in self._teams.values():
            for user in team.members:
                self._by_member.setdefault((team.platform, user), team)

    def apply_synced(self, synced: Mapping[str, Iterable[str]]) -> list[str]:
        """Add members synced from `members_from` to the roster's own members.

        Each person belongs to one team: someone the roster lists, or an earlier team synced,
        is not added to a second team (they would be invited twice and counted twice). Returns
        one line per person skipped, for the admin's log.
        """
        teams = dict(self._roster)
        owner = {(t.platform, user): t.id for t in self._roster.values() for user in t.members}
        skipped: list[str] = []
        for team_id in sorted(synced):
            base = teams.get(team_id)
            if base is None:
                continue
            added = set()
            for user in sorted(set(synced[team_id])):
                other = owner.setdefault((base.platform, user), team_id)
                if other == team_id:
                    added.add(user)
                else:
                    skipped.append(
                        f"{user} is synced into team {team_id!r} but belongs to team {other!r}"
                    )
            teams[team_id] = replace(base, members=base.members | frozenset(added))
        self._teams = teams
        self._index()
        return skipped

    def teams(self) -> Sequence[Team]:
        return list(self._teams.values())

    def team(self, team_id: str) -> Team | None:
        return self._teams.get(team_id)

    def team_of(self, platform: Platform, user_id: str) -> Team | None:
        return self._by_member.get((platform, user_id))

    def teams_led_by(self, platform: Platform, user_id: str) -> Sequence[Team]:
        return [t for t in self._teams.values() if t.is_lead(platform, user_id)]
