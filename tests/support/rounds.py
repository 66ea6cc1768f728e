"""Running whole pulse rounds against a real database, without a chat platform."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.app.compose import Respite
from bot.infra.clock import FixedClock
from scheduler import pulse

ANSWERS = {
    "drained": 4,
    "recharged": 2,
    "going_through_motions": 3,
    "made_a_difference": 3,
    "caseload": 4,
    "supported": 2,
}


async def run_week(
    respite: Respite,
    clock: FixedClock,
    answering: dict[str, int],
    answers: dict[str, int] | None = None,
) -> None:
    """Open this week's rounds at Monday 10:00, record answers, close them on Thursday."""
    deps = respite.deps
    clock.set(clock.now().replace(hour=10, minute=0))
    await pulse.tick(deps)
    for team_id, count in answering.items():
        team = deps.directory.team(team_id)
        assert team is not None
        rnd = next(r for r in await deps.rounds.open_rounds() if r.team_id == team_id)
        for user in sorted(team.members)[:count]:
            assert await deps.rounds.record_response(
                rnd.id, team_id, team.platform, user, answers or ANSWERS
            )
    clock.advance(timedelta(hours=72))
    await pulse.tick(deps)
    # On to next Monday, 09:00.
    clock.advance(timedelta(days=4, hours=-1))


def members(prefix: str, n: int) -> list[str]:
    return [f"U{prefix}{i:05d}" for i in range(1, n + 1)]


def roster(departments: list[dict[str, Any]], sizes: dict[str, int]) -> dict[str, Any]:
    return {
        "organisation": {"name": "Northside Clinics", "leads": ["UORG001"]},
        "departments": departments,
        "teams": [
            {
                "id": tid,
                "name": tid.title(),
                "timezone": "UTC",
                "members": members(tid[:2].upper(), n),
                "leads": [f"ULEAD{tid[:2].upper()}"],
            }
            for tid, n in sizes.items()
        ],
    }


# Four teams in two departments, before and after Riverside moves from Adult to Child.
REORG_SIZES = {"riverside": 8, "lighthouse": 7, "harbour": 6, "delta": 9}


BEFORE_REORG = roster(
    [
        {"id": "adult", "name": "Adult", "teams": ["riverside", "lighthouse", "harbour"]},
        {"id": "child", "name": "Child", "teams": ["delta"]},
    ],
    REORG_SIZES,
)


AFTER_REORG = roster(
    [
        {"id": "adult", "name": "Adult", "teams": ["lighthouse", "harbour"]},
        {"id": "child", "name": "Child", "teams": ["delta", "riverside"]},
    ],
    REORG_SIZES,
)
