"""Pulse windows from a team's cron schedule, computed in the team's own time zone.

APScheduler's CronTrigger does the calendar arithmetic (including daylight-saving changes); this
module only asks it which scheduled starts fall around a given moment, so every job can work out
what is due now instead of trusting that the previous fire happened.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.domain.ports import Period
from bot.domain.team import Team

_LOOKBACK = timedelta(days=35)


@lru_cache(maxsize=256)
def _trigger(cron: str, timezone: str) -> CronTrigger:
    return CronTrigger.from_crontab(cron, timezone=ZoneInfo(timezone))


def _starts(team: Team, since: datetime, until: datetime) -> list[datetime]:
    """Scheduled starts s with since < s <= until."""
    trigger = _trigger(team.pulse.cron, team.timezone)
    fires: list[datetime] = []
    previous: datetime | None = None
    cursor = since + timedelta(microseconds=1)
    while True:
        fire = trigger.get_next_fire_time(previous, cursor)
        if fire is None or fire > until:
            return fires
        fires.append(fire)
        previous = fire
        cursor = fire + timedelta(microseconds=1)


def _next_start(team: Team, after: datetime) -> datetime:
    trigger = _trigger(team.pulse.cron, team.timezone)
    fire = trigger.get_next_fire_time(None, after + timedelta(microseconds=1))
    if fire is None:  # a five-field cron always fires again
        raise ValueError(f"team {team.id}: the pulse schedule never fires again")
    result: datetime = fire
    return result


def rounds_per_week(team: Team, since: datetime, weeks: int = 8) -> int:
    """The most rounds the team's schedule starts in one period (ISO week of the local start)
    over the coming weeks. More than one makes a week's answers uneven: a person who answers
    every round counts several times in the figures, though once in the threshold."""
    counts: dict[tuple[int, int], int] = {}
    for start in _starts(team, since, since + timedelta(weeks=weeks)):
        year, week, _ = start.astimezone(ZoneInfo(team.timezone)).isocalendar()
        counts[(year, week)] = counts.get((year, week), 0) + 1
    return max(counts.values(), default=0)


def period_for(team: Team, start: datetime) -> Period:
    local = start.astimezone(ZoneInfo(team.timezone))
    # Hours are real hours: added to the local time, they would stretch or shrink by the clock
    # change a window spans, and disagree with `CronCalendar.current` for an hour.
    utc = start.astimezone(UTC)
    return Period(
        key=local.isoformat(timespec="minutes"),
        opens_at=start,
        remind_at=utc + timedelta(hours=team.pulse.remind_after_hours),
        closes_at=utc + timedelta(hours=team.pulse.open_hours),
    )


class CronCalendar:
    """The PeriodCalendar port, backed by APScheduler's cron arithmetic.

    Every check-in asks for its team's current window, and walking the cron calendar for it takes
    0.1 to 0.2 ms, more than the check-in's database read. A window stays current until a known
    moment (its close, or the next start), so each schedule's answer is kept until then.
    """

    def __init__(self) -> None:
        # (cron, zone, open hours, reminder hours) -> (valid from, valid until, the window)
        self._current: dict[tuple[str, str, int, int], tuple[datetime, datetime, Period]] = {}

    def current(self, team: Team, now: datetime) -> Period:
        p = team.pulse
        key = (p.cron, team.timezone, p.open_hours, p.remind_after_hours)
        known = self._current.get(key)
        if known is not None and known[0] <= now < known[1]:
            return known[2]
        window = timedelta(hours=p.open_hours)
        open_starts = _starts(team, now - window, now)
        if open_starts:
            start = open_starts[-1]
            # Current until it closes or the next window opens, whichever comes first.
            until = min(start.astimezone(UTC) + window, _next_start(team, start))
        else:
            # Nothing is open before the next start, which is then the current window.
            start = until = _next_start(team, now)
        period = period_for(team, start)
        if len(self._current) > 1024:
            self._current.clear()
        self._current[key] = (now, until, period)
        return period

    def latest_start(self, team: Team, now: datetime) -> Period | None:
        start = _latest_start(team.pulse.cron, team.timezone, now)
        return period_for(team, start) if start is not None else None


@lru_cache(maxsize=1024)
def _latest_start(cron: str, timezone: str, now: datetime) -> datetime | None:
    """Teams mostly share a schedule and ask about the same instant (one tick, one period), so
    the walk back through the calendar is done once per schedule and instant. Recent days are
    tried first: a weekly schedule seldom needs the whole lookback."""
    trigger = _trigger(cron, timezone)
    for lookback in (timedelta(days=8), _LOOKBACK):
        fires: list[datetime] = []
        previous: datetime | None = None
        cursor = now - lookback + timedelta(microseconds=1)
        while (fire := trigger.get_next_fire_time(previous, cursor)) is not None and fire <= now:
            fires.append(fire)
            previous, cursor = fire, fire + timedelta(microseconds=1)
        if fires:
            return fires[-1]
    return None
