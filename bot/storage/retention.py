"""The retention policy applied: what the roster's `retention:` block says goes, goes.

Run once a day by the scheduler's leader (bot/app/retention.py) and safe to run twice. The
tables whose rows live by their own rules (answers, participation, round figures, keyed marks,
quotas, press marks) keep those rules: docs/privacy.md lists every table and its period.

People who left the roster are noted the first day they are seen gone (`roster_departures`);
the periods "after leaving" count from that day, and someone who comes back is taken off the
list. "On the roster" means in a team's members, leads or synced members: a person is counted
gone only when no team of their platform names them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, insert, select, tuple_, union, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import RetentionConfig
from bot.domain.messages import Platform
from bot.storage.forget import PersonKeys, StillAnswering, forget_person
from bot.storage.tables import (
    audit_log,
    break_fanouts,
    break_people,
    kudos,
    kudos_name_optouts,
    kudos_recipients,
    outbox,
    roster_departures,
    scheduler_lease,
    team_members,
    teams_contacts,
)


@dataclass(slots=True)
class RetentionReport:
    """Rows removed (or emptied) per table, and people forgotten."""

    rows: dict[str, int] = field(default_factory=dict)
    left: int = 0  # newly seen off the roster
    returned: int = 0
    forgotten: int = 0

    def add(self, table: str, n: int) -> None:
        if n:
            self.rows[table] = self.rows.get(table, 0) + n


def _n(result: Any) -> int:
    return int(result.rowcount or 0)


async def _known(s: AsyncSession) -> set[tuple[str, str]]:
    """Everyone some table keys by person (and who could therefore leave)."""
    people = union(
        select(break_people.c.platform, break_people.c.user_id),
        select(team_members.c.platform, team_members.c.user_id),
        select(kudos_name_optouts.c.platform, kudos_name_optouts.c.user_id),
        select(teams_contacts.c.kind, teams_contacts.c.key).where(teams_contacts.c.kind == "user"),
    )
    rows = (await s.execute(people)).all()
    return {("teams" if p == "user" else p, u) for p, u in rows}


async def note_departures(
    sessions: async_sessionmaker[AsyncSession],
    roster: Mapping[Platform, Collection[str]],
    today: date,
    report: RetentionReport,
) -> None:
    """Note who is newly off the roster, and take those back on it off the list."""
    async with sessions.begin() as s:
        known = await _known(s)
        noted = {
            (p, u)
            for p, u in (
                await s.execute(select(roster_departures.c.platform, roster_departures.c.user_id))
            ).all()
        }
        on = {(p.value, u) for p, users in roster.items() for u in users}
        # Members synced from channels and groups are on the roster too, whatever this process
        # has loaded of them yet.
        on |= {
            (p, u)
            for p, u in (await s.execute(select(team_members.c.platform, team_members.c.user_id)))
        }
        platforms = {p.value for p in roster}
        gone = {(p, u) for p, u in known if p in platforms and (p, u) not in on} - noted
        back = {(p, u) for p, u in noted if (p, u) in on}
        if gone:
            await s.execute(
                insert(roster_departures),
                [{"platform": p, "user_id": u, "left_on": today} for p, u in sorted(gone)],
            )
        for p, u in sorted(back):
            await s.execute(
                delete(roster_departures).where(
                    roster_departures.c.platform == p, roster_departures.c.user_id == u
                )
            )
        report.left += len(gone)
        report.returned += len(back)


def _left_before(day: date) -> Any:
    """(platform, user_id) of people who left on or before `day`."""
    return select(roster_departures.c.platform, roster_departures.c.user_id).where(
        roster_departures.c.left_on <= day
    )


async def apply_retention(
    sessions: async_sessionmaker[AsyncSession],
    policy: RetentionConfig,
    roster: Mapping[Platform, Collection[str]],
    keys: PersonKeys,
    now: datetime,
) -> RetentionReport:
    """Apply the whole policy once; what went, per table."""
    report = RetentionReport()
    today = now.date()
    await note_departures(sessions, roster, today, report)
    async with sessions.begin() as s:
        await _rows_by_age(s, policy, now, report)
        await _leavers(s, policy, today, report)
    if policy.forget_leavers_days is not None:
        day = today - timedelta(days=policy.forget_leavers_days)
        async with sessions() as s:
            due = (await s.execute(_left_before(day))).all()
        for platform, user_id in due:
            try:
                counts = await forget_person(sessions, keys, Platform(platform), user_id)
            except StillAnswering:
                continue  # back on the roster and in an open round: the next run takes them
            for table, n in counts.items():
                report.add(table, n)
            report.forgotten += 1
    return report


async def _rows_by_age(
    s: AsyncSession, policy: RetentionConfig, now: datetime, report: RetentionReport
) -> None:
    sent_before = now - timedelta(days=policy.outbox_sent_days)
    report.add(
        "outbox",
        _n(
            await s.execute(
                delete(outbox).where(outbox.c.status == "sent", outbox.c.sent_at < sent_before)
            )
        ),
    )
    failed_before = now - timedelta(days=policy.outbox_failed_days)
    report.add(
        "outbox",
        _n(
            await s.execute(
                delete(outbox).where(
                    outbox.c.status.in_(("failed", "dropped")), outbox.c.created_at < failed_before
                )
            )
        ),
    )
    if policy.kudos_notes_days is not None:
        before = now - timedelta(days=policy.kudos_notes_days)
        report.add(
            "kudos (notes emptied)",
            _n(
                await s.execute(
                    update(kudos)
                    .where(kudos.c.created_at < before, kudos.c.message != "")
                    .values(message="")
                )
            ),
        )
    if policy.kudos_days is not None:
        before = now - timedelta(days=policy.kudos_days)
        old = select(kudos.c.id).where(kudos.c.created_at < before)
        report.add(
            "kudos_recipients",
            _n(
                await s.execute(
                    delete(kudos_recipients).where(kudos_recipients.c.kudos_id.in_(old))
                )
            ),
        )
        report.add("kudos", _n(await s.execute(delete(kudos).where(kudos.c.created_at < before))))
    report.add(
        "audit_log",
        _n(
            await s.execute(
                delete(audit_log).where(audit_log.c.at < now - timedelta(days=policy.audit_days))
            )
        ),
    )
    report.add(
        "scheduler_lease",
        _n(
            await s.execute(
                delete(scheduler_lease).where(
                    scheduler_lease.c.expires_at < now - timedelta(days=policy.lease_days)
                )
            )
        ),
    )
    report.add(
        "break_fanouts",
        _n(
            await s.execute(
                delete(break_fanouts).where(
                    break_fanouts.c.not_before < now - timedelta(days=policy.fanout_days)
                )
            )
        ),
    )


async def _leavers(
    s: AsyncSession, policy: RetentionConfig, today: date, report: RetentionReport
) -> None:
    person = tuple_(break_people.c.platform, break_people.c.user_id)
    calendar_day = today - timedelta(days=policy.leavers_calendar_days)
    report.add(
        "break_people (calendar address)",
        _n(
            await s.execute(
                update(break_people)
                .where(
                    break_people.c.calendar_url.is_not(None),
                    person.in_(_left_before(calendar_day)),
                )
                .values(calendar_url=None, calendar_warned=False)
            )
        ),
    )
    breaks_day = today - timedelta(days=policy.leavers_breaks_days)
    report.add(
        "break_people",
        _n(await s.execute(delete(break_people).where(person.in_(_left_before(breaks_day))))),
    )
    contacts_day = today - timedelta(days=policy.leavers_teams_contacts_days)
    # The address book keeps whoever a platform must remember addresses for; a departure of any
    # platform takes its person's address with it (ids of one platform match no other's keys).
    left = exists().where(
        roster_departures.c.user_id == teams_contacts.c.key,
        roster_departures.c.left_on <= contacts_day,
    )
    report.add(
        "teams_contacts",
        _n(
            await s.execute(
                delete(teams_contacts).where(and_(teams_contacts.c.kind == "user", left))
            )
        ),
    )
