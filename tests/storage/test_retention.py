"""The retention policy, applied by the daily job wired in the real app, on SQLite and
PostgreSQL: old outbox rows, kudos notes and kudos, audit entries, lapsed leases and stale
fan-outs go by age; a person who left the roster loses their calendar address at once, their
break settings and Teams contact later, and is forgotten after `forget_leavers_days`; someone
who comes back is taken off the list. The job does its work once a day."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app.compose import Respite, build
from bot.app.retention import DailyRetention
from bot.config import ConfigError, Settings, parse_roster
from bot.domain.breaks import BreakSettings
from bot.domain.messages import Platform
from bot.infra.clock import FixedClock
from bot.storage.tables import (
    audit_log,
    break_fanouts,
    break_people,
    kudos,
    kudos_recipients,
    outbox,
    roster_departures,
    scheduler_lease,
    teams_contacts,
)
from tests.support.cli import cli_env, run
from tests.support.roster import roster_data

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
GONE = "U0GONE1"
STAY = "U001"
T_GONE = "0b9a7c1e-0000-4000-8000-000000000001"
CALENDAR = "https://calendar.example.org/private/basic.ics"
SECRET = "retention-test-secret-0123456789abcdef0123"


def roster(extra: list[str] | None = None) -> dict[str, Any]:
    data = roster_data()
    data["teams"][0]["members"] = [*data["teams"][0]["members"], *(extra or [])]
    data["teams"].append(
        {
            "id": "harbour",
            "name": "Harbour",
            "platform": "teams",
            "timezone": "UTC",
            "members": [f"0b9a7c1e-0000-4000-8000-00000000010{i}" for i in range(5)],
            "leads": ["0b9a7c1e-0000-4000-8000-000000000200"],
        }
    )
    return data


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[tuple[Respite, FixedClock]]:
    clock = FixedClock(NOW)
    settings = Settings(database_url=database_url, respite_secret=SECRET)
    respite = await build(settings, clock=clock, roster=parse_roster(roster()))
    yield respite, clock
    await respite.close()


def job(respite: Respite) -> DailyRetention:
    return next(j for j in respite.runtime.extra_ticks if isinstance(j, DailyRetention))


async def count(respite: Respite, table: Any, *where: Any) -> int:
    async with AsyncSession(respite.engine) as s:
        return int(await s.scalar(select(func.count()).select_from(table).where(*where)) or 0)


async def seed(respite: Respite) -> None:
    breaks = respite.deps.breaks
    assert breaks is not None
    for user in (GONE, STAY):
        await breaks.save(BreakSettings("slack", user, "riverside", calendar_url=CALENDAR), NOW)
    days = timedelta(days=1)

    def row(key: str, status: str, age: int, sent: bool) -> dict[str, Any]:
        at = NOW - age * days
        return {
            "key": key,
            "platform": "slack",
            "recipient": {"platform": "slack", "user_id": STAY, "channel_id": None},
            "card": {"title": key},
            "status": status,
            "attempts": 1,
            "not_before": at,
            "created_at": at,
            "sent_at": at if sent else None,
        }

    async with AsyncSession(respite.engine) as s, s.begin():
        for values in (
            row("sent-40", "sent", 40, True),
            row("sent-10", "sent", 10, True),
            row("failed-100", "failed", 100, False),
            row("dropped-100", "dropped", 100, False),
            row("failed-20", "failed", 20, False),
            row("pending-100", "pending", 100, False),
        ):
            await s.execute(insert(outbox).values(**values))
        for kid, age in (("k-800", 800), ("k-200", 200), ("k-1", 1)):
            await s.execute(
                insert(kudos).values(
                    id=kid,
                    team_id="riverside",
                    platform="slack",
                    category="support",
                    message=f"note {kid}",
                    anonymous=False,
                    giver_id=STAY,
                    created_at=NOW - age * days,
                    channel_id="C1",
                )
            )
            await s.execute(
                insert(kudos_recipients).values(kudos_id=kid, user_id="U002", position=0)
            )
        for age in (800, 1):
            await s.execute(
                insert(audit_log).values(
                    at=NOW - age * days, actor="slack:ULEAD01", action="digest.read",
                    subject="riverside", via="chat",
                )
            )  # fmt: skip
        await s.execute(
            insert(scheduler_lease).values(name="old", holder="h", expires_at=NOW - 10 * days)
        )
        await s.execute(
            insert(break_fanouts).values(
                plan_id="p1", slot="s", sent=1, platform="slack", team_id="riverside",
                not_before=NOW - 9 * days, week_start=NOW, week_end=NOW, cards=[],
            )
        )  # fmt: skip
        await s.execute(
            insert(teams_contacts).values(
                kind="user", key=T_GONE, teams_user_id="29:gone", name="Gone",
                reference={"user": {"id": "29:gone"}}, updated_at=NOW,
            )
        )  # fmt: skip


async def test_the_policy_by_age_and_after_leaving(app: tuple[Respite, FixedClock]) -> None:
    respite, clock = app
    await seed(respite)
    run = job(respite)
    await run(respite.deps)

    keys = set(await _scalars(respite, select(outbox.c.key)))
    assert keys == {"sent-10", "failed-20", "pending-100"}
    notes = dict(await _rows(respite, select(kudos.c.id, kudos.c.message)))
    assert notes == {"k-200": "", "k-1": "note k-1"}  # k-800 gone, k-200's note emptied
    assert await count(respite, kudos_recipients) == 2
    assert await count(respite, audit_log) == 1
    assert await count(respite, scheduler_lease, scheduler_lease.c.name == "old") == 0
    assert await count(respite, break_fanouts) == 0
    # GONE and the Teams contact are off the roster from today: the address goes at once.
    departed = set(
        await _rows(respite, select(roster_departures.c.platform, roster_departures.c.user_id))
    )
    assert departed == {("slack", GONE), ("teams", T_GONE)}
    breaks = respite.deps.breaks
    assert breaks is not None
    gone = await breaks.get(Platform.SLACK, GONE)
    assert gone is not None and gone.calendar_url is None
    stay = await breaks.get(Platform.SLACK, STAY)
    assert stay is not None and stay.calendar_url == CALENDAR

    # Later the same day: nothing more happens, even with something old to remove.
    await _old_sent_row(respite, "sent-late")
    await run(respite.deps)
    assert await count(respite, outbox, outbox.c.key == "sent-late") == 1

    clock.advance(timedelta(days=31))
    await run(respite.deps)
    assert await count(respite, outbox, outbox.c.key == "sent-late") == 0
    assert await breaks.get(Platform.SLACK, GONE) is None
    assert await count(respite, teams_contacts) == 1
    clock.advance(timedelta(days=60))
    await run(respite.deps)
    assert await count(respite, teams_contacts) == 0
    # A year after leaving, they are forgotten: the list of leavers forgets them too.
    clock.advance(timedelta(days=275))
    await run(respite.deps)
    assert await count(respite, roster_departures) == 0
    assert await count(respite, break_people, break_people.c.user_id == STAY) == 1
    # Each automatic erasure is in the audit log, by the retention job, naming nobody.
    forgets = await _rows(
        respite,
        select(audit_log.c.actor, audit_log.c.subject).where(audit_log.c.action == "forget"),
    )
    assert sorted(forgets) == [("retention", "one person")] * 2


async def test_someone_back_on_the_roster_is_taken_off_the_list(
    app: tuple[Respite, FixedClock], database_url: str
) -> None:
    respite, clock = app
    await seed(respite)
    await job(respite)(respite.deps)
    assert await count(respite, roster_departures, roster_departures.c.user_id == GONE) == 1
    clock.advance(timedelta(days=10))
    back = await build(
        Settings(database_url=database_url, respite_secret=SECRET),
        clock=clock,
        roster=parse_roster(roster([GONE])),
    )
    try:
        await job(back)(back.deps)
        assert await count(back, roster_departures, roster_departures.c.user_id == GONE) == 0
        clock.advance(timedelta(days=30))
        await job(back)(back.deps)
        assert await count(back, break_people, break_people.c.user_id == GONE) == 1
    finally:
        await back.close()


async def _old_sent_row(respite: Respite, key: str) -> None:
    at = NOW - timedelta(days=60)
    async with AsyncSession(respite.engine) as s, s.begin():
        await s.execute(
            insert(outbox).values(
                key=key, platform="slack", status="sent", attempts=1, not_before=at,
                created_at=at, sent_at=at, card={"t": 1},
                recipient={"platform": "slack", "user_id": STAY, "channel_id": None},
            )
        )  # fmt: skip


async def _scalars(respite: Respite, query: Any) -> list[Any]:
    async with AsyncSession(respite.engine) as s:
        return list((await s.scalars(query)).all())


async def _rows(respite: Respite, query: Any) -> list[Any]:
    async with AsyncSession(respite.engine) as s:
        return [tuple(r) for r in (await s.execute(query)).all()]


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"outbox_sent_days": 1}, "outbox_sent_days"),
        ({"kudos_notes_days": 400, "kudos_days": 300}, "kudos_notes_days must not exceed"),
        ({"leavers_breaks_days": 400}, "leavers_breaks_days must not exceed forget_leavers_days"),
        ({"audit_days": 10}, "audit_days"),
        ({"keep_forever": True}, "keep_forever"),
    ],
)
def test_a_bad_policy_is_refused_with_its_field(given: dict[str, Any], message: str) -> None:
    data = roster_data()
    data["retention"] = given
    with pytest.raises(ConfigError) as err:
        parse_roster(data)
    assert any(message in line for line in err.value.errors), err.value.errors


def test_defaults_and_a_policy_that_keeps_kudos() -> None:
    assert parse_roster(roster_data()).retention.kudos_days == 730
    data = roster_data()
    data["retention"] = {"kudos_days": None, "kudos_notes_days": None, "forget_leavers_days": 400}
    policy = parse_roster(data).retention
    assert policy.kudos_days is None and policy.forget_leavers_days == 400
    assert "kudos: kept with the database" in policy.lines()


def test_check_config_prints_the_policy(tmp_path: Path) -> None:
    data = roster_data()
    data["retention"] = {"outbox_sent_days": 14}
    result = run(["check-config"], cli_env(tmp_path, data))
    assert result.returncode == 0, result.stderr
    assert "retention:" in result.stdout
    assert "sent outbox messages: 14 day(s) after sending" in result.stdout
    assert "kudos: 730 day(s)" in result.stdout
