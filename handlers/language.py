"""`language`: the language Respite speaks to a person, shown, chosen, or left to the platform.

`/respite language de` (Slack) or `language de` (Teams) chooses German; `language auto` goes
back to what Slack or Teams reports; `language` alone names the current one and those available,
each in its own language so a reader finds theirs without reading ours.
"""

from __future__ import annotations

from bot.domain.events import Actor, Command, Outcome, Reply
from bot.domain.messages import Card
from bot.infra.i18n import LOCALES, NATIVE_NAMES, _, supported, use_locale
from handlers.deps import Deps


def _from_word(word: str) -> str | None:
    """A shipped locale from a tag ("de", "es-MX") or a language's own name ("Deutsch")."""
    if locale := supported(word):
        return locale
    names = {name.lower(): code for code, name in NATIVE_NAMES.items()}
    names.update({"german": "de", "spanish": "es", "espanol": "es", "englisch": "en"})
    return names.get(word.lower())


def _available() -> str:
    return ", ".join(f"{NATIVE_NAMES[code]} ({code})" for code in LOCALES)


async def command(deps: Deps, command: Command) -> Outcome:
    actor = command.actor
    word = command.args.strip().split(" ")[0] if command.args.strip() else ""
    if not word:
        return _shown(await deps.languages.for_actor(deps.directory, actor))
    # The router reads `auto` back from any shipped language (`automatisch`, `automático`).
    if word == "auto":
        if not deps.languages.enabled:
            return await _not_kept(deps, actor)
        await deps.languages.clear_choice(actor.platform, actor.user_id)
        with use_locale(await deps.languages.for_actor(deps.directory, actor)):
            return Reply(
                Card(
                    title=_("Language: automatic"),
                    blocks=(
                        _(
                            "Respite now follows the language of your {platform} settings, or "
                            "your team's language when Respite does not speak yours."
                        ).format(platform=actor.platform.value.capitalize()),
                    ),
                )
            )
    locale = _from_word(word)
    if locale is None:
        return Reply(
            Card(
                title=_("Respite does not speak “{word}” yet").format(word=word),
                blocks=(_("Available: {languages}.").format(languages=_available()),),
            )
        )
    if not deps.languages.enabled:
        return await _not_kept(deps, actor)
    await deps.languages.choose(actor.platform, actor.user_id, locale)
    with use_locale(locale):
        return Reply(
            Card(
                title=_("Language: {language}").format(language=NATIVE_NAMES[locale]),
                blocks=(
                    _(
                        "Respite now speaks {language} to you. “language auto” goes back to the "
                        "language of your platform settings."
                    ).format(language=NATIVE_NAMES[locale]),
                ),
            )
        )


async def _not_kept(deps: Deps, actor: Actor) -> Outcome:
    """The honest answer where no store keeps languages: nothing was chosen, and why."""
    current = await deps.languages.for_actor(deps.directory, actor)
    with use_locale(current):
        return Reply(
            Card(
                title=_("Respite cannot keep a language here"),
                blocks=(
                    _(
                        "Nothing was changed. Respite speaks {language} to you here: your "
                        "team's or your organisation's language."
                    ).format(language=NATIVE_NAMES[current]),
                ),
            )
        )


def _shown(locale: str) -> Outcome:
    with use_locale(locale):
        return Reply(
            Card(
                title=_("Language: {language}").format(language=NATIVE_NAMES[locale]),
                blocks=(
                    _("Available: {languages}.").format(languages=_available()),
                    _(
                        "Choose one with “language de”, “language en” or “language es”; "
                        "“language auto” follows your platform settings."
                    ),
                ),
            )
        )
