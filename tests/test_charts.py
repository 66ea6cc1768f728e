"""The trend chart: a suppressed round is a gap in every line, never a point at zero."""

from __future__ import annotations

import io

from PIL import Image

from bot.adapters.charts import PALETTE, render_trend
from bot.domain.digest_present import trend_chart
from tests.support.digest_variants import GAP, INSTRUMENT, first_round, released_team


def _coloured(img: Image.Image, x: float, top: float, bottom: float) -> int:
    n = 0
    for dx in range(-2, 3):
        for y in range(int(top), int(bottom)):
            r, g, b = img.getpixel((round(x) + dx, y))[:3]
            if max(r, g, b) - min(r, g, b) > 60:
                n += 1
    return n


def test_gap_is_drawn_as_a_gap_and_named_in_alt_text() -> None:
    digest = released_team()
    chart = trend_chart(INSTRUMENT, digest)
    assert chart is not None and chart.gaps == (digest.periods.index(GAP),)
    rendered = render_trend(chart)
    img = Image.open(io.BytesIO(rendered.png)).convert("RGB")
    assert img.size == (rendered.width, rendered.height)
    gap = chart.gaps[0]
    for i, x in enumerate(rendered.x_pixels):
        n = _coloured(img, x, rendered.plot_top, rendered.plot_bottom)
        assert (n == 0) if i == gap else (n > 0), (i, n)
    # The bottom of the scale (1) and any zero are empty in the gap column too.
    assert GAP in chart.alt_text and "gap" in chart.alt_text
    assert len(chart.series) == 5 and len(PALETTE) >= 5


def test_first_round_charts_one_point_per_dimension() -> None:
    chart = trend_chart(INSTRUMENT, first_round())
    assert chart is not None and chart.periods == ("2026-W49",) and chart.gaps == ()
    rendered = render_trend(chart)
    assert rendered.png.startswith(b"\x89PNG") and len(rendered.x_pixels) == 1
