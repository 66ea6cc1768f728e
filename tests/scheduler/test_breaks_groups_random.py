"""Random weeks of people changing their breaks: planned in shared plans, everyone gets exactly
the prompts (moment, person, practice) and ends with exactly the schedule that planning each of
them alone gives, on SQLite and PostgreSQL.

Each seed is a fixed script: batches of people giving the same command at once (so groups form
and break up), skipped days, and roster changes that move people between two teams in other
time zones, over nine days across New York's spring-forward.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.domain.breaks import local_date, zone
from bot.domain.messages import Platform
from bot.infra.clock import FixedClock
from tests.support.breaks_sim import Recorder, build_sim, command, run_until, schedules, ticker
from tests.support.db import empty_tables
from tests.support.roster import roster_data

NY = ZoneInfo("America/New_York")
START = datetime(2027, 3, 8, 6, 0, tzinfo=NY)  # a Monday; DST starts on Sunday the 14th
END = datetime(2027, 3, 17, 20, 0, tzinfo=NY)
PEOPLE = [f"U{i:03d}" for i in range(1, 31)]
COMMANDS = [
    "breaks at 09:15 13:00",
    "breaks at 10:50 11:50 14:50 15:50",
    "breaks hours 10:00-15:00 mon-thu",
    "breaks pause 1d",
    "breaks pause 2d",
    "breaks resume",
    "breaks off",
    "breaks on",
    "breaks zone Europe/London",
    "breaks zone America/New_York",
]
SEEDS = (6,)


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str  # "command", "skip" or "roster"
    users: tuple[str, ...]
    text: str = ""
    others: tuple[str, ...] = ()  # for "roster": members of the second team


def script(seed: int) -> list[Event]:
    rnd = random.Random(seed)
    events = []
    for _ in range(rnd.randint(15, 40)):
        at = START + timedelta(minutes=rnd.randrange(0, 9 * 24 * 60))
        kind = rnd.random()
        if kind < 0.55:
            users = rnd.sample(PEOPLE, rnd.choice([1, 1, 3, 12]))
            events.append(Event(at, "command", tuple(users), rnd.choice(COMMANDS)))
        elif kind < 0.75:
            events.append(Event(at, "skip", tuple(rnd.sample(PEOPLE, rnd.choice([1, 5, 12])))))
        else:
            members = sorted(rnd.sample(PEOPLE, rnd.randint(15, 30)))
            others = sorted(rnd.sample(members, rnd.choice([0, 0, 3, 12])))
            events.append(Event(at, "roster", tuple(members), others=tuple(others)))
    return sorted(events, key=lambda e: e.at)


def roster(members: tuple[str, ...], others: tuple[str, ...]) -> dict[str, Any]:
    data = roster_data(
        timezone="America/New_York",
        members=[m for m in members if m not in others],
        min_group_size=3,
    )
    if others:
        hillside = {"id": "hillside", "name": "Hillside", "members": list(others)}
        hillside |= {"leads": ["ULEAD2"], "timezone": "Europe/London"}
        data["teams"].append(data["teams"][0] | hillside)
    return data


async def play(database_url: str, seed: int, group_min: int) -> tuple[list[Any], list[Any]]:
    """Every prompt sent (moment, person, title) and everyone's schedule at the end."""
    clock = FixedClock(START)
    respite, rec = await build_sim(database_url, clock, roster(tuple(PEOPLE), ()))
    recorders: list[Recorder] = [rec]
    ticker(respite).group_min = group_min
    try:
        for event in script(seed):
            await run_until(respite, clock, event.at)
            if event.kind == "roster":
                await respite.close()  # as a restart with the new roster
                respite, rec = await build_sim(
                    database_url, clock, roster(event.users, event.others)
                )
                recorders.append(rec)
                ticker(respite).group_min = group_min
                continue
            for user in event.users:
                if respite.deps.directory.team_of(Platform.SLACK, user) is None:
                    continue
                if event.kind == "command":
                    await command(respite, user, event.text)
                    continue
                store = respite.deps.breaks
                settings = await store.get(Platform.SLACK, user)
                if settings is not None:
                    today = local_date(clock.now(), zone(settings.timezone) or NY)
                    await store.save(replace(settings, skip_date=today), clock.now())
        await run_until(respite, clock, END)
        sent = sorted((s.at, s.recipient.user_id, s.card.title) for r in recorders for s in r.sent)
        return sent, await schedules(respite)
    finally:
        await respite.close()


@pytest.mark.parametrize("seed", SEEDS)
async def test_random_weeks_plan_exactly_as_one_by_one(database_url: str, seed: int) -> None:
    alone = await play(database_url, seed, 10**9)
    empty_tables(database_url)
    shared = await play(database_url, seed, 10)
    assert shared[1] == alone[1]
    assert shared[0] == alone[0]
    assert len(alone[0]) > 100  # the script does send prompts
