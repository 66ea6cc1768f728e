"""Break prompts on every platform: the `breaks` commands and their errors, a prompt and its
buttons, and a calendar address that is kept but never shown back. Every hint names the command
as the person types it on their platform (`/respite breaks ...` on Slack, `breaks ...` on Teams)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from bot.storage.tables import break_people, break_uptake
from tests.support.breaks_sim import deliver, rows, ticker
from tests.support.flows import Flow

SECRET = "private-feed-token-1234abcd"


async def _settings(flow: Flow, person: int) -> Any:
    found = [r for r in await rows(flow.respite, break_people) if r.user_id == flow.user(person)]
    return found[0] if found else None


async def _tick_and_deliver(flow: Flow) -> None:
    await ticker(flow.respite).tick(flow.respite.deps)
    await deliver(flow.respite)


async def test_breaks_commands_and_errors(flow: Flow) -> None:
    saved = await flow.say(1, "breaks at 14:50 10:50")
    assert "Break times saved" in saved.text and "10:50 14:50" in saved.text
    before = await _settings(flow, 1)

    for bad, form in [
        ("breaks at 10:50 25:00", "breaks at 10:50 14:50"),
        ("breaks hours 08:00-17:00 mon-funday", "breaks hours 08:00-17:00 mon-fri"),
        ("breaks hours 17:00-17:00", "breaks hours 08:00-17:00 mon-fri"),
        ("breaks pause until 2026-02-30", "breaks pause until 2026-12-01"),
        ("breaks pause 3x", "breaks pause 3d"),
        ("breaks zone Atlantis/Capital", "breaks zone Europe/London"),
    ]:
        shown = await flow.say(1, bad)
        assert "didn't work" in shown.text, bad
        assert flow.typed(form) in shown.text, bad
        assert "Nothing was changed" in shown.text
        assert await _settings(flow, 1) == before, bad  # nothing half-saved

    assert "07:30-16:00 mon-thu" in (await flow.say(1, "breaks hours 07:30-16:00 mon-thu")).text
    paused = (await flow.say(1, "breaks pause until 2026-12-03")).text
    assert "Paused until" in paused and "Thursday 03 December 2026" in paused
    assert "Paused until" not in (await flow.say(1, "breaks resume")).text
    assert "Break prompts are off" in (await flow.say(1, "breaks off")).text
    assert "Break prompts are on" in (await flow.say(1, "breaks on")).text
    status = (await flow.say(1, "breaks")).text
    assert "Next prompt" in status and "Mon 30 Nov, 10:50" in status


async def test_hints_name_the_command_as_it_is_typed_here(flow: Flow) -> None:
    wrong = (await flow.say(1, "breaks at 25:00")).text
    assert flow.typed("breaks at 10:50 14:50") in wrong
    saved = (await flow.say(1, "breaks pause 1w")).text
    assert "Break prompts paused" in saved
    assert flow.typed("breaks pause 1w") in saved
    assert flow.typed("breaks calendar off") in saved
    assert flow.typed("kudos-names off") in (await flow.say(1, "privacy")).text
    assert "breaks" in (await flow.say(1, "help")).text


async def test_prompt_buttons_count_per_team_week_only(flow: Flow) -> None:
    flow.clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    # Person 1 has spoken to Respite before, so a platform that reports a person's time zone
    # with every message (Teams) has done so before the press below.
    await flow.say(1, "breaks")
    await _tick_and_deliver(flow)
    flow.clock.set(datetime(2026, 11, 30, 10, 50, tzinfo=UTC))
    await _tick_and_deliver(flow)
    [prompt] = flow.prompts(1)
    assert list(prompt.buttons) == ["break_done", "break_snooze", "break_skip_today", "break_pause"]
    for label in ("Done", "Snooze 10 min", "Skip today", "Pause breaks"):
        assert label in prompt.text
    assert f"Settings: {flow.typed('breaks status')}" in prompt.text

    before = await _settings(flow, 1)
    answers = [
        await flow.press(1, prompt, "break_done"),
        await flow.press(1, prompt, "break_done"),  # a double press counts once
        await flow.press(2, flow.prompts(2)[0], "break_skip_today"),
        await flow.press(3, flow.prompts(3)[0], "break_snooze"),
    ]
    titles = Counter(a.text.strip().splitlines()[0] for a in answers)
    assert titles["Nicely done"] == 2, titles
    assert titles["No more break prompts today"] == 1, titles
    assert titles["Snoozed for 10 minutes"] == 1, titles
    assert flow.typed("breaks resume") + " undoes it" in answers[2].text

    store = flow.respite.deps.breaks
    assert store is not None
    week = (datetime(2026, 11, 30, tzinfo=UTC), datetime(2026, 12, 7, tzinfo=UTC))
    assert await store.break_uptake(flow.team_id, *week) == (8, 1, 1)
    # Pressing Done leaves no trace on the person's own row.
    assert await _settings(flow, 1) == before
    # Nothing that counts uptake names a person.
    [uptake] = await rows(flow.respite, break_uptake)
    assert set(uptake._mapping) == {
        "team_id",
        "week_start",
        "week_end",
        "prompted",
        "done",
        "skipped",
    }

    # Snoozed: back ten minutes later, once.
    flow.clock.set(datetime(2026, 11, 30, 11, 0, tzinfo=UTC))
    await _tick_and_deliver(flow)
    assert len(flow.prompts(3)) == 2
    # Skipped today: no more prompts for person 2 today; tomorrow they return.
    flow.clock.set(datetime(2026, 11, 30, 11, 50, tzinfo=UTC))
    await _tick_and_deliver(flow)
    assert len(flow.prompts(2)) == 1 and len(flow.prompts(1)) == 2
    flow.clock.set(datetime(2026, 12, 1, 10, 50, tzinfo=UTC))
    await _tick_and_deliver(flow)
    await _tick_and_deliver(flow)
    assert len(flow.prompts(2)) == 2

    # Pause breaks: a week without prompts.
    paused = await flow.press(1, flow.prompts(1)[-1], "break_pause")
    assert "paused for a week" in paused.text
    count = len(flow.prompts(1))
    flow.clock.set(datetime(2026, 12, 1, 11, 50, tzinfo=UTC))
    await _tick_and_deliver(flow)
    assert len(flow.prompts(1)) == count
    assert len(flow.prompts(2)) == 3


async def test_a_calendar_address_is_kept_and_never_shown_back(flow: Flow) -> None:
    url = f"https://calendar.example/private/{SECRET}/basic.ics"
    connected = (await flow.say(1, f"breaks calendar {url}")).text
    assert "Calendar connected" in connected and SECRET not in connected
    assert SECRET not in (await flow.say(1, "breaks status")).text
    assert flow.respite.deps.breaks is not None
    found = await flow.respite.deps.breaks.get(flow.platform, flow.user(1))
    assert found is not None and found.calendar_url == url
    assert (await rows(flow.respite, break_people))[0].platform == flow.platform.value
    assert (
        SECRET not in (await flow.say(1, f"breaks calendar ftp://calendar.example/{SECRET}")).text
    )
    assert "Calendar disconnected" in (await flow.say(1, "breaks calendar off")).text
