"""Recognition counts and break-prompt uptake in digests: through the PeriodActivity port, under
the same release rules as the pulse figures, frozen with the period."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import datetime

from bot.app.compose import build
from bot.config import Settings, parse_roster
from bot.domain.digest_present import digest_json
from bot.domain.messages import Platform
from bot.domain.org import period_window
from bot.domain.ports import NullActivity, PeriodActivity
from bot.infra.clock import FixedClock
from handlers.digest import group_digest
from scheduler import pulse
from tests.support.roster import MONDAY
from tests.support.rounds import BEFORE_REORG

KUDOS = {"riverside": 3, "lighthouse": 2, "harbour": 1, "delta": 0}


class FakeActivity:
    def __init__(self) -> None:
        self.windows: set[tuple[datetime, datetime]] = set()
        self.besides: dict[str, set[tuple[Platform, str]]] = {}

    async def kudos_count(self, team_id: str, start: datetime, end: datetime) -> int:
        self.windows.add((start, end))
        return KUDOS[team_id]

    async def break_uptake(
        self, team_id: str, start: datetime, end: datetime
    ) -> tuple[int, int, int]:
        return (10, 2, 6)

    async def people_prompted(
        self,
        team_id: str,
        start: datetime,
        end: datetime,
        besides: Collection[tuple[Platform, str]] = (),
    ) -> int:
        self.besides[team_id] = set(besides)
        return 6


def test_the_fake_and_the_null_implementation_fit_the_port() -> None:
    ports: list[PeriodActivity] = [FakeActivity(), NullActivity()]
    assert len(ports) == 2


async def _week(database_url: str, activity: PeriodActivity | None) -> dict[str, dict]:  # type: ignore[type-arg]
    from datetime import timedelta

    clock = FixedClock(MONDAY)
    respite = await build(
        Settings(database_url=database_url), clock=clock, roster=parse_roster(BEFORE_REORG)
    )
    deps = respite.deps if activity is None else replace(respite.deps, activity=activity)
    try:
        clock.set(MONDAY.replace(hour=10))
        await pulse.tick(deps)
        answering = {"riverside": 7, "lighthouse": 6, "harbour": 2, "delta": 8}
        for team_id, n in answering.items():
            team = deps.directory.team(team_id)
            assert team is not None
            rnd = next(r for r in await deps.rounds.open_rounds() if r.team_id == team_id)
            for user in sorted(team.members)[:n]:
                await deps.rounds.record_response(
                    rnd.id,
                    team_id,
                    team.platform,
                    user,
                    {
                        "drained": 3,
                        "recharged": 3,
                        "going_through_motions": 2,
                        "made_a_difference": 4,
                        "caseload": 3,
                        "supported": 4,
                    },
                )
        clock.advance(timedelta(hours=72))
        await pulse.tick(deps)
        out = {}
        for gid in ("riverside", "lighthouse", "harbour", "adult", "organisation"):
            d = await group_digest(deps, gid)
            assert d is not None
            out[gid] = digest_json(d)
        return out
    finally:
        await respite.close()


async def test_counts_follow_the_release_rules(database_url: str) -> None:
    activity = FakeActivity()
    digests = await _week(database_url, activity)
    assert digests["riverside"]["kudos"] == 3
    assert digests["riverside"]["break_uptake"] == {"prompted": 10, "done": 2, "skipped": 6}
    # Harbour is too small and Lighthouse protects it: neither shows a count.
    for gid in ("harbour", "lighthouse"):
        assert digests[gid]["suppressed"]
        assert digests[gid]["kudos"] is None and digests[gid]["break_uptake"] is None
    assert digests["adult"]["kudos"] == 6
    assert digests["organisation"]["kudos"] == 6
    assert digests["organisation"]["break_uptake"]["prompted"] == 40
    # Counted over the period (ISO week) the rounds belong to.
    assert activity.windows == {period_window(digests["riverside"]["period"])}
    # People prompted are counted without the team's readers: its leads and those above it.
    assert (Platform.SLACK, "UORG001") in activity.besides["riverside"]
    assert any(user.startswith("ULEAD") for _p, user in activity.besides["riverside"])


async def test_as_built_the_real_stores_count(database_url: str) -> None:
    digests = await _week(database_url, None)
    # Nobody gave kudos in this week: a real zero, not a missing line. Nobody had a break
    # prompt either, and uptake is shown only with at least k people prompted behind it.
    assert digests["riverside"]["kudos"] == 0
    assert digests["riverside"]["break_uptake"] is None
    assert digests["harbour"]["kudos"] is None


async def test_without_those_features_the_lines_stay_out(database_url: str) -> None:
    digests = await _week(database_url, NullActivity())
    assert digests["riverside"]["kudos"] is None
    assert digests["riverside"]["break_uptake"] is None
    assert "Recognition" not in str(digests["riverside"])
