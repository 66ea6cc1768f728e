"""Command descriptions in the Teams manifest fit Teams' 128 characters and end at a word."""

from __future__ import annotations

from bot.domain.messages import Platform
from bot.platforms.msteams.package import (
    MAX_DESCRIPTION,
    MENU_DESCRIPTIONS,
    PackageOptions,
    fit_description,
    manifest,
)
from handlers.info import help_topics

APP_ID = "0f2b7c3e-5a1d-4e8b-9c6f-2d3a4b5c6d7e"


def _words(text: str) -> set[str]:
    return set(text.split())


def test_every_command_description_fits_and_ends_at_a_word() -> None:
    data = manifest(PackageOptions(app_id=APP_ID))
    helps = dict(help_topics(Platform.TEAMS))
    commands = [c for bot in data["bots"] for lst in bot["commandLists"] for c in lst["commands"]]
    assert commands
    for command in commands:
        description = command["description"]
        assert 0 < len(description) <= MAX_DESCRIPTION, command
        assert description == description.strip(), command
        word = command["title"]
        sources = [helps.get(word, ""), MENU_DESCRIPTIONS.get(word, ""), f"Respite: {word}"]
        known = set().union(*(_words(s) for s in sources))
        last = description.removesuffix("…").split()[-1]
        assert last in known, f"{word}: ends mid-word at {last!r}"


def test_kudos_is_described_in_whole_words() -> None:
    data = manifest(PackageOptions(app_id=APP_ID))
    commands = data["bots"][0]["commandLists"][0]["commands"]
    kudos = next(c for c in commands if c["title"] == "kudos")
    assert len(kudos["description"]) <= MAX_DESCRIPTION
    assert "kudos @someone" in kudos["description"]


def test_a_long_description_is_cut_at_a_word() -> None:
    source = " ".join(["recognise", "colleagues"] * 12)
    cut = fit_description(source)
    assert len(cut) <= MAX_DESCRIPTION
    assert cut.endswith("…")
    kept = cut.removesuffix("…")
    assert source.startswith(kept) and source[len(kept)] == " "
    assert fit_description("short words") == "short words"
