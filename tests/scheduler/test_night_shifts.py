"""Night shifts, a rotating rota and shifts from a calendar, through the real minute tick, the
real outbox worker and its boundaries, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.adapters.calendar_feed import IcsCalendarFeed
from bot.domain.break_cards import BREAK_PAUSE, BREAK_SKIP
from bot.domain.events import Actor, ButtonPress, Reply
from bot.domain.messages import Platform
from bot.infra.clock import FixedClock
from handlers import router
from scheduler import breaks, pulse
from tests.support.breaks_sim import build_sim, command, deliver, run_until
from tests.support.roster import roster_data

LONDON = ZoneInfo("Europe/London")
PEOPLE = ["U001", "U002", "U003"]
INVITE = "one-minute check-in"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture(params=["one-by-one", "groups"])
def both_paths(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Plan everyone alone, or everyone (even a plan of one) as a group."""
    monkeypatch.setattr(breaks, "GROUP_MIN", 10**9 if request.param == "one-by-one" else 1)


def _nights(**extra: object) -> dict[str, object]:
    settings: dict[str, object] = {
        "timezone": "Europe/London",
        "members": PEOPLE,
        "working_hours": "19:00-07:30",
        "working_days": "mon-sun",
        "breaks": {"times": ["23:00", "01:30", "03:00", "06:00"]},
    }
    return roster_data(**(settings | extra))


@pytest.mark.usefixtures("both_paths")
async def test_night_shifts_as_the_clocks_go_forward(
    database_url: str, closing: list[object]
) -> None:
    clock = FixedClock(datetime(2027, 3, 26, 12, 0, tzinfo=LONDON))  # Friday
    respite, rec = await build_sim(database_url, clock, _nights())
    closing.append(respite)
    await run_until(respite, clock, datetime(2027, 3, 29, 12, 0, tzinfo=LONDON))
    expected = [
        # Friday's shift, in GMT.
        utc(2027, 3, 26, 23, 0),
        utc(2027, 3, 27, 1, 30),
        utc(2027, 3, 27, 3, 0),
        utc(2027, 3, 27, 6, 0),
        # Saturday's: 01:30 does not exist, so it comes at 02:30 BST; then 03:00 and 06:00 BST.
        utc(2027, 3, 27, 23, 0),
        utc(2027, 3, 28, 1, 30),
        utc(2027, 3, 28, 2, 0),
        utc(2027, 3, 28, 5, 0),
        # Sunday's, in BST.
        utc(2027, 3, 28, 22, 0),
        utc(2027, 3, 29, 0, 30),
        utc(2027, 3, 29, 2, 0),
        utc(2027, 3, 29, 5, 0),
    ]
    for user in PEOPLE:
        assert [s.at for s in rec.to(user)] == expected


@pytest.mark.usefixtures("both_paths")
async def test_night_shifts_as_the_clocks_go_back(database_url: str, closing: list[object]) -> None:
    clock = FixedClock(datetime(2026, 10, 23, 12, 0, tzinfo=LONDON))  # Friday
    respite, rec = await build_sim(database_url, clock, _nights())
    closing.append(respite)
    await run_until(respite, clock, datetime(2026, 10, 26, 12, 0, tzinfo=LONDON))
    expected = [
        # Friday's shift, in BST.
        utc(2026, 10, 23, 22, 0),
        utc(2026, 10, 24, 0, 30),
        utc(2026, 10, 24, 2, 0),
        utc(2026, 10, 24, 5, 0),
        # Saturday's: 01:30 happens twice and is sent once, at the first (BST); then GMT.
        utc(2026, 10, 24, 22, 0),
        utc(2026, 10, 25, 0, 30),
        utc(2026, 10, 25, 3, 0),
        utc(2026, 10, 25, 6, 0),
        # Sunday's, in GMT.
        utc(2026, 10, 25, 23, 0),
        utc(2026, 10, 26, 1, 30),
        utc(2026, 10, 26, 3, 0),
        utc(2026, 10, 26, 6, 0),
    ]
    for user in PEOPLE:
        assert [s.at for s in rec.to(user)] == expected


async def test_four_on_four_off_rota_over_four_weeks(
    database_url: str, closing: list[object]
) -> None:
    roster = roster_data(
        timezone="Europe/London",
        members=PEOPLE,
        rota={"pattern": "DDDDOOOO", "start": "2026-11-02", "hours": "19:00-07:30"},
        breaks={"times": ["23:00", "03:00"]},
        pulse={"cron": "0 10 * * mon", "open_hours": 72, "remind_after_hours": 48},
    )
    clock = FixedClock(datetime(2026, 11, 2, 0, 0, tzinfo=LONDON))
    respite, rec = await build_sim(database_url, clock, roster)
    closing.append(respite)
    # A person's own night shifts, Monday to Thursday, instead of the rota.
    await command(respite, "U003", "breaks hours 20:00-06:00 mon-thu")
    await run_until(respite, clock, datetime(2026, 11, 30, 12, 0, tzinfo=LONDON))
    firsts = [datetime(2026, 11, d, tzinfo=UTC) for d in (2, 10, 18, 26)]  # GMT = UTC
    expected = []
    for first in firsts:
        for i in range(4):
            expected += [
                first + timedelta(days=i, hours=23),
                first + timedelta(days=i + 1, hours=3),
            ]
    assert [s.at for s in rec.to("U001")] == expected
    assert [s.at for s in rec.to("U002")] == expected
    own = [
        datetime(2026, 11, d, tzinfo=UTC) + timedelta(days=i)
        for d in (2, 9, 16, 23)
        for i in range(4)
    ]
    assert [s.at for s in rec.to("U003")] == [
        t for day in own for t in (day + timedelta(hours=23), day + timedelta(hours=27))
    ]


async def test_a_pulse_invitation_waits_for_the_rota(
    database_url: str, closing: list[object]
) -> None:
    # The round opens Monday 9 November at 10:00, on the rota's fourth day off; U001's next
    # shift starts Tuesday at 19:00. The reminder (Wednesday 10:00) waits for Wednesday 19:00.
    roster = roster_data(
        timezone="Europe/London",
        members=PEOPLE,
        rota={"pattern": "DDDDOOOO", "start": "2026-11-02", "hours": "19:00-07:30"},
        breaks={"enabled": False},
    )
    clock = FixedClock(utc(2026, 11, 9, 10, 0))
    respite, rec = await build_sim(database_url, clock, roster)
    closing.append(respite)
    await pulse.tick(respite.deps)
    await deliver(respite)
    assert rec.sent == []
    for moment in (utc(2026, 11, 10, 18, 59), utc(2026, 11, 10, 19, 0)):
        clock.set(moment)
        await deliver(respite)
    clock.set(utc(2026, 11, 11, 10, 0))
    await pulse.tick(respite.deps)
    await deliver(respite)
    clock.set(utc(2026, 11, 11, 19, 0))
    await deliver(respite)
    got = sorted((s.at, s.recipient.user_id, s.card.title) for s in rec.sent)
    assert [(at, user) for at, user, _t in got] == [
        (utc(2026, 11, 10, 19, 0), u) for u in PEOPLE
    ] + [(utc(2026, 11, 11, 19, 0), u) for u in PEOPLE]
    assert all(INVITE in t for _a, _u, t in got[:3])


# --- shifts from a calendar ---------------------------------------------------------------------

SHIFTS_ICS = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Respite tests//EN
BEGIN:VEVENT
UID:n1@test
DTSTART:20261130T190000Z
DTEND:20261201T073000Z
SUMMARY:Nights
CATEGORIES:Shift
END:VEVENT
BEGIN:VEVENT
UID:w1@test
DTSTART:20261201T010000Z
DTEND:20261201T015000Z
SUMMARY:Ward round
END:VEVENT
BEGIN:VEVENT
UID:n2@test
DTSTART:20261201T190000Z
DTEND:20261202T073000Z
SUMMARY:Night shift
END:VEVENT
BEGIN:VEVENT
UID:d1@test
DTSTART:20261202T100000Z
DTEND:20261202T110000Z
SUMMARY:Dentist
END:VEVENT
BEGIN:VEVENT
UID:n3@test
DTSTART:20261203T190000Z
DTEND:20261204T073000Z
SUMMARY:Night shift
END:VEVENT
END:VCALENDAR
"""


@pytest.fixture
async def shifts_feed() -> AsyncIterator[str]:
    async def handle(request: web.Request) -> web.StreamResponse:
        return web.Response(body=SHIFTS_ICS, content_type="text/calendar")

    app = web.Application()
    app.router.add_get("/private/token/basic.ics", handle)
    server = TestServer(app, host="127.0.0.1", access_log=None)
    await server.start_server()
    yield str(server.make_url("/private/token/basic.ics"))
    await server.close()


async def test_a_rota_from_the_calendar(
    database_url: str, shifts_feed: str, closing: list[object]
) -> None:
    # Monday 30 November 2026, 10:00 London (= UTC): the weekly round opens. U001's shifts are
    # the events marked "shift" in their calendar; U002 works the team's days, 08:00-18:00.
    roster = roster_data(
        timezone="Europe/London",
        members=["U001", "U002"],
        breaks={"times": ["10:50", "23:00", "03:00"]},
    )
    clock = FixedClock(utc(2026, 11, 30, 9, 0))
    feed = IcsCalendarFeed(timeout=2.0, allow_private=True, cache_seconds=0)
    respite, rec = await build_sim(database_url, clock, roster, calendar_feed=feed)
    closing.append(respite)
    refused = await command(respite, "U001", "breaks hours calendar shift")
    assert isinstance(refused, Reply) and refused.card.title == "Connect your calendar first"
    await command(respite, "U001", f"breaks calendar {shifts_feed}")
    saved = await command(respite, "U001", "breaks hours calendar shift")
    assert isinstance(saved, Reply) and saved.card.title == "Working hours saved"
    status = {f.label: f.value for f in saved.card.fields}
    assert status["Working hours"] == (
        "shifts from your calendar (events marked “shift”); when it cannot be read, "
        "08:00-18:00 mon-fri"
    )
    clock.set(utc(2026, 11, 30, 10, 0))
    await pulse.tick(respite.deps)
    await run_until(respite, clock, utc(2026, 12, 5, 0, 0))
    invites = [(s.at, s.recipient.user_id) for s in rec.sent if INVITE in s.card.title]
    assert invites == [(utc(2026, 11, 30, 10, 0), "U002"), (utc(2026, 11, 30, 19, 0), "U001")]
    # Monday's night: a prompt when the ward round ends (a session inside the shift); the other
    # nights hold no session, so the break times inside them apply. Never 10:50: off shift.
    assert [s.at for s in rec.to("U001")] == [
        utc(2026, 12, 1, 1, 50),
        utc(2026, 12, 1, 23, 0),
        utc(2026, 12, 2, 3, 0),
        utc(2026, 12, 3, 23, 0),
        utc(2026, 12, 4, 3, 0),
    ]
    assert [s.at for s in rec.to("U002")] == [
        utc(2026, 11, 30 + d, 10, 50) if d == 0 else utc(2026, 12, d, 10, 50) for d in range(5)
    ]


@pytest.mark.usefixtures("both_paths")
async def test_skip_today_in_the_small_hours_skips_the_shift_under_way(
    database_url: str, closing: list[object]
) -> None:
    clock = FixedClock(datetime(2026, 11, 30, 12, 0, tzinfo=LONDON))  # Monday
    respite, rec = await build_sim(database_url, clock, _nights())
    closing.append(respite)
    await run_until(respite, clock, utc(2026, 12, 1, 1, 30))  # Tuesday 01:30: Monday's night
    (last,) = [s for s in rec.to("U001") if s.at == utc(2026, 12, 1, 1, 30)]
    slot = next(b.value for b in last.card.buttons if b.action_id == BREAK_SKIP)
    press = ButtonPress(Actor(Platform.SLACK, "U001"), BREAK_SKIP, slot)
    reply = await router.on_button(respite.deps, press)
    assert isinstance(reply, Reply) and reply.card.title == "No more break prompts today"
    await run_until(respite, clock, utc(2026, 12, 2, 12, 0))
    assert [s.at for s in rec.to("U001")] == [
        utc(2026, 11, 30, 23, 0),
        utc(2026, 12, 1, 1, 30),
        # Monday's night skipped from here: 03:00 and 06:00 go to the others only.
        utc(2026, 12, 1, 23, 0),
        utc(2026, 12, 2, 1, 30),
        utc(2026, 12, 2, 3, 0),
        utc(2026, 12, 2, 6, 0),
    ]
    assert [s.at for s in rec.to("U002")][2:4] == [utc(2026, 12, 1, 3, 0), utc(2026, 12, 1, 6, 0)]


async def test_pause_in_the_small_hours_counts_a_week_of_shifts_from_the_one_under_way(
    database_url: str, closing: list[object]
) -> None:
    clock = FixedClock(utc(2026, 12, 1, 2, 0))  # Tuesday 02:00: Monday's night shift
    respite, rec = await build_sim(database_url, clock, _nights(breaks={"times": ["23:00"]}))
    closing.append(respite)
    press = ButtonPress(Actor(Platform.SLACK, "U001"), BREAK_PAUSE, "2026-11-30T23:00|0")
    reply = await router.on_button(respite.deps, press)
    assert isinstance(reply, Reply)
    assert "They start again on Monday 07 December" in str(reply.card.blocks[0])
    await run_until(respite, clock, utc(2026, 12, 8, 12, 0))
    assert [s.at for s in rec.to("U001")] == [utc(2026, 12, 7, 23, 0)]
    assert len(rec.to("U002")) == 7
