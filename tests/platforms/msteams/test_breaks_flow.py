"""Break prompts on Teams alone: no hint ever names a slash command (`breaks pause 1w`, never
`/respite ...`), and a calendar address typed where others can read it is refused and never
stored. The flow every platform shares is in tests/flows/test_breaks.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.demo.bot_connector import ConnectorCall
from bot.domain.messages import Platform
from bot.storage.tables import break_people
from tests.support.breaks_sim import deliver, rows, ticker
from tests.support.msteams_driver import aad, personal_conversation
from tests.support.msteams_harness import TeamsHarness

SECRET = "private-feed-token-5678efgh"
URL = f"https://calendar.example/owa/calendar/{SECRET}/reachcalendar.ics"


def _text(call: ConnectorCall) -> str:
    """Everything a person reads in one message: the fallback text and the card's text."""
    parts = [str(call.body.get("text") or "")]
    for attachment in call.body.get("attachments") or []:
        parts.append(repr(attachment.get("content")))
    return "\n".join(parts)


def _shown(h: TeamsHarness) -> list[ConnectorCall]:
    return h.connector.of("send", "reply")


async def _say(h: TeamsHarness, person: int, text: str) -> str:
    before = len(_shown(h))
    resp = await h.teams.say(person, text)
    assert resp.status == 200
    new = _shown(h)[before:]
    assert new, text
    assert all(c.conversation_id == personal_conversation(person) for c in new)
    return "\n".join(_text(c) for c in new)


async def _calendar_of(h: TeamsHarness, person: int) -> Any:
    """The address as the store opens it (it is sealed in the table)."""
    assert h.respite.deps.breaks is not None
    found = await h.respite.deps.breaks.get(Platform.TEAMS, aad(person))
    return found.calendar_url if found else None


async def test_break_hints_are_teams_words(teams_app: TeamsHarness) -> None:
    h = teams_app
    assert "/respite" not in await _say(h, 1, "breaks pause 1w")
    assert "/respite" not in await _say(h, 1, "breaks at 25:00")
    unknown = await _say(h, 1, "breaks sometimes")
    assert "I don't know “breaks sometimes”" in unknown and "/respite" not in unknown

    help_text = await _say(h, 1, "help")
    assert "• breaks:" in help_text and "• kudos:" in help_text
    assert "(kudos @someone" in help_text
    assert "/respite" not in help_text and "/kudos" not in help_text
    privacy = await _say(h, 1, "privacy")
    assert "kudos-names off" in privacy and "/respite" not in privacy


async def test_break_prompt_and_its_buttons_speak_teams(teams_app: TeamsHarness) -> None:
    h = teams_app
    h.clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    await _say(h, 2, "breaks resume")  # Teams now knows how to reach person 2
    await ticker(h.respite).tick(h.respite.deps)
    await deliver(h.respite)
    h.clock.set(datetime(2026, 11, 30, 10, 50, tzinfo=UTC))
    await ticker(h.respite).tick(h.respite.deps)
    await deliver(h.respite)
    prompts = [
        c
        for c in _shown(h)
        if c.conversation_id == personal_conversation(2) and "short break" in _text(c)
    ]
    assert len(prompts) == 1
    card = prompts[0].body["attachments"][0]["content"]
    assert "Settings: breaks status" in _text(prompts[0])
    assert "/respite" not in _text(prompts[0])

    skip = next(
        a["data"] for a in card["actions"] if a["data"].get("respite_action") == "break_skip_today"
    )
    before = len(_shown(h))
    await h.teams.post(h.teams.activity("message_submit.json", 2, value=skip))
    reply = "\n".join(_text(c) for c in _shown(h)[before:])
    assert "No more break prompts today" in reply
    assert "breaks resume undoes it" in reply and "/respite" not in reply


async def test_calendar_address_in_a_channel_is_refused_and_not_stored(
    teams_app: TeamsHarness,
) -> None:
    h = teams_app
    activity = h.teams.activity(
        "channel_mention.json", 3, text=f"<at>Respite</at> breaks calendar {URL}"
    )
    resp = await h.teams.post(activity)
    assert resp.status == 200
    assert await _calendar_of(h, 3) is None

    # The refusal goes to the person's private chat; the channel gets only the short note.
    private = [c for c in _shown(h) if c.conversation_id.startswith("a:created")]
    assert len(private) == 1
    refusal = _text(private[0])
    assert "Send your calendar address privately" in refusal
    assert "1:1 chat with Respite" in refusal
    assert "breaks calendar https://" in refusal and "/respite" not in refusal
    public = [c for c in _shown(h) if c.conversation_id.startswith("19:")]
    assert len(public) == 1 and "private chat" in _text(public[0])
    for call in h.connector.calls:
        assert SECRET not in repr(call.body)

    # Turning the calendar off reveals nothing, so it works from a channel too.
    off = h.teams.activity("channel_mention.json", 3, text="<at>Respite</at> breaks calendar off")
    await h.teams.post(off)
    assert "Calendar disconnected" in _text(
        [c for c in _shown(h) if c.conversation_id.startswith("a:created")][-1]
    )

    # In the 1:1 chat the same command is accepted, and the address is never shown back.
    connected = await _say(h, 3, f"breaks calendar {URL}")
    assert "Calendar connected" in connected and SECRET not in connected
    assert await _calendar_of(h, 3) == URL
    assert (await rows(h.respite, break_people))[0].platform == Platform.TEAMS.value
