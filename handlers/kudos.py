"""Recognition between colleagues: give, withdraw, and choose whether roundups name you.

A kudos is posted straight to the team's recognition channel, not through the outbox, because the
channel message's reference must be stored before anyone can withdraw it; if the post fails the
kudos is not kept and the giver is told to try again. The recipients' private notes go through the
outbox, which retries them. Logs name the team and counts, never a giver.

An anonymous kudos is built so that nothing stored ties it to its giver (bot/domain/kudos.py): no
giver id, its hour rather than its moment, and a withdrawal tag unique to it. Who gave it is
passed to the store for the quota only.

A kudos is given once however often it arrives: the same form submitted twenty times at once, a
signed /kudos replayed, a delivery retried. The store keeps keyed marks of it for a few minutes
(`once_marks`: its giver with the request's id, and with its content), and a submission that
finds them posts nothing and says so.

Languages: what only the giver sees speaks the giver's language (the router sets it); the channel
post speaks the team's (`Languages.default_for`), since a channel has many readers and an
anonymous kudos in its giver's language would single them out in a mixed team; each recipient's
private note speaks that recipient's.
"""

from __future__ import annotations

import logging
import secrets

from bot.domain.events import (
    Actor,
    ButtonPress,
    Command,
    FormErrors,
    FormSubmission,
    Outcome,
    Reply,
    ShowForm,
)
from bot.domain.kudos import (
    DEFAULT_CATEGORY,
    ONCE_WINDOW,
    AlreadyGiven,
    Draft,
    Kudos,
    Refusal,
    check_draft,
    clean_message,
    giver,
    may_withdraw,
    once_marks,
    parse_command_text,
    stored_time,
)
from bot.domain.kudos_cards import (
    ANONYMOUS,
    channel_card,
    form_card,
    names_card,
    no_channel_card,
    not_allowed_card,
    not_found_card,
    post_failed_card,
    quota_card,
    recipient_card,
    refused_card,
    sent_card,
    usage_card,
    withdraw_failed_card,
    withdrawn_card,
)
from bot.domain.messages import Card, Recipient
from bot.domain.ports import DeliveryFailed
from bot.domain.pulse import no_team_card
from bot.domain.team import Team
from bot.infra.i18n import _, format_number, ngettext, use_locale
from handlers.deps import Deps

log = logging.getLogger(__name__)


def not_set_up_card() -> Card:
    return Card(
        title=_("Recognition is not set up"),
        blocks=(_("Kudos are not available on this Respite server yet."),),
    )


def already_given_card() -> Card:
    minutes = int(ONCE_WINDOW.total_seconds()) // 60
    return Card(
        title=_("Kudos already sent"),
        blocks=(
            ngettext(
                "This kudos reached Respite more than once; it was posted once. Sending the same "
                "words to the same people again is possible after {minutes} minute.",
                "This kudos reached Respite more than once; it was posted once. Sending the same "
                "words to the same people again is possible after {minutes} minutes.",
                minutes,
            ).format(minutes=format_number(minutes)),
        ),
    )


# The English card, for callers that compare titles outside any person's language.
NOT_SET_UP = not_set_up_card()


async def give(deps: Deps, command: Command) -> Outcome:
    """`/kudos @a @b [anon] [category] message`, `/kudos` alone for the form, or `withdraw <id>`."""
    word, _space, rest = command.args.strip().partition(" ")
    if not command.mentions:
        if word.lower() == "withdraw":
            return await _withdraw(deps, command.actor, rest.strip())
        if word.lower() == "help":
            return Reply(usage_card(command.actor.platform))
        if not command.args.strip():
            return await open_form(deps, command.actor)
    team = deps.directory.team_of(command.actor.platform, command.actor.user_id)
    if team is None:
        return Reply(no_team_card())
    result = await _create(
        deps,
        command.actor,
        team,
        parse_command_text(command.args, command.mentions),
        command.request_id,
    )
    if isinstance(result, Kudos):
        return Reply(sent_card(result))
    if isinstance(result, Card):
        return Reply(result)
    return Reply(refused_card(result, command.actor.platform))


async def open_form(deps: Deps, actor: Actor) -> Outcome:
    team = deps.directory.team_of(actor.platform, actor.user_id)
    if team is None:
        return Reply(no_team_card())
    if not deps.kudos.enabled:
        return Reply(not_set_up_card())
    if not team.kudos_channel:
        return Reply(no_channel_card(team))
    return ShowForm(form_card(team))


async def submit(deps: Deps, submission: FormSubmission) -> Outcome:
    actor = submission.actor
    team = deps.directory.team_of(actor.platform, actor.user_id)
    if team is None:
        return Reply(no_team_card())
    values = submission.values
    draft = Draft(
        recipients=tuple(dict.fromkeys(values.get("recipients", "").split())),
        category=values.get("category") or DEFAULT_CATEGORY,
        message=clean_message(values.get("message", "")),
        anonymous=values.get("visibility") == ANONYMOUS,
    )
    result = await _create(deps, actor, team, draft, submission.request_id)
    if isinstance(result, Kudos):
        return Reply(sent_card(result))
    if isinstance(result, Card):
        return Reply(result)
    errors: dict[str, str] = {}
    for refusal in result:
        errors[refusal.field] = " ".join(filter(None, (errors.get(refusal.field), refusal.reason)))
    return FormErrors(errors)


async def _create(
    deps: Deps, actor: Actor, team: Team, draft: Draft, request_id: str = ""
) -> Kudos | Card | list[Refusal]:
    if not deps.kudos.enabled:
        return not_set_up_card()
    store, key = deps.kudos, deps.giver_key
    refusals = check_draft(actor.user_id, team, draft)
    if refusals:
        return refusals
    if not team.kudos_channel:
        return no_channel_card(team)
    sender = deps.senders.get(team.platform)
    if sender is None:
        log.error("kudos: no sender for platform %s", team.platform)
        return post_failed_card()
    now = deps.clock.now()
    kudos_id = secrets.token_hex(6)
    kudos = Kudos(
        id=kudos_id,
        team_id=team.id,
        platform=team.platform,
        recipients=draft.recipients,
        category=draft.category,
        message=draft.message,
        anonymous=draft.anonymous,
        giver_id=None if draft.anonymous else actor.user_id,
        giver_tag=key.tag(kudos_id, actor.platform, actor.user_id) if draft.anonymous else None,
        created_at=stored_time(team, now) if draft.anonymous else now,
        channel_id=team.kudos_channel,
    )
    who = giver(key, actor.platform, actor.user_id)
    once = once_marks(
        key,
        actor.platform,
        actor.user_id,
        draft.recipients,
        draft.category,
        draft.message,
        draft.anonymous,
        request_id,
    )
    over = await store.add_within_quota(kudos, who, team.kudos_daily_limit, now, once)
    if isinstance(over, AlreadyGiven):
        log.info("kudos: a repeated submission in team %s posted nothing", team.id)
        return already_given_card()
    if over is not None:
        return quota_card(over, team.kudos_daily_limit, team)
    channel = Recipient(team.platform, channel_id=team.kudos_channel)
    with use_locale(deps.languages.default_for(team.id)):
        post = channel_card(kudos)
    try:
        ref = await sender.send(channel, post)
    except Exception as exc:
        await store.discard(kudos.id, who, now, once)
        log.warning("kudos: posting to team %s's channel failed: %s", team.id, type(exc).__name__)
        return post_failed_card()
    if ref is not None and not await store.set_channel_ref(kudos.id, ref):
        # Withdrawn while it was being posted: take the post down again.
        await _delete_post(deps, kudos, ref)
        return withdrawn_card()
    notes: dict[str, Card] = {}
    groups = await deps.languages.groups(team.platform, kudos.recipients, team.id)
    for locale, users in groups.items():
        with use_locale(locale):
            note = recipient_card(kudos)
        notes.update(dict.fromkeys(users, note))
    for user in kudos.recipients:
        to = Recipient(team.platform, user_id=user)
        await deps.outbox.enqueue(f"{_notes(kudos.id)}{to.key}", to, notes[user], now)
    if await store.get(kudos.id) is None:
        # Withdrawn while the notes were being queued: they must not go out either.
        await deps.outbox.cancel(_notes(kudos.id))
        return withdrawn_card()
    log.info("kudos posted in team %s to %d people", team.id, len(kudos.recipients))
    return kudos


def _notes(kudos_id: str) -> str:
    """The outbox key prefix of a kudos' private notes to its recipients."""
    return f"kudos-dm:{kudos_id}:"


async def _delete_post(deps: Deps, kudos: Kudos, ref: str) -> bool:
    """Remove the channel post; False when the platform cannot do it right now."""
    sender = deps.senders.get(kudos.platform)
    if sender is None:
        return False
    try:
        await sender.delete(Recipient(kudos.platform, channel_id=kudos.channel_id), ref)
    except DeliveryFailed as exc:
        # Gone already, or the bot lost access: nothing further can remove it from our side.
        log.warning("kudos: channel post of team %s could not be deleted: %s", kudos.team_id, exc)
    except Exception as exc:
        log.warning("kudos: deleting a post failed, will need a retry: %s", type(exc).__name__)
        return False
    return True


async def _withdraw(deps: Deps, actor: Actor, kudos_id: str) -> Outcome:
    if not deps.kudos.enabled:
        return Reply(not_set_up_card())
    store, key = deps.kudos, deps.giver_key
    if not kudos_id:
        return Reply(usage_card(actor.platform))
    kudos = await store.get(kudos_id)
    if kudos is None:
        return Reply(not_found_card(kudos_id[:40]))
    team = deps.directory.team(kudos.team_id)
    if not may_withdraw(kudos, team, actor.platform, actor.user_id, key):
        return Reply(not_allowed_card())
    if kudos.channel_ref and not await _delete_post(deps, kudos, kudos.channel_ref):
        return Reply(withdraw_failed_card())
    await store.delete(kudos.id)
    # Recipients not yet told privately are not told at all.
    cancelled = await deps.outbox.cancel(_notes(kudos.id))
    log.info("kudos withdrawn in team %s; %d private note(s) cancelled", kudos.team_id, cancelled)
    return Reply(withdrawn_card())


async def withdraw_button(deps: Deps, press: ButtonPress) -> Outcome:
    return await _withdraw(deps, press.actor, press.value.strip())


async def names(deps: Deps, command: Command) -> Outcome:
    """`kudos-names off|on`: whether weekly roundups name you; alone, says which applies."""
    if not deps.kudos.enabled:
        return Reply(not_set_up_card())
    actor = command.actor
    choice = command.args.strip().lower()
    if choice in ("on", "off"):
        shown = choice == "on"
        await deps.kudos.set_names_shown(actor.platform, actor.user_id, shown, deps.clock.now())
        return Reply(names_card(shown, actor.platform))
    hidden = await deps.kudos.names_hidden(actor.platform, [actor.user_id])
    return Reply(names_card(actor.user_id not in hidden, actor.platform))
