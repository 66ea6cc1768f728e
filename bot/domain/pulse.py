"""The cards of the pulse conversation: invitation, form, thanks.

Wording matters here: clinicians answer honestly only when they trust what happens to the
answer, so every form says plainly who can see what.
"""

from __future__ import annotations

from bot.domain.instrument import Instrument
from bot.domain.messages import Button, Card, Choice, Form, Question
from bot.domain.team import Team

PULSE_FORM = "pulse"
START_CHECKIN = "checkin.start"


def who_sees_what(team: Team) -> str:
    return (
        "Anonymous: your answers are stored without your name and only team totals are shown, "
        f"to {team.name}'s lead, once at least {team.min_group_size} people have answered."
    )


def pulse_card(instrument: Instrument, team: Team) -> Card:
    choices = tuple(Choice(str(v), instrument.labels[v]) for v in instrument.scale)
    return Card(
        title="Weekly check-in",
        blocks=("About a minute. Think of the past week.",),
        questions=tuple(Question(item.id, item.text, choices) for item in instrument.items),
        form=Form(PULSE_FORM, "Submit", context=team.id),
        note=who_sees_what(team),
    )


def invitation_card(team: Team, closes: str) -> Card:
    return Card(
        title="Time for this week's one-minute check-in",
        blocks=(f"How has the week been? The check-in stays open until {closes}.",),
        buttons=(Button(START_CHECKIN, "Start check-in", value=team.id, style="primary"),),
        note=who_sees_what(team),
    )


def reminder_card(team: Team, closes: str) -> Card:
    return Card(
        title="A gentle reminder: this week's check-in closes soon",
        blocks=(f"It takes about a minute and closes {closes}. Skipping is fine too.",),
        buttons=(Button(START_CHECKIN, "Start check-in", value=team.id, style="primary"),),
        note=who_sees_what(team),
    )


# The line a heavy week changes. Both read the same way on every platform and take the same
# number of characters (plain ASCII, nothing any renderer escapes), so the thanks has one size
# whatever the answers were: a proxy that logs body sizes cannot tell who got the heavy-week line.
HEAVY_WEEK_LINE = (
    "Your answers suggest this week has been heavy. You do not have to carry it alone; "
    "these are here for you, and using them is confidential:"
)
ANY_WEEK_LINE = (
    "Whatever kind of week it has been, you never have to carry anything alone; "
    "these are always here for you, and using them is confidential:"
)
NO_RESOURCES_LINE = "• Talk with your supervisor or your Employee Assistance Programme."


def support_line(heavy: bool) -> str:
    """The heavy-week line or the everyday one, padded to one width so neither is longer."""
    width = max(len(HEAVY_WEEK_LINE), len(ANY_WEEK_LINE))
    return (HEAVY_WEEK_LINE if heavy else ANY_WEEK_LINE).ljust(width)


def thanks_card(team: Team, support_note: bool) -> Card:
    """The private thanks after a stored answer: one shape and one length for every answer set.

    Everyone sees the team's support resources; only `support_line` says whether this week
    looked heavy. A card that grew with the note would name, by its size alone, the clinician
    who got it (see the privacy section of docs/DESIGN.md).
    """
    resources = [
        f"• {res.label}: {detail}" if (detail := res.url or res.text or "") else f"• {res.label}"
        for res in team.resources
    ]
    return Card(
        title="Thank you",
        blocks=(
            "Your answers are in. Thank you for taking a minute for this.",
            support_line(support_note),
            *(resources or [NO_RESOURCES_LINE]),
        ),
        note="Only you can see this. Nothing in this note is stored.",
    )


def already_answered_card() -> Card:
    return Card(
        title="You've already checked in this week",
        blocks=(
            "Thank you, your answers for this round are in. One answer per person keeps the "
            "team's results fair; the next check-in opens with the next round.",
        ),
    )


def no_team_card() -> Card:
    return Card(
        title="You're not on a Respite team yet",
        blocks=(
            "Respite only collects check-ins from members of a configured team, so that results "
            "can be reported anonymously. Ask your Respite admin to add you to the roster.",
        ),
    )
