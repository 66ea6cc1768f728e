"""handlers/digest.py called directly: who may read which digest, before any round has closed
(the null digest store has none)."""

from __future__ import annotations

from bot.domain.events import Actor, Command, Reply
from bot.domain.messages import Platform
from handlers import digest
from tests.support.fake_ports import fake_deps, member
from tests.support.roster import LEAD


async def test_a_member_is_told_digests_are_for_leads() -> None:
    reply = await digest.on_demand(fake_deps(), Command(member(1), "digest"))
    assert isinstance(reply, Reply) and reply.card.title.startswith("Digests are for leads")


async def test_a_lead_sees_only_the_groups_they_lead() -> None:
    deps = fake_deps()
    lead = Actor(Platform.SLACK, LEAD)
    assert digest.default_groups(deps, digest.viewer(deps, lead)) == ["riverside"]
    mine = await digest.on_demand(deps, Command(lead, "digest"))
    assert isinstance(mine, Reply) and mine.card.title == "No digest yet for riverside"
    other = await digest.on_demand(deps, Command(lead, "digest", "organisation"))
    assert isinstance(other, Reply) and other.card.title == "No digest you can read"
