"""The sample department (data/rosters/department.yaml: three teams, a department, an
organisation) run through a whole Slack round, and the audit entries that follow from it."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

import yaml

from bot.domain.ports import AuditEntry
from bot.storage.audit import SqlAuditLog
from bot.storage.db import create_engine_async, session_factory
from scheduler import pulse
from tests.support.slack_harness import SlackHarness
from tests.support.waiting import settle

ROSTER = yaml.safe_load(
    (Path(__file__).parents[1] / "data" / "rosters" / "department.yaml").read_text()
)


ANSWERS = {
    "drained": 4,
    "recharged": 2,
    "going_through_motions": 3,
    "made_a_difference": 3,
    "caseload": 4,
    "supported": 2,
}


# Riverside and Lighthouse answer well; Harbour has two answers, below the minimum of 5.
ANSWERING = {"riverside": 7, "lighthouse": 6, "harbour": 2}


async def run_round(h: SlackHarness) -> None:
    deps = h.respite.deps
    h.clock.set(h.clock.now().replace(hour=10))
    await pulse.tick(deps)
    for team in ROSTER["teams"]:
        rnd = next(r for r in await deps.rounds.open_rounds() if r.team_id == team["id"])
        for user in team["members"][: ANSWERING[team["id"]]]:
            assert await deps.rounds.record_response(
                rnd.id, team["id"], deps.directory.team(team["id"]).platform, user, ANSWERS
            )
    h.fake.calls.clear()
    h.clock.advance(timedelta(hours=72))
    await pulse.tick(deps)
    await h.deliver()


async def ask(h: SlackHarness, user: str, text: str) -> str:
    before = len(h.fake.responses)
    resp = await h.slack.slash("/respite", text, user)
    assert resp.status == 200
    await settle(h.respite)
    assert len(h.fake.responses) > before
    return " ".join(r["text"] for r in h.fake.responses[before:])


SECRET = "audit-test-secret-0123456789abcdef0123456789"


async def audit_entries(url: str, since: datetime | None = None) -> list[AuditEntry]:
    engine = create_engine_async(url)
    try:
        return await SqlAuditLog(session_factory(engine)).entries(since)
    finally:
        await engine.dispose()


def audit_env(tmp_path: Path, url: str) -> dict[str, str]:

    path = tmp_path / "respite.yaml"
    path.write_text(yaml.safe_dump(ROSTER))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}
    env.update(RESPITE_CONFIG=str(path), DATABASE_URL=url, RESPITE_SECRET=SECRET)
    return env
