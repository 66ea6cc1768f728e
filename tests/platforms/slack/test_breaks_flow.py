"""Break prompts on Slack alone: Do Not Disturb drops a prompt, a person's time zone comes from
their Slack profile, help names the slash commands, and an escaped link is stored as typed. The
flow every platform shares (commands, prompt buttons, calendar) is in tests/flows/test_breaks.py."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.messages import Platform
from bot.storage.tables import break_people, outbox
from scheduler import pulse
from tests.support.breaks_sim import deliver, rows, ticker
from tests.support.roster import CLINICIANS
from tests.support.slack_harness import SlackHarness
from tests.support.waiting import settle

U1, U2, U3 = CLINICIANS[:3]
SECRET = "private-feed-token-1234abcd"


async def _say(h: SlackHarness, text: str, user: str = U1) -> dict[str, Any]:
    before = len(h.fake.responses)
    resp = await h.slack.slash("/respite", text, user)
    assert resp.status == 200
    await settle(h.respite)
    assert len(h.fake.responses) > before
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


async def test_help_names_the_slash_commands(slack_app: SlackHarness) -> None:
    help_text = _text(await _say(slack_app, "help"))
    assert "/respite breaks:" in help_text and "/kudos @someone" in help_text


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
