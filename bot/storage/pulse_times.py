"""Each person's own pulse time on SQL: one row per person, kept until turned off or forgotten.

How each person was invited to a round is read from the outbox rows the round queued for them
(`invitations`): that record, not the current choice, decides whom the round's reminder skips, so
a choice made or cleared while a round is open changes nothing in it.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.messages import Platform
from bot.domain.pulse_times import PulseTime, own_key, round_key
from bot.storage.tables import outbox, pulse_times

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

    async def invitations(self, round_id: str, recipient_keys: Collection[str]) -> dict[str, bool]:
        # The keys are those scheduler/pulse.py queues invitations under; an own one wins.
        wanted: dict[str, tuple[str, bool]] = {}
        for recipient_key in set(recipient_keys):
            wanted[round_key("pulse-invite", round_id, recipient_key)] = (recipient_key, False)
            wanted[own_key("pulse-invite", round_id, recipient_key)] = (recipient_key, True)
        keys = sorted(wanted)
        found: dict[str, bool] = {}
        async with self._sessions() as s:
            for start in range(0, len(keys), CHUNK):
                rows = await s.scalars(
                    select(outbox.c.key).where(outbox.c.key.in_(keys[start : start + CHUNK]))
                )
                for key in rows:
                    recipient_key, own = wanted[key]
                    found[recipient_key] = found.get(recipient_key, False) or own
        return found
