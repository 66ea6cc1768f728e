"""The lead's digest as it is shown: the neutral card, the JSON export and the trend chart's data.

What is released, and why, is decided in bot.domain.digest; this module only words and lays out
a `GroupDigest` it is given. A withheld figure is written the same way everywhere (card, HTML,
JSON), so no reader can tell why a group was withheld.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.domain.digest import GroupDigest
from bot.domain.instrument import Instrument
from bot.domain.messages import Card, Field, Image
from bot.domain.trend import TrendChart, TrendSeries

BAND_MARK = {"ok": "ok", "watch": "watch", "concern": "concern"}
WITHHELD_LINE = "not shown (too few responses, or withheld so no smaller group can be worked out)"
# Bands without numbers: the exact figures would let someone's answer be worked out (everyone
# near one end of the scale, or the same people as an earlier week give or take a few).
BANDS_ONLY_TEXT = (
    "This week shows bands only, without numbers: the exact figures would come too close to "
    "what individual people answered (nearly everyone at one end of the scale, or almost the "
    "same people as an earlier week, so that comparing the two would single someone out)."
)
BANDS_ONLY_LINE = "bands only this week"


def _fmt_change(change: float | None) -> str:
    if change is None:
        return "first reported round"
    if abs(change) < 0.005:
        return "no change"
    return f"{change:+.2f} since last report"


def fmt_trend(values: Sequence[float | None]) -> str:
    return " → ".join("–" if v is None else f"{v:.1f}" for v in values)


KIND_WORD = {"team": "", "department": "department · ", "organisation": "organisation · "}


def digest_title(digest: GroupDigest) -> str:
    return f"Respite digest · {KIND_WORD[digest.kind]}{digest.name} · {digest.period}"


def _activity_fields(digest: GroupDigest) -> list[Field]:
    fields = []
    if digest.kudos is not None:
        fields.append(Field("Recognition this period", f"{digest.kudos} kudos shared"))
    if digest.breaks is not None and digest.breaks[0]:
        # No prompts went out (breaks off, or a new team): a line of zeros would only be noise.
        prompted, done, skipped = digest.breaks
        fields.append(
            Field(
                "Break prompts",
                f"{done} of {prompted} taken ({done / prompted:.0%}), {skipped} skipped",
            )
        )
    return fields


def _child_fields(digest: GroupDigest) -> list[Field]:
    out = []
    for c in digest.children:
        if c.bands_only and c.exhaustion_band is not None:
            out.append(
                Field(c.name, f"exhaustion {BAND_MARK[c.exhaustion_band]} ({BANDS_ONLY_LINE})")
            )
            continue
        if not c.released:
            out.append(Field(c.name, WITHHELD_LINE))
            continue
        who = f"{c.respondents} of {c.members} answered" if c.members else f"{c.respondents}"
        ex = (
            f" · exhaustion {c.exhaustion:.2f} ({BAND_MARK[c.exhaustion_band]})"
            if c.exhaustion is not None and c.exhaustion_band is not None
            else ""
        )
        out.append(Field(c.name, who + ex))
    return out


def digest_card(digest: GroupDigest, image: Image | None = None) -> Card:
    title = digest_title(digest)
    if digest.suppressed:
        return Card(
            title=title,
            blocks=(digest.reading,),
            fields=tuple(_child_fields(digest)),
            image=image,
            note=f"Results are shown only when at least {digest.min_group_size} people answer.",
        )
    if digest.bands_only:
        return _bands_only_card(digest, title, image)
    assert digest.respondents is not None
    participation = (
        f"{digest.respondents} of {digest.members} ({digest.participation:.0%})"
        if digest.members
        else str(digest.respondents)
    )
    fields = [Field("Respondents", participation)]
    for line in digest.dimensions:
        trend = (
            f" · trend {fmt_trend(line.trend)}"
            if sum(v is not None for v in line.trend) > 1
            else ""
        )
        fields.append(
            Field(
                line.label,
                f"{line.mean:.2f} · {BAND_MARK[line.band]} · {_fmt_change(line.change)}{trend}",
            )
        )
    fields.extend(_activity_fields(digest))
    fields.extend(_child_fields(digest))
    blocks: list[str] = [digest.reading]
    if digest.exhaustion_alert:
        blocks.append(digest.exhaustion_alert)
    blocks.extend(_action_blocks(digest))
    return Card(
        title=title,
        blocks=tuple(blocks),
        fields=tuple(fields),
        image=image,
        note=(
            "Scores are means on a 1-5 scale (higher = more of that dimension). Group-level only; "
            f"shown because at least {digest.min_group_size} people answered. A dash in a trend "
            "is a round whose numbers are not shown."
        ),
    )


def _action_blocks(digest: GroupDigest) -> list[str]:
    return [
        "Suggested actions:",
        *(f"{i}. {a.title}: {a.why}" for i, a in enumerate(digest.actions, 1)),
    ]


def _bands_only_card(digest: GroupDigest, title: str, image: Image | None) -> Card:
    fields = [Field("Respondents", f"at least {digest.min_group_size} (count not shown this week)")]
    for line in digest.dimensions:
        earlier = line.trend[:-1]
        trend = f" · earlier {fmt_trend(earlier)}" if any(v is not None for v in earlier) else ""
        fields.append(Field(line.label, f"{BAND_MARK[line.band]} · {BANDS_ONLY_LINE}{trend}"))
    fields.extend(_child_fields(digest))
    blocks = [BANDS_ONLY_TEXT, digest.reading, *_action_blocks(digest)]
    return Card(
        title=title,
        blocks=tuple(blocks),
        fields=tuple(fields),
        image=image,
        note=(
            "Bands: ok, watch, concern, read on each dimension's strain. Group-level only; "
            f"shown because at least {digest.min_group_size} people answered."
        ),
    )


def digest_json(digest: GroupDigest) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": digest.kind,
        "group": digest.group_id,
        "team": digest.group_id if digest.kind == "team" else None,
        "team_name": digest.name,
        "name": digest.name,
        "round": digest.round_id,
        "period": digest.period,
        "closed_at": digest.closed_at.isoformat(),
        "suppressed": digest.suppressed,
        "bands_only": digest.bands_only,
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
                "trend": list(line.trend),
            }
            for line in digest.dimensions
        },
        "trend_periods": list(digest.periods),
        "released_periods": list(digest.released_periods),
        "reading": digest.reading,
        "actions": [{"lever": a.lever, "title": a.title, "why": a.why} for a in digest.actions],
        "exhaustion_alert": digest.exhaustion_alert,
        "kudos": digest.kudos,
        "break_uptake": (
            dict(zip(("prompted", "done", "skipped"), digest.breaks, strict=True))
            if digest.breaks is not None
            else None
        ),
    }
    if digest.kind == "department":
        data["department"] = digest.group_id
    if digest.children:
        data["children"] = [
            {
                "group": c.group_id,
                "kind": c.kind,
                "name": c.name,
                "suppressed": not c.released,
                "bands_only": c.bands_only,
                "exhaustion_band": c.exhaustion_band,
                "respondents": c.respondents,
                "members": c.members,
                "exhaustion": c.exhaustion,
            }
            for c in digest.children
        ]
    return data


def trend_chart(instrument: Instrument, digest: GroupDigest) -> TrendChart | None:
    """The chart of the trend window, or None when no round in it was released."""
    if not digest.periods or not any(digest.released_periods):
        return None
    series: list[TrendSeries] = []
    if digest.dimensions and not digest.bands_only:
        for line in digest.dimensions:
            series.append(TrendSeries(line.label, line.trend))
    else:
        # The latest round is suppressed: no line may be drawn for it, so draw no series at all
        # and let the alt text say why.
        return None
    gaps = [p for p, ok in zip(digest.periods, digest.released_periods, strict=True) if not ok]
    alt = (
        f"Line chart of {len(series)} dimension means (scale {instrument.scale_min} to "
        f"{instrument.scale_max}) for {digest.name} over {len(digest.periods)} round(s), "
        f"{digest.periods[0]} to {digest.periods[-1]}."
    )
    if gaps:
        alt += (
            f" No figures for {', '.join(gaps)}: too few responses, drawn as a gap in every line."
        )
    latest = ", ".join(
        f"{line.label} {line.mean:.2f}" for line in digest.dimensions if line.mean is not None
    )
    alt += f" Latest: {latest}."
    return TrendChart(
        title=f"{digest.name}: trend",
        periods=digest.periods,
        series=tuple(series),
        scale_min=instrument.scale_min,
        scale_max=instrument.scale_max,
        alt_text=alt,
    )
