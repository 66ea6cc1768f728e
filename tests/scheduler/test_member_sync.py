"""Members listed by a Slack channel or user group join the team, and survive a restart."""

from __future__ import annotations

import logging

import pytest

from bot.app.compose import build
from bot.config import Settings, parse_roster
from bot.domain.messages import Platform
from scheduler.member_sync import sync_members
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.roster import CLINICIANS, roster_data
from tests.support.slack_driver import SIGNING_SECRET


async def test_channel_and_usergroup_members_are_synced(
    database_url: str, fake_slack: FakeSlackApi, clock: object, caplog: pytest.LogCaptureFixture
) -> None:
    roster = roster_data(members_from={"channel": "C0CLINIC"})
    roster["teams"].append(
        {
            "id": "harbour",
            "name": "Harbour",
            "members": [],
            "members_from": {"usergroup": "S0HARBOUR"},
            "leads": ["ULEAD02"],
        }
    )
    fake_slack.channel_members["C0CLINIC"] = ["UNEW001", CLINICIANS[0]]
    fake_slack.usergroups["S0HARBOUR"] = ["UHB001", "UHB002"]
    settings = Settings(
        database_url=database_url,
        slack_bot_token="xoxb-t",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.url,
    )
    respite = await build(settings, roster=parse_roster(roster))
    rt = respite.runtime
    counts = await sync_members(rt.directory, rt.member_lookups, rt.member_store, rt.deps.clock)
    assert counts == {"riverside": 2, "harbour": 2}
    team = rt.directory.team_of(Platform.SLACK, "UNEW001")
    assert team is not None and team.id == "riverside"
    assert len(team.members) == len(CLINICIANS) + 1
    assert rt.directory.team_of(Platform.SLACK, "UHB002").id == "harbour"  # type: ignore[union-attr]
    await respite.close()

    # A failing lookup keeps the last synced list; a new process starts with it too.
    del fake_slack.channel_members["C0CLINIC"]
    again = await build(settings, roster=parse_roster(roster))
    assert again.runtime.directory.team_of(Platform.SLACK, "UNEW001") is not None
    rt2 = again.runtime
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="scheduler.member_sync"):
        counts = await sync_members(
            rt2.directory, rt2.member_lookups, rt2.member_store, rt2.deps.clock
        )
    assert counts == {"harbour": 2}
    # The failure is one line naming the team, the source and Slack's reason; no traceback.
    failures = [r for r in caplog.records if r.name == "scheduler.member_sync"]
    assert [r.getMessage() for r in failures] == [
        "member sync: team riverside keeps its last members; channel C0CLINIC could not be "
        "read (conversations.members: channel_not_found)"
    ]
    assert failures[0].exc_info is None
    assert rt2.directory.team_of(Platform.SLACK, "UNEW001") is not None
    await again.close()


def test_a_person_synced_into_two_teams_stays_in_one() -> None:
    from bot.domain.directory import RosterDirectory

    roster = roster_data(members_from={"channel": "C0CLINIC"})
    roster["teams"].append(
        {
            "id": "harbour",
            "name": "Harbour",
            "members": ["UHB001"],
            "members_from": {"usergroup": "S0HARBOUR"},
        }
    )
    directory = RosterDirectory(parse_roster(roster).team_list)
    skipped = directory.apply_synced(
        {"riverside": ["UHB001", "USHARED"], "harbour": ["USHARED", CLINICIANS[0]]}
    )
    assert directory.team_of(Platform.SLACK, "UHB001").id == "harbour"  # type: ignore[union-attr]
    assert directory.team_of(Platform.SLACK, "USHARED").id == "harbour"  # type: ignore[union-attr]
    riverside = directory.team("riverside")
    assert riverside is not None and "USHARED" not in riverside.members
    assert "UHB001" not in riverside.members
    assert len(skipped) == 3
