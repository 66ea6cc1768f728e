"""Every turn saves where a person can be reached; scheduled messages reach Teams members
proactively, including members of an installed team who never spoke to the bot."""

from __future__ import annotations

import pytest

from bot.domain.messages import Platform, Recipient, text_card
from bot.domain.ports import DeliveryFailed
from bot.platforms.msteams.reach import reach
from bot.storage.tables import outbox, teams_contacts
from scheduler import pulse
from tests.support.msteams_driver import BOT_ID, TEAM_ID, TENANT, aad, member, personal_conversation
from tests.support.msteams_harness import MEMBERS, TeamsHarness


def _contacts(h: TeamsHarness):  # type: ignore[no-untyped-def]
    from bot.storage.addresses import SqlAddressBook
    from bot.storage.db import session_factory

    return SqlAddressBook(session_factory(h.respite.engine))


async def test_every_turn_saves_the_conversation_reference(teams_app: TeamsHarness) -> None:
    store = _contacts(teams_app)
    await teams_app.teams.post(teams_app.teams.activity("installation_update.json", 1))
    contact = await store.get("user", aad(1))
    assert contact is not None and contact.reference is not None
    assert contact.reference["conversation"]["id"] == personal_conversation(1)
    assert contact.reference["serviceUrl"] == teams_app.connector.url
    assert contact.tenant_id == TENANT
    # Installing in personal scope says hello with the help card.
    welcome = teams_app.connector.cards()[-1]
    assert welcome["body"][0]["text"].startswith("Respite helps your team")

    await teams_app.teams.post(teams_app.teams.activity("conversation_update_personal.json", 2))
    assert (await store.get("user", aad(2))) is not None
    await teams_app.teams.say(3, "help")
    saved = await store.get("user", aad(3))
    assert saved is not None and saved.reference is not None
    assert saved.reference["user"]["aadObjectId"] == aad(3)


async def test_saved_reference_survives_a_restart_and_carries_scheduled_messages(
    teams_app: TeamsHarness,
) -> None:
    await teams_app.teams.say(1, "help")
    # A new process: the same database, nothing in memory.
    from bot.app.compose import build
    from bot.config import Settings, parse_roster
    from tests.support.msteams_harness import teams_roster

    again = await build(
        Settings(database_url=teams_app.respite.settings.database_url),
        clock=teams_app.clock,
        roster=parse_roster(teams_roster()),
    )
    try:
        ref = await again.senders[Platform.TEAMS].send(
            Recipient(Platform.TEAMS, user_id=aad(1)), text_card("Hello again")
        )
    finally:
        await again.close()
    last = teams_app.connector.of("send", "reply")[-1]
    assert last.conversation_id == personal_conversation(1)
    assert last.body["attachments"][0]["content"]["body"][0]["text"] == "Hello again"
    assert ref and personal_conversation(1) in ref
    assert not teams_app.connector.of("create")


async def test_installed_team_members_who_never_spoke_get_a_new_chat(
    teams_app: TeamsHarness,
) -> None:
    teams_app.connector.team_members[TEAM_ID] = [member(n) for n in MEMBERS]
    resp = await teams_app.teams.post(teams_app.teams.activity("conversation_update_team.json"))
    assert resp.status == 200
    assert teams_app.connector.of("members")
    store = _contacts(teams_app)
    report = await reach(teams_app.respite.deps.directory.teams(), store)
    assert report[0].unreachable == (aad(99),)  # the lead is not in the Teams team
    channel = await store.get("channel", TEAM_ID)
    assert channel is not None and channel.team_id == TEAM_ID

    await pulse.open_round(teams_app.respite.deps, "harbour")
    sent = await teams_app.deliver()
    assert sent == len(MEMBERS)
    creates = teams_app.connector.of("create")
    assert len(creates) == len(MEMBERS)
    body = creates[0].body
    assert body["isGroup"] is False
    assert body["members"][0]["id"].startswith("29:")
    assert (body.get("tenantId") or body.get("tenantID")) == TENANT
    assert body["channelData"] == {"tenant": {"id": TENANT}}
    assert body["bot"]["id"] == BOT_ID
    # The new chat is remembered: the reminder continues it instead of creating another.
    contact = await store.get("user", aad(1))
    assert contact is not None and contact.reference is not None
    await teams_app.respite.senders[Platform.TEAMS].send(
        Recipient(Platform.TEAMS, user_id=aad(1)), text_card("Reminder")
    )
    assert len(teams_app.connector.of("create")) == len(MEMBERS)
    # The lead cannot be reached: the delivery fails with a reason, nothing is lost silently.
    assert await teams_app.count(outbox) == len(MEMBERS) + 0


async def test_unreachable_member_fails_with_a_reason(teams_app: TeamsHarness) -> None:
    with pytest.raises(DeliveryFailed, match="cannot reach"):
        await teams_app.respite.senders[Platform.TEAMS].send(
            Recipient(Platform.TEAMS, user_id=aad(7)), text_card("Hi")
        )


async def test_channel_mention_is_answered_in_private(teams_app: TeamsHarness) -> None:
    resp = await teams_app.teams.post(teams_app.teams.activity("channel_mention.json", 1))
    assert resp.status == 200
    # The form went to a new 1:1 chat, created from what the channel turn told us.
    creates = teams_app.connector.of("create")
    assert len(creates) == 1
    assert creates[0].body["members"][0]["id"] == "29:1test-user-0001"
    private = [
        c
        for c in teams_app.connector.of("send", "reply")
        if c.conversation_id.startswith("a:created")
    ]
    form = private[0].body["attachments"][0]["content"]
    assert [b for b in form["body"] if b["type"] == "Input.ChoiceSet"]
    # In the channel, only a short note.
    public = [
        c for c in teams_app.connector.of("send", "reply") if c.conversation_id.startswith("19:")
    ]
    assert len(public) == 1
    note = public[0].body["attachments"][0]["content"]
    assert not [b for b in note["body"] if b["type"].startswith("Input.")]
    assert "private chat" in note["body"][0]["text"]
    # The channel can be posted to later.
    store = _contacts(teams_app)
    channel = await store.get("channel", TEAM_ID)
    assert channel is not None and channel.reference is not None
    await teams_app.respite.senders[Platform.TEAMS].send(
        Recipient(Platform.TEAMS, channel_id=TEAM_ID), text_card("Team news")
    )
    assert teams_app.connector.of("send", "reply")[-1].conversation_id == TEAM_ID
    assert await teams_app.count(teams_contacts) == 2


async def test_send_returns_a_ref_that_delete_removes(teams_app: TeamsHarness) -> None:
    await teams_app.teams.say(2, "help")
    sender = teams_app.respite.senders[Platform.TEAMS]
    recipient = Recipient(Platform.TEAMS, user_id=aad(2))
    ref = await sender.send(recipient, text_card("Kudos to you"))
    assert ref is not None
    await sender.delete(recipient, ref)
    deletes = teams_app.connector.of("delete")
    assert len(deletes) == 1
    assert deletes[0].conversation_id == personal_conversation(2)
    sent = teams_app.connector.of("send", "reply")[-1]
    assert deletes[0].activity_id and deletes[0].activity_id in ref
    assert sent.conversation_id == personal_conversation(2)


async def test_members_added_later_are_remembered(teams_app: TeamsHarness) -> None:
    activity = teams_app.teams.activity("conversation_update_team.json")
    activity["membersAdded"] = [member(5, "Eli")]
    activity["channelData"]["eventType"] = "teamMemberAdded"
    assert (await teams_app.teams.post(activity)).status == 200
    assert not teams_app.connector.of("members")  # only the bot's own arrival reads the roster
    contact = await _contacts(teams_app).get("user", aad(5))
    assert contact is not None
    assert (contact.teams_user_id, contact.name, contact.team_id) == (
        "29:1test-user-0005",
        "Eli",
        TEAM_ID,
    )


async def test_installation_in_a_team_reads_its_roster(teams_app: TeamsHarness) -> None:
    teams_app.connector.team_members[TEAM_ID] = [member(n) for n in MEMBERS]
    activity = teams_app.teams.activity("installation_update.json")
    activity["conversation"] = {
        "isGroup": True,
        "conversationType": "channel",
        "tenantId": TENANT,
        "id": TEAM_ID,
    }
    activity["channelData"] = {"team": {"id": TEAM_ID}, "tenant": {"id": TENANT}}
    assert (await teams_app.teams.post(activity)).status == 200
    report = await reach(teams_app.respite.deps.directory.teams(), _contacts(teams_app))
    assert len(report[0].reachable) == len(MEMBERS)
    assert not teams_app.connector.cards()  # no welcome card in a channel


async def test_uninstalling_forgets_the_chat(teams_app: TeamsHarness) -> None:
    await teams_app.teams.say(1, "help")
    removal = teams_app.teams.activity("installation_update.json", 1)
    removal["action"] = "remove"
    assert (await teams_app.teams.post(removal)).status == 200
    assert await _contacts(teams_app).get("user", aad(1)) is None
    # Installed again: the chat is remembered afresh, although the turn looks like the last one.
    again = teams_app.teams.activity("installation_update.json", 1)
    again["action"] = "add"
    assert (await teams_app.teams.post(again)).status == 200
    assert await _contacts(teams_app).get("user", aad(1)) is not None


async def test_unknown_channel_fails_with_a_reason(teams_app: TeamsHarness) -> None:
    with pytest.raises(DeliveryFailed, match="channel"):
        await teams_app.respite.senders[Platform.TEAMS].send(
            Recipient(Platform.TEAMS, channel_id="19:unknown@thread.tacv2"), text_card("Hi")
        )


async def test_unreachable_members_are_counted_in_the_log(
    database_url: str,
    fake_connector,
    clock,
    caplog: pytest.LogCaptureFixture,  # type: ignore[no-untyped-def]
) -> None:
    import logging

    from bot.cli.serve import start_up
    from bot.config import Settings
    from tests.support.msteams_harness import start_teams_harness, teams_roster

    harness, session = await start_teams_harness(
        Settings(database_url=database_url), fake_connector, clock, teams_roster()
    )
    try:
        # The commands that serve or send say it at start-up; building alone is quiet.
        with caplog.at_level(logging.WARNING, logger="bot.cli.serve"):
            await start_up(harness.respite)
        lines = [r.getMessage() for r in caplog.records if r.name == "bot.cli.serve"]
        assert any("9 roster member(s) cannot be reached yet" in line for line in lines), lines
        assert not any(aad(1) in line for line in lines)  # a count, not a list, in the log
    finally:
        await session.close()
        await harness.server.close()
        await harness.respite.close()
