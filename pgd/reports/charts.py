"""The report's trend charts as vector graphics (reportlab.graphics): daily means as
lines and points, the target band or lines behind them. Pure: numbers in, a Drawing out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors

from pgd.sharing.sparkline import Daily

INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#616e7c")
LINES = (colors.HexColor("#1d4ed8"), colors.HexColor("#0f766e"))
BAND = colors.HexColor("#dcfce7")
TARGET = colors.HexColor("#15803d")
FONT = "Helvetica"
LEFT = 22  # room for the value labels
BOTTOM = 9  # room for the first and last day
POINTS_UP_TO = 120  # more daily means than this: the line alone (points would blot)
MAX_POINTS = 300  # a chart is ~150 pt wide: more points than this cannot be seen apart


def thinned(days: Sequence[int], values: Sequence[float]) -> tuple[list[float], list[float]]:
    """At most MAX_POINTS (day, value) pairs: longer series are averaged per equal run of
    days (NaN left out), so five years draw as fast as three months and look the same."""
    d = np.asarray(days, dtype=float)
    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v)
    d, v = d[ok], v[ok]
    if d.size <= MAX_POINTS:
        return d.tolist(), v.tolist()
    bins = np.minimum((np.arange(d.size) * MAX_POINTS) // d.size, MAX_POINTS - 1)
    counts = np.bincount(bins, minlength=MAX_POINTS)
    keep = counts > 0
    mean_d = np.bincount(bins, weights=d, minlength=MAX_POINTS)[keep] / counts[keep]
    mean_v = np.bincount(bins, weights=v, minlength=MAX_POINTS)[keep] / counts[keep]
    return mean_d.tolist(), mean_v.tolist()


def trend_chart(
    daily: Daily | None,
    names: Sequence[str],
    width: float,
    height: float,
    *,
    band: tuple[float, float] | None = None,
    target_lines: Sequence[float] = (),
    first_label: str = "",
    last_label: str = "",
    number: Callable[[float], str] = str,
) -> Drawing:
    """One chart: a line per name of the daily means over the whole period (days without a
    reading leave a gap in x, not in the line), a shaded band (the range in target) or
    dashed target lines, the lowest and highest value on the left, the dates below."""
    drawing = Drawing(width, height)
    if daily is None or not daily.days:
        return drawing
    finite = [v for n in names for v in daily.series.get(n, ()) if math.isfinite(v)]
    if not finite:
        return drawing
    low, high = min(finite), max(finite)
    extra = list(target_lines) + (list(band) if band else [])
    # Show the target only where it is near the values: a far band would flatten them.
    reach = max(high - low, 1.0) * 1.5
    extra = [v for v in extra if low - reach <= v <= high + reach]
    low, high = min([low, *extra]), max([high, *extra])
    pad = (high - low) * 0.08 or 1.0
    low, high = low - pad, high + pad
    plot_w, plot_h = width - LEFT - 2, height - BOTTOM - 2
    span_x = max(daily.n_days - 1, 1)

    def x(day: float) -> float:
        return LEFT + day / span_x * plot_w

    def y(value: float) -> float:
        return BOTTOM + (value - low) / (high - low) * plot_h

    drawing.add(
        Rect(LEFT, BOTTOM, plot_w, plot_h, strokeColor=MUTED, strokeWidth=0.3, fillColor=None)
    )
    if band is not None:
        b_low, b_high = max(band[0], low), min(band[1], high)
        if b_high > b_low:
            drawing.add(
                Rect(LEFT, y(b_low), plot_w, y(b_high) - y(b_low), fillColor=BAND, strokeColor=None)
            )
    for value in target_lines:
        if low <= value <= high:
            drawing.add(
                Line(
                    LEFT,
                    y(value),
                    LEFT + plot_w,
                    y(value),
                    strokeColor=TARGET,
                    strokeWidth=0.7,
                    strokeDashArray=[3, 2],
                )
            )
    dots = len(daily.days) <= POINTS_UP_TO
    for i, name in enumerate(names):
        colour = LINES[i % len(LINES)]
        days, values = thinned(daily.days, daily.series.get(name, ()))
        points = [(x(d), y(v)) for d, v in zip(days, values, strict=True)]
        if len(points) > 1:
            flat = [c for p in points for c in p]
            drawing.add(PolyLine(flat, strokeColor=colour, strokeWidth=0.8, fillColor=None))
        shown = points if dots else points[-1:]
        for px, py in shown:
            drawing.add(Circle(px, py, 1.1, fillColor=colour, strokeColor=None))
    for value in (low + pad, high - pad):
        drawing.add(
            String(
                LEFT - 2,
                y(value) - 2,
                number(value),
                fontName=FONT,
                fontSize=5.5,
                fillColor=MUTED,
                textAnchor="end",
            )
        )
    drawing.add(String(LEFT, 1, first_label, fontName=FONT, fontSize=5.5, fillColor=MUTED))
    drawing.add(
        String(
            LEFT + plot_w,
            1,
            last_label,
            fontName=FONT,
            fontSize=5.5,
            fillColor=MUTED,
            textAnchor="end",
        )
    )
    return drawing
