"""Calendar-aware break prompts from an ICS feed served over HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.adapters.calendar_feed import IcsCalendarFeed, parse_busy
from bot.domain.events import Reply
from bot.domain.messages import Platform, card_to_dict
from bot.domain.ports import CalendarUnavailable
from bot.infra.clock import FixedClock
from bot.storage.tables import break_people, outbox, outbox_cards
from tests.support.breaks_sim import build_sim, command, rows, run_until
from tests.support.roster import roster_data

LONDON = ZoneInfo("Europe/London")
ICS = (Path(__file__).parents[1] / "data" / "calendar" / "sessions.ics").read_bytes()
SECRET = "s3cret-feed-token-9f8e7d"


@dataclass
class FeedServer:
    server: TestServer
    status: int = 200
    body: bytes = ICS
    delay: float = 0.0
    hits: int = 0

    @property
    def url(self) -> str:
        return str(self.server.make_url(f"/private/{SECRET}/basic.ics"))


@pytest.fixture
async def feed() -> AsyncIterator[FeedServer]:
    state: dict[str, FeedServer] = {}

    async def handle(request: web.Request) -> web.StreamResponse:
        f = state["feed"]
        f.hits += 1
        if f.delay:
            await asyncio.sleep(f.delay)
        return web.Response(status=f.status, body=f.body, content_type="text/calendar")

    app = web.Application()
    app.router.add_get("/private/{token}/basic.ics", handle)
    server = TestServer(app, host="127.0.0.1", access_log=None)
    await server.start_server()
    state["feed"] = FeedServer(server)
    yield state["feed"]
    await server.close()


def _feed() -> IcsCalendarFeed:
    return IcsCalendarFeed(timeout=2.0, allow_private=True, cache_seconds=0)


def _at(day: int, hh: int, mm: int) -> datetime:
    return datetime(2026, 12, day, hh, mm, tzinfo=LONDON)


def test_parse_expands_recurrences_and_ignores_all_day_cancelled_and_free() -> None:
    def day(d: int) -> list[tuple[time, time]]:
        busy = parse_busy(ICS, _at(d, 0, 0), _at(d, 23, 59), LONDON)
        return [(b.start.astimezone(LONDON).time(), b.end.astimezone(LONDON).time()) for b in busy]

    t = time
    assert day(1) == [(t(9), t(9, 50)), (t(13), t(13, 50))]  # 10:00 occurrence cancelled
    assert day(2) == [(t(9), t(9, 50)), (t(10), t(10, 50))]  # 13:00 excluded (EXDATE)
    assert day(3) == [(t(9), t(9, 50)), (t(10), t(10, 50)), (t(13), t(13, 50))]  # all-day, free
    assert (t(9, 45), t(17)) in day(4)


async def test_a_week_of_calendar_prompts(
    database_url: str, feed: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    for name in ("bot", "handlers", "scheduler"):
        caplog.set_level(logging.DEBUG, logger=name)
    clock = FixedClock(_at(1, 0, 0).replace(day=30, month=11))
    roster = roster_data(timezone="Europe/London", members=["U001", "U002"])
    respite, rec = await build_sim(database_url, clock, roster, calendar_feed=_feed())
    try:
        await command(respite, "U001", "breaks hours 09:00-17:00 mon-fri")
        reply = await command(respite, "U001", f"breaks calendar {feed.url}")
        assert isinstance(reply, Reply)
        assert "Calendar connected" in reply.card.title
        assert SECRET not in str(card_to_dict(reply.card))
        status = await command(respite, "U001", "breaks status")
        assert isinstance(status, Reply) and SECRET not in str(card_to_dict(status.card))
        await run_until(respite, clock, _at(5, 0, 0))

        prompts = [s.at.astimezone(LONDON) for s in rec.to("U001")]
        by_day: dict[date, list[time]] = {}
        for p in prompts:
            by_day.setdefault(p.date(), []).append(p.time())
        t = time
        assert by_day == {
            date(2026, 11, 30): [t(9, 50), t(10, 50), t(13, 50)],
            date(2026, 12, 1): [t(9, 50), t(13, 50)],
            date(2026, 12, 2): [t(9, 50), t(10, 50)],
            date(2026, 12, 3): [t(9, 50), t(10, 50), t(13, 50)],
        }
        notes = rec.to("U001", "No break fitted today")
        assert [n.at.astimezone(LONDON) for n in notes] == [_at(4, 16, 55)]
        # Never during an event.
        for p in prompts:
            busy = parse_busy(ICS, p.replace(hour=0, minute=0), p.replace(hour=23), LONDON)
            assert not any(b.start <= p < b.end for b in busy)
        # The colleague without a calendar keeps fixed times.
        assert len(rec.to("U002")) == 5 * 4
        # The secret address appears in no log line and no queued message.
        assert SECRET not in caplog.text
        assert all(SECRET not in str(r.card) for r in await rows(respite, outbox))
        assert all(SECRET not in str(r.card) for r in await rows(respite, outbox_cards))
        # Nor in the database: it is sealed there, and opens for the store only.
        stored = [r.calendar_url for r in await rows(respite, break_people) if r.user_id == "U001"]
        assert len(stored) == 1 and SECRET not in stored[0]
        assert respite.deps.breaks is not None
        kept = await respite.deps.breaks.get(Platform.SLACK, "U001")
        assert kept is not None and kept.calendar_url == feed.url
    finally:
        await respite.close()


async def test_failing_feed_falls_back_to_fixed_times_and_tells_once(
    database_url: str, feed: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    for name in ("bot", "handlers", "scheduler"):
        caplog.set_level(logging.DEBUG, logger=name)
    clock = FixedClock(_at(1, 0, 0).replace(day=30, month=11))
    roster = roster_data(timezone="Europe/London", members=["U001"])
    respite, rec = await build_sim(database_url, clock, roster, calendar_feed=_feed())
    try:
        await command(respite, "U001", f"breaks calendar {feed.url}")
        await run_until(respite, clock, _at(1, 0, 0))
        assert len(rec.to("U001")) == 3  # Monday from the calendar
        feed.status = 500
        await run_until(respite, clock, _at(3, 0, 0))
        fixed = [s.at.astimezone(LONDON).time() for s in rec.to("U001")[3:]]
        assert fixed == [time(10, 50), time(11, 50), time(14, 50), time(15, 50)] * 2
        warnings = rec.to("U001", "couldn't read your calendar")
        assert len(warnings) == 1
        feed.status = 200
        await run_until(respite, clock, _at(4, 0, 0))
        thursday = [s.at.astimezone(LONDON).time() for s in rec.to("U001")[11:]]
        assert thursday == [time(9, 50), time(10, 50), time(13, 50)]
        assert SECRET not in caplog.text
    finally:
        await respite.close()


async def test_feed_limits(feed: FeedServer) -> None:
    start, end = datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC)
    feed.body = b"BEGIN:VCALENDAR\r\n" + b"X" * 5000
    small = IcsCalendarFeed(max_bytes=1000, allow_private=True, cache_seconds=0)
    with pytest.raises(CalendarUnavailable, match="size limit") as err:
        await small.busy(feed.url, start, end, "UTC")
    assert SECRET not in str(err.value)
    feed.body, feed.delay = ICS, 1.0
    slow = IcsCalendarFeed(timeout=0.2, allow_private=True, cache_seconds=0)
    with pytest.raises(CalendarUnavailable, match="timed out"):
        await slow.busy(feed.url, start, end, "UTC")
    feed.delay = 0.0
    with pytest.raises(CalendarUnavailable, match="private network"):
        await IcsCalendarFeed(cache_seconds=0).busy(feed.url, start, end, "UTC")
    feed.body = b"this is not a calendar"
    with pytest.raises(CalendarUnavailable, match="not a readable calendar"):
        await _feed().busy(feed.url, start, end, "UTC")
    with pytest.raises(CalendarUnavailable, match="files are not allowed"):
        await _feed().busy("file:///etc/passwd", start, end, "UTC")
    with pytest.raises(CalendarUnavailable, match="only http"):
        await _feed().busy("gopher://example.org/x", start, end, "UTC")
