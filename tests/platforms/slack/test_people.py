"""Reading Slack's dnd.info answers: scheduled quiet hours, a manual snooze, or neither."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.platforms.slack.people import UNKNOWN_DND_END, dnd_end

NOW = datetime(2026, 11, 30, 22, 0, tzinfo=UTC)


def ts(when: datetime) -> int:
    return int(when.timestamp())


def test_scheduled_quiet_hours() -> None:
    start, end = NOW - timedelta(hours=1), NOW + timedelta(hours=9)
    info = {"dnd_enabled": True, "next_dnd_start_ts": ts(start), "next_dnd_end_ts": ts(end)}
    assert dnd_end(info, NOW) == end
    later = {
        "dnd_enabled": True,
        "next_dnd_start_ts": ts(NOW + timedelta(hours=1)),
        "next_dnd_end_ts": ts(NOW + timedelta(hours=10)),
    }
    assert dnd_end(later, NOW) is None  # quiet hours not started yet


def test_manual_snooze() -> None:
    end = NOW + timedelta(minutes=45)
    assert dnd_end({"snooze_enabled": True, "snooze_endtime": ts(end)}, NOW) == end
    assert dnd_end({"snooze_enabled": True}, NOW) == NOW + UNKNOWN_DND_END
    assert dnd_end({"dnd_enabled": False, "snooze_enabled": False}, NOW) is None
