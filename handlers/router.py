"""One routing table from neutral events to handlers, shared by every platform."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace

from bot.domain.break_cards import BREAK_DONE, BREAK_PAUSE, BREAK_SKIP, BREAK_SNOOZE
from bot.domain.commands import ARGUMENTS, canonical, shown
from bot.domain.events import Actor, ButtonPress, Command, FormSubmission, Outcome, Reply
from bot.domain.kudos_cards import KUDOS_FORM, WITHDRAW
from bot.domain.messages import Card, Platform
from bot.domain.pulse import PULSE_FORM, START_CHECKIN
from bot.infra.i18n import DEFAULT_LOCALE, _, use_locale
from bot.infra.metrics import INTERACTIONS
from handlers import breaks, digest, info, kudos, language, pulse
from handlers.deps import Deps

log = logging.getLogger(__name__)

CommandHandler = Callable[[Deps, Command], Awaitable[Outcome]]
ButtonHandler = Callable[[Deps, ButtonPress], Awaitable[Outcome]]
FormHandler = Callable[[Deps, FormSubmission], Awaitable[Outcome]]

# Commands of their own: `/checkin` on Slack, the word `checkin` on Teams.
COMMANDS: dict[str, CommandHandler] = {}

# `/respite <word> ...` on Slack and `<word> ...` on Teams.
SUBCOMMANDS: dict[str, CommandHandler] = {
    "checkin": pulse.start,
    "pulse": pulse.pulse_at,
    "help": info.help_,
    "privacy": info.privacy,
    "digest": digest.on_demand,
    "kudos": kudos.give,
    "kudos-names": kudos.names,
    "breaks": breaks.command,
    "language": language.command,
}

COMMANDS["checkin"] = pulse.start
COMMANDS["kudos"] = kudos.give

BUTTONS: dict[str, ButtonHandler] = {
    START_CHECKIN: pulse.start,
    WITHDRAW: kudos.withdraw_button,
    BREAK_DONE: breaks.done,
    BREAK_SNOOZE: breaks.snooze,
    BREAK_SKIP: breaks.skip_today,
    BREAK_PAUSE: breaks.pause,
}

FORMS: dict[str, FormHandler] = {
    PULSE_FORM: pulse.submit,
    KUDOS_FORM: kudos.submit,
}


async def _on_command(deps: Deps, command: Command) -> Outcome:
    INTERACTIONS.labels(command.actor.platform.value, "command").inc()
    own = COMMANDS.get(command.name)
    if own is not None:
        return await own(deps, replace(command, args=_first_argument(command.name, command.args)))
    typed, _sep, rest = command.args.strip().partition(" ")
    # A word in any shipped language reads as its English word (`hilfe`, `ayuda`: `help`).
    word = canonical(typed, SUBCOMMANDS) if typed else "help"
    handler = SUBCOMMANDS.get(word) if word else None
    if word is None or handler is None:
        return Reply(
            Card(
                title=_("I don't know “{word}”").format(word=typed),
                blocks=(
                    _("Try one of: {words}.").format(words=_known_words(command.actor.platform)),
                ),
            )
        )
    return await handler(deps, replace(command, name=word, args=_first_argument(word, rest)))


def _known_words(platform: Platform) -> str:
    """The umbrella command's words as the reader types them, sorted as they read them."""
    return ", ".join(sorted(shown(platform, word) for word in SUBCOMMANDS))


def _first_argument(word: str, rest: str) -> str:
    """`rest` with its first word read back to English when `word` takes argument words."""
    first, _sep, tail = rest.strip().partition(" ")
    english = canonical(first, ARGUMENTS.get(word, ())) if first else None
    if english is None:
        return rest.strip()
    return f"{english} {tail.strip()}".strip()


async def _on_button(deps: Deps, press: ButtonPress) -> Outcome:
    INTERACTIONS.labels(press.actor.platform.value, "button").inc()
    handler = BUTTONS.get(press.action_id)
    if handler is None:
        return Reply(
            Card(
                title=_("That button has expired"),
                blocks=(_("Please try the command again."),),
            )
        )
    return await handler(deps, press)


async def _on_form(deps: Deps, submission: FormSubmission) -> Outcome:
    INTERACTIONS.labels(submission.actor.platform.value, "form").inc()
    handler = FORMS.get(submission.form_id)
    if handler is None:
        return Reply(Card(title=_("That form has expired"), blocks=(_("Please open it again."),)))
    return await handler(deps, submission)


# Every reply is built in the language of the person who acted (bot/domain/language.py).
async def _locale_of(deps: Deps, actor: Actor) -> str:
    return await deps.languages.for_actor(deps.directory, actor)


async def locale_of(deps: Deps, actor: Actor) -> str:
    """The language a platform shows its own words in for `actor` (form labels, apologies).

    A platform renders after the handler returns, and apologises after it failed, both outside
    the router's `use_locale`; it asks here first. The question may fail for the reason the turn
    fails (the database is down): the answer is then English, so an apology still goes out.
    """
    if not actor.user_id:
        return DEFAULT_LOCALE
    try:
        return await _locale_of(deps, actor)
    except Exception:
        log.warning("the language of a %s user could not be read", actor.platform.value)
        return DEFAULT_LOCALE


# `locale` is the actor's language when the platform already read it this turn (`locale_of`,
# for the words it renders itself), so one turn asks the store once; None reads it here.
async def on_command(deps: Deps, command: Command, locale: str | None = None) -> Outcome:
    with use_locale(locale or await _locale_of(deps, command.actor)):
        return await _on_command(deps, command)


async def on_button(deps: Deps, press: ButtonPress, locale: str | None = None) -> Outcome:
    with use_locale(locale or await _locale_of(deps, press.actor)):
        return await _on_button(deps, press)


async def on_form(deps: Deps, submission: FormSubmission, locale: str | None = None) -> Outcome:
    with use_locale(locale or await _locale_of(deps, submission.actor)):
        return await _on_form(deps, submission)
