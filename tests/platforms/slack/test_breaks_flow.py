"""Break prompts through Slack's real protocol path: signed slash commands and button clicks into
the running app, prompts and Do Not Disturb checks landing on the fake Slack Web API."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.messages import Platform
from bot.storage.tables import break_people, break_uptake, outbox
from scheduler import pulse
from tests.support.breaks_sim import deliver, rows, ticker
from tests.support.roster import CLINICIANS
from tests.support.slack_harness import SlackHarness

U1, U2, U3 = CLINICIANS[:3]
SECRET = "private-feed-token-1234abcd"


async def _say(h: SlackHarness, text: str, user: str = U1) -> dict[str, Any]:
    before = len(h.fake.responses)
    resp = await h.slack.slash("/respite", text, user)
    assert resp.status == 200
    for _ in range(200):
        if len(h.fake.responses) > before:
            break
        await asyncio.sleep(0.02)
    reply: dict[str, Any] = h.fake.responses[-1]
    return reply


def _text(reply: dict[str, Any]) -> str:
    parts = [reply.get("text", "")]
    for block in reply.get("blocks", []):
        parts.append(str(block))
    return "\n".join(parts)


async def _settings(h: SlackHarness, user: str) -> Any:
    found = [r for r in await rows(h.respite, break_people) if r.user_id == user]
    return found[0] if found else None


async def _calendar(h: SlackHarness, user: str) -> str | None:
    """The address as the store opens it (it is sealed in the table)."""
    assert h.respite.deps.breaks is not None
    found = await h.respite.deps.breaks.get(Platform.SLACK, user)
    return found.calendar_url if found else None


async def test_breaks_commands_and_errors(slack_app: SlackHarness) -> None:
    h = slack_app
    reply = await _say(h, "breaks at 14:50 10:50")
    assert "Break times saved" in reply["text"]
    assert "10:50 14:50" in _text(reply)
    before = await _settings(h, U1)

    for bad, form in [
        ("breaks at 10:50 25:00", "breaks at 10:50 14:50"),
        ("breaks hours 08:00-17:00 mon-funday", "breaks hours 08:00-17:00 mon-fri"),
        ("breaks hours 17:00-17:00", "breaks hours 08:00-17:00 mon-fri"),
        ("breaks pause until 2026-02-30", "breaks pause until 2026-12-01"),
        ("breaks pause 3x", "breaks pause 3d"),
        ("breaks zone Atlantis/Capital", "breaks zone Europe/London"),
    ]:
        reply = await _say(h, bad)
        assert "didn't work" in reply["text"], bad
        assert form in _text(reply), bad
        assert "Nothing was changed" in _text(reply)
        assert await _settings(h, U1) == before, bad  # nothing half-saved

    reply = await _say(h, "breaks hours 07:30-16:00 mon-thu")
    assert "07:30-16:00 mon-thu" in _text(reply)
    reply = await _say(h, "breaks pause until 2026-12-03")
    assert "Paused until" in _text(reply) and "Thursday 03 December 2026" in _text(reply)
    reply = await _say(h, "breaks resume")
    assert "Paused until" not in _text(reply)
    reply = await _say(h, "breaks off")
    assert "Break prompts are off" in reply["text"]
    reply = await _say(h, "breaks on")
    assert "Break prompts are on" in reply["text"]
    reply = await _say(h, "breaks")
    assert "Next prompt" in _text(reply) and "Mon 30 Nov, 10:50" in _text(reply)

    url = f"https://calendar.example/private/{SECRET}/basic.ics"
    reply = await _say(h, f"breaks calendar {url}")
    assert "Calendar connected" in reply["text"]
    assert SECRET not in _text(reply)
    assert SECRET not in _text(await _say(h, "breaks status"))
    assert await _calendar(h, U1) == url
    reply = await _say(h, f"breaks calendar ftp://calendar.example/{SECRET}")
    assert SECRET not in _text(reply)

    help_text = _text(await _say(h, "help"))
    assert "breaks" in help_text


def _prompt_buttons(call: Any) -> dict[str, str]:
    for block in call.params["blocks"]:
        if block.get("type") == "actions":
            return {e["action_id"]: e.get("value", "") for e in block["elements"]}
    raise AssertionError("no buttons on the prompt")


async def _tick_and_deliver(h: SlackHarness) -> None:
    await ticker(h.respite).tick(h.respite.deps)
    await deliver(h.respite)


def _posted_to(h: SlackHarness, user: str, title: str = "short break") -> list[Any]:
    return [
        c
        for c in h.fake.called("chat.postMessage")
        if c.params.get("channel") == user and title in c.params.get("text", "")
    ]


async def test_prompt_buttons_count_per_team_week_only(slack_app: SlackHarness) -> None:
    h = slack_app
    h.clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    await _tick_and_deliver(h)
    h.clock.set(datetime(2026, 11, 30, 10, 50, tzinfo=UTC))
    await _tick_and_deliver(h)
    prompts = _posted_to(h, U1)
    assert len(prompts) == 1
    buttons = _prompt_buttons(prompts[0])
    assert set(buttons) == {"break_done", "break_snooze", "break_skip_today", "break_pause"}
    labels = [
        e["text"]["text"]
        for b in prompts[0].params["blocks"]
        if b.get("type") == "actions"
        for e in b["elements"]
    ]
    assert labels == ["Done", "Snooze 10 min", "Skip today", "Pause breaks"]

    before = await _settings(h, U1)
    await h.slack.click("break_done", buttons["break_done"], U1)
    await h.slack.click("break_done", buttons["break_done"], U1)  # a double click counts once
    await h.slack.click(
        "break_skip_today", _prompt_buttons(_posted_to(h, U2)[0])["break_skip_today"], U2
    )
    await h.slack.click("break_snooze", _prompt_buttons(_posted_to(h, U3)[0])["break_snooze"], U3)
    for _ in range(200):
        if len(h.fake.responses) >= 4:
            break
        await asyncio.sleep(0.02)
    titles = Counter(r["text"].splitlines()[0] for r in h.fake.responses)
    assert titles["Nicely done"] == 2
    assert titles["No more break prompts today"] == 1
    assert titles["Snoozed for 10 minutes"] == 1

    store = h.respite.deps.breaks
    assert store is not None
    week = (datetime(2026, 11, 30, tzinfo=UTC), datetime(2026, 12, 7, tzinfo=UTC))
    prompted, done, skipped = await store.break_uptake("riverside", *week)
    assert (prompted, done, skipped) == (len(CLINICIANS), 1, 1)
    # Pressing Done leaves no trace on the person's own row.
    assert await _settings(h, U1) == before
    # Nothing that counts uptake names a person.
    uptake = await rows(h.respite, break_uptake)
    assert len(uptake) == 1
    assert set(uptake[0]._mapping) == {
        "team_id",
        "week_start",
        "week_end",
        "prompted",
        "done",
        "skipped",
    }

    # Snoozed: back ten minutes later, once.
    h.clock.set(datetime(2026, 11, 30, 11, 0, tzinfo=UTC))
    await _tick_and_deliver(h)
    assert len(_posted_to(h, U3)) == 2
    # Skipped today: no more prompts for U2 today; tomorrow they return.
    h.clock.set(datetime(2026, 11, 30, 11, 50, tzinfo=UTC))
    await _tick_and_deliver(h)
    assert len(_posted_to(h, U2)) == 1 and len(_posted_to(h, U1)) == 2
    h.clock.set(datetime(2026, 12, 1, 10, 50, tzinfo=UTC))
    await _tick_and_deliver(h)
    await _tick_and_deliver(h)
    assert len(_posted_to(h, U2)) == 2

    # Pause breaks: a week without prompts.
    await h.slack.click("break_pause", _prompt_buttons(_posted_to(h, U1)[-1])["break_pause"], U1)
    for _ in range(200):
        if any("paused for a week" in r["text"] for r in h.fake.responses):
            break
        await asyncio.sleep(0.02)
    count = len(_posted_to(h, U1))
    h.clock.set(datetime(2026, 12, 1, 11, 50, tzinfo=UTC))
    await _tick_and_deliver(h)
    assert len(_posted_to(h, U1)) == count
    assert len(_posted_to(h, U2)) == 3


async def test_dnd_drops_prompts_and_holds_pulses(slack_app: SlackHarness) -> None:
    h = slack_app
    # U1's quiet hours this morning, as Slack reports them for someone other than the caller.
    h.fake.dnd[U1] = (
        datetime(2026, 11, 30, 9, tzinfo=UTC),
        datetime(2026, 11, 30, 11, 30, tzinfo=UTC),
    )
    h.clock.set(datetime(2026, 11, 30, 10, 0, tzinfo=UTC))
    await pulse.tick(h.respite.deps)  # the weekly pulse opens at 10:00
    await _tick_and_deliver(h)
    invited = {c.params["channel"] for c in h.fake.called("chat.postMessage")}
    assert U1 not in invited and U2 in invited
    # The whole batch was asked about in dnd.teamInfo calls, nobody one by one.
    assert h.fake.called("dnd.teamInfo") and not h.fake.called("dnd.info")

    h.clock.set(datetime(2026, 11, 30, 10, 50, tzinfo=UTC))
    await _tick_and_deliver(h)
    assert _posted_to(h, U1) == [] and len(_posted_to(h, U2)) == 1
    statuses = Counter(
        (r.key.split(":")[0], r.status) for r in await rows(h.respite, outbox) if f"u:{U1}" in r.key
    )
    assert statuses[("break", "dropped")] == 1
    assert statuses[("pulse-invite", "pending")] == 1

    h.clock.set(datetime(2026, 11, 30, 11, 40, tzinfo=UTC))  # quiet hours over at 11:30
    await _tick_and_deliver(h)
    assert [c.params["channel"] for c in h.fake.called("chat.postMessage")].count(U1) == 1
    assert _posted_to(h, U1) == []  # the dropped prompt never comes back


async def test_time_zone_from_slack_profile(slack_app: SlackHarness) -> None:
    h = slack_app
    h.fake.users[U3] = {"id": U3, "tz": "America/New_York", "tz_offset": -18000}
    h.clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    await _tick_and_deliver(h)
    assert any(c.params.get("user") == U3 for c in h.fake.called("users.info"))
    ny = ZoneInfo("America/New_York")
    for hour in range(8, 24):
        for minute in (0, 50):
            h.clock.set(datetime(2026, 11, 30, hour, minute, tzinfo=UTC))
            await _tick_and_deliver(h)
    sent_at = [
        datetime.fromtimestamp(float(c.params["ts"]), UTC) if "ts" in c.params else None
        for c in _posted_to(h, U3)
    ]
    assert len(sent_at) == 4
    keys = sorted(_prompt_buttons(c)["break_done"].split("|")[0] for c in _posted_to(h, U3))
    assert keys == [f"2026-11-30T{t}" for t in ("10:50", "11:50", "14:50", "15:50")]
    assert datetime(2026, 11, 30, 15, 50, tzinfo=UTC).astimezone(ny).time() == time(10, 50)
    reply = await _say(h, "breaks status", U3)
    assert "America/New_York" in _text(reply)
    assert "(team's)" not in _text(reply)
    assert (await _settings(h, U3)).timezone == "America/New_York"
    assert Platform.SLACK.value == (await _settings(h, U3)).platform
    assert time(10, 50)


async def test_break_hints_are_slack_commands(slack_app: SlackHarness) -> None:
    h = slack_app
    wrong = _text(await _say(h, "breaks at 25:00"))
    assert "/respite breaks at 10:50 14:50" in wrong
    saved = _text(await _say(h, "breaks pause 1w"))
    assert "/respite breaks pause 1w" in saved and "/respite breaks calendar off" in saved
    help_text = _text(await _say(h, "help"))
    assert "/respite breaks:" in help_text and "/kudos @someone" in help_text
    assert "/respite kudos-names off" in _text(await _say(h, "privacy"))

    h.clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    await _tick_and_deliver(h)
    h.clock.set(datetime(2026, 11, 30, 10, 50, tzinfo=UTC))
    await _tick_and_deliver(h)
    [prompt] = _posted_to(h, U2)
    assert "Settings: /respite breaks status" in str(prompt.params["blocks"])
    await h.slack.click("break_skip_today", _prompt_buttons(prompt)["break_skip_today"], U2)
    for _ in range(200):
        if "No more break prompts today" in h.fake.responses[-1]["text"]:
            break
        await asyncio.sleep(0.02)
    assert "/respite breaks resume undoes it" in _text(h.fake.responses[-1])


async def test_escaped_calendar_link_is_stored_as_typed(slack_app: SlackHarness) -> None:
    """With escaping on, Slack wraps a link in <...> and encodes `&`; the address kept is the
    one the person typed."""
    h = slack_app
    url = f"https://calendar.example/private/{SECRET}/basic.ics?user=1&key=2"
    escaped = url.replace("&", "&amp;")
    reply = await _say(h, f"breaks calendar <{escaped}>")
    assert "Calendar connected" in reply["text"] and SECRET not in _text(reply)
    assert await _calendar(h, U1) == url
    reply = await _say(h, f"breaks calendar <{escaped}|{escaped}>", U2)
    assert "Calendar connected" in reply["text"] and SECRET not in _text(reply)
    assert await _calendar(h, U2) == url
