"""The release rules through the real scheduler and stores, on SQLite and PostgreSQL.

Each test runs whole weeks (rounds opened, answered, closed and frozen by `pulse.tick`) and
reads what a lead would read (`group_digest`) and what a backup would hold (every table).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app.compose import Respite, build
from bot.config import Settings, parse_roster
from bot.infra.clock import FixedClock
from bot.storage.tables import (
    digest_groups,
    metadata,
    outbox,
    pulse_participation,
    pulse_responses,
    release_people,
    round_figures,
)
from handlers.digest import group_digest
from scheduler import pulse
from tests.support.roster import MONDAY
from tests.support.rounds import ANSWERS, members, run_week

SECRET = "s" * 40


def _team(tid: str, n: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": tid,
        "name": tid.title(),
        "timezone": "UTC",
        "members": members(tid[:2].upper(), n),
        "leads": [f"ULEAD{tid[:2].upper()}"],
        **extra,
    }


async def _respite(database_url: str, data: dict[str, Any]) -> tuple[Respite, FixedClock]:
    clock = FixedClock(MONDAY)
    settings = Settings(database_url=database_url, respite_secret=SECRET)
    return await build(settings, clock=clock, roster=parse_roster(data)), clock


async def _rows(respite: Respite, table: Any) -> list[dict[str, Any]]:
    async with AsyncSession(respite.engine) as s:
        return [dict(r._mapping) for r in await s.execute(select(table))]


async def test_two_rounds_in_a_week_count_three_people_as_three(database_url: str) -> None:
    """A team of three with rounds on Monday and Thursday (Monday's closes as Thursday's opens):
    six answers, three people, below the minimum of five. Counting answers would release the
    team as "6 of 3"."""
    data = {
        "organisation": {"name": "Org", "leads": ["UORG001"]},
        "teams": [
            _team(
                "trio",
                3,
                pulse={"cron": "0 10 * * mon,thu", "open_hours": 72, "remind_after_hours": 48},
            ),
        ],
    }
    respite, clock = await _respite(database_url, data)
    try:
        deps = respite.deps
        team = deps.directory.team("trio")
        assert team is not None
        for opens in (MONDAY.replace(hour=10), MONDAY.replace(hour=10) + timedelta(days=3)):
            clock.set(opens)
            await pulse.tick(deps)
            rnd = next(r for r in await deps.rounds.open_rounds() if r.team_id == "trio")
            for user in sorted(team.members):
                assert await deps.rounds.record_response(
                    rnd.id, "trio", team.platform, user, ANSWERS
                )
        # Sunday 10:00: the Thursday round has closed, and with it the week.
        clock.advance(timedelta(hours=72))
        await pulse.tick(deps)
        digest = await group_digest(deps, "trio")
        assert digest is not None and digest.suppressed and digest.respondents is None
        org = await group_digest(deps, "organisation")
        assert org is not None and org.suppressed
    finally:
        await respite.close()


async def test_a_newcomer_beside_last_weeks_five_shows_bands_only(database_url: str) -> None:
    """Week 1: five of six answer. Week 2: the same five and the sixth. Exact week-2 figures
    less week 1's would be the sixth person's answers: week 2 shows bands, without numbers."""
    data = {"organisation": {"name": "Org", "leads": ["UORG001"]}, "teams": [_team("six", 6)]}
    respite, clock = await _respite(database_url, data)
    try:
        deps = respite.deps
        await run_week(respite, clock, {"six": 5})
        first = await group_digest(deps, "six")
        assert first is not None and first.respondents == 5 and not first.bands_only
        await run_week(respite, clock, {"six": 6})
        second = await group_digest(deps, "six")
        assert second is not None and second.period != first.period
        assert second.bands_only and second.respondents is None
        assert all(line.mean is None for line in second.dimensions)
        # The organisation is the same people: it does not give the sixth away either.
        org = await group_digest(deps, "organisation")
        assert org is not None and org.period == second.period and org.respondents is None
        stored = [r for r in await _rows(respite, digest_groups) if r["period"] == second.period]
        assert stored and all(r["figures"] is None and r["respondents"] is None for r in stored)
    finally:
        await respite.close()


async def test_a_frozen_period_leaves_nothing_of_its_rounds(database_url: str) -> None:
    """Once a period is frozen its rounds' participation and per-round figures are gone (the
    answers went at close); who answered survives only as keyed marks, for the trend window."""
    data = {"organisation": {"name": "Org", "leads": ["UORG001"]}, "teams": [_team("ward", 8)]}
    respite, clock = await _respite(database_url, data)
    try:
        await run_week(respite, clock, {"ward": 7})
        for table in (pulse_responses, pulse_participation, round_figures):
            assert await _rows(respite, table) == [], table.name
        marks = await _rows(respite, release_people)
        assert len(marks) == 7  # each person once, under the region that holds them
        # Nor do its invitations and reminders stay: reminders went to those who had not
        # answered. (What remains in the outbox are the leads' digests.)
        mail = await _rows(respite, outbox)
        assert mail and not any(r["key"].startswith(("pulse-invite", "pulse-remind")) for r in mail)
        everything = {t.name: await _rows(respite, t) for t in metadata.sorted_tables}
        blob = json.dumps(everything, default=str)
        team = respite.deps.directory.team("ward")
        assert team is not None
        assert not any(user in blob for user in team.members)
    finally:
        await respite.close()


async def test_groups_nobody_reads_are_neither_released_nor_stored(database_url: str) -> None:
    """Teams of 4 and 5 answers under an organisation nobody leads: only the teams' leads read
    anything, so the team of five shows its figures and no organisation row exists."""
    data = {"teams": [_team("four", 6), _team("five", 6)]}
    respite, clock = await _respite(database_url, data)
    try:
        await run_week(respite, clock, {"four": 4, "five": 5})
        stored = {r["group_id"]: r for r in await _rows(respite, digest_groups)}
        assert set(stored) == {"four", "five"}
        assert stored["five"]["released"] and not stored["four"]["released"]
        five = await group_digest(respite.deps, "five")
        assert five is not None and five.respondents == 5
    finally:
        await respite.close()


async def test_a_lead_who_answers_is_counted_out(database_url: str) -> None:
    """The lead is a member and answers: five answers are four besides the lead, who would
    learn the other four's sum from the team's figure. Six answers are enough."""
    team = _team("led", 7)
    lead = team["members"][0]
    team["leads"] = [lead]
    data = {"teams": [team]}
    respite, clock = await _respite(database_url, data)
    try:
        await run_week(respite, clock, {"led": 5})  # the first five members, the lead among them
        first = await group_digest(respite.deps, "led")
        assert first is not None and first.suppressed
        await run_week(respite, clock, {"led": 7})
        second = await group_digest(respite.deps, "led")
        assert second is not None and not second.suppressed
    finally:
        await respite.close()


async def test_a_week_frozen_late_is_checked_against_the_weeks_frozen_before_it(
    database_url: str,
) -> None:
    """A monthly team's fortnight-long round holds week 49 open, so weeks 50 and 51 are frozen
    first. Week 49 had five of the ward, week 50 the same five and a newcomer: when week 49 is
    frozen at last it must not show exact figures beside week 50's, or the organisation's lead
    would subtract the newcomer's answers."""
    ward = members("WA", 8)
    data = {
        "organisation": {"name": "Org", "leads": ["UORG001"]},
        "teams": [
            {"id": "ward", "name": "Ward", "timezone": "UTC", "members": ward, "leads": ["LW"]},
            _team(
                "monthly",
                6,
                pulse={"cron": "0 10 6 * *", "open_hours": 336, "remind_after_hours": 48},
            ),
        ],
    }
    plan = [ward[:5], [*ward[:5], ward[7]], [*ward[:5], ward[7]]]
    respite, clock = await _respite(database_url, data)
    try:
        deps = respite.deps
        team = deps.directory.team("ward")
        assert team is not None
        answered: list[str] = []
        for hour in range(0, 24 * 23, 6):
            clock.set(MONDAY + timedelta(hours=hour + 1))
            await pulse.tick(deps)
            for rnd in await deps.rounds.open_rounds():
                if rnd.team_id != "ward" or rnd.id in answered:
                    continue
                for user in plan[len(answered)] if len(answered) < len(plan) else []:
                    await deps.rounds.record_response(rnd.id, "ward", team.platform, user, ANSWERS)
                answered.append(rnd.id)
        frozen = await _rows(respite, digest_groups)
        by_week = {
            r["period"]: r for r in frozen if r["group_id"] == "organisation" and r["released"]
        }
        # Weeks 50 and 51 were frozen first and show figures; week 49, frozen last, does not.
        assert "2026-W50" in by_week and "2026-W49" not in by_week
    finally:
        await respite.close()


async def test_everyone_at_the_end_of_the_scale_shows_bands(database_url: str) -> None:
    """Six of six rate their caseload 5: a demands mean of 5.00 would say that every one of
    them did. The week shows bands."""
    data = {"organisation": {"name": "Org", "leads": ["UORG001"]}, "teams": [_team("ward", 6)]}
    respite, clock = await _respite(database_url, data)
    try:
        await run_week(respite, clock, {"ward": 6}, dict(ANSWERS, caseload=5))
        digest = await group_digest(respite.deps, "ward")
        assert digest is not None and digest.bands_only and digest.respondents is None
        demands = next(line for line in digest.dimensions if line.id == "demands")
        assert demands.band == "concern" and demands.mean is None
    finally:
        await respite.close()
