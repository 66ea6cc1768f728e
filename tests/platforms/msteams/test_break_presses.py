"""Break uptake cannot be inflated on Teams: Done and Skip sent as Bot Framework activities count
only for a prompt really sent to the presser, once, even after the server restarts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.config import Settings
from bot.demo.bot_connector import FakeConnector
from bot.infra.clock import FixedClock
from tests.support.breaks_sim import deliver, ticker
from tests.support.msteams_driver import personal_conversation
from tests.support.msteams_harness import TeamsHarness, start_teams_harness, teams_roster

SECRET = "break-presses-secret-0123456789abcdef"
WEEK = (datetime(2026, 11, 30, tzinfo=UTC), datetime(2026, 12, 7, tzinfo=UTC))


async def _prompt_everyone(h: TeamsHarness) -> None:
    for hour, minute in ((8, 0), (10, 50)):
        h.clock.set(datetime(2026, 11, 30, hour, minute, tzinfo=UTC))
        await ticker(h.respite).tick(h.respite.deps)
        await deliver(h.respite)


def _teams_data(h: TeamsHarness, person: int) -> dict[str, dict[str, Any]]:
    for call in h.connector.of("send", "reply"):
        if call.conversation_id != personal_conversation(person):
            continue
        for attachment in call.body.get("attachments") or []:
            card = attachment.get("content") or {}
            if "short break" in repr(card):
                return {a["data"]["respite_action"]: a["data"] for a in card.get("actions", [])}
    raise AssertionError(f"no break prompt was sent to person {person}")


async def _press(h: TeamsHarness, person: int, data: dict[str, Any]) -> None:
    resp = await h.teams.post(h.teams.activity("message_submit.json", person, value=data))
    assert resp.status == 200


async def test_teams_presses_count_only_for_prompts_sent_to_the_presser(
    database_url: str, fake_connector: FakeConnector, clock: FixedClock
) -> None:
    settings = Settings(database_url=database_url, respite_secret=SECRET)
    for n in range(2):
        h, session = await start_teams_harness(settings, fake_connector, clock, teams_roster())
        try:
            store = h.respite.deps.breaks
            assert store is not None
            if n == 0:
                # Persons 2 and 4 have talked to Respite, so it can reach them; person 3 has
                # not, so their prompt cannot go out.
                clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
                for person in (2, 4):
                    assert (await h.teams.say(person, "breaks resume")).status == 200
                await _prompt_everyone(h)
                done = _teams_data(h, 2)["break_done"]
                for forged in ("2026-11-30T10:51|0", "2026-12-01T10:50|0", "junk", ""):
                    await _press(h, 2, {**done, "respite_value": forged})
                await _press(h, 3, done)  # a prompt person 3 was never sent
                for _ in range(50):
                    await _press(h, 2, done)
                await _press(h, 2, _teams_data(h, 2)["break_skip_today"])
            else:
                # After the restart the press is still remembered; person 4's first one counts.
                await _press(h, 2, done)
                await _press(h, 4, _teams_data(h, 4)["break_skip_today"])
            prompted, pressed_done, skipped = await store.break_uptake("harbour", *WEEK)
            assert (pressed_done, skipped) == ((1, 0) if n == 0 else (1, 1))
            assert prompted >= 2
        finally:
            await session.close()
            await h.server.close()
            await h.respite.close()
