"""People who share settings follow one shared plan: the same prompts, keys, practices,
schedules and team-week counts as planning each of them alone, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from bot.app.compose import Respite
from bot.domain.break_cards import PRACTICES, person_stride, rotate
from bot.domain.breaks import BreakSettings
from bot.domain.messages import Platform
from bot.domain.ports import DueSchedules
from bot.infra.clock import FixedClock
from bot.storage import breaks_fanout as fanout_sql
from bot.storage.breaks import SqlBreakStore
from bot.storage.tables import (
    break_fanouts,
    break_people,
    break_plans,
    break_uptake,
    outbox,
    outbox_cards,
)
from scheduler import breaks
from scheduler.breaks import BreakTicker
from tests.support.breaks_sim import (
    WITH_TEAM,
    Recorder,
    build_sim,
    command,
    fan_out,
    rows,
    run_until,
    schedules,
    team_gone_with_a_prompt_pending,
    ticker,
)
from tests.support.db import empty_tables
from tests.support.roster import roster_data

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
PEOPLE = [f"U{i:03d}" for i in range(1, 25)]
FOUR = {time(10, 50), time(11, 50), time(14, 50), time(15, 50)}


def _practices(rec: Recorder, user: str) -> list[int]:
    """The practices of the break prompts a person was sent, in order, by index."""
    titles = {p.title: i for i, p in enumerate(PRACTICES)}
    return [titles[s.card.title.removeprefix("Time for a short break: ")] for s in rec.to(user)]


def _rotation(user: str, n: int) -> list[int]:
    """The first n practices `rotate` gives a person, starting from none."""
    want, last = [], None
    for _ in range(n):
        last = rotate(last, person_stride(user))
        want.append(last)
    return want


async def _fortnight(
    database_url: str, group_min: int, closing: list[Respite]
) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    """Nine days across New York's spring-forward, with people on their own settings."""
    clock = FixedClock(datetime(2027, 3, 8, 0, 0, tzinfo=NY))  # Monday; DST starts Sunday 14th
    roster = roster_data(
        timezone="America/New_York", members=PEOPLE, min_group_size=3, holidays=["2027-03-10"]
    )
    respite, rec = await build_sim(database_url, clock, roster)
    closing.append(respite)
    ticker(respite).group_min = group_min
    await command(respite, "U002", "breaks status", tz="Europe/London")
    await command(respite, "U003", "breaks pause 3d")
    await command(respite, "U004", "breaks at 09:15 13:00")
    await command(respite, "U005", "breaks hours 10:00-15:00 mon-thu")
    await command(respite, "U006", "breaks off")
    for user in ("U007", "U008", "U009"):  # three who share their own plan
        await command(respite, user, "breaks hours 00:00-23:59 mon-sun")
        await command(respite, user, "breaks at 02:30 10:50")
    await run_until(respite, clock, datetime(2027, 3, 16, 12, 0, tzinfo=NY))
    sent = sorted(
        ((s.at, s.recipient.user_id, s.card) for s in rec.sent), key=lambda x: (x[0], x[1])
    )
    cards = {r.id: r.card for r in await rows(respite, outbox_cards)}
    queued = sorted(
        (r.key, r.recipient, r.card, cards[r.card_id], r.not_before, r.drop_after, r.status)
        for r in await rows(respite, outbox)
    )
    uptake = sorted(tuple(r) for r in await rows(respite, break_uptake))
    return sent, queued, uptake, await schedules(respite)


async def test_groups_plan_exactly_as_one_by_one(database_url: str, closing: list[Respite]) -> None:
    alone = await _fortnight(database_url, 10**9, closing)
    empty_tables(database_url)
    grouped = await _fortnight(database_url, 1, closing)  # every plan, even of one, as a group
    empty_tables(database_url)
    mixed = await _fortnight(database_url, breaks.GROUP_MIN, closing)
    assert grouped == alone
    assert mixed == alone

    sent = grouped[0]
    by_user: dict[str, list[tuple[datetime, Any]]] = {}
    for at, user, card in sent:
        by_user.setdefault(user, []).append((at, card))
    # On the team's defaults: four a working day at New York's wall-clock times, none on the
    # holiday or at the weekend, each once, following the clock change.
    for user in ("U001", "U010", "U024"):
        local = [at.astimezone(NY) for at, _card in by_user[user]]
        assert {t.time() for t in local} == FOUR
        assert len(local) == len({(t.date(), t.time()) for t in local}) == 4 * 5 + 2
        assert {t.date().isoformat() for t in local}.isdisjoint({"2027-03-10", "2027-03-13"})
        assert {
            at.astimezone(UTC).hour for at, _ in by_user[user] if at.astimezone(NY).hour == 10
        } == {
            15,
            14,
        }
        titles = [card.title for _at, card in by_user[user]]
        assert all(a != b for a, b in itertools.pairwise(titles))
    # In London by their own zone: London's wall clock, whatever New York does.
    assert {at.astimezone(LONDON).time() for at, _ in by_user["U002"]} == FOUR
    # Paused until Thursday; own times; own hours; off.
    assert min(at for at, _ in by_user["U003"]).astimezone(NY).date().isoformat() == "2027-03-11"
    assert {at.astimezone(NY).time() for at, _ in by_user["U004"]} == {time(9, 15), time(13, 0)}
    assert {at.astimezone(NY).time() for at, _ in by_user["U005"]} == {
        time(10, 50),
        time(11, 50),
        time(14, 50),
    }
    assert {at.astimezone(NY).weekday() for at, _ in by_user["U005"]} <= {0, 1, 2, 3}
    assert "U006" not in by_user
    # Sharing a plan across the jump: 02:30 does not exist on the 14th and is sent once, just
    # after the jump; each of the three keeps their own practice.
    for user in ("U007", "U008", "U009"):
        keys = [
            next(b.value for b in card.buttons if b.action_id == "break_skip_today")
            for _at, card in by_user[user]
        ]
        assert len(keys) == len(set(keys)) == 2 * 8  # nine days but the holiday
        assert "2027-03-14T02:30" in keys
    firsts = {by_user[u][0][1].title for u in ("U007", "U008", "U009")}
    strides = {person_stride(u) for u in ("U007", "U008", "U009")}
    assert len(firsts) == len(strides)


@pytest.mark.parametrize("group_min", [1, 10**9], ids=["groups", "one-by-one"])
async def test_practices_rotate_by_each_persons_own_stride(
    database_url: str, closing: list[Respite], group_min: int
) -> None:
    clock = FixedClock(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    respite, rec = await build_sim(database_url, clock, roster_data(members=PEOPLE))
    closing.append(respite)
    ticker(respite).group_min = group_min
    await run_until(respite, clock, datetime(2026, 12, 2, 0, 0, tzinfo=UTC))
    for user in PEOPLE:
        got = _practices(rec, user)
        assert len(got) == 4 + 4 and got == _rotation(user, len(got))


async def test_overlapping_group_ticks_queue_and_count_each_slot_once(
    database_url: str, closing: list[Respite]
) -> None:
    import asyncio

    roster = roster_data(members=PEOPLE, min_group_size=3)
    clock = FixedClock(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    first, _ = await build_sim(database_url, clock, roster)
    second, _ = await build_sim(database_url, clock, roster)  # another process
    closing.extend([first, second])
    for respite in (first, second):
        ticker(respite).group_min = 1
    await ticker(first).tick(first.deps)  # plans everyone
    clock.set(datetime(2026, 11, 30, 10, 50, 20, tzinfo=UTC))
    results = await asyncio.gather(
        ticker(first).tick(first.deps),
        ticker(second).tick(second.deps),
        ticker(first).tick(first.deps),
    )
    assert sum(r.queued for r in results) == len(PEOPLE)
    assert len(await rows(first, break_fanouts)) == 1
    restarted, _ = await build_sim(database_url, clock, roster)
    closing.append(restarted)
    ticker(restarted).group_min = 1
    assert (await ticker(restarted).tick(restarted.deps)).queued == 0
    # Three outbox workers fan the prompt out at once: each person's row once, counted once.
    assert await fan_out(first, second, restarted) == len(PEOPLE)
    assert await fan_out(first) == 0 and await rows(first, break_fanouts) == []
    keys = [r.key for r in await rows(first, outbox)]
    assert len(keys) == len(set(keys)) == len(PEOPLE)
    assert [r.prompted for r in await rows(first, break_uptake)] == [len(PEOPLE)]
    moved = {(r.next_at, r.next_slot) for r in await rows(first, break_plans)}
    assert moved == {(datetime(2026, 11, 30, 11, 50, tzinfo=UTC), "2026-11-30T11:50")}
    assert {(r.next_at, r.plan_id is None) for r in await rows(first, break_people)} == {
        (None, False)
    }


async def test_people_who_left_and_teams_that_went_sleep_in_a_group(
    database_url: str, closing: list[Respite]
) -> None:
    clock = FixedClock(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    both = roster_data(members=PEOPLE[:22])
    hillside = both["teams"][0] | {"id": "hillside", "name": "Hillside", "members": PEOPLE[22:]}
    both["teams"].append(hillside | {"leads": ["ULEAD2"]})
    respite, _ = await build_sim(database_url, clock, both)
    closing.append(respite)
    ticker(respite).group_min = 1
    await ticker(respite).tick(respite.deps)
    assert len(await rows(respite, break_plans)) == 2
    # Two members leave Riverside, and the roster no longer has Hillside.
    smaller, rec = await build_sim(database_url, clock, roster_data(members=PEOPLE[:20]))
    closing.append(smaller)
    ticker(smaller).group_min = 1
    await run_until(smaller, clock, datetime(2026, 11, 30, 12, 0, tzinfo=UTC))
    assert {s.recipient.user_id for s in rec.sent} == set(PEOPLE[:20])
    asleep = {
        r.user_id
        for r in await rows(smaller, break_people)
        if r.next_at is None and r.plan_id is None
    }
    assert asleep == set(PEOPLE[20:])
    assert [p.team_id for p in await rows(smaller, break_plans)] == ["riverside"]


async def test_a_row_changed_after_the_read_is_left_to_the_next_plan(
    database_url: str, closing: list[Respite]
) -> None:
    clock = FixedClock(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    respite, _ = await build_sim(database_url, clock, roster_data(members=PEOPLE))
    closing.append(respite)
    tick = ticker(respite)
    tick.group_min = 1
    await tick.sync_people(respite.deps, clock.now())  # everyone's row, due to be planned
    store = respite.deps.breaks
    assert store is not None
    groups = (await store.due_schedules(clock.now())).groups
    assert [(g.people, g.calendar, g.next_slot) for g in groups] == [(len(PEOPLE), False, None)]
    joins = [tick.join(respite.deps, g, clock.now()) for g in groups]
    # U001 changes a setting between the read and the move.
    await store.save(
        BreakSettings(Platform.SLACK.value, "U001", "riverside", times=(time(16, 0),)), clock.now()
    )
    joined = await store.join_plans(joins, clock.now())
    assert (joined.joined, joined.dormant) == (len(PEOPLE) - 1, 0)
    followers = {r.user_id for r in await rows(respite, break_people) if r.plan_id is not None}
    assert followers == set(PEOPLE) - {"U001"}
    # The next tick plans U001 by their new times, and the others by the team's.
    await tick.tick(respite.deps)
    assert {(u, slot) for u, _at, slot, _p in await schedules(respite)} == {
        ("U001", "2026-11-30T16:00")
    } | {(u, "2026-11-30T10:50") for u in PEOPLE[1:]}
    clock.set(datetime(2026, 11, 30, 10, 50, 5, tzinfo=UTC))
    await tick.tick(respite.deps)
    await fan_out(respite)
    keys = {r.key for r in await rows(respite, outbox)}
    assert "break:slack:u:U001:2026-11-30T10:50" not in keys
    assert "break:slack:u:U002:2026-11-30T10:50" in keys


async def test_groups_are_told_apart_by_their_planned_slot(
    database_url: str, closing: list[Respite]
) -> None:
    clock = FixedClock(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    respite, _ = await build_sim(database_url, clock, roster_data(members=PEOPLE))
    closing.append(respite)
    tick = ticker(respite)
    tick.group_min = 10**9  # everyone planned alone first
    await tick.tick(respite.deps)
    # Same settings and moment, but U001 is only to be re-planned (no slot of their own).
    async with respite.engine.begin() as conn:
        await conn.execute(
            update(break_people).where(break_people.c.user_id == "U001").values(next_slot=None)
        )
    clock.set(datetime(2026, 11, 30, 10, 50, 5, tzinfo=UTC))
    store = respite.deps.breaks
    assert store is not None
    groups = sorted((await store.due_schedules(clock.now())).groups, key=lambda g: g.people)
    assert [(g.people, g.next_slot) for g in groups] == [
        (1, None),
        (len(PEOPLE) - 1, "2026-11-30T10:50"),
    ]
    tick.group_min = 1
    joined = await store.join_plans([tick.join(respite.deps, groups[1], clock.now())], clock.now())
    assert joined.joined == len(PEOPLE) - 1
    alone = {r.user_id for r in await rows(respite, break_people) if r.plan_id is None}
    assert alone == {"U001"}
    # The plan made for them starts at their slot, so its prompt still reaches them.
    (plan,) = await rows(respite, break_plans)
    assert (plan.next_slot, plan.sent) == ("2026-11-30T10:50", 0)


async def _planned_then_due(
    database_url: str, closing: list[Respite]
) -> tuple[Respite, FixedClock, BreakTicker]:
    """Everyone planned at 08:00 on one plan; the clock then at the first slot."""
    clock = FixedClock(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    respite, _ = await build_sim(database_url, clock, roster_data(members=PEOPLE))
    closing.append(respite)
    tick = ticker(respite)
    tick.group_min = 1
    await tick.tick(respite.deps)
    clock.set(datetime(2026, 11, 30, 10, 50, 5, tzinfo=UTC))
    return respite, clock, tick


async def test_cards_of_a_tick_that_failed_are_written_again(
    database_url: str, closing: list[Respite], monkeypatch: pytest.MonkeyPatch
) -> None:
    respite, _, tick = await _planned_then_due(database_url, closing)
    store = respite.deps.breaks
    assert isinstance(store, SqlBreakStore)

    async def fail(*_args: object) -> None:
        raise RuntimeError("the database went away")

    with monkeypatch.context() as patch:
        patch.setattr(fanout_sql, "leave_fanout", fail)
        with pytest.raises(RuntimeError):
            await tick.tick(respite.deps)
    assert await rows(respite, break_fanouts) == [] and await rows(respite, outbox_cards) == []
    assert (await tick.tick(respite.deps)).queued == len(PEOPLE)
    assert await fan_out(respite) == len(PEOPLE)
    cards = {r.id for r in await rows(respite, outbox_cards)}
    assert {r.card_id for r in await rows(respite, outbox)} <= cards


async def test_leaving_a_plan_and_coming_back_keeps_each_persons_rotation(
    database_url: str, closing: list[Respite]
) -> None:
    """A follower's practice is written out when they leave a plan, and rotation goes on from
    it alone and on another plan: never the same practice twice in a row."""
    clock = FixedClock(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    respite, rec = await build_sim(database_url, clock, roster_data(members=PEOPLE))
    closing.append(respite)
    ticker(respite).group_min = 1
    await run_until(respite, clock, datetime(2026, 11, 30, 12, 0, tzinfo=UTC))  # 10:50, 11:50
    await command(respite, "U001", "breaks at 14:00 15:00")  # a plan of their own
    await command(respite, "U002", "breaks pause 1d")
    await run_until(respite, clock, datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    await command(respite, "U001", "breaks at 10:50 11:50 14:50 15:50")  # the team's times
    await run_until(respite, clock, datetime(2026, 12, 2, 16, 0, tzinfo=UTC))
    for user in ("U001", "U002", "U003"):
        got = _practices(rec, user)
        assert got == _rotation(user, len(got)) and len(got) >= 6, user
    plans = await rows(respite, break_plans)
    u001 = next(r for r in await rows(respite, break_people) if r.user_id == "U001")
    assert u001.plan_id is not None and len(plans) >= 2


async def test_a_prompt_fanned_out_after_its_moment_is_not_queued(
    database_url: str, closing: list[Respite]
) -> None:
    respite, clock, tick = await _planned_then_due(database_url, closing)
    await tick.tick(respite.deps)
    assert len(await rows(respite, break_fanouts)) == 1
    clock.set(datetime(2026, 11, 30, 11, 30, tzinfo=UTC))  # the outbox worker was down
    assert await fan_out(respite) == 0
    assert await rows(respite, break_fanouts) == [] and await rows(respite, outbox) == []
    assert await rows(respite, break_uptake) == []


async def test_after_a_skipped_day_or_a_pause_people_are_back_on_the_teams_plan(
    database_url: str, closing: list[Respite]
) -> None:
    clock = FixedClock(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))  # Monday
    respite, rec = await build_sim(database_url, clock, roster_data(members=PEOPLE))
    closing.append(respite)
    await run_until(respite, clock, datetime(2026, 11, 30, 12, 0, tzinfo=UTC))
    store = respite.deps.breaks
    assert store is not None
    for user in PEOPLE[:12]:  # enough to share a plan of their own while it lasts
        settings = await store.get(Platform.SLACK, user)
        assert settings is not None
        await store.save(replace(settings, skip_date=date(2026, 11, 30)), clock.now())
    await command(respite, "U013", "breaks pause until 2026-12-02")  # planned alone meanwhile
    await run_until(respite, clock, datetime(2026, 11, 30, 18, 0, tzinfo=UTC))
    assert len(await rows(respite, break_plans)) == 2
    await run_until(respite, clock, datetime(2026, 12, 2, 18, 0, tzinfo=UTC))

    def days(user: str) -> dict[str, int]:
        found: dict[str, int] = {}
        for s in rec.to(user):
            found[s.at.date().isoformat()] = found.get(s.at.date().isoformat(), 0) + 1
        return found

    assert days("U001") == {"2026-11-30": 2, "2026-12-01": 4, "2026-12-02": 4}
    assert days("U013") == {"2026-11-30": 2, "2026-12-02": 4}
    assert days("U020") == {"2026-11-30": 4, "2026-12-01": 4, "2026-12-02": 4}
    (plan,) = await rows(respite, break_plans)  # the skipped day's plan is gone
    people = await rows(respite, break_people)
    assert {(r.plan_id, r.skip_date, r.paused_until) for r in people} == {(plan.id, None, None)}
    for user in ("U001", "U013"):
        got = _practices(rec, user)
        assert got == _rotation(user, len(got))


async def test_a_team_that_turns_breaks_back_on_gets_them_after_a_restart(
    database_url: str, closing: list[Respite]
) -> None:
    clock = FixedClock(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    off = roster_data(members=PEOPLE, breaks={"enabled": False})
    respite, rec = await build_sim(database_url, clock, off)
    closing.append(respite)
    await run_until(respite, clock, datetime(2026, 11, 30, 12, 0, tzinfo=UTC))
    assert rec.sent == []
    assert [p.next_at for p in await rows(respite, break_plans)] == [None]  # gone still
    on, rec = await build_sim(database_url, clock, roster_data(members=PEOPLE))
    closing.append(on)
    await run_until(on, clock, datetime(2026, 11, 30, 16, 0, tzinfo=UTC))
    assert {s.recipient.user_id for s in rec.sent} == set(PEOPLE)
    assert len(rec.sent) == 2 * len(PEOPLE)  # 14:50 and 15:50
    assert {r.plan_id for r in await rows(on, break_people)} == {
        p.id for p in await rows(on, break_plans)
    }


ALONE = [f"U{i:03d}" for i in range(1, 10)]  # nine: fewer than GROUP_MIN, planned alone
JOINING = [f"U{i:03d}" for i in range(10, 22)]  # twelve added to the roster later


@pytest.mark.parametrize("new_first", [False, True], ids=["due-first", "new-first"])
async def test_people_due_at_their_slot_keep_it_whichever_group_joins_first(
    database_url: str,
    closing: list[Respite],
    new_first: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Nine people planned alone are due at 10:50 when a restart five minutes later adds twelve
    people on the same settings, who make the plan. The nine still get 10:50, as they would
    planned one by one, and the twelve do not (it was before they came)."""
    clock = FixedClock(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    respite, _ = await build_sim(database_url, clock, roster_data(members=ALONE))
    closing.append(respite)
    for user in ALONE[:4]:
        await command(respite, user, "breaks resume")  # stored settings, said explicitly
    await ticker(respite).tick(respite.deps)
    assert await rows(respite, break_plans) == []
    clock.set(datetime(2026, 11, 30, 10, 55, tzinfo=UTC))
    bigger, _ = await build_sim(database_url, clock, roster_data(members=ALONE + JOINING))
    closing.append(bigger)
    store = bigger.deps.breaks
    read = store.due_schedules

    async def in_order(now: datetime) -> DueSchedules:  # the database's order is not fixed
        due = await read(now)
        groups = sorted(due.groups, key=lambda g: (g.next_slot is None) != new_first)
        return DueSchedules(groups, due.plans)

    # Settings stored as JSON null (said explicitly) and never given (SQL NULL) are one group.
    assert [(g.people, g.next_slot) for g in (await read(clock.now())).groups] == [
        (len(ALONE), "2026-11-30T10:50")
    ]
    monkeypatch.setattr(store, "due_schedules", in_order)
    await ticker(bigger).tick(bigger.deps)
    await fan_out(bigger)
    keys = {r.key for r in await rows(bigger, outbox) if r.key.endswith("T10:50")}
    assert keys == {f"break:slack:u:{u}:2026-11-30T10:50" for u in ALONE}
    clock.set(datetime(2026, 11, 30, 11, 50, 5, tzinfo=UTC))
    await ticker(bigger).tick(bigger.deps)
    await fan_out(bigger)
    keys = {r.key for r in await rows(bigger, outbox) if r.key.endswith("T11:50")}
    assert keys == {f"break:slack:u:{u}:2026-11-30T11:50" for u in ALONE + JOINING}
    (plan,) = await rows(bigger, break_plans)  # one plan for all 21 from 11:50 on
    followers = [p for p in await rows(bigger, break_people) if p.plan_id == plan.id]
    assert len(followers) == len(ALONE + JOINING)


@pytest.mark.parametrize("group_min", [10**9, breaks.GROUP_MIN], ids=["alone", "plan"])
async def test_a_prompt_left_to_fan_out_still_reaches_someone_who_then_changes_a_setting(
    database_url: str, closing: list[Respite], group_min: int
) -> None:
    clock = FixedClock(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    respite, rec = await build_sim(database_url, clock, roster_data(members=PEOPLE))
    closing.append(respite)
    tick = ticker(respite)
    tick.group_min = group_min
    await tick.tick(respite.deps)
    clock.set(datetime(2026, 11, 30, 10, 50, 5, tzinfo=UTC))
    await tick.tick(respite.deps)  # 10:50 is queued (alone) or left to fan out (plan)
    await command(respite, "U001", "breaks hours 08:00-18:00 mon-fri")  # before the next claim
    await fan_out(respite)
    keys = {r.key for r in await rows(respite, outbox)}
    assert {f"break:slack:u:{u}:2026-11-30T10:50" for u in PEOPLE} <= keys
    (uptake,) = await rows(respite, break_uptake)
    assert uptake.prompted == len(PEOPLE)
    # Their rotation goes on from the prompt they got, not past it.
    await run_until(respite, clock, datetime(2026, 11, 30, 16, 0, tzinfo=UTC))
    assert _practices(rec, "U001") == _rotation("U001", 4)


async def _plan_nobody_follows(
    database_url: str, closing: list[Respite]
) -> tuple[Respite, Respite, Recorder, FixedClock]:
    """Two scheduling processes, A and B, at 10:50:05, when the team's plan is due and nobody
    follows it any more (everyone chose 16:00); U001 has just gone back to the team's times."""
    clock = FixedClock(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    roster = roster_data(members=PEOPLE)
    first, _ = await build_sim(database_url, clock, roster)
    second, rec = await build_sim(database_url, clock, roster)
    closing.extend([first, second])
    await ticker(first).tick(first.deps)  # everyone follows the team's plan, due at 10:50
    await ticker(second).sync_people(second.deps, clock.now())
    for user in PEOPLE:
        await command(first, user, "breaks at 16:00")
    await ticker(first).tick(first.deps)
    clock.set(datetime(2026, 11, 30, 10, 50, 5, tzinfo=UTC))
    store = second.deps.breaks
    await store.save(BreakSettings(Platform.SLACK.value, "U001", "riverside"), clock.now())
    return first, second, rec, clock


async def test_someone_joining_a_plan_another_tick_drops_is_not_stranded(
    database_url: str, closing: list[Respite]
) -> None:
    """Tick A reads a plan nobody follows any more; before it drops the plan, tick B (another
    process, during a hand-over) moves someone back onto it. They still get their breaks."""
    first, second, rec, clock = await _plan_nobody_follows(database_url, closing)
    store_a, store_b = first.deps.breaks, second.deps.breaks
    (plan,) = [p for p in (await store_a.due_schedules(clock.now())).plans if not p.followers]
    tick_b = ticker(second)
    due_b = await store_b.due_schedules(clock.now())
    joins = [tick_b.join(second.deps, g, clock.now()) for g in due_b.groups]
    await store_b.join_plans(joins, clock.now())
    await store_a.move_plans([ticker(first).move(first.deps, plan, clock.now())])
    clock.set(datetime(2026, 11, 30, 10, 50, 30, tzinfo=UTC))
    await run_until(second, clock, datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    assert [s.at.time() for s in rec.to("U001")] == [
        time(11, 50),
        time(14, 50),
        time(15, 50),
        time(10, 50),
        time(11, 50),
    ]


async def test_a_prompt_left_by_a_retired_plan_never_reaches_the_plan_made_again(
    database_url: str, closing: list[Respite]
) -> None:
    """When the team comes back, its plan (the same settings, so the same id) starts afresh:
    the prompt pending when it went is not fanned out to it."""
    _, without, clock = await team_gone_with_a_prompt_pending(database_url, closing)
    await ticker(without).tick(without.deps)  # Riverside's plan is due: its team is gone
    assert await rows(without, break_plans) == await rows(without, break_fanouts) == []
    clock.set(datetime(2026, 11, 30, 10, 56, tzinfo=UTC))
    back, _ = await build_sim(database_url, clock, WITH_TEAM)
    closing.append(back)
    await ticker(back).tick(back.deps)
    await fan_out(back)
    assert [r.key for r in await rows(back, outbox) if r.key.endswith("T10:50")] == []
    (plan,) = await rows(back, break_plans)
    assert (plan.team_id, plan.sent) == ("riverside", 0)


SLOT = "2026-11-30T10:50"


async def test_a_plan_being_joined_is_not_dropped_under_the_join(
    database_url: str, closing: list[Respite]
) -> None:
    """Tick B is joining someone to a plan, its transaction not yet committed, while tick A
    drops the plan for having no followers. A waits for B, sees the follower, and keeps it."""
    import asyncio

    first, second, _, clock = await _plan_nobody_follows(database_url, closing)
    store_a, store_b = first.deps.breaks, second.deps.breaks
    assert isinstance(store_b, SqlBreakStore)
    async with first.engine.begin() as conn:  # planned alone, due at the plan's own slot
        await conn.execute(
            update(break_people)
            .where(break_people.c.user_id == "U001")
            .values(next_at=datetime(2026, 11, 30, 10, 50, tzinfo=UTC), next_slot=SLOT)
        )
    (plan,) = [p for p in (await store_a.due_schedules(clock.now())).plans if not p.followers]
    assert plan.next_slot == SLOT
    (group,) = (await store_b.due_schedules(clock.now())).groups
    async with second.engine.connect() as conn_b:
        await conn_b.begin()
        joining = ticker(second).join(second.deps, group, clock.now())
        assert await store_b.plans._join(conn_b, joining, clock.now()) == (1, 0)
        dropping = asyncio.create_task(
            store_a.move_plans([ticker(first).move(first.deps, plan, clock.now())])
        )
        await asyncio.sleep(0.3)
        assert not dropping.done()  # waiting for the join
        await conn_b.commit()
    await asyncio.wait_for(dropping, 10)
    assert plan.id in {p.id for p in await rows(first, break_plans)}
    (u001,) = [p for p in await rows(first, break_people) if p.user_id == "U001"]
    assert u001.plan_id == plan.id


async def test_a_time_zone_learned_again_keeps_its_plan_and_a_new_one_leaves_it(
    database_url: str, closing: list[Respite]
) -> None:
    clock = FixedClock(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    respite, _ = await build_sim(database_url, clock, roster_data(members=PEOPLE))
    closing.append(respite)
    store = respite.deps.breaks
    await ticker(respite).sync_people(respite.deps, clock.now())
    for user in PEOPLE:  # everyone's zone learned from Slack: one plan for London
        await store.set_timezone(Platform.SLACK, user, "Europe/London", clock.now())
    await ticker(respite).tick(respite.deps)
    on_plan = {r.user_id: r.plan_id for r in await rows(respite, break_people)}
    assert on_plan["U001"] is not None
    await store.set_timezone(Platform.SLACK, "U001", "Europe/London", clock.now())  # the same
    await store.set_timezone(Platform.SLACK, "U002", "America/New_York", clock.now())
    after = {r.user_id: (r.plan_id, r.timezone) for r in await rows(respite, break_people)}
    assert after["U001"] == (on_plan["U001"], "Europe/London")
    assert after["U002"] == (None, "America/New_York")
