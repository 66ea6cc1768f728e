"""The boundary between work and home, for everything Respite sends.

The outbox worker asks before each send: a message to a person outside their working hours, on
a day off, on a team holiday or while their Do Not Disturb is on waits for the next working
moment, unless it may be dropped (a break prompt), in which case it is dropped. Messages to
channels, and to people Respite does not know, are not held.

Working time is whatever the person's pattern says, the same answer break planning gets: a night
shift ("19:00-07:30") is working time until the next morning, a rota's days off are off, and a
person whose calendar says when they work is held until their next shift event (read for the
next fortnight); while their feed cannot be read, their weekly hours apply.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from bot.domain.breaks import (
    BreakSettings,
    Effective,
    calendar_working_start,
    effective,
    in_working_hours,
    next_working_start,
)
from bot.domain.messages import Platform, Recipient
from bot.domain.org import OrgChart
from bot.domain.ports import (
    BreakStore,
    CalendarFeed,
    CalendarUnavailable,
    Directory,
    DoNotDisturb,
    Hold,
)
from bot.domain.team import Team

log = logging.getLogger(__name__)

# How far ahead a calendar is read for the next shift; with none in it, ask again a day later.
CALENDAR_AHEAD = timedelta(days=14)
CALENDAR_RETRY = timedelta(days=1)


class WorkBoundaries:
    def __init__(
        self,
        directory: Directory,
        store: BreakStore,
        dnd: Mapping[Platform, DoNotDisturb] | None = None,
        org: OrgChart | None = None,
        calendar: CalendarFeed | None = None,
    ) -> None:
        self._directory = directory
        self._store = store
        self._dnd = dict(dnd or {})
        self._org = org or OrgChart()
        self._calendar = calendar

    def _team(self, recipient: Recipient) -> Team | None:
        """The team whose working pattern applies: the person's own, else one they lead, else
        (a department or organisation lead) the first team of what they lead."""
        platform, user = recipient.platform, recipient.user_id
        assert user is not None
        team = self._directory.team_of(platform, user)
        if team is not None:
            return team
        led = self._directory.teams_led_by(platform, user)
        if led:
            return led[0]
        team_ids: list[str] = []
        for dept in self._org.departments:
            if dept.is_lead(platform, user):
                team_ids.extend(dept.team_ids)
        if not team_ids and self._org.is_lead(platform, user):
            team_ids = [t.id for t in self._directory.teams()]
        for team_id in team_ids:
            found = self._directory.team(team_id)
            if found is not None:
                return found
        return None

    async def prepare(self, recipients: Sequence[Recipient], now: datetime) -> None:
        wanted: dict[Platform, set[str]] = {}
        for r in recipients:
            if r.user_id is not None and r.platform in self._dnd and self._team(r) is not None:
                wanted.setdefault(r.platform, set()).add(r.user_id)
        for platform, users in wanted.items():
            try:
                await self._dnd[platform].prefetch(users, now)
            except Exception as exc:  # each `hold` still asks for itself
                log.warning("do-not-disturb prefetch failed: %s", type(exc).__name__)

    async def hold(self, recipient: Recipient, now: datetime) -> Hold | None:
        if recipient.user_id is None:
            return None
        team = self._team(recipient)
        if team is None:
            return None
        settings = await self._store.get(recipient.platform, recipient.user_id)
        eff = effective(settings, team)
        working = await self._calendar_start(settings, eff, now)
        if working is None:
            working = now if in_working_hours(eff, now) else next_working_start(eff, now)
        if working > now:
            return Hold(working, "outside working hours")
        lookup = self._dnd.get(recipient.platform)
        if lookup is None:
            return None
        try:
            until = await lookup.until(recipient.user_id, now)
        except Exception as exc:  # a platform hiccup must not stop delivery
            log.warning("do-not-disturb check failed: %s", type(exc).__name__)
            return None
        if until is not None and until > now:
            return Hold(until, "do not disturb")
        return None

    async def _calendar_start(
        self, settings: BreakSettings | None, eff: Effective, now: datetime
    ) -> datetime | None:
        """When someone whose calendar says when they work is next at work (now, if on shift);
        None when their weekly hours decide (no such choice, or the feed cannot be read)."""
        if eff.work.calendar is None or settings is None or not settings.calendar_url:
            return None
        if self._calendar is None:
            return None
        start, end = now - timedelta(days=1), now + CALENDAR_AHEAD
        try:
            busy = await self._calendar.busy(settings.calendar_url, start, end, eff.tz.key)
        except CalendarUnavailable as exc:
            log.info("calendar feed unavailable for one person: %s", exc)
            return None
        return calendar_working_start(eff, busy, now) or now + CALENDAR_RETRY
