"""How a person types Respite's commands on their platform, for every hint the bot shows.

Slack has slash commands: `/checkin` and `/kudos` of their own, and `/respite <word>` for the
rest. Teams has no slash commands: a person sends the word itself to Respite (`checkin`,
`kudos`, `breaks pause 1w`). A hint written for the wrong platform is a command that fails, so
no card or reply spells a command out by hand: it asks here, and here asks the platform's own
`CommandStyle` (each platform declares it when it defines itself).

Command words have translations too, under the gettext context "command" (`pgettext`). Slack's
slash commands are fixed in its app manifest, so Slack shows the English words; Teams' command
menu comes in the reader's language (the app package's de.json and es.json), and Teams sends the
word as it was shown. So `canonical` reads a word typed in any shipped language back to its
English word, on every platform: accepting `/respite ayuda` on Slack costs nothing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import cache

from bot.domain.messages import Platform
from bot.infra.i18n import LOCALES, pgettext, translations

CONTEXT = "command"

# The argument words a command takes first, by the command's English word. The router reads
# the first argument back to English too, so `pausen pausieren 1w` means `breaks pause 1w`.
ARGUMENTS: dict[str, tuple[str, ...]] = {
    "breaks": ("status", "on", "off", "at", "hours", "pause", "resume", "zone", "calendar"),
    "kudos-names": ("on", "off"),
    "kudos": ("withdraw",),
    "language": ("auto",),
    "pulse": ("at",),
}


def vocabulary() -> dict[str, str]:
    """Every command and argument word in the current language, by its English word.

    Nothing calls this at run time: it exists so that the extractor finds each word under the
    "command" context, the calls written out one by one. `localised` and `spellings` translate
    the words at run time; a word missing here is missing from the catalogs.
    """
    return {
        "checkin": pgettext("command", "checkin"),
        "pulse": pgettext("command", "pulse"),
        "help": pgettext("command", "help"),
        "privacy": pgettext("command", "privacy"),
        "digest": pgettext("command", "digest"),
        "kudos": pgettext("command", "kudos"),
        "kudos-names": pgettext("command", "kudos-names"),
        "breaks": pgettext("command", "breaks"),
        "language": pgettext("command", "language"),
        "status": pgettext("command", "status"),
        "on": pgettext("command", "on"),
        "off": pgettext("command", "off"),
        "at": pgettext("command", "at"),
        "hours": pgettext("command", "hours"),
        "pause": pgettext("command", "pause"),
        "resume": pgettext("command", "resume"),
        "zone": pgettext("command", "zone"),
        "calendar": pgettext("command", "calendar"),
        "withdraw": pgettext("command", "withdraw"),
        "auto": pgettext("command", "auto"),
    }


def localised(english: str) -> str:
    """A command word as the current language writes it (`breaks` is `pausen` in German)."""
    return pgettext(CONTEXT, english)


def shown(platform: Platform, english: str) -> str:
    """A command word as the reader types it: in their language on Teams, whose command menu
    is translated; in English on Slack, whose slash commands are fixed in its manifest."""
    return localised(english) if types_bare_words(platform) else english


def _folded(text: str) -> str:
    """A word without case or accents, so `Zurückziehen`, `zuruckziehen` and `ZURÜCKZIEHEN`
    are one word."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@cache
def spellings(english: str) -> frozenset[str]:
    """Every shipped language's spelling of a command word, folded (English's included).

    The catalogs are fixed once loaded, so each word's spellings are worked out once.
    """
    return frozenset({_folded(english)}) | {
        _folded(translations(locale).pgettext(CONTEXT, english)) for locale in LOCALES
    }


def canonical(typed: str, english_words: Iterable[str]) -> str | None:
    """The English word among `english_words` that `typed` spells in any shipped language.

    Case and accents do not matter. None when `typed` is none of them.
    """
    folded = _folded(typed)
    if not folded:
        return None
    words = tuple(english_words)
    for english in words:
        if _folded(english) == folded:
            return english
    for english in words:
        if folded in spellings(english):
            return english
    return None


def own(platform: Platform, name: str) -> str:
    """A command of its own: `/checkin` on Slack, `checkin` on Teams (`einchecken` in German)."""
    return f"{platform.style.own}{shown(platform, name)}"


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
