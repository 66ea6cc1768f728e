"""Installed through OAuth in two workspaces, the lookups about people and channels also go with
each workspace's own token: a channel's members (conversations.members, users.info) for a team
that syncs them, and Do Not Disturb (dnd.teamInfo), asked one workspace's people at a time."""

from __future__ import annotations

from typing import Any

import pytest

from scheduler import pulse
from scheduler.member_sync import sync_members
from tests.support.delivery import deliver_all
from tests.support.roster import AROUND_THE_CLOCK, CLINICIANS
from tests.support.slack_oauth import (  # noqa: F401 - fixtures
    HILLSIDE,
    HILLSIDE_TOKEN,
    RIVERSIDE_TOKEN,
    Installed,
    bearer,
    install,
    oauth_app_fixture,
    two_workspaces,
)

CHANNEL = "C0HILLSIDE"


@pytest.fixture(name="oauth_roster")
def synced_roster() -> dict[str, Any]:
    """Hillside (workspace T0002) takes its members from a channel of its workspace."""
    data = two_workspaces()
    for team in data["teams"]:
        team.update(AROUND_THE_CLOCK)
    hillside = data["teams"][1]
    hillside.update(members=[], members_from={"channel": CHANNEL})
    return data


async def test_member_sync_and_dnd_use_each_workspaces_token(oauth_app: Installed) -> None:
    h = oauth_app
    await install(h, "code-riverside", "T0001", RIVERSIDE_TOKEN)
    await install(h, "code-hillside", "T0002", HILLSIDE_TOKEN)
    h.fake.channel_members[CHANNEL] = HILLSIDE
    for user in HILLSIDE:
        h.fake.add_person(user)
    rt = h.respite.runtime
    assert await sync_members(rt.directory, rt.member_lookups, rt.member_store, rt.deps.clock) == {
        "hillside": len(HILLSIDE)
    }
    lookups = h.fake.called("conversations.members") + h.fake.called("users.info")
    assert lookups
    assert {bearer(c) for c in lookups} == {HILLSIDE_TOKEN}

    h.clock.set(h.clock.now().replace(hour=10, minute=0))
    await pulse.tick(h.respite.deps)
    sent = await deliver_all(h.respite, h.clock, boundaries=True)
    assert sent == len(CLINICIANS) + len(HILLSIDE)
    asked = {
        bearer(c): set(str(c.params["users"]).split(",")) for c in h.fake.called("dnd.teamInfo")
    }
    assert asked == {RIVERSIDE_TOKEN: set(CLINICIANS), HILLSIDE_TOKEN: set(HILLSIDE)}
    posted = {c.params["channel"]: bearer(c) for c in h.fake.called("chat.postMessage")}
    assert posted == {
        **dict.fromkeys(CLINICIANS, RIVERSIDE_TOKEN),
        **dict.fromkeys(HILLSIDE, HILLSIDE_TOKEN),
    }
