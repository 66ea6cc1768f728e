"""When a period is frozen: only once every round of the week is in, so a late round can never
change a department figure that was already shown."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app.compose import Respite, build
from bot.config import Settings, parse_roster
from bot.domain.messages import card_from_dict
from bot.infra.clock import FixedClock
from bot.storage.tables import outbox
from handlers.digest import group_digest
from scheduler import pulse
from tests.support.roster import MONDAY
from tests.support.rounds import ANSWERS, roster


def _roster(b_cron: str) -> dict[str, Any]:
    data = roster(
        [{"id": "adult", "name": "Adult", "teams": ["alpha", "bravo"]}],
        {"alpha": 8, "bravo": 8},
    )
    data["teams"][1]["pulse"] = {"cron": b_cron, "open_hours": 72, "remind_after_hours": 48}
    return data


async def _respite(database_url: str, bravo_cron: str) -> tuple[Respite, FixedClock]:
    """Alpha checks in on Mondays, bravo on its own schedule; the clock starts Monday 09:00."""
    clock = FixedClock(MONDAY)
    roster = parse_roster(_roster(bravo_cron))
    return await build(Settings(database_url=database_url), clock=clock, roster=roster), clock


async def _answer(respite: Any, team_id: str, n: int) -> None:
    deps = respite.deps
    team = deps.directory.team(team_id)
    rnd = next(r for r in await deps.rounds.open_rounds() if r.team_id == team_id)
    for user in sorted(team.members)[:n]:
        assert await deps.rounds.record_response(rnd.id, team_id, team.platform, user, ANSWERS)


async def test_a_round_still_open_in_the_week_holds_the_period(database_url: str) -> None:
    respite, clock = await _respite(database_url, "0 10 * * thu")
    try:
        deps = respite.deps
        clock.set(MONDAY.replace(hour=10))
        await pulse.tick(deps)
        await _answer(respite, "alpha", 7)
        clock.set(
            MONDAY.replace(hour=10) + timedelta(days=3)
        )  # Thursday: alpha closes, bravo opens
        report = await pulse.tick(deps)
        assert not any("frozen" in line for line in report.lines)
        assert await group_digest(deps, "adult") is None
        await _answer(respite, "bravo", 6)
        clock.advance(timedelta(hours=72))  # Sunday: bravo closes
        report = await pulse.tick(deps)
        assert any("figures frozen" in line for line in report.lines)
        adult = await group_digest(deps, "adult")
        assert adult is not None and adult.respondents == 13
    finally:
        await respite.close()


async def test_a_team_with_no_round_scheduled_that_week_holds_nobody_back(
    database_url: str,
) -> None:
    respite, clock = await _respite(database_url, "0 10 15 * *")  # beta checks in on the 15th only
    try:
        deps = respite.deps
        clock.set(MONDAY.replace(hour=10))
        await pulse.tick(deps)
        await _answer(respite, "alpha", 7)
        clock.advance(timedelta(hours=71))
        await pulse.tick(deps)
        assert await group_digest(deps, "alpha") is None  # alpha's round is still open
        clock.advance(timedelta(hours=1))
        await pulse.tick(deps)
        alpha = await group_digest(deps, "alpha")
        adult = await group_digest(deps, "adult")
        assert alpha is not None and not alpha.suppressed and alpha.respondents == 7
        # The department is alpha alone this period: same people, same figure.
        assert adult is not None and adult.respondents == 7
        assert [c.group_id for c in adult.children] == ["alpha"]
    finally:
        await respite.close()


async def _both_answer_until_close(respite: Respite, clock: FixedClock, bravo: int) -> None:
    """Monday's rounds open; 7 answer in alpha and `bravo` in bravo; 72 hours pass."""
    clock.set(MONDAY.replace(hour=10))
    await pulse.tick(respite.deps)
    await _answer(respite, "alpha", 7)
    await _answer(respite, "bravo", bravo)
    clock.advance(timedelta(hours=72))


class _Crash(Exception):
    pass


class _CrashingOutbox:
    """An outbox whose process dies on the first message it is asked to queue."""

    async def enqueue(self, *args: Any, **kwargs: Any) -> bool:
        raise _Crash


async def test_digests_are_queued_after_a_crash_between_freezing_and_queueing(
    database_url: str,
) -> None:
    respite, clock = await _respite(database_url, "0 10 * * mon")
    try:
        deps = respite.deps
        await _both_answer_until_close(respite, clock, bravo=6)
        crashing = dataclasses.replace(deps, outbox=_CrashingOutbox())
        with pytest.raises(_Crash):
            await pulse.tick(crashing)  # frozen, then the process dies before queueing
        assert await group_digest(deps, "adult") is not None

        report = await pulse.tick(deps)  # the next tick, after a restart
        assert any("digest message(s) queued" in line for line in report.lines)
        async with AsyncSession(respite.engine) as s:
            digests = await s.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.key.like("digest:%"))
            )
        assert digests and digests > 0
        again = await pulse.tick(deps)  # marked: nothing queued twice, nothing said
        assert not any("digest message(s) queued" in line for line in again.lines)
    finally:
        await respite.close()


async def test_queued_digests_carry_their_chart_only_where_a_trend_is_shown(
    database_url: str,
) -> None:
    respite, clock = await _respite(database_url, "0 10 * * mon")
    try:
        deps = respite.deps
        # Bravo is withheld, and alpha with it to protect bravo.
        await _both_answer_until_close(respite, clock, bravo=2)
        await pulse.tick(deps)
        async with AsyncSession(respite.engine) as s:
            rows = (
                await s.execute(
                    select(outbox.c.key, outbox.c.card).where(outbox.c.key.like("digest:%"))
                )
            ).all()
    finally:
        await respite.close()
    cards = {key.split(":")[2]: card_from_dict(card) for key, card in rows}
    assert set(cards) == {"organisation", "alpha", "bravo"}  # the department has no lead here
    shown = cards["organisation"].image
    assert shown is not None and shown.png.startswith(b"\x89PNG") and shown.alt_text
    assert cards["alpha"].image is None and cards["bravo"].image is None
