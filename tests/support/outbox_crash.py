"""A fan-out through a real `respite serve`, interrupted half way and started again.

The outbox is filled with one message for each of many members, a `respite serve` process sends
them to the fake Slack Web API, and it is killed (kill -9: nothing runs on the way out) or stopped
(SIGTERM, as `docker stop` sends) once Slack has received `stop_after` of them. A fresh process is
then started on the same database and left to finish. What each member received is counted at the
fake Slack server, where a message counts as sent once Slack got the call, answered or not.

A send "in flight" at the stop is one Slack had received whose row was not yet recorded as sent:
only those can be sent twice. `hold` makes the fake Slack stop answering chat.postMessage before
the stop, so that every line of the worker is in the middle of a send when the process dies (the
worst case).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.domain.messages import Card, Platform, Recipient
from bot.storage.db import create_engine_async, session_factory
from bot.storage.outbox import SqlOutbox
from bot.storage.tables import outbox
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.roster import AROUND_THE_CLOCK, roster_data
from tests.support.serve_process import ServeProcess, respite_env, write_roster

# Bounds, so that a broken worker fails the run instead of hanging it.
SEND_WITHIN = 300.0
QUIET_SECONDS = 0.5


@dataclass
class Figures:
    members: int
    signal: str  # "kill -9" or "SIGTERM"
    exit_code: int | None  # of the stopped process (None when killed)
    received_at_stop: int  # chat.postMessage calls Slack had received when the process stopped
    settled_at_stop: int  # rows recorded as sent by then
    claimed_at_stop: int  # rows still claimed by the stopped process
    pending_at_stop: int  # rows waiting, free for any worker to claim
    claims_lapse_after: float  # seconds from the stop until the last of those claims lapses
    first_run_seconds: float  # from the first process's start to the stop
    restart_seconds: float  # from the restart to every row sent
    counts: Counter[str]

    @property
    def in_flight(self) -> int:
        return self.received_at_stop - self.settled_at_stop

    @property
    def lost(self) -> int:
        return sum(1 for n in self.counts.values() if n == 0)

    @property
    def duplicated(self) -> int:
        return sum(n - 1 for n in self.counts.values() if n > 1)

    def line(self) -> str:
        return (
            f"{self.signal} after {self.received_at_stop} of {self.members} received: "
            f"in flight {self.in_flight}, claimed {self.claimed_at_stop} (lapsing within "
            f"{self.claims_lapse_after:.1f} s), given back/waiting {self.pending_at_stop}; "
            f"after restart: lost {self.lost}, sent twice {self.duplicated}, "
            f"all served {self.restart_seconds:.1f} s after the restart"
        )


def members(count: int) -> list[str]:
    return [f"U{i:05d}" for i in range(count)]


def dormant_cron() -> str:
    """A yearly schedule whose next round is ten days away: nothing else is queued meanwhile."""
    start = datetime.now(UTC) + timedelta(days=10)
    return f"0 10 {start.day} {start.month} *"


class FanOut:
    def __init__(self, database_url: str, fake: FakeSlackApi, workdir: Path, count: int) -> None:
        self.database_url = database_url
        self.fake = fake
        self.workdir = workdir
        self.people = members(count)
        roster = roster_data(
            members=self.people,
            pulse={"cron": dormant_cron(), "open_hours": 72, "remind_after_hours": 48},
            **AROUND_THE_CLOCK,
        )
        self.env = respite_env(
            database_url,
            write_roster(workdir / "respite.yaml", roster),
            fake.url,
            OUTBOX_INTERVAL_SECONDS="0.1",
            METRICS_PORT="0",
        )
        self.engine = create_engine_async(database_url)
        self.box = SqlOutbox(session_factory(self.engine), lambda: datetime.now(UTC))

    async def close(self) -> None:
        await self.engine.dispose()

    async def queue(self) -> None:
        card = Card(title="Time for a short break", blocks=("Two minutes away from the screen.",))
        now = datetime.now(UTC)
        for user in self.people:
            to = Recipient(Platform.SLACK, user_id=user)
            assert await self.box.enqueue(f"crash-test:{user}", to, card, now)

    def received(self) -> int:
        return len(self.fake.called("chat.postMessage"))

    async def by_status(self) -> Counter[str]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(outbox.c.status, func.count()).group_by(outbox.c.status)
            )
            return Counter({status: int(n) for status, n in rows})

    async def last_claim_ends(self) -> datetime | None:
        async with self.engine.connect() as conn:
            value: datetime | None = await conn.scalar(
                select(func.max(outbox.c.claimed_until)).where(outbox.c.status == "sending")
            )
            return value

    async def _until(self, check: object, what: str, server: ServeProcess) -> None:
        deadline = time.monotonic() + SEND_WITHIN
        while time.monotonic() < deadline:
            assert callable(check)
            done = check()
            if asyncio.iscoroutine(done):
                done = await done
            if done:
                return
            assert server.proc is not None
            if server.proc.returncode is not None:
                raise AssertionError(f"respite serve exited early:\n{server.log()}")
            await asyncio.sleep(0.05)
        raise AssertionError(f"gave up waiting for {what}\n{server.log()[-5000:]}")

    async def _quiet(self) -> None:
        """Wait until no new call has reached Slack for QUIET_SECONDS: every line is held."""
        seen, since = self.received(), time.monotonic()
        while time.monotonic() - since < QUIET_SECONDS:
            await asyncio.sleep(0.05)
            if self.received() != seen:
                seen, since = self.received(), time.monotonic()

    async def run_through(self) -> float:
        """The same fan-out left alone: seconds from the process's start to every row sent."""
        await self.queue()
        server = ServeProcess(self.env, self.workdir / "serve-through.log")
        began = time.monotonic()
        await server.start()
        try:

            async def all_sent() -> bool:
                return (await self.by_status())["sent"] == len(self.people)

            await self._until(all_sent, "every row to be sent", server)
            elapsed = time.monotonic() - began
            assert await server.stop() == 0, server.log()
        finally:
            await server.kill()
        return elapsed

    async def run(self, stop_after: int, kill: bool, hold: bool) -> Figures:
        await self.queue()
        first = ServeProcess(self.env, self.workdir / "serve-1.log")
        gate = asyncio.Event()
        began = time.monotonic()
        await first.start()
        try:
            await self._until(lambda: self.received() >= stop_after, "the fan-out", first)
            if hold:
                self.fake.holds["chat.postMessage"] = gate
                await self._quiet()
            stopped_at = datetime.now(UTC)
            first_run = time.monotonic() - began
            if kill:
                await first.kill()
                code = None
            else:
                code = await first.stop()
        finally:
            await first.kill()
            self.fake.holds.pop("chat.postMessage", None)
            gate.set()
        received = self.received()
        status = await self.by_status()
        lapse = await self.last_claim_ends()
        second = ServeProcess(self.env, self.workdir / "serve-2.log")
        restarted = time.monotonic()
        await second.start()
        try:

            async def all_sent() -> bool:
                return (await self.by_status())["sent"] == len(self.people)

            await self._until(all_sent, "every row to be sent after the restart", second)
            restart = time.monotonic() - restarted
            assert await second.stop() == 0, second.log()
        finally:
            await second.kill()
        counts = Counter(dict.fromkeys(self.people, 0))
        counts.update(str(c.params["channel"]) for c in self.fake.called("chat.postMessage"))
        return Figures(
            members=len(self.people),
            signal="kill -9" if kill else "SIGTERM",
            exit_code=code,
            received_at_stop=received,
            settled_at_stop=status["sent"],
            claimed_at_stop=status["sending"],
            pending_at_stop=status["pending"],
            claims_lapse_after=0.0 if lapse is None else (lapse - stopped_at).total_seconds(),
            first_run_seconds=first_run,
            restart_seconds=restart,
            counts=counts,
        )
