"""The printable HTML digest: one self-contained file (inline CSS, charts as data URIs).

It is written in the current language (`bot.infra.i18n.use_locale`): its `lang` attribute, its
words, its dates and its numbers. It needs no network, no script and no other file, so it can be
mailed, archived or printed as it is. Every chart has alt text and a table beside it with the same
figures; a suppressed round is a dash and a shaded gap in the chart, never a zero.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime
from html import escape

from bot.adapters.charts import RenderedChart
from bot.domain.digest import GroupDigest
from bot.domain.digest_present import (
    BANDS_ONLY_LINE,
    BANDS_ONLY_TEXT,
    WITHHELD_LINE,
    activity_fields,
    answered_text,
    band_word,
    change_text,
    digest_title,
    dimension_label,
    fmt_trend,
    mean_text,
    share_text,
)
from bot.infra.i18n import _, current_locale, format_date, format_time

CSS = """
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1b1b;
       max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; }
h2 { font-size: 1.2rem; border-top: 2px solid #0072B2; padding-top: .75rem; margin-top: 2rem; }
.meta, .note { color: #555; font-size: .9rem; }
.reading { background: #f3f7fb; border-left: 4px solid #0072B2; padding: .5rem .75rem; }
.alert { background: #fff4e5; border-left: 4px solid #D55E00; padding: .5rem .75rem; }
.suppressed { background: #f4f4f4; border-left: 4px solid #888; padding: .5rem .75rem; }
table { border-collapse: collapse; margin: .75rem 0; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: .3rem .5rem; text-align: left;
         vertical-align: top; }
th { background: #fafafa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.gap { color: #777; text-align: center; background: #f4f4f4; }
.band-ok { color: #1a7f37; } .band-watch { color: #9a6700; } .band-concern { color: #cf222e; }
figure { margin: 1rem 0; } figure img { max-width: 100%; height: auto; }
figcaption { font-size: .85rem; color: #555; }
ol.actions li { margin-bottom: .35rem; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  section { break-inside: avoid-page; }
  h2 { break-after: avoid; }
}
"""


def _band(band: str) -> str:
    return f'<span class="band-{escape(band)}">{escape(band_word(band))}</span>'


def _chart(chart: RenderedChart, alt: str) -> str:
    data = base64.b64encode(chart.png).decode("ascii")
    xs = ",".join(f"{x:.1f}" for x in chart.x_pixels)
    return (
        f'<figure><img class="chart" src="data:image/png;base64,{data}" '
        f'width="{chart.width}" height="{chart.height}" alt="{escape(alt)}" '
        f'data-x="{xs}" data-plot-top="{chart.plot_top:.1f}" '
        f'data-plot-bottom="{chart.plot_bottom:.1f}">'
        f"<figcaption>{escape(alt)}</figcaption></figure>"
    )


def _th(text: str) -> str:
    return f'<th scope="col">{escape(text)}</th>'


def _trend_table(digest: GroupDigest) -> str:
    if not digest.dimensions or len(digest.periods) < 2:
        return ""
    head = "".join(_th(p) for p in digest.periods)
    gap = escape(_("too few answers: not shown"))
    rows = []
    for line in digest.dimensions:
        cells = "".join(
            f'<td class="num">{escape(mean_text(v))}</td>'
            if v is not None
            else f'<td class="gap" data-gap="1" title="{gap}">–</td>'
            for v in line.trend
        )
        rows.append(f'<tr><th scope="row">{escape(dimension_label(line))}</th>{cells}</tr>')
    caption = escape(_("Means by round; a dash is a round with too few answers to show."))
    dimension = _("Dimension")
    return (
        f'<table class="trend"><caption class="note">{caption}</caption>'
        f"<thead><tr>{_th(dimension)}{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _actions(digest: GroupDigest) -> str:
    items = "".join(
        f"<li><strong>{escape(_(a.title))}</strong>: {escape(_(a.why))}</li>"
        for a in digest.actions
    )
    heading = escape(_("Suggested actions"))
    return f'<h3>{heading}</h3><ol class="actions">{items}</ol>'


def _section(digest: GroupDigest, chart: RenderedChart | None, alt: str | None) -> str:
    parts = [
        f'<section id="{escape(digest.group_id)}">',
        f"<h2>{escape(digest_title(digest))}</h2>",
    ]
    meta = _("Round closed {date}; minimum group size {size}.").format(
        date=format_date(digest.closed_at, "long"), size=digest.min_group_size
    )
    parts.append(f'<p class="meta">{escape(meta)}</p>')
    if digest.suppressed:
        parts.append(f'<p class="suppressed">{escape(_(digest.reading))}</p>')
    elif digest.bands_only:
        parts.append(f'<p class="suppressed">{escape(_(BANDS_ONLY_TEXT))}</p>')
        parts.append(f'<p class="reading">{escape(_(digest.reading))}</p>')
        parts.append(_actions(digest))
        dimension, band = _("Dimension"), _("Band")
        rows = "".join(
            f'<tr><th scope="row">{escape(dimension_label(line))}</th>'
            f"<td>{_band(line.band)}</td></tr>"
            for line in digest.dimensions
        )
        parts.append(
            f'<table class="dimensions"><thead><tr>{_th(dimension)}{_th(band)}'
            f"</tr></thead><tbody>{rows}</tbody></table>"
        )
    else:
        who = (
            _("{answered} ({share})").format(
                answered=answered_text(digest.respondents, digest.members),
                share=share_text(digest.participation),
            )
            if digest.members and digest.participation is not None
            else str(digest.respondents)
        )
        label = escape(_("Participation:"))
        parts.append(f"<p><strong>{label}</strong> {escape(who)}</p>")
        parts.append(f'<p class="reading">{escape(_(digest.reading))}</p>')
        if digest.exhaustion_alert:
            parts.append(f'<p class="alert" role="alert">{escape(_(digest.exhaustion_alert))}</p>')
        parts.append(_actions(digest))
        rows = "".join(
            f'<tr><th scope="row">{escape(dimension_label(line))}</th>'
            f'<td class="num">{escape(mean_text(line.mean) if line.mean is not None else "–")}'
            f'</td><td>{_band(line.band)}</td><td class="num">'
            f"{'–' if line.change is None else escape(change_text(line.change))}</td>"
            f"<td>{escape(fmt_trend(line.trend))}</td></tr>"
            for line in digest.dimensions
        )
        heads = "".join(
            _th(h) for h in (_("Dimension"), _("Mean"), _("Band"), _("Change"), _("Trend"))
        )
        parts.append(
            f'<table class="dimensions"><thead><tr>{heads}</tr></thead>'
            f"<tbody>{rows}</tbody></table>"
        )
        extra = [f"<li>{escape(f.label)}: {escape(f.value)}</li>" for f in activity_fields(digest)]
        if extra:
            parts.append(f"<ul>{''.join(extra)}</ul>")
    if chart is not None and alt is not None:
        parts.append(_chart(chart, alt))
    parts.append(_trend_table(digest))
    if digest.children:
        child_rows: list[str] = []
        for c in digest.children:
            if c.released:
                ex = mean_text(c.exhaustion) if c.exhaustion is not None else "–"
                answered = answered_text(c.respondents, c.members) if c.members else ""
                child_rows.append(
                    f'<tr><th scope="row">{escape(c.name)}</th>'
                    f'<td class="num">{escape(answered or str(c.respondents))}</td>'
                    f'<td class="num">{escape(ex)}</td></tr>'
                )
            elif c.bands_only and c.exhaustion_band is not None:
                child_rows.append(
                    f'<tr><th scope="row">{escape(c.name)}</th>'
                    f'<td class="gap">{escape(_(BANDS_ONLY_LINE))}</td>'
                    f"<td>{_band(c.exhaustion_band)}</td></tr>"
                )
            else:
                child_rows.append(
                    f'<tr><th scope="row">{escape(c.name)}</th>'
                    f'<td colspan="2" class="gap">{escape(_(WITHHELD_LINE))}</td></tr>'
                )
        heads = "".join(_th(h) for h in (_("Group"), _("Answered"), _("Exhaustion")))
        parts.append(
            f'<table class="children"><thead><tr>{heads}</tr></thead>'
            f"<tbody>{''.join(child_rows)}</tbody></table>"
        )
    parts.append("</section>")
    return "\n".join(parts)


def digest_html(
    title: str,
    sections: Sequence[tuple[GroupDigest, RenderedChart | None, str | None]],
    generated_at: datetime,
) -> str:
    """One HTML document in the current language (its `lang` says which); each section is a
    digest with its chart (or None) and alt text."""
    body = "\n".join(_section(d, c, a) for d, c, a in sections)
    meta = _(
        "Generated {date}, {time} {zone}. Group-level figures only; groups with too few "
        "answers, and groups that would let a smaller group be worked out, show nothing."
    ).format(
        date=format_date(generated_at, "long"),
        time=format_time(generated_at, "short"),
        zone=generated_at.tzname() or "",
    )
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{escape(current_locale())}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{escape(title)}</h1>"
        f'<p class="meta">{escape(meta)}</p></header>'
        f"<main>{body}</main></body></html>\n"
    )
