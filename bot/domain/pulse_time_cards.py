"""The cards of `pulse at`: when a person's own invitation arrives, and what went wrong."""

from __future__ import annotations

from bot.domain.commands import word
from bot.domain.messages import Card, Platform
from bot.domain.pulse_times import PulseTime
from bot.infra.i18n import _, ngettext


def pulse_time_card(
    chosen: PulseTime | None,
    next_at: str,
    *,
    too_late: str | None = None,
    off_shift: bool = False,
    open_now: bool = False,
    remind_after_hours: int,
    platform: Platform,
) -> Card:
    """The answer to `pulse at`: when the next invitation arrives, in the person's own zone.

    `too_late` is the chosen time's reading when it falls too late in the next round (the
    invitation then comes at the opening); `off_shift` says the chosen time is outside their
    working hours, where the invitation waits for their next working moment.
    """
    at = word(platform, "pulse at")
    if chosen is None:
        title = _("Your check-in invitation comes when your team's round opens")
        change = _("To choose your own day and time: {command} thu 08:00.").format(command=at)
    else:
        title = _("Your check-in invitation comes on {when}").format(when=chosen.describe())
        change = _("{command} off goes back to your team's time.").format(command=at)
    blocks = [_("Next invitation: {when}.").format(when=next_at)]
    if too_late is not None:
        blocks.append(
            _(
                "{when} comes too late in that round to leave you time to answer, so that "
                "round's invitation comes when it opens."
            ).format(when=too_late)
        )
    if off_shift:
        blocks.append(
            _(
                "That time is outside your working hours: the invitation waits for your next "
                "working moment, and is not sent if the round has closed by then."
            )
        )
    if open_now:
        blocks.append(_("A round is open now; its invitation stays as it was."))
    blocks.append(
        ngettext(
            "A reminder follows {hours} hour after your invitation if you have not answered, "
            "unless the round closes first.",
            "A reminder follows {hours} hours after your invitation if you have not answered, "
            "unless the round closes first.",
            remind_after_hours,
        ).format(hours=remind_after_hours)
    )
    return Card(title=title, blocks=tuple(blocks), note=change)


def pulse_time_error_card(problem: str, platform: Platform) -> Card:
    at = word(platform, "pulse at")
    return Card(
        title=_("That is not a pulse time"),
        blocks=(
            problem,
            _(
                "For example: {command} thu 08:00, {command} monday 14:30, or {command} off for "
                "your team's time. {command} alone shows your choice. Nothing was changed."
            ).format(command=at),
        ),
    )


def pulse_times_unavailable_card() -> Card:
    return Card(
        title=_("Choosing your own check-in time is not available here"),
        blocks=(_("Your invitation comes when your team's round opens."),),
    )
