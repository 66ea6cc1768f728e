"""The cards of the pulse conversation: invitation, form, thanks.

Wording matters here: clinicians answer honestly only when they trust what happens to the
answer, so every form says plainly who can see what.
"""

from __future__ import annotations

from bot.domain.instrument import Instrument
from bot.domain.messages import Button, Card, Choice, Form, Question
from bot.domain.team import Team
from bot.infra.i18n import N_, _

PULSE_FORM = "pulse"
START_CHECKIN = "checkin.start"


def who_sees_what(team: Team) -> str:
    return _(
        "Anonymous: your answers are stored without your name and only team totals are shown, "
        "to {team}'s lead, once at least {k} people have answered."
    ).format(team=team.name, k=team.min_group_size)


def pulse_card(instrument: Instrument, team: Team) -> Card:
    choices = tuple(Choice(str(v), instrument.label(v)) for v in instrument.scale)
    return Card(
        title=_("Weekly check-in"),
        blocks=(_("About a minute. Think of the past week."),),
        questions=tuple(
            Question(item.id, instrument.item_text(item), choices) for item in instrument.items
        ),
        form=Form(PULSE_FORM, _("Submit"), context=team.id),
        note=who_sees_what(team),
    )


def invitation_card(team: Team, closes: str) -> Card:
    return Card(
        title=_("Time for this week's one-minute check-in"),
        blocks=(
            _("How has the week been? The check-in stays open until {closes}.").format(
                closes=closes
            ),
        ),
        buttons=(Button(START_CHECKIN, _("Start check-in"), value=team.id, style="primary"),),
        note=who_sees_what(team),
    )


def reminder_card(team: Team, closes: str) -> Card:
    return Card(
        title=_("A gentle reminder: this week's check-in closes soon"),
        blocks=(
            _("It takes about a minute and closes {closes}. Skipping is fine too.").format(
                closes=closes
            ),
        ),
        buttons=(Button(START_CHECKIN, _("Start check-in"), value=team.id, style="primary"),),
        note=who_sees_what(team),
    )


# The line a heavy week changes. Both read the same way on every platform and take the same
# number of characters (plain ASCII, nothing any renderer escapes), so the thanks has one size
# whatever the answers were: a proxy that logs body sizes cannot tell who got the heavy-week line.
# Translated, the two lines differ in length, so `support_line` pads the translated pair.
HEAVY_WEEK_LINE = N_(
    "Your answers suggest this week has been heavy. You do not have to carry it alone; "
    "these are here for you, and using them is confidential:"
)
ANY_WEEK_LINE = N_(
    "Whatever kind of week it has been, you never have to carry anything alone; "
    "these are always here for you, and using them is confidential:"
)
NO_RESOURCES_LINE = N_("• Talk with your supervisor or your Employee Assistance Programme.")


def support_line(heavy: bool) -> str:
    """The heavy-week line or the everyday one, padded to one width so neither is longer."""
    heavy_line, any_line = _(HEAVY_WEEK_LINE), _(ANY_WEEK_LINE)
    width = max(len(heavy_line), len(any_line))
    return (heavy_line if heavy else any_line).ljust(width)


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
        title=_("Thank you"),
        blocks=(
            _("Your answers are in. Thank you for taking a minute for this."),
            support_line(support_note),
            *(resources or [_(NO_RESOURCES_LINE)]),
        ),
        note=_("Only you can see this. Nothing in this note is stored."),
    )


def already_answered_card() -> Card:
    return Card(
        title=_("You've already checked in this week"),
        blocks=(
            _(
                "Thank you, your answers for this round are in. One answer per person keeps the "
                "team's results fair; the next check-in opens with the next round."
            ),
        ),
    )


def no_team_card() -> Card:
    return Card(
        title=_("You're not on a Respite team yet"),
        blocks=(
            _(
                "Respite only collects check-ins from members of a configured team, so that "
                "results can be reported anonymously. Ask your Respite admin to add you to the "
                "roster."
            ),
        ),
    )
