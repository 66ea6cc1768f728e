"""The audit log on Teams: a lead's `digest` in their 1:1 chat with the bot is noted (their
Entra object id, the team, the moment); a member's refused `digest` is not."""

from __future__ import annotations

from datetime import timedelta

from bot.storage.tables import audit_log
from scheduler import pulse
from tests.support.department import audit_entries
from tests.support.msteams_driver import aad
from tests.support.msteams_harness import LEAD, MEMBERS, TeamsHarness

ANSWERS = {
    "drained": "4",
    "recharged": "2",
    "going_through_motions": "3",
    "made_a_difference": "3",
    "caseload": "4",
    "supported": "2",
}


async def test_a_teams_leads_digest_read_is_audited(
    teams_app: TeamsHarness,
    database_url: str,
) -> None:
    h = teams_app
    await pulse.open_round(h.respite.deps, "harbour")
    await h.deliver()
    form = {"respite_form": "pulse", "respite_context": "harbour"}
    for n in MEMBERS[:6]:
        await h.teams.say(n, "checkin")
        await h.teams.submit(n, form, ANSWERS, f"form-{n}")
    h.clock.advance(timedelta(hours=73))
    await pulse.tick(h.respite.deps)  # close and freeze
    await h.deliver()
    assert await h.count(audit_log) == 0
    await h.teams.say(7, "digest")
    read_at = h.clock.now()
    await h.teams.say(LEAD, "digest")
    titles = [c["body"][0]["text"] for c in h.connector.cards()]
    assert any(t.startswith("Respite digest") for t in titles)
    logged = await audit_entries(database_url)
    assert [(e.actor, e.action, e.subject, e.via) for e in logged] == [
        (f"teams:{aad(LEAD)}", "digest.read", "harbour", "chat")
    ]
    assert logged[0].at == read_at
