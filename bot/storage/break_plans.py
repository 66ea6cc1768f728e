"""Shared break plans in SQL: a tick moves a plan, not each person who follows it.

People who share all that plans their breaks (team, platform, time zone and own settings) follow
one `break_plans` row. A tick reads the plans that are due and moves each on with
compare-and-set; when a prompt is due it leaves one `break_fanouts` row in the same
transaction. The outbox worker fans that row out before it claims what is due: one
INSERT ... SELECT queues every follower's prompt, each with a key unique per (person, slot),
counts them per team-week, and deletes the fan-out row, in one transaction. So overlapping
ticks, two workers or a restart still send a slot to a person at most once, and each prompt
costs one write per person (its outbox row) instead of two.

A follower's practice is not written on every prompt either: their `last_practice` holds as of
the plan's `sent` count being their `plan_sent`, and steps on by their own stride once per prompt
since, as `rotate` says. Leaving a plan (a changed setting, another team, leaving the roster)
writes it out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    literal,
    null,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.break_cards import PRACTICES
from bot.storage.tables import break_fanouts, break_people, break_plans, outbox
from bot.storage.types import UtcDateTime

FANOUTS_PER_CALL = 50


def plan_id(match: tuple[object, ...]) -> str:
    """The id of the plan of a group's settings (`DueGroup.match`, without its moment)."""
    team_id, platform, tz, enabled, times, work, paused, skip = match[:8]
    # A JSON null and an SQL NULL (a setting never given) say the same: no own times or hours.
    own = [None if v in (None, "null") else str(v) for v in (times, work)]
    enabled = None if enabled is None else bool(enabled)  # SQLite reads 0/1
    key = [platform, team_id, tz, enabled, *own, str(paused), str(skip)]
    return hashlib.sha256(json.dumps(key).encode()).hexdigest()[:32]


def _practice_after(steps: Any) -> ColumnElement[Any]:
    """`rotate` applied `steps` times (at least once) from a row's last_practice."""
    last = break_people.c.last_practice
    base = case((and_(last >= 0, last < len(PRACTICES)), last), else_=0)
    rotated: ColumnElement[Any] = (base + steps * break_people.c.practice_stride) % len(PRACTICES)
    return rotated


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
                (steps > 0, _practice_after(steps)), else_=break_people.c.last_practice
            ),
            plan_id=None,
            plan_sent=None,
            **values,
        )
    )


def _insert(conn: AsyncConnection, table: Any) -> Any:
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


async def create_plan(
    conn: AsyncConnection,
    pid: str,
    match: tuple[object, ...],
    next_at: datetime,
    next_slot: object,
) -> None:
    """Make the plan of a group's settings, starting at the group's moment, unless it is there."""
    team_id, platform, tz, enabled, times, work, paused, skip = match[:8]
    stmt = _insert(conn, break_plans).values(
        id=pid,
        platform=platform,
        team_id=team_id,
        timezone=tz,
        enabled=enabled,
        times=None if times is None else json.loads(str(times)),
        work=None if work is None else json.loads(str(work)),
        paused_until=paused,
        skip_date=skip,
        next_at=next_at,
        next_slot=next_slot,
        sent=0,
        updated_at=next_at,
    )
    # One that has gone still (breaks were off: no next moment) starts again from here.
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
    """Whether the plan still holds `old`, and, on PostgreSQL, its row locked until commit.

    A join locks the plan it joins for share (see `breaks._group_statements`), so a plan is
    never removed while someone is joining it unseen: whoever joined before this lock is seen
    by the statements after it, and whoever comes after finds the plan gone.
    """
    query = select(break_plans.c.id).where(break_plans.c.id == pid, break_plans.c.next_at == old)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return (await conn.execute(query)).first() is not None


async def _remove(conn: AsyncConnection, pid: str, *where: ColumnElement[bool]) -> None:
    """Delete a plan, with any prompt of it not yet fanned out: a plan of the same settings
    made later has the same id, and must not fan out this one's prompt to its followers. (A
    plan is removed when its team is gone, when nobody follows it, or the day after a skipped
    day or pause, when what it left has long passed its moment.)"""
    removed = await conn.execute(delete(break_plans).where(break_plans.c.id == pid, *where))
    if removed.rowcount:
        await conn.execute(delete(break_fanouts).where(break_fanouts.c.plan_id == pid))


async def retire_plan(conn: AsyncConnection, pid: str, old: datetime, **values: Any) -> None:
    """Remove a plan if it still holds `old`; its followers get `values` (dormant by default:
    its team is gone). They leave while it is there, so their practice is written out."""
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
    since; one that somebody has joined stays, due, for the next tick to move."""
    if await _hold(conn, pid, old):
        await _remove(conn, pid, ~exists().where(break_people.c.plan_id == pid))


async def leave_fanout(
    conn: AsyncConnection,
    pid: str,
    platform: str,
    sent: int,
    slot: str,
    card_ids: Sequence[str],
    not_before: datetime,
    drop_after: datetime | None,
    team_id: str,
    week: tuple[datetime, datetime],
) -> None:
    stmt = _insert(conn, break_fanouts).values(
        plan_id=pid,
        slot=slot,
        sent=sent,
        platform=platform,
        team_id=team_id,
        not_before=not_before,
        drop_after=drop_after,
        week_start=week[0],
        week_end=week[1],
        cards=list(card_ids),
    )
    await conn.execute(stmt.on_conflict_do_nothing(index_elements=["plan_id", "slot"]))


@lru_cache(maxsize=32)
def _fanout_insert(postgres: bool, cards: int) -> Any:
    """One prompt per follower who joined before the prompt was made, rotated by their stride."""
    people = break_people.c
    practice = _practice_after(bindparam("sent", type_=Integer()) - people.plan_sent)
    card = case({i: bindparam(f"c{i}", type_=String()) for i in range(cards)}, value=practice)
    recipient = (func.json_build_object if postgres else func.json_object)(
        "platform", people.platform, "user_id", people.user_id, "channel_id", null()
    )
    not_before = bindparam("not_before", type_=UtcDateTime())
    rows = select(
        bindparam("prefix", type_=String()) + people.user_id + bindparam("suffix", type_=String()),
        people.platform,
        recipient,
        card,
        literal("pending"),
        literal(0),
        not_before,
        bindparam("drop_after", type_=UtcDateTime()),
        not_before,
    ).where(
        people.plan_id == bindparam("plan"),
        people.platform == bindparam("platform"),
        people.team_id == bindparam("team_id"),
        people.plan_sent < bindparam("sent"),
    )
    columns = ["key", "platform", "recipient", "card_id", "status", "attempts"]
    columns += ["not_before", "drop_after", "created_at"]
    insert = (postgresql.insert if postgres else sqlite.insert)(outbox)
    return (
        insert.from_select(columns, rows)
        .on_conflict_do_nothing(index_elements=["key"])
        .execution_options(preserve_rowcount=True)  # how many were new, to count them
    )


async def fanouts_where(conn: AsyncConnection, where: ColumnElement[bool]) -> list[Any]:
    """Fan-outs not yet made that match `where`, locked on PostgreSQL: a worker fanning one out
    (which skips locked rows) finishes before these are read, or leaves them to the caller."""
    query = select(break_fanouts).where(where).order_by(break_fanouts.c.not_before)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return list((await conn.execute(query)).all())


async def pending_fanouts(conn: AsyncConnection) -> list[Any]:
    query = (
        select(break_fanouts)
        .order_by(break_fanouts.c.not_before)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return list((await conn.execute(query)).all())


async def fan_out_one(conn: AsyncConnection, row: Any, now: datetime) -> int:
    """Queue one plan prompt's outbox rows and remove it; returns the rows queued (a prompt
    found after its moment has passed is removed unsent, as a late one would be dropped)."""
    inserted = 0
    if row.drop_after is None or row.drop_after > now:
        cards: list[str] = list(row.cards)
        params: dict[str, Any] = {
            "plan": row.plan_id,
            "platform": row.platform,
            "team_id": row.team_id,
            "sent": row.sent,
            "prefix": f"break:{row.platform}:u:",
            "suffix": f":{row.slot}",
            "not_before": row.not_before,
            "drop_after": row.drop_after,
        } | {f"c{i}": c for i, c in enumerate(cards)}
        sql = _fanout_insert(conn.dialect.name == "postgresql", len(cards))
        inserted = int((await conn.execute(sql, params)).rowcount)
    await conn.execute(
        delete(break_fanouts).where(
            break_fanouts.c.plan_id == row.plan_id, break_fanouts.c.slot == row.slot
        )
    )
    return inserted
