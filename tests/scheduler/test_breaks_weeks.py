"""Whole simulated weeks of break prompts and boundaries, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.events import Reply
from bot.infra.clock import FixedClock
from bot.storage.tables import outbox
from scheduler import breaks, pulse
from tests.support.breaks_sim import build_sim, command, deliver, fan_out, rows, run_until, ticker
from tests.support.roster import LEAD, roster_data

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
PEOPLE = ["U001", "U002", "U003"]


def _roster(tz: str, **extra: object) -> dict[str, object]:
    return roster_data(timezone=tz, members=PEOPLE, **extra)


@pytest.fixture(params=["one-by-one", "groups"])
def both_paths(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Plan everyone alone, or everyone (even a plan of one) as a group."""
    monkeypatch.setattr(breaks, "GROUP_MIN", 10**9 if request.param == "one-by-one" else 1)


def _local_times(sent: list[object], tz: ZoneInfo) -> Counter[tuple[date, time]]:
    out: Counter[tuple[date, time]] = Counter()
    for s in sent:
        local = s.at.astimezone(tz)  # type: ignore[attr-defined]
        out[(local.date(), local.time())] += 1
    return out


@pytest.mark.usefixtures("both_paths")
async def test_two_weeks_across_spring_forward_in_new_york(
    database_url: str, closing: list[object]
) -> None:
    clock = FixedClock(datetime(2027, 3, 8, 0, 0, tzinfo=NY))  # Monday; DST starts Sunday 14th
    # Three people: a minimum group of three lets their uptake be reported.
    roster = _roster("America/New_York", min_group_size=3)
    respite, rec = await build_sim(database_url, clock, roster)
    closing.append(respite)
    await run_until(respite, clock, datetime(2027, 3, 20, 0, 0, tzinfo=NY))
    for user in PEOPLE:
        got = rec.to(user)
        assert len(got) == 10 * 4  # ten working days, four times each
        times = _local_times(got, NY)
        assert {t for (_d, t) in times} == {time(10, 50), time(11, 50), time(14, 50), time(15, 50)}
        assert all(n == 1 for n in times.values())
        assert {d.weekday() for (d, _t) in times} == set(range(5))
    utc_hours = {
        s.at.astimezone(UTC).hour
        for s in rec.to("U001")
        if s.at.astimezone(NY).time() == time(10, 50)
    }
    assert utc_hours == {15, 14}  # EST before the change, EDT after
    # Prompts never repeat the same practice back to back for one person.
    titles = [s.card.title for s in rec.to("U001")]
    assert all(a != b for a, b in itertools.pairwise(titles))
    # Team-week totals only.
    prompted, done, skipped = await respite.deps.breaks.break_uptake(
        "riverside", datetime(2027, 3, 8, 5, tzinfo=UTC), datetime(2027, 3, 22, 4, tzinfo=UTC)
    )
    assert (prompted, done, skipped) == (120, 0, 0)
    # Only the first, whole week when the range cuts the second in half.
    assert (
        await respite.deps.breaks.break_uptake(
            "riverside", datetime(2027, 3, 8, 5, tzinfo=UTC), datetime(2027, 3, 20, tzinfo=UTC)
        )
    )[0] == 60


@pytest.mark.parametrize(
    ("tz", "sunday", "jump"),
    [
        ("America/New_York", date(2027, 3, 14), time(2, 30)),
        ("Europe/London", date(2027, 3, 28), time(1, 30)),
        ("America/New_York", date(2026, 11, 1), time(1, 30)),
        ("Europe/London", date(2026, 10, 25), time(1, 30)),
    ],
    ids=["ny-spring", "london-spring", "ny-fall", "london-fall"],
)
@pytest.mark.usefixtures("both_paths")
async def test_dst_day_itself_for_a_seven_day_worker(
    database_url: str, closing: list[object], tz: str, sunday: date, jump: time
) -> None:
    zone = ZoneInfo(tz)
    start = datetime.combine(sunday - timedelta(days=6), time(0), zone)
    clock = FixedClock(start)
    respite, rec = await build_sim(database_url, clock, _roster(tz))
    closing.append(respite)
    await command(respite, "U001", "breaks hours 00:00-23:59 mon-sun")
    reply = await command(respite, "U001", f"breaks at {jump:%H:%M} 10:50")
    assert isinstance(reply, Reply)
    await run_until(respite, clock, datetime.combine(sunday + timedelta(days=1), time(12), zone))
    keys = Counter(
        next(b.value.split("|")[0] for b in s.card.buttons if b.action_id == "break_done")
        for s in rec.to("U001")
    )
    assert all(n == 1 for n in keys.values()), keys
    assert f"{sunday}T{jump:%H:%M}" in keys and f"{sunday}T10:50" in keys
    assert len(keys) == 2 * 8  # seven days and Monday, two times each
    on_sunday = [s for s in rec.to("U001") if s.at.astimezone(zone).date() == sunday]
    assert on_sunday[-1].at.astimezone(zone).time() == time(10, 50)


@pytest.mark.usefixtures("both_paths")
async def test_person_in_another_time_zone_paused_person_and_holiday(
    database_url: str, closing: list[object]
) -> None:
    clock = FixedClock(datetime(2026, 11, 30, 0, 0, tzinfo=LONDON))  # Monday
    roster = _roster("Europe/London", holidays=["2026-12-02"])
    respite, rec = await build_sim(database_url, clock, roster)
    closing.append(respite)
    # U002's platform says New York (Teams sends it with the activity); U003 pauses 3 days.
    await command(respite, "U002", "breaks status", tz="America/New_York")
    paused = await command(respite, "U003", "breaks pause 3d")
    assert isinstance(paused, Reply) and "paused" in paused.card.title.lower()
    await run_until(respite, clock, datetime(2026, 12, 5, 0, 0, tzinfo=LONDON))

    london = _local_times(rec.to("U001"), LONDON)
    assert len(london) == 4 * 4  # Wednesday is a holiday
    assert date(2026, 12, 2) not in {d for d, _t in london}
    ny = _local_times(rec.to("U002"), NY)
    assert {t for _d, t in ny} == {time(10, 50), time(11, 50), time(14, 50), time(15, 50)}
    assert len(ny) == 4 * 4
    assert {d for d, _t in _local_times(rec.to("U003"), LONDON)} == {
        date(2026, 12, 3),
        date(2026, 12, 4),
    }


async def test_pulse_waits_for_working_hours_and_holidays(
    database_url: str, closing: list[object]
) -> None:
    # Pulse opens Monday 10:00 UTC; U002 starts work at 13:00. Wednesday (reminder) is a holiday.
    clock = FixedClock(datetime(2026, 11, 30, 10, 0, tzinfo=UTC))
    roster = _roster("UTC", holidays=["2026-12-02"], breaks={"enabled": False})
    respite, rec = await build_sim(database_url, clock, roster)
    closing.append(respite)
    await command(respite, "U002", "breaks hours 13:00-17:00 mon-fri")
    await pulse.tick(respite.deps)
    await deliver(respite)
    invited = {s.recipient.user_id for s in rec.sent}
    assert invited == {"U001", "U003"}
    clock.set(datetime(2026, 11, 30, 13, 0, tzinfo=UTC))
    await deliver(respite)
    assert {s.recipient.user_id for s in rec.sent} == {"U001", "U002", "U003"}
    clock.set(datetime(2026, 12, 2, 10, 0, tzinfo=UTC))  # reminder due on the holiday
    before = len(rec.sent)
    await pulse.tick(respite.deps)
    await deliver(respite)
    assert len(rec.sent) == before
    clock.set(datetime(2026, 12, 3, 8, 0, tzinfo=UTC))
    await deliver(respite)
    reminded = [s for s in rec.sent[before:] if s.at == clock.now()]
    assert {s.recipient.user_id for s in reminded} == {"U001", "U003"}  # U002 starts at 13:00
    # U002's next working moment, Thursday 13:00, comes after the round closes (Thursday 10:00):
    # a reminder then would point at a closed round, so it is dropped rather than held.
    clock.set(datetime(2026, 12, 3, 13, 0, tzinfo=UTC))
    await deliver(respite)
    assert {s.recipient.user_id for s in rec.sent[before:]} == {"U001", "U003"}
    outbox_rows = await rows(respite, outbox)
    assert Counter(r.status for r in outbox_rows) == {"sent": 5, "dropped": 1}
    (dropped,) = [r for r in outbox_rows if r.status == "dropped"]
    assert dropped.key.startswith("pulse-remind:") and dropped.key.endswith("U002")
    assert {r.attempts for r in outbox_rows} == {1}  # waiting is not a failed attempt
    assert LEAD  # the lead's digest is covered by the pulse tests


@pytest.mark.usefixtures("both_paths")
async def test_overlapping_ticks_and_restart_send_each_slot_once(
    database_url: str, closing: list[object]
) -> None:
    clock = FixedClock(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    respite, _rec = await build_sim(database_url, clock, _roster("UTC"))
    closing.append(respite)
    await ticker(respite).tick(respite.deps)  # plans everyone
    clock.set(datetime(2026, 11, 30, 10, 50, 20, tzinfo=UTC))
    second = await build_sim(database_url, clock, _roster("UTC"))  # another process
    closing.append(second[0])
    results = await asyncio.gather(
        ticker(respite).tick(respite.deps),
        ticker(second[0]).tick(second[0].deps),
        ticker(respite).tick(respite.deps),
    )
    assert sum(r.queued for r in results) == len(PEOPLE)
    restarted = await build_sim(database_url, clock, _roster("UTC"))
    closing.append(restarted[0])
    assert (await ticker(restarted[0]).tick(restarted[0].deps)).queued == 0
    await fan_out(respite, second[0], restarted[0])  # plans' prompts, by three workers at once
    keys = [r.key for r in await rows(respite, outbox)]
    assert len(keys) == len(set(keys)) == len(PEOPLE)


@pytest.mark.usefixtures("both_paths")
async def test_late_tick_after_downtime_skips_stale_prompts(
    database_url: str, closing: list[object]
) -> None:
    clock = FixedClock(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    respite, rec = await build_sim(database_url, clock, _roster("UTC"))
    closing.append(respite)
    await ticker(respite).tick(respite.deps)
    clock.set(datetime(2026, 11, 30, 12, 30, tzinfo=UTC))  # down from 08:00 to 12:30
    await ticker(respite).tick(respite.deps)
    await deliver(respite)
    assert rec.sent == []
    await run_until(respite, clock, datetime(2026, 11, 30, 16, 0, tzinfo=UTC))
    assert {s.at.time() for s in rec.to("U001")} == {time(14, 50), time(15, 50)}


async def test_teams_words_reach_the_same_handlers(
    database_url: str, closing: list[object]
) -> None:
    """Teams sends `breaks ...` as Command(name="respite") with the user's zone on the Actor."""
    from bot.domain.events import Actor, Command
    from bot.domain.messages import Platform
    from handlers import router

    clock = FixedClock(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    roster = roster_data(platform="teams", timezone="Europe/London", members=["29:abc"])
    respite, _rec = await build_sim(database_url, clock, roster)
    closing.append(respite)
    actor = Actor(Platform.TEAMS, "29:abc", timezone="Asia/Kolkata")
    reply = await router.on_command(respite.deps, Command(actor, "respite", "breaks at 09:30"))
    assert isinstance(reply, Reply) and reply.card.title == "Break times saved"
    fields = {f.label: f.value for f in reply.card.fields}
    assert fields["Time zone"] == "Asia/Kolkata"
    assert fields["Next prompt"] == "Tue 01 Dec, 09:30"  # 08:00 UTC is 13:30 in Kolkata
    stored = await respite.deps.breaks.get(Platform.TEAMS, "29:abc")
    assert stored is not None and stored.timezone == "Asia/Kolkata"


@pytest.mark.usefixtures("both_paths")
async def test_member_who_leaves_and_returns_is_planned_again(
    database_url: str, closing: list[object]
) -> None:
    # The admin removes U003 from the roster and restarts; later adds them back and restarts.
    clock = FixedClock(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    without = roster_data(timezone="UTC", members=["U001", "U002"])
    respite, rec = await build_sim(database_url, clock, _roster("UTC"))
    closing.append(respite)
    await ticker(respite).tick(respite.deps)
    smaller, rec2 = await build_sim(database_url, clock, without)
    closing.append(smaller)
    await run_until(smaller, clock, datetime(2026, 11, 30, 12, 0, tzinfo=UTC))
    assert rec2.to("U003") == [] and len(rec2.to("U001")) == 2
    again, rec3 = await build_sim(database_url, clock, _roster("UTC"))
    closing.append(again)
    await run_until(again, clock, datetime(2026, 11, 30, 16, 0, tzinfo=UTC))
    assert len(rec3.to("U003")) == 2  # 14:50 and 15:50
    assert rec.sent == []
