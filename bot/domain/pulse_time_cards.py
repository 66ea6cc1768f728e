"""The cards of `pulse at`: when a person's own invitation arrives, and what went wrong."""

from __future__ import annotations

from bot.domain.commands import word
from bot.domain.messages import Card, Platform
from bot.domain.pulse_times import PulseTime


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
        title = "Your check-in invitation comes when your team's round opens"
        change = f"To choose your own day and time: {at} thu 08:00."
    else:
        title = f"Your check-in invitation comes on {chosen.describe()}"
        change = f"{at} off goes back to your team's time."
    blocks = [f"Next invitation: {next_at}."]
    if too_late is not None:
        blocks.append(
            f"{too_late} comes too late in that round to leave you time to answer, so that "
            "round's invitation comes when it opens."
        )
    if off_shift:
        blocks.append(
            "That time is outside your working hours: the invitation waits for your next "
            "working moment, and is not sent if the round has closed by then."
        )
    if open_now:
        blocks.append("A round is open now; its invitation stays as it was.")
    blocks.append(
        f"A reminder follows {remind_after_hours} hours after your invitation if you have not "
        "answered, unless the round closes first."
    )
    return Card(title=title, blocks=tuple(blocks), note=change)


def pulse_time_error_card(problem: str, platform: Platform) -> Card:
    at = word(platform, "pulse at")
    return Card(
        title="That is not a pulse time",
        blocks=(
            problem,
            f"For example: {at} thu 08:00, {at} monday 14:30, or {at} off for your team's "
            f"time. {at} alone shows your choice. Nothing was changed.",
        ),
    )


def pulse_times_unavailable_card() -> Card:
    return Card(
        title="Choosing your own check-in time is not available here",
        blocks=("Your invitation comes when your team's round opens.",),
    )
