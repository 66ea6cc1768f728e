"""Shared break plans on SQL: how plans are formed, joined, moved and left (docs/breaks.md).

People who share all that plans their breaks (team, platform, time zone and own settings) follow
one `break_plans` row, named by a hash of those settings. A tick reads the groups of people
planned alone and the plans that are due in one query (`due_schedules`), moves groups onto their
plans (`join_plans`) and moves each plan on with compare-and-set (`move_plans`), leaving a
prompt to be fanned out (`bot.storage.breaks_fanout`).

On PostgreSQL each statement sees only what had committed when it started, so every writer locks
the plans it touches first, in plan order: a join and a person leaving lock them for share, and
a move or a removal locks them for update.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Date,
    Text,
    bindparam,
    case,
    cast,
    delete,
    exists,
    false,
    func,
    literal,
    null,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import TextClause

from bot.domain.breaks import BreakSettings
from bot.domain.messages import Card
from bot.domain.ports import (
    DueGroup,
    DuePlan,
    DueSchedules,
    PlanJoin,
    PlanMove,
    PlansJoined,
    PlanStep,
)
from bot.storage import breaks_fanout as fanout
from bot.storage.breaks_codec import json_text, times_from_json, work_from_json
from bot.storage.db import dialect_insert
from bot.storage.outbox import SharedCards
from bot.storage.tables import break_fanouts, break_people, break_plans
from bot.storage.types import UtcDateTime


class PlanSettings(NamedTuple):
    """All that plans a group's breaks, as stored: the settings a plan is named by."""

    team_id: str
    platform: str
    timezone: str | None
    enabled: bool | None  # SQLite reads 0/1
    times: str | None  # JSON text, None for none of one's own
    work: str | None  # JSON text, None for none of one's own
    paused_until: date | None
    skip_date: date | None


class GroupKey(NamedTuple):
    """A due group as read (`DueGroup.match`): its settings, stored moment and planned slot.

    Every statement that moves the group names its rows by all of these, so a row that changed
    since the read is left alone.
    """

    team_id: str
    platform: str
    timezone: str | None
    enabled: bool | None
    times: str | None
    work: str | None
    paused_until: date | None
    skip_date: date | None
    next_at: datetime
    next_slot: str | None

    def plan(self) -> PlanSettings:
        return PlanSettings._make(getattr(self, name) for name in PlanSettings._fields)


def group_key(group: DueGroup) -> GroupKey:
    """The key this store put in a group it read."""
    assert isinstance(group.match, GroupKey)
    return group.match


def plan_id(settings: PlanSettings) -> str:
    """The id of the plan of a group's settings."""
    # A JSON null and an SQL NULL (a setting never given) say the same: no own times or hours.
    own = [None if v in (None, "null") else str(v) for v in (settings.times, settings.work)]
    enabled = None if settings.enabled is None else bool(settings.enabled)
    key = [
        settings.platform,
        settings.team_id,
        settings.timezone,
        enabled,
        *own,
        str(settings.paused_until),
        str(settings.skip_date),
    ]
    return hashlib.sha256(json.dumps(key).encode()).hexdigest()[:32]


@lru_cache(maxsize=256)
def members_param(members: frozenset[str], postgres: bool) -> Any:
    """A team's members as one parameter; encoded once per roster, not once per tick."""
    ordered = sorted(members)
    return ordered if postgres else json.dumps(ordered)


def leave_plan(**values: Any) -> Any:
    """An UPDATE taking people off their plan, their practice written out as of now; the
    caller adds which people (a WHERE) and what else changes (`values`)."""
    current = (
        select(break_plans.c.sent)
        .where(break_plans.c.id == break_people.c.plan_id)
        .scalar_subquery()
    )
    steps = func.coalesce(current, break_people.c.plan_sent) - break_people.c.plan_sent
    return (
        update(break_people)
        .where(break_people.c.plan_id.is_not(None))
        .values(
            last_practice=case(
                (steps > 0, fanout.practice_after(steps)), else_=break_people.c.last_practice
            ),
            plan_id=None,
            plan_sent=None,
            **values,
        )
    )


async def leave(conn: AsyncConnection, who: Sequence[Any], now: datetime, **values: Any) -> None:
    """Take people off their plans (`leave_plan`, with `values`) after fanning out what those
    plans have left to fan out: planned alone, their prompt would have been queued already, and
    leaving counts it in their rotation."""
    theirs = select(break_people.c.plan_id).where(*who, break_people.c.plan_id.is_not(None))
    if conn.dialect.name == "postgresql":
        # The leaver locks their plans first, as every other writer does. A move that is under
        # way then commits before the leaver reads the fan-outs, and no move commits between
        # that read and the leaving.
        await conn.execute(
            select(break_plans.c.id)
            .where(break_plans.c.id.in_(theirs))
            .order_by(break_plans.c.id)
            .with_for_update(read=True)
        )
    pending = await fanout.fanouts_where(conn, break_fanouts.c.plan_id.in_(theirs))
    await fanout.fan_out_rows(conn, pending, now)
    await conn.execute(leave_plan(**values).where(*who))


async def create_plan(
    conn: AsyncConnection,
    pid: str,
    settings: PlanSettings,
    next_at: datetime,
    next_slot: object,
) -> None:
    """Make the plan of a group's settings, starting at the group's moment, unless it is there."""
    stmt = dialect_insert(conn, break_plans).values(
        id=pid,
        platform=settings.platform,
        team_id=settings.team_id,
        timezone=settings.timezone,
        enabled=settings.enabled,
        times=json_text(settings.times),
        work=json_text(settings.work),
        paused_until=settings.paused_until,
        skip_date=settings.skip_date,
        next_at=next_at,
        next_slot=next_slot,
        sent=0,
        updated_at=next_at,
    )
    # A plan that has gone still (breaks were off, so it has no next moment) starts again here.
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["id"],
            set_={"next_at": next_at, "next_slot": next_slot, "updated_at": next_at},
            where=break_plans.c.next_at.is_(None),
        )
    )


async def move_plan(
    conn: AsyncConnection,
    pid: str,
    old: datetime,
    next_at: datetime | None,
    next_slot: str | None,
    prompted: bool,
) -> bool:
    """Move a plan on if it still holds `old`; False if another tick moved it first."""
    result = await conn.execute(
        update(break_plans)
        .where(break_plans.c.id == pid, break_plans.c.next_at == old)
        .values(
            next_at=next_at,
            next_slot=next_slot,
            sent=break_plans.c.sent + (1 if prompted else 0),
            updated_at=func.coalesce(next_at, old),
        )
    )
    return bool(result.rowcount)


async def _hold(conn: AsyncConnection, pid: str, old: datetime) -> bool:
    """Whether the plan still holds `old`; on PostgreSQL this also locks its row until commit.

    A join locks the plan it joins for share (`_join_sql`), so this lock waits for every join
    under way. The statements after the lock see everyone who joined before it, and anyone who
    joins after it finds the plan gone. So nobody joins a plan unseen while it is removed.
    """
    query = select(break_plans.c.id).where(break_plans.c.id == pid, break_plans.c.next_at == old)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return (await conn.execute(query)).first() is not None


async def _remove(conn: AsyncConnection, pid: str, *where: ColumnElement[bool]) -> None:
    """Delete a plan with any prompt of it not yet fanned out.

    A plan of the same settings made later has the same id, and it must not fan out this
    plan's prompt to its followers. A plan is removed when its team is gone, when nobody follows
    it, or the day after a skipped day or pause, when its last prompt is long past its moment.
    """
    removed = await conn.execute(delete(break_plans).where(break_plans.c.id == pid, *where))
    if removed.rowcount:
        await conn.execute(delete(break_fanouts).where(break_fanouts.c.plan_id == pid))


async def retire_plan(conn: AsyncConnection, pid: str, old: datetime, **values: Any) -> None:
    """Remove a plan if it still holds `old`; its followers get `values` (dormant by default,
    since its team is gone). They leave while it is there, so their practice is written out."""
    if not await _hold(conn, pid, old):
        return
    await conn.execute(
        leave_plan(**({"next_at": None, "next_slot": None} | values)).where(
            break_people.c.plan_id == pid
        )
    )
    await _remove(conn, pid)


async def drop_plan(conn: AsyncConnection, pid: str, old: datetime) -> None:
    """Remove a plan read with no followers, if it still holds `old` and nobody has joined it
    since; a plan that somebody has joined stays, due, for the next tick to move."""
    if await _hold(conn, pid, old):
        await _remove(conn, pid, ~exists().where(break_people.c.plan_id == pid))


def _own(column: Any) -> Any:
    """A JSON setting as the text stored (PostgreSQL's json type has no equality), with a JSON
    null and an SQL NULL (a setting never given) alike: both say "none of one's own"."""
    return func.nullif(cast(column, Text), "null")


# Due people, grouped by everything that plans them: one row per shared plan, not per person.
# The labels are GroupKey's fields.
_GROUP_BY = (
    break_people.c.team_id,
    break_people.c.platform,
    break_people.c.timezone,
    break_people.c.enabled,
    _own(break_people.c.times).label("times"),
    _own(break_people.c.work).label("work"),
    break_people.c.paused_until,
    break_people.c.skip_date,
    break_people.c.next_at,
    break_people.c.next_slot,
    break_people.c.calendar_url.is_not(None).label("calendar"),
)
_NOW = bindparam("now", type_=UtcDateTime())
# Everything due in one round trip, since most minutes nothing is: the groups above (kind 0),
# then the shared plans due (kind 1), each with how many follow it (on the plan_id index).
_FOLLOWERS = (
    select(func.count())
    .select_from(break_people)
    .where(break_people.c.plan_id == break_plans.c.id)
    .scalar_subquery()
)
_DUE = union_all(
    select(
        literal(0).label("kind"),
        null().label("id"),
        *_GROUP_BY,
        literal(0).label("sent"),
        func.count().label("n"),
    )
    .where(break_people.c.next_at <= _NOW)
    .group_by(*_GROUP_BY),
    select(
        literal(1),
        break_plans.c.id,
        break_plans.c.team_id,
        break_plans.c.platform,
        break_plans.c.timezone,
        break_plans.c.enabled,
        _own(break_plans.c.times),
        _own(break_plans.c.work),
        break_plans.c.paused_until,
        break_plans.c.skip_date,
        break_plans.c.next_at,
        break_plans.c.next_slot,
        false(),
        break_plans.c.sent,
        _FOLLOWERS,
    ).where(break_plans.c.next_at <= _NOW),
)


@dataclass(frozen=True, slots=True)
class _GroupSql:
    join: TextClause  # move the members onto the plan of their settings
    dormant: TextClause  # anyone in the group who is no longer a member


def _join_sql(postgres: bool) -> _GroupSql:
    """The statements that move a whole group at once.

    Every statement names the group's rows by all of its GroupKey, so a row that changed since
    it was read (another tick moved it, its owner changed a setting) is left alone.
    """
    same = "IS NOT DISTINCT FROM" if postgres else "IS"
    rows = (
        "next_at = :old AND platform = :platform AND team_id = :team_id "
        "AND calendar_url IS NULL "
        f"AND timezone {same} :timezone AND enabled {same} :enabled "
        f"AND NULLIF(CAST(times AS TEXT), 'null') {same} :times "
        f"AND NULLIF(CAST(work AS TEXT), 'null') {same} :work "
        f"AND paused_until {same} :paused_until AND skip_date {same} :skip_date "
        f"AND next_slot {same} :next_slot"
    )
    members = (
        "user_id = ANY(CAST(:members AS TEXT[]))"
        if postgres
        else "user_id IN (SELECT value FROM json_each(:members))"
    )
    dates = (
        bindparam("old", type_=UtcDateTime()),
        bindparam("paused_until", type_=Date()),
        bindparam("skip_date", type_=Date()),
    )
    # Only the fixed fragments above are joined in; every value is a bound parameter.
    # A group joins a plan only if the plan's next prompt is the one the group would send
    # itself, so joining loses no prompt and adds none. That is the group's own slot at its
    # moment, or, for a group with no slot (new or changed settings, which send nothing before
    # their next slot), no prompt due by now.
    # On PostgreSQL the join locks the plan for share, so a removal of the plan waits until the
    # join commits (`_hold`).
    join = (
        "UPDATE break_people SET plan_id = CAST(:plan AS VARCHAR(32)), "
        "plan_sent = (SELECT sent FROM break_plans WHERE id = CAST(:plan AS VARCHAR(32))), "
        "next_at = NULL, next_slot = NULL, "
        "paused_until = CASE WHEN :clear_pause THEN NULL ELSE paused_until END, "
        "skip_date = CASE WHEN :clear_skip THEN NULL ELSE skip_date END WHERE {} AND {} "
        "AND EXISTS (SELECT 1 FROM break_plans WHERE id = CAST(:plan AS VARCHAR(32)) "
        "AND next_at IS NOT NULL AND ("
        "(CAST(:next_slot AS VARCHAR(64)) IS NULL AND (next_slot IS NULL OR next_at > :now)) "
        "OR (next_at = :old AND next_slot = CAST(:next_slot AS VARCHAR(64)))){})"
    )
    dormant = "UPDATE break_people SET next_at = NULL, next_slot = NULL WHERE {} AND NOT ({})"
    return _GroupSql(
        join=text(join.format(rows, members, " FOR SHARE" if postgres else "")).bindparams(
            *dates, bindparam("now", type_=UtcDateTime())
        ),
        dormant=text(dormant.format(rows, members)).bindparams(*dates),
    )


_JOIN_SQL = {postgres: _join_sql(postgres) for postgres in (False, True)}


def _kept(j: PlanJoin) -> PlanSettings:
    """The settings a group joins a plan with: its own, less a skipped day or pause now over."""
    kept = group_key(j.group).plan()
    if "paused_until" in j.clear:
        kept = kept._replace(paused_until=None)
    if "skip_date" in j.clear:
        kept = kept._replace(skip_date=None)
    return kept


class SqlBreakPlans:
    """The tick's side of shared plans: what is due, groups joining, plans moving on."""

    def __init__(self, engine: AsyncEngine, cards: SharedCards) -> None:
        self._engine = engine
        self._cards = cards

    async def due_schedules(self, now: datetime) -> DueSchedules:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(_DUE, {"now": now})).all()
        groups, plans_due = [], []
        for r in rows:
            key = GroupKey._make(getattr(r, name) for name in GroupKey._fields)
            settings = BreakSettings(
                platform=key.platform,
                user_id="",
                team_id=key.team_id,
                timezone=key.timezone,
                enabled=None if key.enabled is None else bool(key.enabled),
                times=times_from_json(json_text(key.times)),
                work=work_from_json(json_text(key.work)),
                paused_until=key.paused_until,
                skip_date=key.skip_date,
            )
            if r.kind:
                plans_due.append(DuePlan(r.id, settings, key.next_at, key.next_slot, r.sent, r.n))
            else:
                groups.append(
                    DueGroup(settings, key.next_at, key.next_slot, r.n, bool(r.calendar), key)
                )
        return DueSchedules(groups, plans_due)

    async def join_plans(self, joins: Sequence[PlanJoin], now: datetime) -> PlansJoined:
        joined = dormant = 0
        if joins:
            async with self._engine.begin() as conn:
                # Every tick moves groups in the order of the plans they join, so overlapping
                # ticks lock plans in the same order and wait for each other, not deadlock.
                order = sorted(joins, key=lambda j: (plan_id(_kept(j)), repr(j.group.match)))
                for j in order:
                    moved, slept = await self._join(conn, j, now)
                    joined += moved
                    dormant += slept
        return PlansJoined(joined, dormant)

    async def _join(self, conn: AsyncConnection, j: PlanJoin, now: datetime) -> tuple[int, int]:
        """One group onto its plan, within the caller's transaction: (joined, sent dormant)."""
        postgres = conn.dialect.name == "postgresql"
        sql = _JOIN_SQL[postgres]
        key = group_key(j.group)
        rows = {
            "old": key.next_at,
            "platform": key.platform,
            "team_id": key.team_id,
            "timezone": key.timezone,
            "enabled": key.enabled,
            "times": key.times,
            "work": key.work,
            "paused_until": key.paused_until,
            "skip_date": key.skip_date,
            "next_slot": key.next_slot,
            "members": members_param(j.members, postgres),
        }
        joined = 0
        if j.members:
            kept = _kept(j)
            pid = plan_id(kept)
            if j.create:
                await create_plan(conn, pid, kept, j.group.next_at, key.next_slot)
            clear = {
                "clear_pause": "paused_until" in j.clear,
                "clear_skip": "skip_date" in j.clear,
            }
            params = rows | clear | {"plan": pid, "now": now}
            joined = (await conn.execute(sql.join, params)).rowcount
            if joined == j.group.people:
                return joined, 0  # everyone was a member: nobody to send dormant
        return joined, (await conn.execute(sql.dormant, rows)).rowcount

    async def move_plans(self, moves: Sequence[PlanMove]) -> int:
        reached = 0
        async with self._engine.begin() as conn:
            # Each prompt keeps its cards in the languages its plan's followers speak.
            prompts = {m.plan.id: m.prompt for m in moves if m.prompt}
            spoken = await fanout.follower_locales(conn, prompts.keys())
            kept = {pid: fanout.cards_kept(p, spoken.get(pid, ())) for pid, p in prompts.items()}
            cards = [c for by_locale in kept.values() for cs in by_locale.values() for c in cs]
            created = min((p.not_before for p in prompts.values()), default=None)
            stored = await self._cards.store(conn, cards, created)
            for m in sorted(moves, key=lambda m: m.plan.id):  # the plan order join_plans uses
                plan = m.plan
                if m.step is PlanStep.RETIRE:
                    await retire_plan(conn, plan.id, plan.next_at)
                elif m.step is PlanStep.DROP:
                    await drop_plan(conn, plan.id, plan.next_at)
                elif m.step is PlanStep.RELEASE:
                    await retire_plan(
                        conn, plan.id, plan.next_at, next_at=plan.next_at, next_slot=plan.next_slot
                    )
                else:
                    reached += await self._move(conn, m, kept.get(plan.id, {}))
        self._cards.committed(stored)
        return reached

    async def _move(
        self, conn: AsyncConnection, m: PlanMove, cards: Mapping[str, tuple[Card, ...]]
    ) -> int:
        """Move one plan on, leaving its prompt; returns the followers the prompt reaches."""
        plan, p = m.plan, m.prompt
        moved = await move_plan(conn, plan.id, plan.next_at, m.next_at, m.next_slot, p is not None)
        if not moved or p is None:
            return 0
        await fanout.leave_fanout(
            conn,
            plan.id,
            plan.settings.platform,
            plan.sent + 1,
            p.slot,
            {locale: [self._cards.id_of(c) for c in cs] for locale, cs in cards.items()},
            next(iter(cards)),
            p.not_before,
            p.drop_after,
            p.team_id,
            p.week,
        )
        return plan.followers
