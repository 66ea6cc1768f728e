"""The printable HTML digest: one self-contained file (inline CSS, charts as data URIs).

It needs no network, no script and no other file, so it can be mailed, archived or printed as it
is. Every chart has alt text and a table beside it with the same figures; a suppressed round is
a dash and a shaded gap in the chart, never a zero.
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
    digest_title,
    fmt_trend,
)

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
    return f'<span class="band-{escape(band)}">{escape(band)}</span>'


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


def _trend_table(digest: GroupDigest) -> str:
    if not digest.dimensions or len(digest.periods) < 2:
        return ""
    head = "".join(f'<th scope="col">{escape(p)}</th>' for p in digest.periods)
    rows = []
    for line in digest.dimensions:
        cells = "".join(
            f'<td class="num">{v:.2f}</td>'
            if v is not None
            else '<td class="gap" data-gap="1" title="too few answers: not shown">–</td>'
            for v in line.trend
        )
        rows.append(f'<tr><th scope="row">{escape(line.label)}</th>{cells}</tr>')
    return (
        '<table class="trend"><caption class="note">Means by round; a dash is a round with too '
        "few answers to show.</caption>"
        f'<thead><tr><th scope="col">Dimension</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _actions(digest: GroupDigest) -> str:
    items = "".join(
        f"<li><strong>{escape(a.title)}</strong>: {escape(a.why)}</li>" for a in digest.actions
    )
    return f'<h3>Suggested actions</h3><ol class="actions">{items}</ol>'


def _section(digest: GroupDigest, chart: RenderedChart | None, alt: str | None) -> str:
    parts = [
        f'<section id="{escape(digest.group_id)}">',
        f"<h2>{escape(digest_title(digest))}</h2>",
    ]
    parts.append(
        f'<p class="meta">Round closed {digest.closed_at:%d %b %Y}; minimum group size '
        f"{digest.min_group_size}.</p>"
    )
    if digest.suppressed:
        parts.append(f'<p class="suppressed">{escape(digest.reading)}</p>')
    elif digest.bands_only:
        parts.append(f'<p class="suppressed">{escape(BANDS_ONLY_TEXT)}</p>')
        parts.append(f'<p class="reading">{escape(digest.reading)}</p>')
        parts.append(_actions(digest))
        rows = "".join(
            f'<tr><th scope="row">{escape(line.label)}</th><td>{_band(line.band)}</td></tr>'
            for line in digest.dimensions
        )
        parts.append(
            '<table class="dimensions"><thead><tr><th scope="col">Dimension</th>'
            f'<th scope="col">Band</th></tr></thead><tbody>{rows}</tbody></table>'
        )
    else:
        who = (
            f"{digest.respondents} of {digest.members} ({digest.participation:.0%})"
            if digest.members and digest.participation is not None
            else str(digest.respondents)
        )
        parts.append(f"<p><strong>Participation:</strong> {escape(who)}</p>")
        parts.append(f'<p class="reading">{escape(digest.reading)}</p>')
        if digest.exhaustion_alert:
            parts.append(f'<p class="alert" role="alert">{escape(digest.exhaustion_alert)}</p>')
        parts.append(_actions(digest))
        rows = "".join(
            f'<tr><th scope="row">{escape(line.label)}</th><td class="num">{line.mean:.2f}</td>'
            f'<td>{_band(line.band)}</td><td class="num">'
            f"{'–' if line.change is None else f'{line.change:+.2f}'}</td>"
            f"<td>{escape(fmt_trend(line.trend))}</td></tr>"
            for line in digest.dimensions
        )
        parts.append(
            '<table class="dimensions"><thead><tr><th scope="col">Dimension</th>'
            '<th scope="col">Mean</th><th scope="col">Band</th><th scope="col">Change</th>'
            f'<th scope="col">Trend</th></tr></thead><tbody>{rows}</tbody></table>'
        )
        extra = []
        if digest.kudos is not None:
            extra.append(f"<li>Recognition this period: {digest.kudos} kudos shared</li>")
        if digest.breaks is not None:
            prompted, done, skipped = digest.breaks
            extra.append(f"<li>Break prompts: {done} of {prompted} taken, {skipped} skipped</li>")
        if extra:
            parts.append(f"<ul>{''.join(extra)}</ul>")
    if chart is not None and alt is not None:
        parts.append(_chart(chart, alt))
    parts.append(_trend_table(digest))
    if digest.children:
        child_rows: list[str] = []
        for c in digest.children:
            if c.released:
                ex = f"{c.exhaustion:.2f}" if c.exhaustion is not None else "–"
                child_rows.append(
                    f'<tr><th scope="row">{escape(c.name)}</th><td class="num">{c.respondents}'
                    f' of {c.members}</td><td class="num">{ex}</td></tr>'
                )
            elif c.bands_only and c.exhaustion_band is not None:
                child_rows.append(
                    f'<tr><th scope="row">{escape(c.name)}</th>'
                    f'<td class="gap">{escape(BANDS_ONLY_LINE)}</td>'
                    f"<td>{_band(c.exhaustion_band)}</td></tr>"
                )
            else:
                child_rows.append(
                    f'<tr><th scope="row">{escape(c.name)}</th>'
                    f'<td colspan="2" class="gap">{escape(WITHHELD_LINE)}</td></tr>'
                )
        parts.append(
            '<table class="children"><thead><tr><th scope="col">Group</th>'
            '<th scope="col">Answered</th><th scope="col">Exhaustion</th></tr></thead>'
            f"<tbody>{''.join(child_rows)}</tbody></table>"
        )
    parts.append("</section>")
    return "\n".join(parts)


def digest_html(
    title: str,
    sections: Sequence[tuple[GroupDigest, RenderedChart | None, str | None]],
    generated_at: datetime,
) -> str:
    """One HTML document; each section is a digest with its chart (or None) and alt text."""
    body = "\n".join(_section(d, c, a) for d, c, a in sections)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{escape(title)}</h1>"
        f'<p class="meta">Generated {generated_at:%d %b %Y %H:%M %Z}. Group-level figures only; '
        "groups with too few answers, and groups that would let a smaller group be worked out, "
        "show nothing.</p></header>"
        f"<main>{body}</main></body></html>\n"
    )
