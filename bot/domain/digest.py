"""The lead's digest: team-level figures, their trend, and what the pattern suggests.

The reading follows Job Demands-Resources: burnout grows when demands outweigh resources, so the
digest points at the organisational lever (caseload, documentation time, supervision, autonomy)
rather than at individual self-care.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.instrument import Instrument
from bot.domain.messages import Card, Field
from bot.domain.ports import RoundFigures
from bot.domain.privacy import releasable
from bot.domain.scoring import Band, band
from bot.domain.team import Team

BAND_MARK = {"ok": "ok", "watch": "watch", "concern": "concern"}


@dataclass(frozen=True, slots=True)
class DimensionLine:
    id: str
    label: str
    mean: float
    band: Band
    change: float | None


@dataclass(frozen=True, slots=True)
class TeamDigest:
    team_id: str
    team_name: str
    round_id: str
    period_key: str
    closed_at: datetime
    min_group_size: int
    suppressed: bool
    respondents: int | None
    members: int | None
    dimensions: tuple[DimensionLine, ...]
    reading: str

    @property
    def participation(self) -> float | None:
        if self.respondents is None or not self.members:
            return None
        return self.respondents / self.members


def build_team_digest(
    instrument: Instrument, team: Team, history: Sequence[RoundFigures]
) -> TeamDigest | None:
    """Digest of the newest closed round in `history` (newest first); None before any round."""
    if not history:
        return None
    latest = history[0]
    k = team.min_group_size
    if not releasable(latest.tally.respondents, k):
        return TeamDigest(
            team_id=team.id,
            team_name=team.name,
            round_id=latest.round_id,
            period_key=latest.period_key,
            closed_at=latest.closed_at,
            min_group_size=k,
            suppressed=True,
            respondents=None,
            members=None,
            dimensions=(),
            reading=(
                "Not enough responses this round to report without risking anyone's anonymity. "
                "Nothing from this round is shown."
            ),
        )
    previous = next((r for r in history[1:] if releasable(r.tally.respondents, k)), None)
    prev_means = previous.tally.means() if previous else {}
    means = latest.tally.means()
    lines = tuple(
        DimensionLine(
            id=dim.id,
            label=dim.label,
            mean=round(means[dim.id], 2),
            band=band(instrument, dim.id, means[dim.id]),
            change=round(means[dim.id] - prev_means[dim.id], 2) if dim.id in prev_means else None,
        )
        for dim in instrument.dimensions.values()
        if dim.id in means
    )
    return TeamDigest(
        team_id=team.id,
        team_name=team.name,
        round_id=latest.round_id,
        period_key=latest.period_key,
        closed_at=latest.closed_at,
        min_group_size=k,
        suppressed=False,
        respondents=latest.tally.respondents,
        members=latest.members,
        dimensions=lines,
        reading=jdr_reading({line.id: line.band for line in lines}),
    )


def jdr_reading(bands: dict[str, Band]) -> str:
    """One plain-language line on what the pattern suggests."""
    demands = bands.get("demands", "ok")
    resources = bands.get("resources", "ok")
    exhaustion = bands.get("exhaustion", "ok")
    if demands == "concern" and resources != "ok":
        return (
            "Demands are high and resources thin: the pattern most linked to burnout. Easing "
            "caseload or protecting documentation time will do more than encouraging self-care."
        )
    if demands == "concern":
        return (
            "Demands are high but the team still feels supported. Protect that support, and look "
            "at caseload and documentation time before it wears down."
        )
    if resources == "concern":
        return (
            "Demands are manageable but resources are low: supervision, case consultation and a "
            "say over schedules are the levers to pull."
        )
    if exhaustion == "concern":
        return (
            "Exhaustion is high although demands and resources look balanced: review case mix "
            "and emotional load, and ask the team what is draining them."
        )
    if "watch" in (demands, resources, exhaustion):
        return (
            "Demands and resources are close to tipping. Check caseload and supervision now, "
            "while it is still easy to adjust."
        )
    return "Demands and resources look in balance; keep protecting what makes that so."


def _fmt_change(change: float | None) -> str:
    if change is None:
        return "first reported round"
    if abs(change) < 0.005:
        return "no change"
    return f"{change:+.2f} since last report"


def digest_card(digest: TeamDigest) -> Card:
    title = f"Respite digest · {digest.team_name} · week of {digest.period_key[:10]}"
    if digest.suppressed:
        return Card(
            title=title,
            blocks=(digest.reading,),
            note=(f"Results are shown only when at least {digest.min_group_size} people answer."),
        )
    assert digest.respondents is not None
    participation = (
        f"{digest.respondents} of {digest.members} ({digest.participation:.0%})"
        if digest.members
        else str(digest.respondents)
    )
    fields = [Field("Respondents", participation)]
    fields.extend(
        Field(line.label, f"{line.mean:.2f} · {BAND_MARK[line.band]} · {_fmt_change(line.change)}")
        for line in digest.dimensions
    )
    return Card(
        title=title,
        blocks=(digest.reading,),
        fields=tuple(fields),
        note=(
            "Scores are means on a 1-5 scale (higher = more of that dimension). Team-level only; "
            f"shown because at least {digest.min_group_size} people answered."
        ),
    )


def digest_json(digest: TeamDigest) -> dict[str, Any]:
    return {
        "team": digest.team_id,
        "team_name": digest.team_name,
        "round": digest.round_id,
        "period": digest.period_key,
        "closed_at": digest.closed_at.isoformat(),
        "suppressed": digest.suppressed,
        "respondents": digest.respondents,
        "members": digest.members,
        "participation": (
            round(digest.participation, 3) if digest.participation is not None else None
        ),
        "min_group_size": digest.min_group_size,
        "dimensions": {
            line.id: {
                "label": line.label,
                "mean": line.mean,
                "band": line.band,
                "change": line.change,
            }
            for line in digest.dimensions
        },
        "reading": digest.reading,
    }
