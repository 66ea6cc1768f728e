"""A bot removed from a team forgets how to post there, and keeps people's own 1:1 chats."""

from __future__ import annotations

import logging

import pytest

from bot.domain.messages import Platform, Recipient, text_card
from bot.domain.ports import DeliveryFailed
from bot.domain.ports.addresses import Address
from bot.storage.addresses import SqlAddressBook
from bot.storage.db import session_factory
from tests.support.msteams_driver import (
    TEAM_ID,
    TENANT,
    aad,
    member,
    personal_conversation,
    teams_user_id,
)
from tests.support.msteams_harness import MEMBERS, TeamsHarness

OTHER_CHANNEL = "19:0a1b2c3d4e5f60718293a4b5c6d7e8f9@thread.tacv2"
OTHER_TEAM = "19:ffeeddccbbaa99887766554433221100@thread.tacv2"


def _store(h: TeamsHarness) -> SqlAddressBook:
    return SqlAddressBook(session_factory(h.respite.engine))


async def test_removed_from_a_team_forgets_its_channels_and_keeps_personal_chats(
    teams_app: TeamsHarness, caplog: pytest.LogCaptureFixture
) -> None:
    h = teams_app
    store = _store(h)
    h.connector.team_members[TEAM_ID] = [member(n) for n in MEMBERS]
    assert (await h.teams.post(h.teams.activity("conversation_update_team.json"))).status == 200
    assert (await h.teams.post(h.teams.activity("channel_mention.json", 1))).status == 200
    assert (await h.teams.say(2, "help")).status == 200
    general = await store.get("channel", TEAM_ID)
    assert general is not None and general.reference is not None
    reference = dict(general.reference)
    # Another channel of the same team, and a channel of a team the bot stays in.
    await store.upsert(
        Address("channel", OTHER_CHANNEL, reference=reference, team_id=TEAM_ID), h.clock.now()
    )
    await store.upsert(
        Address("channel", OTHER_TEAM, reference=reference, team_id=OTHER_TEAM), h.clock.now()
    )

    caplog.set_level(logging.INFO)
    resp = await h.teams.post(h.teams.activity("conversation_update_team_removed.json"))
    assert resp.status == 200

    assert await store.get("channel", TEAM_ID) is None
    assert await store.get("channel", OTHER_CHANNEL) is None
    assert await store.get("channel", OTHER_TEAM) is not None
    personal = await store.get("user", aad(2))
    assert personal is not None and personal.reference is not None
    assert personal.reference["conversation"]["id"] == personal_conversation(2)
    assert personal.tenant_id == TENANT

    lines = [r.getMessage() for r in caplog.records if "removed from a team" in r.getMessage()]
    assert len(lines) == 1
    for n in [*MEMBERS, 99]:
        assert aad(n) not in lines[0] and teams_user_id(n) not in lines[0]
    assert "0d6e7c55-2f4b-4c55-8a3e-5c9f1b2a7e10" not in lines[0]

    # A post to the team's channel is not attempted: it fails with a reason before any call.
    before = len(h.connector.calls)
    sender = h.respite.senders[Platform.TEAMS]
    with pytest.raises(DeliveryFailed, match="channel"):
        await sender.send(Recipient(Platform.TEAMS, channel_id=TEAM_ID), text_card("Team news"))
    assert len(h.connector.calls) == before

    # The person's own chat with the bot still works.
    await sender.send(Recipient(Platform.TEAMS, user_id=aad(2)), text_card("Still here"))
    assert h.connector.of("send", "reply")[-1].conversation_id == personal_conversation(2)


async def test_a_member_leaving_a_team_forgets_no_channel(teams_app: TeamsHarness) -> None:
    h = teams_app
    store = _store(h)
    assert (await h.teams.post(h.teams.activity("channel_mention.json", 1))).status == 200
    left = h.teams.activity("conversation_update_team_removed.json")
    left["membersRemoved"] = [{"id": teams_user_id(3), "aadObjectId": aad(3)}]
    assert (await h.teams.post(left)).status == 200
    assert await store.get("channel", TEAM_ID) is not None
