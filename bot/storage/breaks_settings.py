"""Per-person break settings on SQL, and the schedules of people planned alone.

Each person has one row holding their own settings. Someone planned alone (a calendar feed, or
too few sharing their settings) has their next planned moment there (`next_at`, indexed), so a
tick reads only the rows that are due; everyone else follows the shared plan of their settings
(`bot.storage.breaks_plans`). A change of settings takes a person off their plan and makes them
due at once, to be planned again.

A tick queues the prompts of people planned alone and moves their schedules on in one
transaction (`commit`): outbox keys are unique per (person, slot) and inserted with ON CONFLICT
DO NOTHING, and a schedule moves only if it still holds the value the tick read, so two
overlapping ticks or a restart never send a slot twice.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace as dataclass_replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, all_, any_, bindparam, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.break_cards import person_stride
from bot.domain.breaks import BreakSettings
from bot.domain.messages import Platform
from bot.domain.ports import Advance, DueBreak, QueuedPrompt
from bot.storage import breaks_plans as plans
from bot.storage.breaks_codec import settings_from_row, times_to_json, work_to_json
from bot.storage.breaks_uptake import count_prompted
from bot.storage.calendar_seal import CalendarSeal
from bot.storage.db import dialect_insert
from bot.storage.outbox import QueuedRow, SharedCards, queue_rows
from bot.storage.tables import break_people, break_plans


def _who(platform: str, user_id: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return break_people.c.platform == platform, break_people.c.user_id == user_id


async def _leave(s: AsyncSession, who: Sequence[Any], now: datetime, **values: Any) -> None:
    await plans.leave(await s.connection(), who, now, **values)


class SqlBreakSettings:
    """People's own settings and the schedules of those planned alone."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], seal: CalendarSeal, cards: SharedCards
    ) -> None:
        self._sessions = sessions
        self._calendar_seal = seal
        self._cards = cards

    async def get(self, platform: Platform, user_id: str) -> BreakSettings | None:
        async with self._sessions() as s:
            row = (
                await s.execute(
                    select(break_people).where(
                        break_people.c.platform == platform.value,
                        break_people.c.user_id == user_id,
                    )
                )
            ).first()
            return self._calendar_opened(settings_from_row(row)) if row else None

    async def of_people(
        self, platform: Platform, user_ids: Collection[str]
    ) -> dict[str, BreakSettings]:
        wanted = sorted(set(user_ids))
        found: dict[str, BreakSettings] = {}
        async with self._sessions() as s:
            for start in range(0, len(wanted), 500):
                rows = await s.execute(
                    select(break_people).where(
                        break_people.c.platform == platform.value,
                        break_people.c.user_id.in_(wanted[start : start + 500]),
                    )
                )
                for row in rows:
                    found[row.user_id] = self._calendar_opened(settings_from_row(row))
        return found

    async def save(self, settings: BreakSettings, now: datetime) -> None:
        values = {
            "team_id": settings.team_id,
            "timezone": settings.timezone,
            "enabled": settings.enabled,
            "times": times_to_json(settings.times),
            "work": work_to_json(settings.work),
            "paused_until": settings.paused_until,
            "skip_date": settings.skip_date,
            "calendar_url": self._calendar_sealed(settings),
            "calendar_warned": settings.calendar_warned,
            "next_at": now,
            "next_slot": None,
            "updated_at": now,
        }
        if settings.timezone is not None:
            values["tz_checked"] = True  # chosen by the person or given by the platform
        new = {"tz_checked": False, "practice_stride": person_stride(settings.user_id)}
        async with self._sessions.begin() as s:
            await _leave(s, _who(settings.platform, settings.user_id), now)
            stmt = dialect_insert(s, break_people).values(
                platform=settings.platform,
                user_id=settings.user_id,
                **(new | values),
            )
            await s.execute(
                stmt.on_conflict_do_update(index_elements=["platform", "user_id"], set_=values)
            )

    async def ensure_people(
        self, team_id: str, platform: Platform, user_ids: Iterable[str], now: datetime
    ) -> int:
        users = sorted(set(user_ids))
        created = 0
        # Plans gone still (breaks were off); this runs at start, after the roster may have
        # turned breaks back on, so their followers are re-planned.
        still = select(break_plans.c.id).where(break_plans.c.next_at.is_(None))
        async with self._sessions.begin() as s:
            for start in range(0, len(users), 500):
                chunk = users[start : start + 500]
                rows = [
                    {
                        "platform": platform.value,
                        "user_id": u,
                        "team_id": team_id,
                        "tz_checked": False,
                        "calendar_warned": False,
                        "practice_stride": person_stride(u),
                        "next_at": now,
                        "updated_at": now,
                    }
                    for u in chunk
                ]
                stmt = dialect_insert(s, break_people).values(rows)
                result = await s.execute(
                    stmt.on_conflict_do_nothing(index_elements=["platform", "user_id"]).returning(
                        break_people.c.user_id
                    )
                )
                created += len(result.all())
                # Someone who moved team: follow them, and re-plan with the new team's defaults.
                # Someone who left and came back (a dormant row): re-plan them too.
                # So are followers of a plan gone still.
                followers_of_still = (
                    break_people.c.platform == platform.value,
                    break_people.c.user_id.in_(chunk),
                    break_people.c.plan_id.in_(still),
                )
                await _leave(s, followers_of_still, now, next_at=now, next_slot=None)
                await s.execute(
                    update(break_people)
                    .where(
                        break_people.c.platform == platform.value,
                        break_people.c.user_id.in_(chunk),
                        break_people.c.next_at.is_(None),
                        break_people.c.plan_id.is_(None),
                    )
                    .values(next_at=now, next_slot=None)
                )
                moved = {"team_id": team_id, "next_at": now, "next_slot": None, "updated_at": now}
                who = (
                    break_people.c.platform == platform.value,
                    break_people.c.user_id.in_(chunk),
                    break_people.c.team_id != team_id,
                )
                await _leave(s, who, now, **moved)
                await s.execute(update(break_people).where(*who).values(**moved))
            # Whoever left the roster stops following the team's plans (dormant until back).
            # The roster is one parameter, however large the team.
            postgres = s.bind is not None and s.bind.dialect.name == "postgresql"
            roster = plans.members_param(frozenset(users), postgres)
            leavers = (
                break_people.c.platform == platform.value,
                break_people.c.team_id == team_id,
                break_people.c.user_id != all_(bindparam("roster", roster, ARRAY(String)))
                if postgres
                else text(
                    "break_people.user_id NOT IN (SELECT value FROM json_each(:roster))"
                ).bindparams(roster=roster),
            )
            await _leave(s, leavers, now, next_at=None, next_slot=None)
        return created

    async def due(self, now: datetime, limit: int) -> list[DueBreak]:
        async with self._sessions() as s:
            rows = (
                await s.execute(
                    select(break_people)
                    .where(break_people.c.next_at <= now)
                    .order_by(break_people.c.next_at)
                    .limit(limit)
                )
            ).all()
        return [
            DueBreak(
                self._calendar_opened(settings_from_row(r)),
                r.next_at,
                r.next_slot,
                r.last_practice,
                r.practice_stride,
            )
            for r in rows
        ]

    async def commit(self, prompts: Sequence[QueuedPrompt], advances: Sequence[Advance]) -> int:
        if not prompts and not advances:
            return 0
        queued: set[str] = set()
        stored: list[str] = []
        async with self._sessions.begin() as s:
            created_at = min((p.not_before for p in prompts), default=None)
            if prompts:
                conn = await s.connection()
                stored = await self._cards.store(conn, [p.card for p in prompts], created_at)
                rows = [
                    QueuedRow(
                        p.key, p.recipient, self._cards.id_of(p.card), p.not_before, p.drop_after
                    )
                    for p in prompts
                ]
                queued = await queue_rows(conn, rows, created_at)
                counts: dict[tuple[str, datetime], tuple[datetime, int]] = {}
                for p in prompts:
                    if p.key in queued and p.counted:
                        key = (p.team_id, p.week[0])
                        end, n = counts.get(key, (p.week[1], 0))
                        counts[key] = (end, n + 1)
                await count_prompted(conn, counts)
            # People sharing a plan (a team's defaults) move on together: one statement per
            # group, not per person. A row moves only if it still holds what the tick read.
            groups: dict[tuple[Any, ...], list[str]] = {}
            for a in advances:
                plan = (a.platform, a.old_next_at, a.next_at, a.next_slot, a.last_practice)
                groups.setdefault(plan, []).append(a.user_id)
            postgres = s.bind is not None and s.bind.dialect.name == "postgresql"
            for (platform, old, next_at, next_slot, practice), users in groups.items():
                step = len(users) if postgres else 500
                for start in range(0, len(users), step):
                    chunk = users[start : start + step]
                    # One array parameter on PostgreSQL: a short statement its driver parses
                    # once, however many people move together.
                    who = (
                        break_people.c.user_id == any_(bindparam("users", chunk, ARRAY(String)))
                        if postgres
                        else break_people.c.user_id.in_(chunk)
                    )
                    await s.execute(
                        update(break_people)
                        .where(
                            break_people.c.platform == platform,
                            who,
                            break_people.c.next_at == old,
                        )
                        .values(next_at=next_at, next_slot=next_slot, last_practice=practice)
                    )
        self._cards.committed(stored)
        return len(queued)

    async def pending_timezones(self, limit: int) -> list[tuple[Platform, str]]:
        async with self._sessions() as s:
            rows = await s.execute(
                select(break_people.c.platform, break_people.c.user_id)
                .where(break_people.c.tz_checked.is_(False))
                .limit(limit)
            )
            return [(Platform(p), u) for p, u in rows]

    async def set_timezone(
        self, platform: Platform, user_id: str, timezone: str | None, now: datetime
    ) -> None:
        who = _who(platform.value, user_id)
        async with self._sessions.begin() as s:
            if timezone:
                # A zone they already have changes nothing that plans them: they stay on it.
                moved = (*who, break_people.c.timezone.is_distinct_from(timezone))
                await _leave(s, moved, now)
                await s.execute(
                    update(break_people)
                    .where(*moved)
                    .values(timezone=timezone, next_at=now, next_slot=None)
                )
            await s.execute(
                update(break_people).where(*who).values(tz_checked=True, updated_at=now)
            )

    async def set_calendar_warned(self, platform: Platform, user_id: str, warned: bool) -> None:
        async with self._sessions.begin() as s:
            await s.execute(
                update(break_people)
                .where(break_people.c.platform == platform.value, break_people.c.user_id == user_id)
                .values(calendar_warned=warned)
            )

    def _calendar_sealed(self, settings: BreakSettings) -> str | None:
        url = settings.calendar_url
        if url is None:
            return None
        return self._calendar_seal.seal(settings.platform, settings.user_id, url)

    def _calendar_opened(self, settings: BreakSettings) -> BreakSettings:
        stored = settings.calendar_url
        if stored is None:
            return settings
        url = self._calendar_seal.open(settings.platform, settings.user_id, stored)
        return dataclass_replace(settings, calendar_url=url)
