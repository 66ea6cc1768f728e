"""Each person's own pulse time on SQL: one row per person, kept until turned off or forgotten.

A round decides once, as it opens, who it invites at their own time and when (`plan`, the
`pulse_own_times` rows); everyone else's invitation is queued in the outbox then. That record, not
the current choice, decides whom the round's reminder skips, so a choice made or cleared while a
round is open changes nothing in it. The rows say nothing about answers: the pulse tick reads
them (`due`) and leaves out whoever has answered, and an answer never writes or deletes here.
What the outbox holds already is the outbox's to say (`Outbox.existing`); nothing here reads it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.messages import Platform
from bot.domain.ports.pulse import OwnDue, OwnTimes
from bot.domain.pulse_times import PulseTime
from bot.storage.db import dialect_insert
from bot.storage.tables import pulse_own_times, pulse_times

# Members looked up per statement: well under every backend's limit on bound parameters.
CHUNK = 500


class SqlPulseTimes:
    enabled = True  # the PulseTimes port: people may choose a time of their own

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def get(self, platform: Platform, user_id: str) -> PulseTime | None:
        found = await self.of_people(platform, [user_id])
        return found.get(user_id)

    async def of_people(
        self, platform: Platform, user_ids: Collection[str]
    ) -> dict[str, PulseTime]:
        wanted = sorted(set(user_ids))
        found: dict[str, PulseTime] = {}
        async with self._sessions() as s:
            for start in range(0, len(wanted), CHUNK):
                rows = await s.execute(
                    select(pulse_times.c.user_id, pulse_times.c.weekday, pulse_times.c.minute)
                    .where(pulse_times.c.platform == platform.value)
                    .where(pulse_times.c.user_id.in_(wanted[start : start + CHUNK]))
                )
                for user_id, weekday, minute in rows:
                    found[user_id] = PulseTime(weekday, minute)
        return found

    async def set(self, platform: Platform, user_id: str, chosen: PulseTime) -> None:
        values = {"weekday": chosen.weekday, "minute": chosen.minute}
        async with self._sessions.begin() as s:
            # A second choice racing this one in: the later write wins.
            stmt = dialect_insert(s, pulse_times).values(
                platform=platform.value, user_id=user_id, **values
            )
            await s.execute(
                stmt.on_conflict_do_update(index_elements=["platform", "user_id"], set_=values)
            )

    async def clear(self, platform: Platform, user_id: str) -> bool:
        async with self._sessions.begin() as s:
            result = await s.execute(
                delete(pulse_times).where(
                    pulse_times.c.platform == platform.value, pulse_times.c.user_id == user_id
                )
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def plan(self, round_id: str, platform: Platform, due: Mapping[str, OwnTimes]) -> None:
        if not due:
            return
        key = (pulse_own_times.c.round_id == round_id) & (
            pulse_own_times.c.platform == platform.value
        )
        async with self._sessions.begin() as s:
            # A second opening run keeps each person's first plan; one transaction for the rest.
            known: set[str] = set()
            wanted = sorted(due)
            for start in range(0, len(wanted), CHUNK):
                known.update(
                    await s.scalars(
                        select(pulse_own_times.c.user_id).where(
                            key, pulse_own_times.c.user_id.in_(wanted[start : start + CHUNK])
                        )
                    )
                )
            rows = [
                {
                    "round_id": round_id,
                    "platform": platform.value,
                    "user_id": user_id,
                    "invite_at": times.invite_at,
                    "remind_at": times.remind_at,
                }
                for user_id, times in sorted(due.items())
                if user_id not in known
            ]
            if rows:
                await s.execute(insert(pulse_own_times), rows)

    async def planned(
        self, round_id: str, platform: Platform, user_ids: Collection[str]
    ) -> frozenset[str]:
        wanted = sorted(set(user_ids))
        found: set[str] = set()
        async with self._sessions() as s:
            for start in range(0, len(wanted), CHUNK):
                found.update(
                    await s.scalars(
                        select(pulse_own_times.c.user_id).where(
                            pulse_own_times.c.round_id == round_id,
                            pulse_own_times.c.platform == platform.value,
                            pulse_own_times.c.user_id.in_(wanted[start : start + CHUNK]),
                        )
                    )
                )
        return frozenset(found)

    async def due(self, round_id: str, now: datetime) -> list[OwnDue]:
        async with self._sessions() as s:
            rows = await s.execute(
                select(pulse_own_times.c.user_id, pulse_own_times.c.remind_at)
                .where(
                    pulse_own_times.c.round_id == round_id,
                    pulse_own_times.c.invite_at <= now,
                )
                .order_by(pulse_own_times.c.user_id)
            )
            return [OwnDue(user_id, remind_at) for user_id, remind_at in rows]

    async def end_round(self, round_id: str) -> None:
        async with self._sessions.begin() as s:
            await s.execute(delete(pulse_own_times).where(pulse_own_times.c.round_id == round_id))
