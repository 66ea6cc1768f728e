"""handlers/kudos.py called directly: kudos kept in memory, a platform that accepts every post,
and the outbox that would tell each recipient."""

from __future__ import annotations

from bot.domain.events import (
    Actor,
    ButtonPress,
    Command,
    FormErrors,
    FormSubmission,
    Reply,
    ShowForm,
)
from bot.domain.kudos import GiverKey
from bot.domain.messages import Platform
from handlers import kudos
from handlers.deps import Deps
from tests.support.fake_ports import FakeKudos, FakeOutbox, FakeSender, fake_deps, member
from tests.support.roster import LEAD

CHANNEL = "C0KUDOS01"


def _world() -> tuple[Deps, FakeKudos, FakeSender, FakeOutbox]:
    """Deps with recognition on: the kudos, the posts and the queued notes, to read back."""
    store, sender, outbox = FakeKudos(), FakeSender(), FakeOutbox()
    deps = fake_deps(
        kudos=store,
        giver_key=GiverKey(b"kudos-handler-tests-secret-0123456789"),
        senders={Platform.SLACK: sender},
        outbox=outbox,
        team={"kudos_channel": CHANNEL},
    )
    return deps, store, sender, outbox


async def test_recognition_that_is_off_says_so() -> None:
    reply = await kudos.give(
        fake_deps(team={"kudos_channel": CHANNEL}), Command(member(1), "kudos")
    )
    assert isinstance(reply, Reply)
    assert "not set up" in reply.card.fallback.lower()


async def test_a_kudos_is_posted_kept_and_queued_for_each_recipient() -> None:
    deps, store, sender, outbox = _world()
    assert isinstance(await kudos.give(deps, Command(member(1), "kudos")), ShowForm)
    ana, ben = member(2).user_id, member(3).user_id
    sent = await kudos.give(
        deps, Command(member(1), "kudos", "cover thank you", mentions=(ana, ben))
    )
    assert isinstance(sent, Reply) and "Kudos sent" in sent.card.fallback
    [(channel, post)] = sender.sent
    assert channel.channel_id == CHANNEL and "covered for a colleague" in post.fallback
    [kept] = store.kudos.values()
    assert kept.recipients == (ana, ben) and kept.channel_ref == "post-1"
    assert sorted(r.user_id or "" for r, _, _ in outbox.queued.values()) == [ana, ben]


async def test_refusals_keep_nothing() -> None:
    deps, store, sender, outbox = _world()
    me = member(1).user_id
    to_self = await kudos.give(deps, Command(member(1), "kudos", "thanks", mentions=(me,)))
    assert isinstance(to_self, Reply) and "yourself" in to_self.card.fallback
    values = {"recipients": member(2).user_id, "category": "other", "visibility": "named"}
    wordless = await kudos.submit(deps, FormSubmission(member(1), "kudos", values))
    assert isinstance(wordless, FormErrors) and set(wordless.errors) == {"message"}
    assert store.kudos == {} and sender.sent == [] and outbox.queued == {}


async def test_a_recipient_or_the_lead_withdraws_and_others_may_not() -> None:
    deps, store, sender, outbox = _world()
    await kudos.give(deps, Command(member(1), "kudos", "thanks", mentions=(member(2).user_id,)))
    [kudos_id] = store.kudos
    denied = await kudos.withdraw_button(deps, ButtonPress(member(5), "kudos-withdraw", kudos_id))
    assert isinstance(denied, Reply) and "can't withdraw" in denied.card.fallback
    done = await kudos.withdraw_button(deps, ButtonPress(member(2), "kudos-withdraw", kudos_id))
    assert isinstance(done, Reply) and "Kudos withdrawn" in done.card.fallback
    assert store.kudos == {} and sender.deleted == ["post-1"] and outbox.queued == {}
    await kudos.give(deps, Command(member(1), "kudos", "again", mentions=(member(3).user_id,)))
    [second] = store.kudos
    by_lead = await kudos.withdraw_button(
        deps, ButtonPress(Actor(Platform.SLACK, LEAD), "kudos-withdraw", second)
    )
    assert isinstance(by_lead, Reply) and "Kudos withdrawn" in by_lead.card.fallback
