"""The daily retention job: applies the roster's `retention:` policy once a (UTC) day.

It runs as one of the scheduler leader's minute ticks (`Runtime.extra_ticks`) and does its work
at the first tick of each day, and at the first tick after a start. Running twice is harmless:
every rule is "remove what is older than", and a person is forgotten once.
"""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import RetentionConfig
from bot.domain.messages import Platform
from bot.domain.org import OrgChart
from bot.domain.ports import AuditEntry
from bot.storage.forget import PersonKeys
from bot.storage.retention import RetentionReport, apply_retention
from handlers.deps import Deps

log = logging.getLogger(__name__)


def roster_people(deps: Deps, org: OrgChart) -> dict[Platform, set[str]]:
    """Everyone on the roster, per platform: members (synced ones too) and leads."""
    people: dict[Platform, set[str]] = {}
    for team in deps.directory.teams():
        people.setdefault(team.platform, set()).update(team.members | team.leads)
    people.setdefault(org.platform, set()).update(org.leads)
    for department in org.departments:
        people.setdefault(department.platform, set()).update(department.leads)
    return people


class DailyRetention:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        policy: RetentionConfig,
        keys: PersonKeys,
    ) -> None:
        self._sessions = sessions
        self._policy = policy
        self._keys = keys
        self._done_on: date | None = None

    async def __call__(self, deps: Deps) -> None:
        now = deps.clock.now()
        if self._done_on == now.date():
            return
        report = await self.run(deps)
        self._done_on = now.date()
        # One entry per erasure, naming nobody, as `respite forget` records its own.
        for _ in range(report.forgotten):
            await deps.audit.record(AuditEntry(now, "retention", "forget", "one person", "job"))
        if report.rows or report.left or report.forgotten:
            log.info(
                "retention: %s; %d newly off the roster, %d back, %d forgotten",
                ", ".join(f"{n} {t}" for t, n in sorted(report.rows.items())) or "nothing removed",
                report.left,
                report.returned,
                report.forgotten,
            )

    async def run(self, deps: Deps) -> RetentionReport:
        return await apply_retention(
            self._sessions,
            self._policy,
            roster_people(deps, deps.org),
            self._keys,
            deps.clock.now(),
        )
