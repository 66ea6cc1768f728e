"""Kudos on Teams alone, on SQLite and PostgreSQL: the people picker, real Teams mentions, the
`kudos` word in a 1:1 chat or as an @mention in a channel, and the 1.5 schema. The flow every
platform shares (the form, anonymity, refusals, who may withdraw) is in tests/flows/test_kudos.py.

Activities go into /api/messages as Teams sends them (mention entities, Action.Submit values),
and every call the bot makes lands on the fake Bot Framework connector: the channel post with
real Teams mentions, the private notes through new 1:1 chats, and the delete on withdrawal.
"""

from __future__ import annotations

from bot.storage.tables import kudos as kudos_t
from tests.support.card_schema import assert_valid, schema_validator
from tests.support.msteams_driver import TEAM_ID, aad, personal_conversation
from tests.support.msteams_harness import LEAD, TeamsHarness
from tests.support.msteams_kudos import (
    KUDOS_CHANNEL,
    body_texts,
    button_value,
    card_of,
    channel_posts,
    expected_mention,
    install,
    kudos_rows,
    kudos_teams,
    open_form,
    say_kudos,
    send_form,
    submit_data,
    with_mentions,
)

__all__ = ["kudos_teams"]


async def test_kudos_alone_opens_a_form_offering_named_teammates(
    kudos_teams: TeamsHarness,
) -> None:
    h = kudos_teams
    await install(h, names={3: "Zoë Adams", 5: "bea Ortiz"})
    card, _ = await open_form(h, 1)
    assert_valid(schema_validator(), card)
    picker = card["body"][2]
    assert picker["type"] == "Input.ChoiceSet" and picker["id"] == "recipients"
    assert picker["isMultiSelect"] is True and picker["style"] == "compact"
    assert picker["isRequired"] is True
    # The giver's teammates whose names Teams gave, by name; the giver and the lead (not a
    # member) are not offered; values are AAD object ids.
    assert picker["choices"] == [
        {"title": name, "value": aad(n)}
        for n, name in [
            (5, "bea Ortiz"),
            (2, "Person 2"),
            (4, "Person 4"),
            (6, "Person 6"),
            (7, "Person 7"),
            (8, "Person 8"),
            (3, "Zoë Adams"),
        ]
    ]
    ids = [b.get("id") for b in card["body"]]
    assert ids.index("recipients") < ids.index("category") < ids.index("message")
    assert submit_data(card) == {
        "respite_form": "kudos",
        "respite_context": "harbour",
        "respite_pickers": "recipients",
    }


async def test_form_before_the_roster_is_known_says_how_to_mention_instead(
    kudos_teams: TeamsHarness,
) -> None:
    card, _ = await open_form(kudos_teams, 1)
    assert_valid(schema_validator(), card)
    assert "recipients" not in [b.get("id") for b in card["body"]]
    assert any("does not know anyone on your team by name yet" in t for t in body_texts(card))


async def test_form_posts_to_the_channel_with_real_mentions_and_tells_each_recipient(
    kudos_teams: TeamsHarness,
) -> None:
    h = kudos_teams
    await install(h)
    await send_form(h, 1, [2, 3], "You held the room after that session.", category="cover")

    [post] = channel_posts(h)
    assert post.body["text"] == (
        "<at>Person 1</at> recognised <at>Person 2</at> and <at>Person 3</at>: "
        "covered for a colleague"
    )
    assert post.body["textFormat"] == "xml"
    assert post.body["entities"] == [expected_mention(1), expected_mention(2), expected_mention(3)]
    assert body_texts(card_of(post)) == [
        "🤝 Recognition",
        "You held the room after that session.",
    ]
    [row] = await kudos_rows(h)
    assert list(row.recipients) == [aad(2), aad(3)]
    assert row.channel_id == KUDOS_CHANNEL
    assert row.channel_ref and post.response_id in row.channel_ref

    # The form is replaced by the private confirmation, with its withdraw button.
    [update] = h.connector.of("update")
    assert update.conversation_id == personal_conversation(1)
    confirmation = card_of(update)
    assert confirmation["body"][0]["text"] == "Kudos sent"
    assert update.body["text"] == (
        "Your recognition of <at>Person 2</at> and <at>Person 3</at> is posted."
    )
    assert button_value(confirmation, "kudos-withdraw") == row.id
    assert f"or kudos withdraw {row.id}." in body_texts(confirmation)[1]

    # Each recipient is told privately: Teams opens a 1:1 chat with each (proactive).
    assert await h.deliver() == 2
    created = h.connector.of("create")
    assert sorted(c.body["members"][0]["id"] for c in created) == [
        "29:1test-user-0002",
        "29:1test-user-0003",
    ]
    notes = [
        c for c in h.connector.of("send", "reply") if c.conversation_id.startswith("a:created-")
    ]
    assert len(notes) == 2
    for note in notes:
        assert note.body["text"] == "<at>Person 1</at> recognised you: covered for a colleague"
        assert note.body["entities"] == [expected_mention(1)]
        assert button_value(card_of(note), "kudos-withdraw") == row.id


async def test_anonymous_kudos_mentions_only_the_recipients(kudos_teams: TeamsHarness) -> None:
    h = kudos_teams
    await install(h)
    await send_form(h, 1, [4], "Thank you for the cover.", visibility="anonymous")
    [post] = channel_posts(h)
    assert post.body["text"] == "A colleague recognised <at>Person 4</at>: other"
    assert post.body["entities"] == [expected_mention(4)]
    [row] = await kudos_rows(h)
    assert row.giver_id is None and row.anonymous


async def test_kudos_word_with_mentions_in_a_one_to_one_chat(kudos_teams: TeamsHarness) -> None:
    h = kudos_teams
    await install(h)
    await say_kudos(h, 1, [2], "support Thank you for sitting with me today")
    [post] = channel_posts(h)
    assert post.body["text"] == "<at>Person 1</at> recognised <at>Person 2</at>: supported me"
    assert body_texts(card_of(post))[1] == "Thank you for sitting with me today"
    # The mention carried only the Teams id; the contacts from the roster resolved it.
    assert not h.connector.of("member")
    reply = h.connector.of("reply")[-1]
    assert reply.conversation_id == personal_conversation(1)
    assert card_of(reply)["body"][0]["text"] == "Kudos sent"


async def test_kudos_as_an_at_mention_in_the_team_channel(kudos_teams: TeamsHarness) -> None:
    h = kudos_teams
    await install(h)
    await say_kudos(h, 1, [3, 4], "hard-session that intake was heavy", channel=True)
    [post] = channel_posts(h)
    assert post.body["text"] == (
        "<at>Person 1</at> recognised <at>Person 3</at> and <at>Person 4</at>: held a hard session"
    )
    assert body_texts(card_of(post))[1] == "that intake was heavy"
    # The giver's confirmation goes to their 1:1 chat; the thread only gets a short note.
    thread_replies = [c for c in h.connector.of("reply") if c.conversation_id.startswith("19:")]
    assert [card_of(c)["body"][0]["text"] for c in thread_replies] == [
        "I've replied in our private chat"
    ]
    [created] = h.connector.of("create")
    assert created.body["members"][0]["id"] == "29:1test-user-0001"
    private = [
        c for c in h.connector.of("send", "reply") if c.conversation_id.startswith("a:created-")
    ]
    assert card_of(private[0])["body"][0]["text"] == "Kudos sent"


async def test_a_mention_the_bot_has_not_seen_is_resolved_by_asking_teams(
    kudos_teams: TeamsHarness,
) -> None:
    h = kudos_teams
    await install(h)
    # Someone who joined after the install and has not spoken yet: only Teams knows them.
    from tests.support.msteams_driver import member

    h.connector.team_members[TEAM_ID].append(member(8, "Late Joiner"))
    from bot.storage.addresses import SqlAddressBook
    from bot.storage.db import session_factory

    await SqlAddressBook(session_factory(h.respite.engine)).remove("user", aad(8))
    activity = with_mentions(
        h, "channel_mention.json", 1, "<at>Respite</at> kudos <at>Person 8</at> thanks", [8]
    )
    assert (await h.teams.post(activity)).status == 200
    assert len(h.connector.of("member")) == 1
    [row] = await kudos_rows(h)
    assert list(row.recipients) == [aad(8)]


async def test_refusals_come_below_the_form_and_hint_the_word(kudos_teams: TeamsHarness) -> None:
    h = kudos_teams
    await install(h)
    await send_form(h, 1, [1], "me, myself")
    errors = h.connector.of("reply")[-1]
    assert "Nothing was saved yet" in " ".join(body_texts(card_of(errors)))
    await say_kudos(h, 1, [LEAD], "other thanks, boss")  # the lead is not a member
    refused = card_of(h.connector.of("reply")[-1])
    assert refused["body"][0]["text"] == "Kudos not sent"
    # Teams people type the word, not a slash command.
    assert refused["body"][-1]["text"].startswith("Usage: kudos @someone")
    assert not channel_posts(h)
    assert await h.count(kudos_t) == 0
    assert not h.connector.of("update")


async def test_no_channel_reference_means_nothing_is_kept(kudos_teams: TeamsHarness) -> None:
    h = kudos_teams
    # The bot was never added to the team, so it has no reference for its channel.
    await say_kudos(h, 1, [2], "thanks", with_aad=True)
    reply = card_of(h.connector.of("reply")[-1])
    assert reply["body"][0]["text"] == "Kudos not sent"
    assert "could not be reached" in " ".join(body_texts(reply))
    assert await h.count(kudos_t) == 0


async def test_every_kudos_card_sent_validates_against_the_1_5_schema(
    kudos_teams: TeamsHarness,
) -> None:
    h = kudos_teams
    await install(h)
    await send_form(h, 1, [2, 3], "Named one.", "cover")
    await send_form(h, 4, [5], "Anonymous one.", visibility="anonymous")
    await send_form(h, 1, [1], "self")
    await say_kudos(h, 6, [7], "consult great consult", channel=True)
    await h.teams.say(6, "kudos help")
    await h.teams.say(6, "kudos-names off")
    await h.teams.say(6, "kudos withdraw nope")
    await h.deliver()
    [first, *_] = await kudos_rows(h)
    await h.teams.say(5, f"kudos withdraw {first.id}")
    await h.teams.say(2, f"kudos withdraw {first.id}")
    validator = schema_validator()
    cards = h.connector.cards()
    assert len(cards) >= 15
    for card in cards:
        assert_valid(validator, card)
    titles = {c["body"][0]["text"] for c in cards}
    for expected in (
        "Recognise a colleague",
        "Kudos sent",
        "You were recognised",
        "Kudos withdrawn",
        "You can't withdraw this kudos",
        "No such kudos",
        "Roundup names",
        "Nothing was saved yet",
    ):
        assert expected in titles, (expected, sorted(titles))


async def test_weekly_roundup_names_teams_members_with_real_mentions(
    kudos_teams: TeamsHarness,
) -> None:
    from datetime import timedelta

    from scheduler import kudos

    h = kudos_teams
    await install(h)
    await send_form(h, 1, [2], "Thanks for the cover.", "cover")
    await send_form(h, 3, [4], "That session was heavy.", "hard-session")
    await h.teams.say(4, "kudos-names off")
    h.clock.advance(timedelta(days=4, hours=8))  # Friday 17:00 in London
    assert await kudos.post_roundups(h.respite.deps) == 1
    await h.deliver()
    roundup = channel_posts(h)[-1]
    assert card_of(roundup)["body"][0]["text"] == "This week's recognition"
    assert roundup.body["text"] == (
        "Recognised: <at>Person 2</at>, and 1 more who prefer not to be named."
    )
    assert roundup.body["entities"] == [expected_mention(2)]
    assert aad(4) not in str(roundup.body)
    assert_valid(schema_validator(), card_of(roundup))


async def test_kudos_alone_in_a_channel_sends_the_form_privately(
    kudos_teams: TeamsHarness,
) -> None:
    h = kudos_teams
    await install(h)
    activity = with_mentions(h, "channel_mention.json", 2, "<at>Respite</at> kudos", [])
    assert (await h.teams.post(activity)).status == 200
    [created] = h.connector.of("create")
    assert created.body["members"][0]["id"] == "29:1test-user-0002"
    [form] = [c for c in h.connector.of("send", "reply") if c.conversation_id.startswith("a:")]
    card = card_of(form)
    picker = next(b for b in card["body"] if b.get("id") == "recipients")
    assert aad(2) not in [c["value"] for c in picker["choices"]]
    assert len(picker["choices"]) == 7
    thread = [c for c in h.connector.of("reply") if c.conversation_id.startswith("19:")]
    assert [card_of(c)["body"][0]["text"] for c in thread] == ["I've replied in our private chat"]
    assert not channel_posts(h)
