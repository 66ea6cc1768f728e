"""Freezing each period's figures once, and queueing the leads' digests.

A period (ISO week) is frozen when every team whose schedule starts a round in that week has
closed it, or when the week is over and none of its rounds is still open. Freezing earlier could
let a late round change a department figure that was already shown, and two versions of a
figure can be subtracted. The job is idempotent: a period is frozen by one caller only, and
digest messages are keyed by (period, group, recipient) in the outbox.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from bot.domain.digest import HISTORY_ROUNDS
from bot.domain.digest_present import digest_title
from bot.domain.messages import Card, Platform, Recipient
from bot.domain.org import period_of_round, period_window
from bot.domain.rollup import Activity, FrozenPeriod, TeamRound, freeze_period
from bot.infra.i18n import use_locale
from bot.infra.metrics import DIGESTS
from handlers.deps import Deps
from handlers.digest import all_digests, card_drawn_aside
from scheduler.report import JobReport

log = logging.getLogger(__name__)


async def _activity(deps: Deps, team_id: str, period: str) -> Activity:
    start, end = period_window(period)
    try:
        kudos: int | None = await deps.activity.kudos_count(team_id, start, end)
    except NotImplementedError:
        kudos = None
    try:
        breaks: tuple[int, int, int] | None = await deps.activity.break_uptake(team_id, start, end)
        readers = _readers_of(deps, team_id)
        people: int | None = await deps.activity.people_prompted(team_id, start, end, readers)
    except NotImplementedError:
        breaks, people = None, None
    return Activity(kudos, breaks, people)


def _readers_of(deps: Deps, team_id: str) -> list[tuple[Platform, str]]:
    """Who reads a team's figures: its leads, its department's and the organisation's."""
    out: list[tuple[Platform, str]] = []
    team = deps.directory.team(team_id)
    if team is not None:
        out += [(team.platform, lead) for lead in team.leads]
    dept = deps.org.department_of(team_id)
    if dept is not None:
        out += [(dept.platform, lead) for lead in dept.leads]
    out += [(deps.org.platform, lead) for lead in deps.org.leads]
    return out


def _expected(deps: Deps, period: str, start: datetime, end: datetime) -> set[str]:
    """Teams whose schedule starts a round in this period: only those are waited for, so one
    fortnightly team does not hold back every weekly team's digest."""
    expected = set()
    for team in deps.directory.teams():
        latest = deps.calendar.latest_start(team, end - timedelta(microseconds=1))
        if latest is not None and period_of_round(latest.key, latest.opens_at) == period:
            expected.add(team.id)
    return expected


async def freeze_due(deps: Deps, report: JobReport | None = None) -> list[FrozenPeriod]:
    """Freeze every period that is complete; queue digests for the newest one frozen now."""
    report = report or JobReport()
    store = deps.digests
    unsent = await store.unqueued_period()
    if unsent is not None:
        await queue_digests(deps, unsent, report)
    # A round that closed after its period was frozen is never rolled up: its data goes now.
    await store.purge_frozen_rounds()
    pending = await store.pending_rounds()
    if not pending:
        return []
    teams = deps.directory.teams()
    team_ids = {t.id for t in teams}
    open_periods = {
        period_of_round(r.period_key, r.opens_at)
        for r in await deps.rounds.open_rounds()
        if r.team_id in team_ids
    }
    now = deps.clock.now()
    by_period: dict[str, list[TeamRound]] = defaultdict(list)
    for r in pending:
        by_period[r.period].append(r)
    frozen_now: list[FrozenPeriod] = []
    for period in sorted(by_period):
        if period in open_periods:
            continue
        rounds = by_period[period]
        have = {r.team_id for r in rounds} & team_ids
        if not have:
            continue
        start, end = period_window(period)
        if not (_expected(deps, period, start, end) <= have or now >= end):
            continue
        activity = {tid: await _activity(deps, tid, period) for tid in sorted(have)}
        frozen = freeze_period(
            deps.org,
            teams,
            period,
            rounds,
            activity,
            instrument=deps.instrument,
            mark=store.person_mark,
            prior=await store.prior_releases(period, HISTORY_ROUNDS - 1),
        )
        if await store.freeze(frozen, now):
            released = sum(1 for g in frozen.groups if g.released)
            report.say(
                f"{period}: figures frozen; {released} of {len(frozen.groups)} group(s) released"
            )
            # Which groups are withheld, but not why: "too few responses" would itself report
            # a participation count below the threshold, which the release rules never do.
            banded = sorted(g.group_id for g in frozen.groups if g.bands is not None)
            withheld = sorted(set(frozen.decision.reasons) - set(banded))
            if withheld:
                report.say(f"{period}: withheld: {', '.join(withheld)}")
            if banded:
                report.say(f"{period}: bands only: {', '.join(banded)}")
            frozen_now.append(frozen)
    if frozen_now:
        await queue_digests(deps, frozen_now[-1].period, report)
    return frozen_now


def _recipients(deps: Deps, group_id: str, kind: str) -> list[Recipient]:
    platform: Platform
    if kind == "team":
        team = deps.directory.team(group_id)
        if team is None:
            return []
        platform, leads = team.platform, team.leads
    elif kind == "department":
        dept = deps.org.department(group_id)
        if dept is None:
            return []
        platform, leads = dept.platform, dept.leads
    else:
        platform, leads = deps.org.platform, deps.org.leads
    return [Recipient(platform, user_id=lead) for lead in sorted(leads)]


async def queue_digests(deps: Deps, period: str, report: JobReport) -> int:
    """Queue every lead's digest of a frozen period, then mark the period as sent on.

    Keys make this safe to repeat, which is how a crash between freezing and queueing heals:
    the next tick finds the newest period not marked and queues it again.
    """
    now = deps.clock.now()
    queued = 0
    for digest in (await all_digests(deps)).values():
        if digest.period != period:
            continue
        recipients = _recipients(deps, digest.group_id, digest.kind)
        if not recipients:
            continue
        # Each lead reads the digest in their language; one card a language.
        team_id = digest.group_id if digest.kind == "team" else None
        cards: dict[str, Card] = {}
        for recipient in recipients:
            locale = await deps.languages.of(recipient.platform, recipient.user_id or "", team_id)
            if locale not in cards:
                with use_locale(locale):
                    cards[locale] = await card_drawn_aside(deps, digest)
            card = cards[locale]
            key = f"digest:{period}:{digest.group_id}:{recipient.key}"
            if await deps.outbox.enqueue(key, recipient, card, now):
                queued += 1
        DIGESTS.labels(digest.kind, "no" if digest.suppressed else "yes").inc()
        state = "suppressed (too few responses)" if digest.suppressed else "released"
        report.say(f"{digest_title(digest)}: {state}; for {len(recipients)} lead(s)")
    report.say(f"{period}: {queued} digest message(s) queued")
    await deps.digests.mark_queued(period, now)
    return queued
