"""One routing table from neutral events to handlers, shared by every platform."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.domain.break_cards import BREAK_DONE, BREAK_PAUSE, BREAK_SKIP, BREAK_SNOOZE
from bot.domain.events import ButtonPress, Command, FormSubmission, Outcome, Reply
from bot.domain.messages import Card
from bot.domain.pulse import PULSE_FORM, START_CHECKIN
from handlers import breaks, checkin, digests, info
from handlers.deps import Deps

CommandHandler = Callable[[Deps, Command], Awaitable[Outcome]]
ButtonHandler = Callable[[Deps, ButtonPress], Awaitable[Outcome]]
FormHandler = Callable[[Deps, FormSubmission], Awaitable[Outcome]]

# Commands of their own: `/checkin` on Slack, the word `checkin` on Teams.
COMMANDS: dict[str, CommandHandler] = {}

# `/respite <word> ...` on Slack and `<word> ...` on Teams.
SUBCOMMANDS: dict[str, CommandHandler] = {
    "checkin": checkin.start,
    "help": info.help_,
    "privacy": info.privacy,
    "digest": digests.on_demand,
    "breaks": breaks.command,
}

COMMANDS["checkin"] = checkin.start

BUTTONS: dict[str, ButtonHandler] = {
    START_CHECKIN: checkin.start,
    BREAK_DONE: breaks.done,
    BREAK_SNOOZE: breaks.snooze,
    BREAK_SKIP: breaks.skip_today,
    BREAK_PAUSE: breaks.pause,
}

FORMS: dict[str, FormHandler] = {
    PULSE_FORM: checkin.submit,
}


async def on_command(deps: Deps, command: Command) -> Outcome:
    own = COMMANDS.get(command.name)
    if own is not None:
        return await own(deps, command)
    word, _, rest = command.args.strip().partition(" ")
    handler = SUBCOMMANDS.get(word.lower() or "help")
    if handler is None:
        return Reply(
            Card(
                title=f"I don't know “{word}”",
                blocks=("Try one of: " + ", ".join(sorted(SUBCOMMANDS)) + ".",),
            )
        )
    return await handler(deps, Command(command.actor, word.lower(), rest.strip(), command.mentions))


async def on_button(deps: Deps, press: ButtonPress) -> Outcome:
    handler = BUTTONS.get(press.action_id)
    if handler is None:
        return Reply(
            Card(title="That button has expired", blocks=("Please try the command again.",))
        )
    return await handler(deps, press)


async def on_form(deps: Deps, submission: FormSubmission) -> Outcome:
    handler = FORMS.get(submission.form_id)
    if handler is None:
        return Reply(Card(title="That form has expired", blocks=("Please open it again.",)))
    return await handler(deps, submission)
