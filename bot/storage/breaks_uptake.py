"""Break uptake on SQL: the prompts, presses and people a digest counts per team-week.

Uptake counts a prompt when it is queued. A prompt dropped outside someone's hours or during
Do Not Disturb never reached them, so each prompt actually sent also leaves a keyed hash of its
person in their team-week (`prompt_sent`, which the outbox calls after a send), and
`people_prompted` says how many distinct people stand behind a week's uptake.

A Done or Skip counts only for a prompt that was sent to the person who pressed it (its outbox
row, keyed by person and slot, says so), within a day of its sending, and only once: the press
leaves a keyed hash of (person, slot) in `break_presses`, inserted in the same transaction as the
count, so the memory holds across restarts and replicas. The mark carries no team, no outcome
and no time but the day after which it goes, when the prompt could no longer be counted anyway.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import String, bindparam, delete, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from bot.domain.breaks import PROMPT_LIFETIME
from bot.domain.messages import Platform, Recipient
from bot.domain.ports import OutboxItem
from bot.domain.privacy import releasable
from bot.domain.team import Team
from bot.storage.db import dialect_insert
from bot.storage.tables import (
    break_people,
    break_people_prompted,
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

# {(team, week start): (week end, prompts)}
PromptCounts = Mapping[tuple[str, datetime], tuple[datetime, int]]

_COUNT_PROMPTED = text(
    "INSERT INTO break_uptake (team_id, week_start, week_end, prompted, done, skipped) "
    "VALUES (:team_id, :week_start, :week_end, :n, 0, 0) ON CONFLICT (team_id, week_start) "
    "DO UPDATE SET prompted = break_uptake.prompted + excluded.prompted"
).bindparams(
    bindparam("week_start", type_=UtcDateTime()), bindparam("week_end", type_=UtcDateTime())
)


async def count_prompted(conn: AsyncConnection, counts: PromptCounts) -> None:
    """Add prompts to their team-weeks, within the caller's transaction."""
    if counts:
        await conn.execute(
            _COUNT_PROMPTED,
            [
                {"team_id": team_id, "week_start": start, "week_end": end, "n": n}
                for (team_id, start), (end, n) in sorted(counts.items())
            ],
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


class SqlBreakUptake:
    """Team-week counts of prompts, presses and people prompted, and the marks behind them."""

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
        self._engine: AsyncEngine = sessions.kw["bind"]
        self._teams = teams
        self._mark_key = mark_key if mark_key is not None else secrets.token_bytes(32)
        self._forget_at: datetime | None = None  # when expired marks are next removed
        # People sent a prompt, with its moment, whose marks are not written yet.
        self._unwritten: set[tuple[str, str, datetime]] = set()
        # Press marks have a key of their own, so they match no mark of another table.
        self._press_key = hmac.new(self._mark_key, b"break-presses", "sha256").digest()

    async def _bump(
        self, s: AsyncSession, team_id: str, week: tuple[datetime, datetime], column: str, n: int
    ) -> None:
        zero = {"prompted": 0, "done": 0, "skipped": 0}
        stmt = dialect_insert(s, break_uptake).values(
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
                dialect_insert(s, break_presses)
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

        The marks of a batch are written together at the next claim (`write_marks`), which the
        worker makes as long as it sent anything: a transaction per send would cost the worker
        as much database time again as settling the send itself.
        """
        user_id = item.recipient.user_id
        if not item.key.startswith("break:") or user_id is None:
            return
        at = now if item.drop_after is None else item.drop_after - PROMPT_LIFETIME
        self._unwritten.add((item.recipient.platform.value, user_id, at))
        if len(self._unwritten) >= MARKS_PER_WRITE:
            await self.write_marks()

    async def write_marks(self) -> None:
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

    async def forget_in_time(self, now: datetime) -> None:
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
