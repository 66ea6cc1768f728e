"""handlers/info.py called directly: help and privacy speak the asker's platform and team."""

from __future__ import annotations

from bot.domain.events import Actor, Command, Reply
from bot.domain.messages import Platform
from handlers import info
from tests.support.fake_ports import fake_deps, member


async def test_help_names_each_word_as_the_platform_types_it() -> None:
    slack = await info.help_(fake_deps(), Command(member(1), "help"))
    assert isinstance(slack, Reply)
    assert "• /respite breaks:" in slack.card.fallback
    teams = await info.help_(fake_deps(), Command(Actor(Platform.TEAMS, "aad-1"), "help"))
    assert isinstance(teams, Reply)
    assert "• breaks:" in teams.card.fallback and "/respite" not in teams.card.fallback


async def test_privacy_gives_the_askers_team_threshold() -> None:
    deps = fake_deps(team={"min_group_size": 6})
    mine = await info.privacy(deps, Command(member(1), "privacy"))
    assert isinstance(mine, Reply) and "at least 6 people answer" in mine.card.fallback
    outsider = await info.privacy(deps, Command(Actor(Platform.SLACK, "UOUTSIDER"), "privacy"))
    assert isinstance(outsider, Reply) and "at least 5 by default" in outsider.card.fallback
