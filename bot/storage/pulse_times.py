"""Each person's own pulse time on SQL: one row per person, kept until turned off or forgotten.

A round decides once, as it opens, who it invites at their own time and when (`plan`, the
`pulse_own_times` rows); everyone else's invitation is queued in the outbox then. That record, not
the current choice, decides whom the round's reminder skips, so a choice made or cleared while a
round is open changes nothing in it. The rows say nothing about answers: the pulse tick reads
them (`due`) and leaves out whoever has answered, and an answer never writes or deletes here.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.messages import Platform, Recipient
from bot.domain.ports.pulse import OwnDue, OwnTimes
from bot.domain.pulse_times import PulseTime, own_key, round_key
from bot.storage.tables import outbox, pulse_own_times, pulse_times

# Members looked up per statement: well under every backend's limit on bound parameters.
CHUNK = 500


class SqlPulseTimes:
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
        key = (pulse_times.c.platform == platform.value) & (pulse_times.c.user_id == user_id)
        async with self._sessions.begin() as s:
            changed = await s.execute(update(pulse_times).where(key).values(**values))
            if changed.rowcount:  # type: ignore[attr-defined]
                return
        try:
            async with self._sessions.begin() as s:
                await s.execute(
                    insert(pulse_times).values(platform=platform.value, user_id=user_id, **values)
                )
        except IntegrityError:  # a second choice raced this one in: the later write wins
            async with self._sessions.begin() as s:
                await s.execute(update(pulse_times).where(key).values(**values))

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

    async def invitations(
        self, round_id: str, platform: Platform, user_ids: Collection[str]
    ) -> dict[str, bool]:
        # The outbox keys are those scheduler/pulse.py queues opening invitations under.
        by_key = {
            round_key("pulse-invite", round_id, Recipient(platform, user_id=user).key): user
            for user in set(user_ids)
        }
        wanted = sorted(set(user_ids))
        keys = sorted(by_key)
        found: dict[str, bool] = {}
        async with self._sessions() as s:
            for start in range(0, len(keys), CHUNK):
                rows = await s.scalars(
                    select(outbox.c.key).where(outbox.c.key.in_(keys[start : start + CHUNK]))
                )
                found.update((by_key[key], False) for key in rows)
            for start in range(0, len(wanted), CHUNK):
                rows = await s.scalars(
                    select(pulse_own_times.c.user_id).where(
                        pulse_own_times.c.round_id == round_id,
                        pulse_own_times.c.platform == platform.value,
                        pulse_own_times.c.user_id.in_(wanted[start : start + CHUNK]),
                    )
                )
                found.update((user, True) for user in rows)  # an own plan wins
        return found

    async def due(self, round_id: str, now: datetime) -> list[OwnDue]:
        async with self._sessions() as s:
            plans = (
                await s.execute(
                    select(
                        pulse_own_times.c.platform,
                        pulse_own_times.c.user_id,
                        pulse_own_times.c.remind_at,
                    ).where(
                        pulse_own_times.c.round_id == round_id,
                        pulse_own_times.c.invite_at <= now,
                    )
                )
            ).all()
            if not plans:
                return []
            # Which of their own messages the outbox holds already (queued, sent or dropped).
            keys: dict[str, tuple[str, str]] = {}
            for platform, user_id, _remind_at in plans:
                recipient = Recipient(Platform(platform), user_id=user_id).key
                for kind in ("pulse-invite", "pulse-remind"):
                    keys[own_key(kind, round_id, recipient)] = (user_id, kind)
            wanted = sorted(keys)
            queued: set[tuple[str, str]] = set()
            for start in range(0, len(wanted), CHUNK):
                rows = await s.scalars(
                    select(outbox.c.key).where(outbox.c.key.in_(wanted[start : start + CHUNK]))
                )
                queued.update(keys[key] for key in rows)
        found: list[OwnDue] = []
        for _platform, user_id, remind_at in sorted(plans, key=lambda p: p[1]):
            if (user_id, "pulse-invite") not in queued:
                found.append(OwnDue(user_id, "pulse-invite"))
            elif (
                remind_at is not None
                and remind_at <= now
                and (user_id, "pulse-remind") not in queued
            ):
                found.append(OwnDue(user_id, "pulse-remind"))
        return found

    async def end_round(self, round_id: str) -> None:
        async with self._sessions.begin() as s:
            await s.execute(delete(pulse_own_times).where(pulse_own_times.c.round_id == round_id))
