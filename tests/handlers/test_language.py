"""`language` without a store to keep languages says so; the router speaks the language given."""

from __future__ import annotations

from bot.domain.events import Command, Reply
from bot.domain.language import Languages
from bot.domain.messages import Platform
from bot.domain.ports.locales import NullLocaleStore, PersonLocale
from handlers import router
from handlers.deps import Deps
from tests.support.fake_ports import fake_deps, member


async def _say(deps: Deps, text: str) -> str:
    outcome = await router.on_command(deps, Command(member(1), "respite", text))
    assert isinstance(outcome, Reply)
    return outcome.card.fallback


async def test_choosing_without_a_store_says_nothing_was_kept() -> None:
    deps = fake_deps(languages=Languages(NullLocaleStore()))
    assert not deps.languages.enabled
    for text in ("language de", "language auto", "language automatisch"):
        said = await _say(deps, text)
        assert "cannot keep a language here" in said
        assert "Nothing was changed" in said
        assert "now speaks" not in said
    assert await deps.languages.for_actor(deps.directory, member(1)) == "en"


class _Unreadable(NullLocaleStore):
    """A store that fails when asked, as it would with the database down."""

    enabled = True

    async def get(self, platform: Platform, user_id: str) -> PersonLocale | None:
        raise AssertionError("the router asked for a language it was handed")


async def test_the_router_speaks_the_language_the_platform_hands_it() -> None:
    deps = fake_deps(languages=Languages(_Unreadable()))
    command = Command(member(1), "respite", "hilfe")
    outcome = await router.on_command(deps, command, "de")
    assert isinstance(outcome, Reply)
    assert outcome.card.title == "Respite hilft Ihrem Team, Burnout zu erkennen und zu lindern"
