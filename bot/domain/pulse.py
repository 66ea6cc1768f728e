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


def thanks_card(team: Team, support_note: bool) -> Card:
    blocks = ["Your answers are in. Thank you for taking a minute for this."]
    if support_note:
        blocks.append(
            "Your answers suggest this week has been heavy. You do not have to carry it alone; "
            "these are here for you, and using them is confidential:"
        )
        for res in team.resources:
            detail = res.url or res.text or ""
            blocks.append(f"• {res.label}: {detail}" if detail else f"• {res.label}")
        if not team.resources:
            blocks.append("• Talk with your supervisor or your Employee Assistance Programme.")
    return Card(
        title="Thank you",
        blocks=tuple(blocks),
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
