"""The lead's digest as it is shown: the neutral card, the JSON export and the trend chart's data.

What is released, and why, is decided in bot.domain.digest; this module only words and lays out
a `GroupDigest` it is given. A withheld figure is written the same way everywhere (card, HTML,
JSON), so no reader can tell why a group was withheld.

Everything here speaks the current language (`bot.infra.i18n.use_locale`): the digest's own words
are English catalog entries, translated here, and numbers follow the locale (a decimal comma in
German and Spanish).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.domain.digest import DimensionLine, GroupDigest
from bot.domain.instrument import Instrument
from bot.domain.messages import Card, Field, Image
from bot.domain.trend import TrendChart, TrendSeries
from bot.infra.i18n import N_, _, current_locale, format_number, format_percent, ngettext

BAND_MARK = {"ok": N_("ok"), "watch": N_("watch"), "concern": N_("concern")}
WITHHELD_LINE = N_(
    "not shown (too few responses, or withheld so no smaller group can be worked out)"
)
# Bands without numbers: the exact figures would let someone's answer be worked out (everyone
# near one end of the scale, or the same people as an earlier week give or take a few).
BANDS_ONLY_TEXT = N_(
    "This week shows bands only, without numbers: the exact figures would come too close to "
    "what individual people answered (nearly everyone at one end of the scale, or almost the "
    "same people as an earlier week, so that comparing the two would single someone out)."
)
BANDS_ONLY_LINE = N_("bands only this week")
TITLES = {
    "team": N_("Respite digest · {name} · {period}"),
    "department": N_("Respite digest · department · {name} · {period}"),
    "organisation": N_("Respite digest · organisation · {name} · {period}"),
}


def band_word(band: str) -> str:
    """A band's name in the current language."""
    return _(BAND_MARK[band])


def dimension_label(line: DimensionLine) -> str:
    """A dimension's label in the current language (the file's own wording if untranslated)."""
    return line.labels.get(current_locale(), line.label)


def mean_text(value: float) -> str:
    """A mean as the locale writes it, two decimals ("3.42", "3,42")."""
    return format_number(value, 2)


def change_text(change: float) -> str:
    """A signed change with two decimals ("+0.30", "-0,15")."""
    return ("+" if change >= 0 else "-") + format_number(abs(change), 2)


def share_text(share: float) -> str:
    """A share as a whole percentage in the locale ("73%", "73 %")."""
    return format_percent(share)


def _fmt_change(change: float | None) -> str:
    if change is None:
        return _("first reported round")
    if abs(change) < 0.005:
        return _("no change")
    return _("{change} since last report").format(change=change_text(change))


def fmt_trend(values: Sequence[float | None]) -> str:
    return " → ".join("–" if v is None else format_number(v, 1) for v in values)


def digest_title(digest: GroupDigest) -> str:
    return _(TITLES[digest.kind]).format(name=digest.name, period=digest.period)


def answered_text(respondents: int | None, members: int) -> str:
    """ "7 of 9": how many of a group's members answered."""
    return _("{respondents} of {members}").format(respondents=respondents, members=members)


def activity_fields(digest: GroupDigest) -> list[Field]:
    fields = []
    if digest.kudos is not None:
        fields.append(
            Field(
                _("Recognition this period"),
                ngettext("{count} kudos shared", "{count} kudos shared", digest.kudos).format(
                    count=digest.kudos
                ),
            )
        )
    if digest.breaks is not None and digest.breaks[0]:
        # No prompts went out (breaks off, or a new team): a line of zeros would only be noise.
        prompted, done, skipped = digest.breaks
        fields.append(
            Field(
                _("Break prompts"),
                _("{done} of {prompted} taken ({share}), {skipped} skipped").format(
                    done=done, prompted=prompted, share=share_text(done / prompted), skipped=skipped
                ),
            )
        )
    return fields


def _child_fields(digest: GroupDigest) -> list[Field]:
    out = []
    for c in digest.children:
        if c.bands_only and c.exhaustion_band is not None:
            out.append(
                Field(
                    c.name,
                    _("exhaustion {band} ({note})").format(
                        band=band_word(c.exhaustion_band), note=_(BANDS_ONLY_LINE)
                    ),
                )
            )
            continue
        if not c.released:
            out.append(Field(c.name, _(WITHHELD_LINE)))
            continue
        who = (
            _("{answered} answered").format(answered=answered_text(c.respondents, c.members))
            if c.members
            else f"{c.respondents}"
        )
        ex = (
            " · "
            + _("exhaustion {mean} ({band})").format(
                mean=mean_text(c.exhaustion), band=band_word(c.exhaustion_band)
            )
            if c.exhaustion is not None and c.exhaustion_band is not None
            else ""
        )
        out.append(Field(c.name, who + ex))
    return out


def min_size_note(digest: GroupDigest) -> str:
    return ngettext(
        "Results are shown only when at least {count} person answers.",
        "Results are shown only when at least {count} people answer.",
        digest.min_group_size,
    ).format(count=digest.min_group_size)


def digest_card(digest: GroupDigest, image: Image | None = None) -> Card:
    title = digest_title(digest)
    if digest.suppressed:
        return Card(
            title=title,
            blocks=(_(digest.reading),),
            fields=tuple(_child_fields(digest)),
            image=image,
            note=min_size_note(digest),
        )
    if digest.bands_only:
        return _bands_only_card(digest, title, image)
    assert digest.respondents is not None
    participation = (
        _("{answered} ({share})").format(
            answered=answered_text(digest.respondents, digest.members),
            share=share_text(digest.participation or 0.0),
        )
        if digest.members
        else str(digest.respondents)
    )
    fields = [Field(_("Respondents"), participation)]
    for line in digest.dimensions:
        trend = (
            " · " + _("trend {trend}").format(trend=fmt_trend(line.trend))
            if sum(v is not None for v in line.trend) > 1
            else ""
        )
        mean = mean_text(line.mean) if line.mean is not None else ""
        fields.append(
            Field(
                dimension_label(line),
                f"{mean} · {band_word(line.band)} · {_fmt_change(line.change)}{trend}",
            )
        )
    fields.extend(activity_fields(digest))
    fields.extend(_child_fields(digest))
    blocks: list[str] = [_(digest.reading)]
    if digest.exhaustion_alert:
        blocks.append(_(digest.exhaustion_alert))
    blocks.extend(_action_blocks(digest))
    return Card(
        title=title,
        blocks=tuple(blocks),
        fields=tuple(fields),
        image=image,
        note=ngettext(
            "Scores are means on a 1-5 scale (higher = more of that dimension). Group-level "
            "only; shown because at least {count} person answered. A dash in a trend is a round "
            "whose numbers are not shown.",
            "Scores are means on a 1-5 scale (higher = more of that dimension). Group-level "
            "only; shown because at least {count} people answered. A dash in a trend is a round "
            "whose numbers are not shown.",
            digest.min_group_size,
        ).format(count=digest.min_group_size),
    )


def _action_blocks(digest: GroupDigest) -> list[str]:
    return [
        _("Suggested actions:"),
        *(
            _("{number}. {title}: {why}").format(number=i, title=_(a.title), why=_(a.why))
            for i, a in enumerate(digest.actions, 1)
        ),
    ]


def _bands_only_card(digest: GroupDigest, title: str, image: Image | None) -> Card:
    fields = [
        Field(
            _("Respondents"),
            _("at least {count} (count not shown this week)").format(count=digest.min_group_size),
        )
    ]
    for line in digest.dimensions:
        earlier = line.trend[:-1]
        trend = (
            " · " + _("earlier {trend}").format(trend=fmt_trend(earlier))
            if any(v is not None for v in earlier)
            else ""
        )
        fields.append(
            Field(
                dimension_label(line),
                f"{band_word(line.band)} · {_(BANDS_ONLY_LINE)}{trend}",
            )
        )
    fields.extend(_child_fields(digest))
    blocks = [_(BANDS_ONLY_TEXT), _(digest.reading), *_action_blocks(digest)]
    return Card(
        title=title,
        blocks=tuple(blocks),
        fields=tuple(fields),
        image=image,
        note=ngettext(
            "Bands: {ok}, {watch}, {concern}, read on each dimension's strain. Group-level only; "
            "shown because at least {count} person answered.",
            "Bands: {ok}, {watch}, {concern}, read on each dimension's strain. Group-level only; "
            "shown because at least {count} people answered.",
            digest.min_group_size,
        ).format(
            ok=band_word("ok"),
            watch=band_word("watch"),
            concern=band_word("concern"),
            count=digest.min_group_size,
        ),
    )


def digest_json(digest: GroupDigest) -> dict[str, Any]:
    """The export: keys and values a program reads stay as they are (ids, bands, numbers); the
    words a person reads (labels, reading, actions) are in the current language, named by
    `language`."""
    data: dict[str, Any] = {
        "language": current_locale(),
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
                "label": dimension_label(line),
                "mean": line.mean,
                "band": line.band,
                "change": line.change,
                "trend": list(line.trend),
            }
            for line in digest.dimensions
        },
        "trend_periods": list(digest.periods),
        "released_periods": list(digest.released_periods),
        "reading": _(digest.reading),
        "actions": [
            {"lever": a.lever, "title": _(a.title), "why": _(a.why)} for a in digest.actions
        ],
        "exhaustion_alert": _(digest.exhaustion_alert) if digest.exhaustion_alert else None,
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
            series.append(TrendSeries(dimension_label(line), line.trend))
    else:
        # The latest round is suppressed: no line may be drawn for it, so draw no series at all
        # and let the alt text say why.
        return None
    gaps = [p for p, ok in zip(digest.periods, digest.released_periods, strict=True) if not ok]
    alt = ngettext(
        "Line chart of {dimensions} dimension means (scale {low} to {high}) for {name} over "
        "{count} round, {first} to {last}.",
        "Line chart of {dimensions} dimension means (scale {low} to {high}) for {name} over "
        "{count} rounds, {first} to {last}.",
        len(digest.periods),
    ).format(
        dimensions=len(series),
        low=instrument.scale_min,
        high=instrument.scale_max,
        name=digest.name,
        count=len(digest.periods),
        first=digest.periods[0],
        last=digest.periods[-1],
    )
    if gaps:
        alt += " " + _(
            "No figures for {periods}: too few responses, drawn as a gap in every line."
        ).format(periods=", ".join(gaps))
    latest = ", ".join(
        f"{dimension_label(line)} {mean_text(line.mean)}"
        for line in digest.dimensions
        if line.mean is not None
    )
    alt += " " + _("Latest: {values}.").format(values=latest)
    return TrendChart(
        title=_("{name}: trend").format(name=digest.name),
        periods=digest.periods,
        series=tuple(series),
        scale_min=instrument.scale_min,
        scale_max=instrument.scale_max,
        alt_text=alt,
    )
