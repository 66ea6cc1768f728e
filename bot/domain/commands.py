"""How a person types Respite's commands on their platform, for every hint the bot shows.

Slack has slash commands: `/checkin` and `/kudos` of their own, and `/respite <word>` for the
rest. Teams has no slash commands: a person sends the word itself to Respite (`checkin`,
`kudos`, `breaks pause 1w`). A hint written for the wrong platform is a command that fails, so
no card or reply spells a command out by hand: it asks here, and here asks the platform's own
`CommandStyle` (each platform declares it when it defines itself).
"""

from __future__ import annotations

from bot.domain.messages import Platform


def own(platform: Platform, name: str) -> str:
    """A command of its own: `/kudos` on Slack, `kudos` on Teams."""
    return f"{platform.style.own}{name}"


def word(platform: Platform, text: str) -> str:
    """A word of the umbrella command: `/respite breaks status` on Slack, `breaks status` on
    Teams."""
    return f"{platform.style.umbrella}{text}"


def umbrella(platform: Platform) -> str:
    """What comes before a word: `/respite ` on Slack, nothing on Teams."""
    return word(platform, "")


def types_bare_words(platform: Platform) -> bool:
    """Whether people send the bare word (no slash commands on their platform)."""
    return not platform.style.umbrella
