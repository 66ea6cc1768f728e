"""Break settings, schedules and team-week uptake on SQL.

Each person has one row holding their own settings. Someone planned alone (a calendar feed) has
their next planned moment there (`next_at`, indexed), so a tick reads only the rows that are
due; everyone else follows the shared plan of their settings (`bot.storage.break_plans`). A tick
queues prompts and moves schedules on in one transaction: outbox keys are unique per (person,
slot) and inserted with ON CONFLICT DO NOTHING, and a schedule moves only if it still holds the
value the tick read, so two overlapping ticks or a restart never send a slot twice.

People planned alone who come due at the same moment on the same settings are read as one
group (`due_schedules`) and moved onto their plan together in SQL (`join_plans`). Prompt cards are
kept once in `outbox_cards`; outbox rows refer to them.

Uptake counts prompts when they are queued, but a prompt dropped outside someone's hours or
during Do Not Disturb never reached them. So each prompt actually sent also leaves a keyed hash
of its person in their team-week (`prompt_sent`, called by the outbox after a send), and
`people_prompted` says how many distinct people stand behind a week's uptake.

A Done or Skip counts only for a prompt that was sent to the person who pressed it (its outbox
row, keyed by person and slot, says so), within a day of its sending, and only once: the press
leaves a keyed hash of (person, slot) in `break_presses`, inserted in the same transaction as the
count, so the memory holds across restarts and replicas. The mark carries no team, no outcome
and no time but the day after which it goes, when the prompt could no longer be counted anyway.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import replace as dataclass_replace
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Date,
    String,
    Text,
    all_,
    any_,
    bindparam,
    cast,
    delete,
    false,
    func,
    literal,
    null,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import TextClause

from bot.domain.break_cards import person_stride
from bot.domain.breaks import PROMPT_LIFETIME, BreakSettings
from bot.domain.messages import Card, Platform, Recipient, card_to_dict
from bot.domain.ports import (
    Advance,
    DueBreak,
    DueGroup,
    DuePlan,
    DueSchedules,
    OutboxItem,
    PlanJoin,
    PlanMove,
    PlansJoined,
    QueuedPrompt,
)
from bot.domain.privacy import releasable
from bot.domain.team import Team, WorkPattern
from bot.storage import break_plans as plans
from bot.storage.calendar_seal import CalendarSeal
from bot.storage.tables import (
    break_fanouts,
    break_people,
    break_people_prompted,
    break_plans,
    break_presses,
    break_uptake,
    outbox,
)
from bot.storage.types import UtcDateTime

OUTCOMES = ("done", "skipped")
# A press counts within this long of its prompt's sending. Its mark is kept until the end of the
# (UTC) day in which that ends, and then goes: nothing can be counted for that prompt any more.
PRESS_WINDOW = timedelta(hours=24)
# Outbox states of a prompt that may have reached its person ("sending": the send is under way).
PRESSABLE = ("sent", "sending")
# How long after its week ends a mark of who was prompted is kept. A period is frozen once its
# rounds have closed (open two weeks at most) and the digest store looks back three weeks for
# periods not yet frozen (`digests.LOOKBACK_WEEKS`); five weeks outlasts both, and after that
# nothing reads the marks, so they go.
MARKS_KEPT = timedelta(weeks=5)
FORGET_EVERY = timedelta(hours=1)
MARKS_PER_WRITE = 1000  # marks held before the next claim writes them

PG_QUEUE = text(
    "INSERT INTO outbox (key, platform, recipient, card_id, status, attempts, not_before, "
    "drop_after, created_at) "
    "SELECT k, p, json_build_object('platform', p, 'user_id', u, 'channel_id', ch), c, "
    "'pending', 0, nb, da, :created_at "
    "FROM unnest(CAST(:keys AS text[]), CAST(:platforms AS text[]), CAST(:users AS text[]), "
    "CAST(:channels AS text[]), CAST(:card_ids AS text[]), CAST(:not_before AS timestamptz[]), "
    "CAST(:drop_after AS timestamptz[])) AS t(k, p, u, ch, c, nb, da) "
    "ON CONFLICT (key) DO NOTHING RETURNING key"
).bindparams(bindparam("created_at", type_=UtcDateTime()))


SQLITE_QUEUE = text(
    "INSERT INTO outbox (key, platform, recipient, card_id, status, attempts, not_before, "
    "drop_after, created_at) "
    "SELECT r.value ->> 0, r.value ->> 1, json_object('platform', r.value ->> 1, "
    "'user_id', r.value ->> 2, 'channel_id', r.value ->> 3), r.value ->> 4, 'pending', 0, "
    "r.value ->> 5, r.value ->> 6, :created_at FROM json_each(:rows) AS r WHERE true "
    "ON CONFLICT (key) DO NOTHING RETURNING key"
)


_SHARE_CARD = (
    "INSERT INTO outbox_cards (id, card, created_at) VALUES (:id, {}, :created_at) "
    "ON CONFLICT (id) DO NOTHING"
)
SHARE_CARD_PG = text(_SHARE_CARD.format("CAST(:card AS json)")).bindparams(
    bindparam("created_at", type_=UtcDateTime())
)
SHARE_CARD_SQLITE = text(_SHARE_CARD.format(":card")).bindparams(
    bindparam("created_at", type_=UtcDateTime())
)


@lru_cache(maxsize=2)
def _note_prompted(postgres: bool) -> Any:
    """A person's mark in the team-week of their prompt's moment: their team as stored now, the
    week as uptake counted the prompt (its row is there since the prompt was queued). A second
    prompt in the same week adds nothing."""
    people, weeks = break_people.c, break_uptake.c
    at = bindparam("at", type_=UtcDateTime())
    rows = (
        select(weeks.team_id, weeks.week_start, bindparam("mark", type_=String()), weeks.week_end)
        .select_from(break_people.join(break_uptake, weeks.team_id == people.team_id))
        .where(
            people.platform == bindparam("platform"),
            people.user_id == bindparam("user_id"),
            weeks.week_start <= at,
            weeks.week_end > at,
        )
    )
    insert = (postgresql.insert if postgres else sqlite.insert)(break_people_prompted)
    return insert.from_select(
        ["team_id", "week_start", "mark", "week_end"], rows
    ).on_conflict_do_nothing(index_elements=["team_id", "week_start", "mark"])


COUNT_PROMPTED = text(
    "INSERT INTO break_uptake (team_id, week_start, week_end, prompted, done, skipped) "
    "VALUES (:team_id, :week_start, :week_end, :n, 0, 0) ON CONFLICT (team_id, week_start) "
    "DO UPDATE SET prompted = break_uptake.prompted + excluded.prompted"
).bindparams(
    bindparam("week_start", type_=UtcDateTime()), bindparam("week_end", type_=UtcDateTime())
)


def _own(column: Any) -> Any:
    """A JSON setting as the text stored (PostgreSQL's json type has no equality), with a JSON
    null and an SQL NULL (a setting never given) alike: both say "none of one's own"."""
    return func.nullif(cast(column, Text), "null")


# Due people, grouped by everything that plans them: one row per shared plan, not per person.
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


@lru_cache(maxsize=512)
def _shared_card(card: Card) -> tuple[str, str]:
    """(id, JSON) of a card that many outbox rows refer to: the id is a hash of the JSON."""
    data = json.dumps(card_to_dict(card), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()[:32], data


@dataclass(frozen=True, slots=True)
class _GroupSql:
    join: TextClause  # move the members onto the plan of their settings
    dormant: TextClause  # anyone in the group who is no longer a member


def _group_statements(postgres: bool) -> _GroupSql:
    """The statements that move a whole group at once.

    Every statement names the group's rows by all they were grouped by, so a row that changed
    since it was read (another tick moved it, its owner changed a setting) is left alone.
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
    # A group joins only a plan whose next prompt is the one it would send itself, so that
    # joining loses and adds none: its own slot at its moment, or, for a group with no slot
    # (new or changed settings, which send nothing before their next slot), none due by now.
    # On PostgreSQL the plan is locked for share, so that removing it waits for the join to
    # commit (`break_plans._hold`).
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


def _kept(j: PlanJoin) -> tuple[object, ...]:
    """The settings a group joins a plan with: its own, less a skipped day or pause now over."""
    kept = list(j.group.match)
    kept[6] = None if "paused_until" in j.clear else kept[6]
    kept[7] = None if "skip_date" in j.clear else kept[7]
    return tuple(kept)


def _sqlite_time(value: datetime | None) -> str | None:
    """The text form SQLAlchemy's SQLite dialect stores, so comparisons keep working."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _times_to_json(times: Sequence[time] | None) -> list[str] | None:
    return None if times is None else [t.strftime("%H:%M") for t in times]


def _times_from_json(data: Any) -> tuple[time, ...] | None:
    return None if data is None else tuple(time.fromisoformat(t) for t in data)


def _work_to_json(work: WorkPattern | None) -> dict[str, Any] | None:
    if work is None:
        return None
    return {
        "days": sorted(work.days),
        "start": work.start.strftime("%H:%M"),
        "end": work.end.strftime("%H:%M"),
    } | _shifts_to_json(work)


def _shifts_to_json(work: WorkPattern) -> dict[str, Any]:
    """Shifts from a calendar, only when chosen: hours without them keep the JSON (and so the
    plan) they always had."""
    return {} if work.calendar is None else {"calendar": work.calendar}


def _work_from_json(data: Any) -> WorkPattern | None:
    if data is None:
        return None
    return WorkPattern(
        frozenset(int(d) for d in data["days"]),
        time.fromisoformat(data["start"]),
        time.fromisoformat(data["end"]),
        calendar=data.get("calendar"),
    )


def _settings(row: Row[Any]) -> BreakSettings:
    return BreakSettings(
        platform=row.platform,
        user_id=row.user_id,
        team_id=row.team_id,
        timezone=row.timezone,
        enabled=row.enabled,
        times=_times_from_json(row.times),
        work=_work_from_json(row.work),
        paused_until=row.paused_until,
        skip_date=row.skip_date,
        calendar_url=row.calendar_url,
        calendar_warned=bool(row.calendar_warned),
    )


class SqlBreakStore:
    enabled = True  # the BreakStore port: break prompts are on

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        teams: Callable[[str], Team | None],
        mark_key: bytes | None = None,
    ) -> None:
        """`teams` finds a team's current policy (members, default, minimum group size).

        `mark_key` keys the marks of who was prompted (`prompt_sent`): every process that
        delivers must share it (the server secret), or one person marked by two processes, or
        before and after a restart, would count as two. It keys the marks of prompts pressed
        too (`acknowledge`), which must likewise be the same on every process. Without one, a
        key of this process only, which suits a single process that does not restart within a
        week.
        """
        self._sessions = sessions
        # The minute tick's statements go straight to a connection: no ORM session to set up.
        self._engine: AsyncEngine = sessions.kw["bind"]
        self._teams = teams
        self._mark_key = mark_key if mark_key is not None else secrets.token_bytes(32)
        self._forget_at: datetime | None = None  # when expired marks are next removed
        # People sent a prompt, with its moment, whose marks are not written yet.
        self._unwritten: set[tuple[str, str, datetime]] = set()
        # Press marks have a key of their own, so they match no mark of another table.
        self._press_key = hmac.new(self._mark_key, b"break-presses", "sha256").digest()
        self._members: dict[frozenset[str], Any] = {}
        self._statements = {p: _group_statements(p) for p in (False, True)}
        self._stored_cards: set[str] = set()  # shared cards this process saw committed
        self._calendar_seal = CalendarSeal(self._mark_key)

    @staticmethod
    def _who(platform: str, user_id: str) -> tuple[Any, Any]:
        return break_people.c.platform == platform, break_people.c.user_id == user_id

    def _insert(self, s: AsyncSession, table: Any) -> Any:
        assert s.bind is not None
        name = s.bind.dialect.name
        return (postgresql.insert if name == "postgresql" else sqlite.insert)(table)

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
            return self._calendar_opened(_settings(row)) if row else None

    async def save(self, settings: BreakSettings, now: datetime) -> None:
        values = {
            "team_id": settings.team_id,
            "timezone": settings.timezone,
            "enabled": settings.enabled,
            "times": _times_to_json(settings.times),
            "work": _work_to_json(settings.work),
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
            await self._leave(s, self._who(settings.platform, settings.user_id), now)
            stmt = self._insert(s, break_people).values(
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
                stmt = self._insert(s, break_people).values(rows)
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
                await self._leave(s, followers_of_still, now, next_at=now, next_slot=None)
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
                await self._leave(s, who, now, **moved)
                await s.execute(update(break_people).where(*who).values(**moved))
            # Whoever left the roster stops following the team's plans (dormant until back).
            # The roster is one parameter, however large the team.
            postgres = s.bind is not None and s.bind.dialect.name == "postgresql"
            roster = self._members_param(frozenset(users), postgres)
            leavers = (
                break_people.c.platform == platform.value,
                break_people.c.team_id == team_id,
                break_people.c.user_id != all_(bindparam("roster", roster, ARRAY(String)))
                if postgres
                else text(
                    "break_people.user_id NOT IN (SELECT value FROM json_each(:roster))"
                ).bindparams(roster=roster),
            )
            await self._leave(s, leavers, now, next_at=None, next_slot=None)
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
                self._calendar_opened(_settings(r)),
                r.next_at,
                r.next_slot,
                r.last_practice,
                r.practice_stride,
            )
            for r in rows
        ]

    async def due_schedules(self, now: datetime) -> DueSchedules:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(_DUE, {"now": now})).all()
        groups, plans_due = [], []
        for r in rows:
            kind, pid, team_id, platform, tz, enabled, times, work, paused, skip = r[:10]
            next_at, slot, cal, sent, n = r[10:]
            settings = BreakSettings(
                platform=platform,
                user_id="",
                team_id=team_id,
                timezone=tz,
                enabled=None if enabled is None else bool(enabled),
                times=_times_from_json(None if times is None else json.loads(times)),
                work=_work_from_json(None if work is None else json.loads(work)),
                paused_until=paused,
                skip_date=skip,
            )
            if kind:
                plans_due.append(DuePlan(pid, settings, next_at, slot, sent, n))
            else:
                match = (team_id, platform, tz, enabled, times, work, paused, skip, next_at, slot)
                groups.append(DueGroup(settings, next_at, slot, n, bool(cal), match))
        return DueSchedules(groups, plans_due)

    async def join_plans(self, joins: Sequence[PlanJoin], now: datetime) -> PlansJoined:
        joined = dormant = 0
        if joins:
            async with self._engine.begin() as conn:
                # By the plan each joins, the order moves lock plans in, whoever runs them: so
                # overlapping ticks wait for each other rather than deadlock.
                order = sorted(joins, key=lambda j: (plans.plan_id(_kept(j)), repr(j.group.match)))
                for j in order:
                    moved, slept = await self._join(conn, j, now)
                    joined += moved
                    dormant += slept
        return PlansJoined(joined, dormant)

    async def _join(self, conn: AsyncConnection, j: PlanJoin, now: datetime) -> tuple[int, int]:
        """One group onto its plan, within the caller's transaction: (joined, sent dormant)."""
        postgres = conn.dialect.name == "postgresql"
        sql = self._statements[postgres]
        team_id, platform, tz, enabled, times, work, paused, skip, old, slot = j.group.match
        rows = {
            "old": old,
            "platform": platform,
            "team_id": team_id,
            "timezone": tz,
            "enabled": enabled,
            "times": times,
            "work": work,
            "paused_until": paused,
            "skip_date": skip,
            "next_slot": slot,
            "members": self._members_param(j.members, postgres),
        }
        joined = 0
        if j.members:
            kept = _kept(j)
            pid = plans.plan_id(kept)
            if j.create:
                await plans.create_plan(conn, pid, kept, j.group.next_at, slot)
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
            cards = [c for m in moves if m.prompt for c in m.prompt.cards]
            created = min((m.prompt.not_before for m in moves if m.prompt), default=None)
            stored = await self._share_cards(conn, cards, created)
            for m in sorted(moves, key=lambda m: m.plan.id):  # one order, as in join_plans
                plan = m.plan
                if m.retire:
                    await plans.retire_plan(conn, plan.id, plan.next_at)
                    continue
                if m.drop:
                    await plans.drop_plan(conn, plan.id, plan.next_at)
                    continue
                if m.release:
                    await plans.retire_plan(
                        conn, plan.id, plan.next_at, next_at=plan.next_at, next_slot=plan.next_slot
                    )
                    continue
                p = m.prompt
                moved = await plans.move_plan(
                    conn, plan.id, plan.next_at, m.next_at, m.next_slot, p is not None
                )
                if moved and p is not None:
                    await plans.leave_fanout(
                        conn,
                        plan.id,
                        plan.settings.platform,
                        plan.sent + 1,
                        p.slot,
                        [_shared_card(c)[0] for c in p.cards],
                        p.not_before,
                        p.drop_after,
                        p.team_id,
                        p.week,
                    )
                    reached += plan.followers
        self._remember_cards(stored)
        return reached

    async def fan_out(self, now: datetime) -> int:
        await self._write_marks()
        await self._forget_in_time(now)
        queued = 0
        for _ in range(plans.FANOUTS_PER_CALL):
            async with self._engine.begin() as conn:
                pending = await plans.pending_fanouts(conn)
                if not pending:
                    break
                queued += await self._fan_out_rows(conn, pending, now)
        return queued

    async def _fan_out_rows(self, conn: AsyncConnection, rows: Sequence[Any], now: datetime) -> int:
        queued = 0
        for row in rows:
            n = await plans.fan_out_one(conn, row, now)
            if n:
                await self._count_prompted(conn, {(row.team_id, row.week_start): (row.week_end, n)})
            queued += n
        return queued

    async def _leave(
        self, s: AsyncSession, who: Sequence[Any], now: datetime, **values: Any
    ) -> None:
        """Take people off their plans (`plans.leave_plan`, with `values`), once whatever those
        plans have left to fan out has reached them: planned alone, their prompt would have been
        queued already, and leaving counts it in their rotation."""
        theirs = select(break_people.c.plan_id).where(*who, break_people.c.plan_id.is_not(None))
        conn = await s.connection()
        if conn.dialect.name == "postgresql":
            # Plans first, as every other writer takes them: a move in progress commits before
            # its fan-out is read; none commits between that read and leave_plan.
            await conn.execute(
                select(break_plans.c.id)
                .where(break_plans.c.id.in_(theirs))
                .order_by(break_plans.c.id)
                .with_for_update(read=True)
            )
        pending = await plans.fanouts_where(conn, break_fanouts.c.plan_id.in_(theirs))
        await self._fan_out_rows(conn, pending, now)
        await s.execute(plans.leave_plan(**values).where(*who))

    def _members_param(self, members: frozenset[str], postgres: bool) -> Any:
        """A team's members as one parameter; encoded once per roster, not once per tick."""
        found = self._members.get(members)
        if found is None:
            if len(self._members) > 256:
                self._members.clear()
            ordered = sorted(members)
            found = ordered if postgres else json.dumps(ordered)
            self._members[members] = found
        return found

    async def commit(self, prompts: Sequence[QueuedPrompt], advances: Sequence[Advance]) -> int:
        if not prompts and not advances:
            return 0
        queued: set[str] = set()
        stored: list[str] = []
        async with self._sessions.begin() as s:
            created_at = min((p.not_before for p in prompts), default=None)
            if prompts:
                conn = await s.connection()
                stored = await self._share_cards(conn, [p.card for p in prompts], created_at)
                queued = await self._queue_prompts(conn, prompts, created_at)
                counts: dict[tuple[str, datetime], tuple[datetime, int]] = {}
                for p in prompts:
                    if p.key in queued and p.counted:
                        key = (p.team_id, p.week[0])
                        end, n = counts.get(key, (p.week[1], 0))
                        counts[key] = (end, n + 1)
                await self._count_prompted(conn, counts)
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
        self._remember_cards(stored)
        return len(queued)

    async def _queue_prompts(
        self, conn: AsyncConnection, prompts: Sequence[QueuedPrompt], created_at: datetime | None
    ) -> set[str]:
        """Insert outbox rows (their cards already shared), skipping keys already queued;
        returns the keys inserted."""
        card_ids = [_shared_card(p.card)[0] for p in prompts]
        if conn.dialect.name == "postgresql":
            # One statement over arrays: a handful of parameters however many prompts, so the
            # driver parses one short statement instead of thousands of placeholders.
            result = await conn.execute(
                PG_QUEUE,
                {
                    "keys": [p.key for p in prompts],
                    "platforms": [p.recipient.platform.value for p in prompts],
                    "users": [p.recipient.user_id for p in prompts],
                    "channels": [p.recipient.channel_id for p in prompts],
                    "card_ids": card_ids,
                    "not_before": [p.not_before for p in prompts],
                    "drop_after": [p.drop_after for p in prompts],
                    "created_at": created_at,
                },
            )
            return {row[0] for row in result}
        # SQLite: the same idea with one JSON document read by json_each.
        rows = [
            [
                p.key,
                p.recipient.platform.value,
                p.recipient.user_id,
                p.recipient.channel_id,
                card_id,
                _sqlite_time(p.not_before),
                _sqlite_time(p.drop_after),
            ]
            for p, card_id in zip(prompts, card_ids, strict=True)
        ]
        result = await conn.execute(
            SQLITE_QUEUE, {"rows": json.dumps(rows), "created_at": _sqlite_time(created_at)}
        )
        return {row[0] for row in result}

    async def _share_cards(
        self, conn: AsyncConnection, cards: Iterable[Card], created_at: datetime | None
    ) -> list[str]:
        """Keep each card once in `outbox_cards`, for outbox rows to refer to; returns the ids
        written, to be remembered once the transaction has committed."""
        fresh = dict(_shared_card(c) for c in cards)
        for known in self._stored_cards & fresh.keys():
            del fresh[known]
        if fresh:
            postgres = conn.dialect.name == "postgresql"
            await conn.execute(
                SHARE_CARD_PG if postgres else SHARE_CARD_SQLITE,
                [
                    {"id": card_id, "card": data, "created_at": created_at}
                    for card_id, data in sorted(fresh.items())
                ],
            )
        return list(fresh)

    def _remember_cards(self, ids: Iterable[str]) -> None:
        if len(self._stored_cards) > 100_000:
            self._stored_cards.clear()
        self._stored_cards.update(ids)

    async def _count_prompted(
        self, conn: AsyncConnection, counts: Mapping[tuple[str, datetime], tuple[datetime, int]]
    ) -> None:
        """Add prompts to their team-weeks: {(team, week start): (week end, prompts)}."""
        if counts:
            await conn.execute(
                COUNT_PROMPTED,
                [
                    {"team_id": team_id, "week_start": start, "week_end": end, "n": n}
                    for (team_id, start), (end, n) in sorted(counts.items())
                ],
            )

    async def _bump(
        self, s: AsyncSession, team_id: str, week: tuple[datetime, datetime], column: str, n: int
    ) -> None:
        zero = {"prompted": 0, "done": 0, "skipped": 0}
        stmt = self._insert(s, break_uptake).values(
            team_id=team_id, week_start=week[0], week_end=week[1], **(zero | {column: n})
        )
        await s.execute(
            stmt.on_conflict_do_update(
                index_elements=["team_id", "week_start"],
                set_={column: break_uptake.c[column] + n},
            )
        )

    async def acknowledge(
        self,
        platform: Platform,
        user_id: str,
        slot: str,
        outcome: str,
        team_id: str,
        week: tuple[datetime, datetime],
        now: datetime,
    ) -> bool:
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        # The prompt this press answers, as it was queued for the presser: a slot string made up,
        # or one of someone else's prompts, finds no row.
        key = f"break:{Recipient(platform, user_id=user_id).key}:{slot}"
        async with self._sessions.begin() as s:
            sent = (
                await s.execute(
                    select(outbox.c.status, outbox.c.sent_at, outbox.c.not_before).where(
                        outbox.c.key == key
                    )
                )
            ).first()
            if sent is None or sent.status not in PRESSABLE:
                return False
            closes = (sent.sent_at or sent.not_before) + PRESS_WINDOW
            if now >= closes:
                return False
            # Once per prompt, whichever button and however many processes: the mark's key is
            # unique, and a press that finds it already there counts nothing. Its only time is
            # the day it may go, shared by every prompt sent that day.
            forget_after = closes.astimezone(UTC).replace(
                hour=0, minute=0, second=0, microsecond=0
            ) + timedelta(days=1)
            inserted = await s.execute(
                self._insert(s, break_presses)
                .values(
                    mark=self._press_mark(platform.value, user_id, slot), forget_after=forget_after
                )
                .on_conflict_do_nothing(index_elements=["mark"])
                .returning(break_presses.c.mark)
            )
            if inserted.first() is None:
                return False
            await self._bump(s, team_id, week, outcome, 1)
        return True

    def _press_mark(self, platform: str, user_id: str, slot: str) -> str:
        """A prompt pressed, as a keyed hash of its person and slot."""
        message = f"break-press\0{platform}\0{user_id}\0{slot}".encode()
        return hmac.new(self._press_key, message, "sha256").hexdigest()[:32]

    async def forget_presses(self, now: datetime) -> int:
        """Remove the marks of prompts that can no longer be pressed; returns how many went."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(break_presses).where(break_presses.c.forget_after <= now)
            )
            return int(result.rowcount)

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
        who = self._who(platform.value, user_id)
        async with self._sessions.begin() as s:
            if timezone:
                # A zone they already have changes nothing that plans them: they stay on it.
                moved = (*who, break_people.c.timezone.is_distinct_from(timezone))
                await self._leave(s, moved, now)
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

    async def break_uptake(
        self, team_id: str, start: datetime, end: datetime
    ) -> tuple[int, int, int]:
        """(prompted, done, skipped) summed over the team's weeks that [start, end) spans.

        Weeks are stored as the team's LOCAL weeks (Monday 00:00 in its time zone) while a
        digest asks for a UTC ISO week, so a local week belongs to the window when it starts and
        ends within a day of the window's edges (no zone is a whole day off UTC). A window that
        cuts a local week in half leaves that week out.

        (0, 0, 0), which a digest shows as no line, unless at least the team's minimum group
        size of its current members have break prompts on: uptake of one or two people would
        say what those people did.
        """
        return (await self.break_uptakes(start, end, [team_id])).get(team_id, (0, 0, 0))

    async def break_uptakes(
        self, start: datetime, end: datetime, team_ids: Collection[str] | None = None
    ) -> dict[str, tuple[int, int, int]]:
        """`break_uptake` for many teams in two queries (a digest period covers every team)."""
        people_q = select(
            break_people.c.team_id,
            break_people.c.platform,
            break_people.c.user_id,
            break_people.c.enabled,
        )
        day = timedelta(days=1)
        sums_q = (
            select(
                break_uptake.c.team_id,
                func.coalesce(func.sum(break_uptake.c.prompted), 0),
                func.coalesce(func.sum(break_uptake.c.done), 0),
                func.coalesce(func.sum(break_uptake.c.skipped), 0),
            )
            .where(break_uptake.c.week_start > start - day, break_uptake.c.week_end < end + day)
            .group_by(break_uptake.c.team_id)
        )
        if team_ids is not None:
            people_q = people_q.where(break_people.c.team_id.in_(list(team_ids)))
            sums_q = sums_q.where(break_uptake.c.team_id.in_(list(team_ids)))
        async with self._sessions() as s:
            people = (await s.execute(people_q)).all()
            sums = (await s.execute(sums_q)).all()
        taking_part: dict[str, int] = {}
        for team_id, platform, user_id, enabled in people:
            team = self._teams(team_id)
            if (
                team is not None
                and team.is_member(Platform(platform), user_id)
                and (team.breaks.enabled if enabled is None else enabled)
            ):
                taking_part[team_id] = taking_part.get(team_id, 0) + 1
        result: dict[str, tuple[int, int, int]] = {}
        for team_id, prompted, done, skipped in sums:
            team = self._teams(team_id)
            if team is not None and releasable(taking_part.get(team_id, 0), team.min_group_size):
                result[team_id] = (int(prompted), int(done), int(skipped))
        return result

    def _mark(self, platform: str, user_id: str) -> str:
        """A person as a keyed hash: the same every week, tied to nobody without the key."""
        message = f"break-prompted\0{platform}\0{user_id}".encode()
        return hmac.new(self._mark_key, message, "sha256").hexdigest()[:32]

    async def prompt_sent(self, item: OutboxItem, now: datetime) -> None:
        """Mark the person a break prompt has just reached, once per team-week.

        The outbox calls this after every send. Only break prompts count: not an end-of-day
        note or a calendar warning, and not a prompt dropped unsent (outside working hours,
        during Do Not Disturb, too late), which never gets here. A prompt's deadline is its
        moment plus PROMPT_LIFETIME, so its week is the one uptake counted it in, even when it
        goes out just after midnight starts a new week.

        The marks of a batch are written together at the next claim (`fan_out`), which the
        worker makes as long as it sent anything: a transaction per send would cost the worker
        as much database time again as settling the send itself.
        """
        user_id = item.recipient.user_id
        if not item.key.startswith("break:") or user_id is None:
            return
        at = now if item.drop_after is None else item.drop_after - PROMPT_LIFETIME
        self._unwritten.add((item.recipient.platform.value, user_id, at))
        if len(self._unwritten) >= MARKS_PER_WRITE:
            await self._write_marks()

    async def _write_marks(self) -> None:
        """Write the marks of the prompts sent since the last write, in one transaction.

        Marks that fail to be written are kept for the next try. A process that stops first
        loses them: its week then counts fewer people, which withholds uptake, never reveals.
        """
        if not self._unwritten:
            return
        unwritten, self._unwritten = self._unwritten, set()
        rows = [
            {"platform": p, "user_id": u, "at": at, "mark": self._mark(p, u)}
            for p, u, at in unwritten
        ]
        rows.sort(key=lambda r: (r["mark"], r["at"]))  # one order for every process's writes
        try:
            async with self._engine.begin() as conn:
                await conn.execute(_note_prompted(conn.dialect.name == "postgresql"), rows)
        except BaseException:
            self._unwritten |= unwritten
            raise

    async def forget_prompted(self, before: datetime) -> int:
        """Remove the marks of weeks that ended before `before`; returns how many went."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(break_people_prompted).where(break_people_prompted.c.week_end < before)
            )
            return int(result.rowcount)

    async def _forget_in_time(self, now: datetime) -> None:
        """Remove expired marks, once an hour at most: the outbox worker comes here every few
        seconds, on every process, whether or not anyone is prompted."""
        if self._forget_at is not None and now < self._forget_at:
            return
        await self.forget_prompted(now - MARKS_KEPT)
        await self.forget_presses(now)
        self._forget_at = now + FORGET_EVERY

    async def people_prompted(
        self,
        team_id: str,
        start: datetime,
        end: datetime,
        besides: Collection[tuple[Platform, str]] = (),
    ) -> int:
        """How many distinct people were actually sent a break prompt in the team's weeks that
        [start, end) spans (the weeks `break_uptake` sums), whatever their settings say now,
        not counting `besides` (the team's readers: a lead knows their own presses)."""
        total = (await self.people_prompted_counts(start, end, [team_id])).get(team_id, 0)
        return total - await self.prompted_among(team_id, start, end, besides)

    async def prompted_among(
        self, team_id: str, start: datetime, end: datetime, people: Collection[tuple[Platform, str]]
    ) -> int:
        """How many of `people` were sent a break prompt in the team's weeks of [start, end)."""
        if not people:
            return 0
        marks = break_people_prompted.c
        day = timedelta(days=1)
        wanted = [self._mark(platform.value, user) for platform, user in people]
        query = select(func.count(marks.mark.distinct())).where(
            marks.team_id == team_id,
            marks.week_start > start - day,
            marks.week_end < end + day,
            marks.mark.in_(wanted),
        )
        async with self._engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def people_prompted_counts(
        self, start: datetime, end: datetime, team_ids: Collection[str] | None = None
    ) -> dict[str, int]:
        """`people_prompted` for many teams in one query (a digest period covers every team)."""
        marks = break_people_prompted.c
        day = timedelta(days=1)
        query = (
            select(marks.team_id, func.count(marks.mark.distinct()))
            .where(marks.week_start > start - day, marks.week_end < end + day)
            .group_by(marks.team_id)
        )
        if team_ids is not None:
            query = query.where(marks.team_id.in_(list(team_ids)))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {team_id: int(n) for team_id, n in rows}

    # --- Calendar addresses, sealed at rest (bot/storage/calendar_seal.py) --------------------

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
