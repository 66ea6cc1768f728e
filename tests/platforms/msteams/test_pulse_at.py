"""`pulse at tue 09:00` on Teams, through real activities, the minute tick and the outbox: hints
are Teams words, and the invitation and its reminder come at the person's own time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.demo.bot_connector import ConnectorCall
from scheduler import pulse
from tests.support.delivery import deliver_all
from tests.support.msteams_driver import personal_conversation
from tests.support.msteams_harness import TeamsHarness

ANSWERS = {
    "drained": "2",
    "recharged": "4",
    "going_through_motions": "2",
    "made_a_difference": "4",
    "caseload": "3",
    "supported": "4",
}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _text(call: ConnectorCall) -> str:
    parts = [str(call.body.get("text") or "")]
    for attachment in call.body.get("attachments") or []:
        parts.append(repr(attachment.get("content")))
    return "\n".join(parts)


async def _say(h: TeamsHarness, person: int, text: str) -> str:
    before = len(h.connector.of("send", "reply"))
    resp = await h.teams.say(person, text)
    assert resp.status == 200
    new = h.connector.of("send", "reply")[before:]
    assert new, text
    return "\n".join(_text(c) for c in new)


async def test_pulse_at_on_teams(teams_app: TeamsHarness) -> None:
    h = teams_app  # Monday 30 November, 09:00; the round opens at 10:00 and closes Thursday
    chosen = await _say(h, 1, "pulse at tue 09:00")
    assert "Your check-in invitation comes on Tuesday 09:00" in chosen
    assert "Next invitation: Tuesday 01 December, 09:00 (Europe/London)" in chosen
    assert "pulse at off" in chosen and "/respite" not in chosen
    assert "Tuesday 09:00" in await _say(h, 1, "pulse at")

    refused = await _say(h, 3, "pulse at someday")
    assert "not a pulse time" in refused and "pulse at thu 08:00" in refused
    assert "/respite" not in refused

    await _say(h, 2, "pulse at wed 10:00")
    back = await _say(h, 2, "pulse at off")
    assert "comes when your team's round opens" in back
    assert "Next invitation: Monday 30 November, 10:00 (Europe/London)" in back

    sent: list[tuple[datetime, int, str]] = []
    seen = len(h.connector.of("send", "reply"))

    async def at(moment: datetime) -> None:
        nonlocal seen
        h.clock.set(moment)
        await pulse.tick(h.respite.deps)
        await deliver_all(h.respite, h.clock, boundaries=True)
        calls = h.connector.of("send", "reply")
        for call in calls[seen:]:
            for person in (1, 2):
                if call.conversation_id == personal_conversation(person):
                    kind = "remind" if "reminder" in _text(call).lower() else "invite"
                    sent.append((moment, person, kind))
        seen = len(calls)

    for moment in (
        utc(2026, 11, 30, 10, 0),
        utc(2026, 12, 1, 8, 59),
        utc(2026, 12, 1, 9, 0),
        utc(2026, 12, 2, 10, 0),
        utc(2026, 12, 3, 8, 59),
        utc(2026, 12, 3, 9, 0),
        utc(2026, 12, 3, 10, 0),
    ):
        await at(moment)
    assert sent == [
        (utc(2026, 11, 30, 10, 0), 2, "invite"),
        (utc(2026, 12, 1, 9, 0), 1, "invite"),
        (utc(2026, 12, 2, 10, 0), 2, "remind"),
        (utc(2026, 12, 3, 9, 0), 1, "remind"),
    ]


async def _answer(h: TeamsHarness, person: int) -> None:
    resp = await h.teams.say(person, "checkin")
    assert resp.status == 200
    call = h.connector.of("reply", "send")[-1]
    assert call.conversation_id == personal_conversation(person) and call.response_id
    card: dict[str, Any] = call.body["attachments"][0]["content"]
    data = next(
        a["data"]
        for a in card["actions"]
        if a["type"] == "Action.Submit" and "respite_form" in a["data"]
    )
    resp = await h.teams.submit(person, data, ANSWERS, call.response_id)
    assert resp.status == 200


async def test_choices_made_or_cleared_mid_round_keep_one_reminder(teams_app: TeamsHarness) -> None:
    """A time chosen after the opening leaves the round's reminder in place; one cleared after it
    leaves the own invitation and reminder the opening planned, and the round's reminder skips
    them; someone who answers is not reminded, whatever the choice is now."""
    h = teams_app  # the round opens Monday 10:00, reminds Wednesday 10:00, closes Thursday 10:00
    assert "comes when your team's round opens" in await _say(h, 1, "pulse at")
    await _say(h, 2, "pulse at tue 09:00")
    await _say(h, 3, "pulse at tue 09:00")
    sent: list[tuple[datetime, int, str]] = []
    seen = len(h.connector.of("send", "reply"))

    async def at(moment: datetime) -> None:
        nonlocal seen
        h.clock.set(moment)
        await pulse.tick(h.respite.deps)
        await deliver_all(h.respite, h.clock, boundaries=True)
        calls = h.connector.of("send", "reply")
        for call in calls[seen:]:
            for person in (1, 2, 3):
                if call.conversation_id == personal_conversation(person):
                    kind = "remind" if "reminder" in _text(call).lower() else "invite"
                    sent.append((moment, person, kind))
        seen = len(calls)

    async def between(action: Any) -> None:
        nonlocal seen
        await action
        seen = len(h.connector.of("send", "reply"))  # replies to what they say are not counted

    await at(utc(2026, 11, 30, 10, 0))
    h.clock.set(utc(2026, 11, 30, 11, 0))
    await between(_say(h, 1, "pulse at tue 09:00"))
    await between(_say(h, 2, "pulse at off"))
    await between(_say(h, 3, "pulse at off"))
    await at(utc(2026, 12, 1, 9, 0))  # Tuesday: the own invitations the opening planned
    await at(utc(2026, 12, 1, 10, 0))
    await between(_answer(h, 3))
    for moment in (
        utc(2026, 12, 2, 10, 0),  # Wednesday: the round's reminders
        utc(2026, 12, 3, 9, 0),  # Thursday: the own reminders
        utc(2026, 12, 3, 10, 0),
    ):
        await at(moment)
    assert sorted(sent) == sorted(
        [
            (utc(2026, 11, 30, 10, 0), 1, "invite"),
            (utc(2026, 12, 2, 10, 0), 1, "remind"),
            (utc(2026, 12, 1, 9, 0), 2, "invite"),
            (utc(2026, 12, 3, 9, 0), 2, "remind"),
            (utc(2026, 12, 1, 9, 0), 3, "invite"),
        ]
    )
