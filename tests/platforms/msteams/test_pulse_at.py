"""`pulse at tue 09:00` on Teams, through real activities, the minute tick and the outbox: hints
are Teams words, and the invitation and its reminder come at the person's own time."""

from __future__ import annotations

from datetime import UTC, datetime

from scheduler import pulse
from tests.support.delivery import deliver_all
from tests.support.fakes.bot_connector import ConnectorCall
from tests.support.msteams_driver import personal_conversation
from tests.support.msteams_harness import TeamsHarness


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
