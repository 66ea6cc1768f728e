"""The minute tick for break prompts: data, not one scheduler job per person.

Everyone who shares all that plans their breaks (a team on its defaults in one time zone, or the
same own settings) follows one shared plan with its next planned moment; people with a calendar
feed, and groups smaller than GROUP_MIN, have their own. A tick reads only the plans and the
people whose moment has come (indexed ranges), decides for each whether to queue a prompt, an
end-of-day note, or nothing, works out the following moment, and commits all of it in one
transaction, moving each schedule with compare-and-set.

A plan's prompt is left as one fan-out row, which the outbox worker turns into each follower's
outbox row before it sends (`bot.storage.breaks_fanout`), so the tick's work grows with the number
of plans, not of people. Outbox keys are unique per (person, slot), so overlapping ticks and
restarts send a slot at most once; a slot found more than PROMPT_GRACE late (after downtime) is
skipped, since a break suggestion an hour late is noise.

People planned alone who come due together on the same settings (new rows, changed settings)
are moved onto their plan as a group, one statement for all of them.

Every card is built in its reader's language. A person planned alone gets theirs built inside
their locale (looked up for a whole batch at once); a plan's prompt carries its cards in every
shipped language and the plan's own (its team's) language, and the store keeps those of the
languages its followers speak, so the fan-out picks each follower's card in the same one
statement.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.break_cards import (
    PRACTICES,
    calendar_failed_card,
    prompt_card,
    protect_tomorrow_card,
    rotate,
)
from bot.domain.breaks import (
    PROMPT_GRACE,
    PROMPT_LIFETIME,
    BreakSettings,
    Effective,
    Slot,
    calendar_slots_around,
    calendar_span,
    effective,
    fixed_slots,
    fixed_step,
    local_date,
    next_day_start,
    shift_day,
    week_bounds,
    zone,
)
from bot.domain.messages import Platform, Recipient
from bot.domain.ports import (
    Advance,
    BreakStore,
    CalendarFeed,
    CalendarUnavailable,
    DueBreak,
    DueGroup,
    DuePlan,
    PlanJoin,
    PlanMove,
    PlanPrompt,
    PlanStep,
    QueuedPrompt,
    TimezoneLookup,
)
from bot.domain.team import Team
from bot.infra.i18n import LOCALES, use_locale
from handlers.deps import Deps

log = logging.getLogger(__name__)

BATCH = 2000
# People sharing settings before a shared plan is made for them: fewer are planned alone, unless
# the plan of their settings is already there (someone back on the team's defaults joins it).
GROUP_MIN = 10
CALENDAR_CONCURRENCY = 10
MAX_BATCHES = 50
TIMEZONE_LOOKUPS_PER_TICK = 50  # users.info allows 100+ a minute
TIMEZONE_CONCURRENCY = 10  # side by side, so a tick is not held up by 50 round trips in a row


@dataclass(slots=True)
class TickResult:
    queued: int = 0  # prompts queued, and followers reached by plans' prompts left to fan out
    due: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Plan:
    prompts: list[QueuedPrompt] = field(default_factory=list)
    advances: list[Advance] = field(default_factory=list)


class BreakTicker:
    """Runs on the scheduling replica, once a minute (`Runtime.extra_ticks`)."""

    def __init__(
        self,
        store: BreakStore,
        calendar: CalendarFeed | None = None,
        timezones: Mapping[Platform, TimezoneLookup] | None = None,
        batch: int = BATCH,
        group_min: int | None = None,
    ) -> None:
        self._store = store
        self._calendar = calendar
        self._timezones = dict(timezones or {})
        self._batch = batch
        self.group_min = GROUP_MIN if group_min is None else group_min
        self._synced: dict[str, frozenset[str]] = {}
        self._tz_pending = True  # until a look finds nobody left to ask about

    async def __call__(self, deps: Deps) -> None:
        await self.tick(deps)

    async def tick(self, deps: Deps) -> TickResult:
        now = deps.clock.now()
        result = TickResult()
        await self.sync_people(deps, now)
        await self.resolve_timezones(now)
        due = await self._store.due_schedules(now)
        # A plan whose skipped day or pause is over lets its followers go first, due at its
        # moment: read again, they join the plan of the settings left before it moves on.
        released = [
            PlanMove(p, None, None, None, PlanStep.RELEASE)
            for p in due.plans
            if self._ran_out(deps, p.settings, now)
        ]
        if released:
            await self._store.move_plans(released)
            due = await self._store.due_schedules(now)
        groups, plans = due.groups, due.plans
        result.due = sum(g.people for g in groups)
        one_by_one = sum(g.people for g in groups if g.calendar)
        joins = [self.join(deps, g, now) for g in groups if not g.calendar]
        if joins:
            joined = await self._store.join_plans(joins, now)
            result.due -= joined.joined  # counted again below, as followers of a due plan
            # Rows that changed between the read and the move, groups too small for a plan of
            # their own and groups whose plan is not at their slot are planned one by one.
            one_by_one += sum(j.group.people for j in joins) - joined.joined - joined.dormant
            plans = (await self._store.due_schedules(now)).plans  # with any made just now
        if plans:
            result.due += sum(p.followers for p in plans)
            result.queued += await self._store.move_plans([self.move(deps, p, now) for p in plans])
        if one_by_one > 0:
            await self._plan_people(deps, now, result)
        return result

    def join(self, deps: Deps, group: DueGroup, now: datetime) -> PlanJoin:
        """Members of a group follow the plan of their settings, made for them if they are
        GROUP_MIN or more; anyone else goes dormant. A skipped day or a pause that is over is
        cleared on the way."""
        s = group.settings
        team = deps.directory.team(s.team_id)
        if team is None or team.platform.value != s.platform:
            return PlanJoin(group, frozenset(), create=False)  # dormant until members
        return PlanJoin(
            group,
            team.members,
            create=group.people >= self.group_min,
            clear=self._ran_out(deps, s, now),
        )

    @staticmethod
    def _ran_out(deps: Deps, s: BreakSettings, now: datetime) -> frozenset[str]:
        """Which of a skipped day and a pause are over, by the local date that applies."""
        team = deps.directory.team(s.team_id)
        tz = zone(s.timezone) or zone(team.timezone if team else None) or ZoneInfo("UTC")
        # A night shift's small hours still count as the day it started.
        today = shift_day(effective(s, team), now) if team else local_date(now, tz)
        over = set()
        if s.skip_date is not None and s.skip_date < today:
            over.add("skip_date")
        if s.paused_until is not None and s.paused_until <= today:
            over.add("paused_until")
        return frozenset(over)

    def move(self, deps: Deps, plan: DuePlan, now: datetime) -> PlanMove:
        """A plan's next step, worked out as for any one of its followers (see `_plan_one`)."""
        s = plan.settings
        team = deps.directory.team(s.team_id)
        if team is None or team.platform.value != s.platform:
            return PlanMove(plan, None, None, None, PlanStep.RETIRE)
        if not plan.followers:
            return PlanMove(plan, None, None, None, PlanStep.DROP)
        eff = effective(s, team)
        step = fixed_step(eff, plan.next_at, plan.next_slot, now)
        prompt = None
        if step.prompt is not None:
            slot = step.prompt
            cards = {}
            for locale in LOCALES:
                with use_locale(locale):
                    cards[locale] = tuple(
                        prompt_card(i, slot.key, team.platform) for i in range(len(PRACTICES))
                    )
            prompt = PlanPrompt(
                slot.key,
                cards,
                slot.at,
                slot.at + PROMPT_LIFETIME,
                team.id,
                week_bounds(ZoneInfo(team.timezone), slot.at),
                fallback=deps.languages.default_for(team.id),
            )
        nxt = step.next
        return PlanMove(plan, prompt, nxt.at if nxt else None, nxt.key if nxt else None)

    async def _plan_people(self, deps: Deps, now: datetime, result: TickResult) -> None:
        for _ in range(MAX_BATCHES):
            due = await self._store.due(now, self._batch)
            plan = _Plan()
            locales = await self._locales(deps, due)
            feeds = [d for d in due if d.settings.calendar_url]
            for item in due:
                if not item.settings.calendar_url:
                    await self._plan_one(deps, item, now, plan, locales)
            if feeds:
                await self._plan_feeds(deps, feeds, now, plan, locales)
            result.queued += await self._store.commit(plan.prompts, plan.advances)
            if len(due) < self._batch:
                break

    @staticmethod
    async def _locales(deps: Deps, due: list[DueBreak]) -> dict[tuple[str, str], str]:
        """Each due person's language, one look-up for each platform and team in the batch."""
        people: defaultdict[tuple[str, str], list[str]] = defaultdict(list)
        for item in due:
            people[(item.settings.platform, item.settings.team_id)].append(item.settings.user_id)
        found: dict[tuple[str, str], str] = {}
        for (platform, team_id), users in people.items():
            spoken = await deps.languages.of_many(Platform(platform), users, team_id)
            found.update(((platform, user), locale) for user, locale in spoken.items())
        return found

    async def _plan_feeds(
        self,
        deps: Deps,
        feeds: list[DueBreak],
        now: datetime,
        plan: _Plan,
        locales: Mapping[tuple[str, str], str],
    ) -> None:
        """A slow calendar feed must not hold up everyone else's: read them side by side."""
        gate = asyncio.Semaphore(CALENDAR_CONCURRENCY)

        async def planned(item: DueBreak) -> None:
            async with gate:
                await self._plan_one(deps, item, now, plan, locales)

        await asyncio.gather(*(planned(d) for d in feeds))

    async def sync_people(self, deps: Deps, now: datetime) -> None:
        """Give every team member a schedule row; only when the roster or sync changed."""
        for team in deps.directory.teams():
            known = self._synced.get(team.id)
            if known is team.members or known == team.members:  # `is`: no walk of a big set
                continue
            if await self._store.ensure_people(team.id, team.platform, team.members, now):
                self._tz_pending = True
            self._synced[team.id] = team.members

    async def resolve_timezones(self, now: datetime) -> None:
        """Learn a few people's time zones from the platform each tick (rate-limit friendly)."""
        if not self._tz_pending:
            return
        pending = await self._store.pending_timezones(TIMEZONE_LOOKUPS_PER_TICK)
        self._tz_pending = len(pending) == TIMEZONE_LOOKUPS_PER_TICK
        gate = asyncio.Semaphore(TIMEZONE_CONCURRENCY)

        async def look_up(platform: Platform, user_id: str) -> str | None:
            lookup = self._timezones.get(platform)
            if lookup is None:
                return None
            async with gate:
                try:
                    return await lookup.timezone(user_id)
                except Exception as exc:
                    log.warning("time zone lookup failed: %s", type(exc).__name__)
                    return None

        found = await asyncio.gather(*(look_up(p, u) for p, u in pending))
        for (platform, user_id), tz in zip(pending, found, strict=True):
            await self._store.set_timezone(platform, user_id, tz if zone(tz) else None, now)

    async def _plan_one(
        self,
        deps: Deps,
        item: DueBreak,
        now: datetime,
        plan: _Plan,
        locales: Mapping[tuple[str, str], str],
    ) -> None:
        s = item.settings
        with use_locale(locales.get((s.platform, s.user_id))):  # their cards in their language
            await self._plan_in_locale(deps, item, now, plan)

    async def _plan_in_locale(self, deps: Deps, item: DueBreak, now: datetime, plan: _Plan) -> None:
        s = item.settings
        platform = Platform(s.platform)
        team = deps.directory.team(s.team_id)

        def advance(
            slot: Slot | None, at: datetime | None = None, practice: int | None = None
        ) -> None:
            plan.advances.append(
                Advance(
                    s.platform,
                    s.user_id,
                    item.next_at,
                    slot.at if slot else at,
                    slot.key if slot else None,
                    practice if practice is not None else item.last_practice,
                )
            )

        if team is None or not team.is_member(platform, s.user_id):
            advance(None)  # dormant until they are a member again
            return
        eff = effective(s, team)
        practice = item.last_practice
        if not (eff.calendar and self._calendar is not None and s.calendar_url):
            step = fixed_step(eff, item.next_at, item.next_slot, now)
            if step.prompt is not None:
                practice = self._queue(team, platform, s.user_id, step.prompt, item, plan)
            advance(step.next, practice=practice)
            return
        slots = await self._calendar_day(deps, item, eff, now, plan)
        fresh = item.next_slot is not None and now - item.next_at <= PROMPT_GRACE
        if fresh:
            match = next((x for x in slots if x.key == item.next_slot), None)
            if match is not None:
                practice = self._queue(team, platform, s.user_id, match, item, plan)
        upcoming = [x for x in slots if x.at > now]
        if upcoming:
            advance(upcoming[0], practice=practice)
        else:
            advance(None, next_day_start(eff, now), practice)  # re-plan from tomorrow's feed

    def _queue(
        self,
        team: Team,
        platform: Platform,
        user_id: str,
        slot: Slot,
        item: DueBreak,
        plan: _Plan,
    ) -> int | None:
        recipient = Recipient(platform, user_id=user_id)
        week = week_bounds(ZoneInfo(team.timezone), slot.at)
        if slot.kind == "note":
            plan.prompts.append(
                QueuedPrompt(
                    f"break-note:{recipient.key}:{slot.key}",
                    recipient,
                    protect_tomorrow_card(platform),
                    slot.at,
                    slot.at + PROMPT_LIFETIME,
                    team.id,
                    week,
                    counted=False,
                )
            )
            return item.last_practice
        practice = rotate(item.last_practice, item.practice_stride)
        plan.prompts.append(
            QueuedPrompt(
                f"break:{recipient.key}:{slot.key}",
                recipient,
                prompt_card(practice, slot.key, platform),
                slot.at,
                slot.at + PROMPT_LIFETIME,
                team.id,
                week,
            )
        )
        return practice

    async def _calendar_day(
        self, deps: Deps, item: DueBreak, eff: Effective, now: datetime, plan: _Plan
    ) -> list[Slot]:
        s = item.settings
        assert self._calendar is not None and s.calendar_url
        # Yesterday's shift too: a night shift's small hours belong to it.
        days, start, end = calendar_span(eff, now)
        day = days[-1]
        try:
            busy = await self._calendar.busy(s.calendar_url, start, end, eff.tz.key)
        except CalendarUnavailable as exc:
            log.info("calendar feed unavailable for one person: %s", exc)
            if not s.calendar_warned:
                recipient = Recipient(Platform(s.platform), user_id=s.user_id)
                plan.prompts.append(
                    QueuedPrompt(
                        f"break-calendar:{recipient.key}:{day.isoformat()}",
                        recipient,
                        calendar_failed_card(Platform(s.platform)),
                        now,
                        None,  # not a prompt: held for working hours, never dropped
                        s.team_id,
                        (now, now),
                        counted=False,
                    )
                )
                await self._store.set_calendar_warned(Platform(s.platform), s.user_id, True)
            return [slot for d in days for slot in fixed_slots(eff, d)]
        if s.calendar_warned:
            await self._store.set_calendar_warned(Platform(s.platform), s.user_id, False)
        return calendar_slots_around(eff, now, busy)
