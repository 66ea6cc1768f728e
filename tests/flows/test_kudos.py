"""Kudos on every platform: a member recognises colleagues through the form, the post goes to the
team's recognition channel naming them, each is told privately, and the kudos can be withdrawn
by those it concerns; how each platform marks up a mention is in its own tests."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.kudos import Kudos
from bot.storage.db import session_factory
from bot.storage.kudos import SqlKudosStore
from bot.storage.tables import kudos as kudos_t
from tests.support.flows import LEAD, Flow, Form, Shown


async def _rows(flow: Flow) -> list[Kudos]:
    """Every stored kudos, oldest first, read back through the store."""
    async with AsyncSession(flow.respite.engine) as s:
        ids = (await s.scalars(select(kudos_t.c.id).order_by(kudos_t.c.created_at))).all()
    store = SqlKudosStore(session_factory(flow.respite.engine))
    found = [await store.get(i) for i in ids]
    return [k for k in found if k is not None]


async def _withdraw_id(flow: Flow, shown: Shown) -> str:
    assert shown.accepted, shown.text
    kudos_id = shown.buttons["kudos-withdraw"]
    assert kudos_id in [k.id for k in await _rows(flow)]
    return kudos_id


async def test_the_form_offers_recipients_category_visibility_and_message(flow: Flow) -> None:
    form = await flow.open_form(1, "kudos")
    assert isinstance(form, Form), form
    assert form.questions[:1] == ["recipients"]
    assert {"category", "visibility", "message"} <= set(form.questions)
    assert form.choices["category"] == [
        "hard-session",
        "cover",
        "consult",
        "support",
        "self-care",
        "other",
    ]


async def test_a_named_kudos_is_posted_once_and_each_recipient_is_told(flow: Flow) -> None:
    shown = await flow.send_kudos(1, [2, 3], "You held the room after that session.", "cover")
    assert shown.accepted and "Kudos sent" in shown.text
    [post] = flow.channel_posts()
    assert "recognised" in post and "covered for a colleague" in post
    assert "You held the room after that session." in post
    [row] = await _rows(flow)
    assert row.giver_id == flow.user(1) and not row.anonymous
    assert list(row.recipients) == [flow.user(2), flow.user(3)]
    assert row.category == "cover" and row.channel_id == flow.kudos_channel
    # Each recipient is told privately, through the outbox.
    assert await flow.deliver() == 2
    for person in (2, 3):
        [note] = flow.prompts(person, "recognised you")
        assert "covered for a colleague" in note.text


async def test_an_anonymous_kudos_keeps_and_shows_no_giver(flow: Flow) -> None:
    shown = await flow.send_kudos(1, [4], "Thank you for the cover.", visibility="anonymous")
    assert shown.accepted and "keyed hash" in shown.text
    [post] = flow.channel_posts()
    assert "A colleague recognised" in post
    assert flow.user(1) not in post and "Person 1" not in post
    [row] = await _rows(flow)
    assert row.giver_id is None and row.anonymous
    assert row.giver_tag is not None and len(row.giver_tag) == 64
    await flow.deliver()
    [note] = flow.prompts(4, "recognised you")
    assert flow.user(1) not in note.text and "Person 1" not in note.text


async def test_refusals_say_why_and_keep_nothing(flow: Flow) -> None:
    to_self = await flow.send_kudos(1, [1], "me, myself")
    assert not to_self.accepted and "yourself" in to_self.text
    wordless = await flow.send_kudos(1, [2], "")
    assert not wordless.accepted and "Add a few words" in wordless.text
    # The lead is not a member of the team, so not someone to recognise here.
    outsider = await flow.send_kudos(1, [LEAD], "thanks, boss")
    assert not outsider.accepted
    assert flow.channel_posts() == []
    assert await flow.count(kudos_t) == 0


async def test_the_giver_withdraws_with_the_button(flow: Flow) -> None:
    shown = await flow.send_kudos(1, [2], "Thank you for the consult.", "consult")
    await _withdraw_id(flow, shown)
    withdrawn = await flow.press(1, shown, "kudos-withdraw")
    assert "Kudos withdrawn" in withdrawn.text
    assert flow.deleted_posts() == 1
    assert await flow.count(kudos_t) == 0


async def test_a_recipient_and_the_lead_may_withdraw_and_others_may_not(flow: Flow) -> None:
    first = await _withdraw_id(flow, await flow.send_kudos(1, [2], "Thanks for the lunch break."))
    denied = await flow.say(5, f"kudos withdraw {first}")
    assert "can't withdraw" in denied.text
    assert "No such kudos" in (await flow.say(5, "kudos withdraw nosuchid")).text
    assert flow.deleted_posts() == 0 and await flow.count(kudos_t) == 1
    assert "Kudos withdrawn" in (await flow.say(2, f"kudos withdraw {first}")).text
    second = await _withdraw_id(flow, await flow.send_kudos(1, [3], "Thanks again."))
    assert "Kudos withdrawn" in (await flow.say(LEAD, f"kudos withdraw {second}")).text
    assert flow.deleted_posts() == 2
    assert await flow.count(kudos_t) == 0


async def test_a_withdrawn_kudos_never_reaches_its_recipients_privately(flow: Flow) -> None:
    kudos_id = await _withdraw_id(flow, await flow.send_kudos(1, [2, 3], "Thank you."))
    # Withdrawn before the outbox worker came round to the recipients' notes.
    assert "Kudos withdrawn" in (await flow.say(1, f"kudos withdraw {kudos_id}")).text
    assert await flow.deliver() == 0
    assert flow.prompts(2, "recognised you") == flow.prompts(3, "recognised you") == []
    # A kudos left standing still tells its recipient.
    await flow.send_kudos(1, [2], "Thanks again.")
    assert await flow.deliver() == 1
