"""Reading Slack's Do Not Disturb answers (scheduled quiet hours, a snooze, or neither), and
asking about a batch of people in dnd.teamInfo calls instead of one dnd.info call each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiohttp import ClientSession

from bot.platforms.slack.client import web_client
from bot.platforms.slack.people import TEAM_INFO_USERS, UNKNOWN_DND_END, SlackPeople, dnd_end
from tests.support.fakes.slack_api import FakeSlackApi

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


async def test_a_batch_is_asked_about_fifty_people_a_call(fake_slack: FakeSlackApi) -> None:
    people = [f"U{i:03d}" for i in range(2 * TEAM_INFO_USERS + 20)]
    quiet_until = NOW + timedelta(hours=8)
    fake_slack.dnd["U007"] = (NOW - timedelta(hours=1), quiet_until)
    async with ClientSession() as http:
        lookup = SlackPeople(web_client("xoxb-test", fake_slack.url, http))
        await lookup.prefetch(people + people[:5], NOW)
        calls = fake_slack.called("dnd.teamInfo")
        assert sorted(len(c.params["users"].split(",")) for c in calls) == [20, 50, 50]
        assert await lookup.until("U007", NOW) == quiet_until
        assert [await lookup.until(u, NOW) for u in people if u != "U007"] == [None] * 119
        assert not fake_slack.called("dnd.info")
        # Within the minute nobody is asked about again; after it, all are.
        await lookup.prefetch(people, NOW + timedelta(seconds=30))
        assert len(fake_slack.called("dnd.teamInfo")) == 3
        await lookup.prefetch(people, NOW + timedelta(seconds=61))
        assert len(fake_slack.called("dnd.teamInfo")) == 6


async def test_when_dnd_team_info_fails_each_person_is_asked_alone(
    fake_slack: FakeSlackApi,
) -> None:
    fake_slack.script("dnd.teamInfo", 200, {"ok": False, "error": "missing_scope"})
    fake_slack.dnd["U1"] = (NOW - timedelta(hours=1), NOW + timedelta(hours=1))
    async with ClientSession() as http:
        lookup = SlackPeople(web_client("xoxb-test", fake_slack.url, http))
        await lookup.prefetch(["U1", "U2"], NOW)
        assert await lookup.until("U1", NOW) == NOW + timedelta(hours=1)
        assert await lookup.until("U2", NOW) is None
        assert [c.params["user"] for c in fake_slack.called("dnd.info")] == ["U1", "U2"]
