"""A small trend line per summary row, drawn on the server as inline SVG (pure).

No script, no external file: the markup is built here from numbers only, and the one
piece of text (the text alternative, which says the trend in words) is escaped. Days
are local (Europe/Amsterdam) calendar days, also across a change of the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import numpy as np
from markupsafe import Markup, escape

from pgd.sharing.summary_lists import LOCAL

WIDTH = 132
HEIGHT = 34
PAD = 3  # room for the end dot and the line width


@dataclass(frozen=True)
class Daily:
    """Daily means in a period: for each day with readings, its number and mean."""

    days: tuple[int, ...]  # 0 = the period's first local day
    n_days: int  # days in the period
    series: dict[str, tuple[float, ...]]  # name -> mean per listed day

    def first_last(self, name: str) -> tuple[float, float] | None:
        values = self.series.get(name, ())
        return (values[0], values[-1]) if values else None


@lru_cache(maxsize=64)
def _midnights(first: date, last: date) -> tuple[int, ...]:
    """UTC epoch of each local midnight from `first` to the day after `last`."""
    n = (last - first).days + 2
    return tuple(
        int(datetime.combine(first + timedelta(days=i), time(0), tzinfo=LOCAL).timestamp())
        for i in range(n)
    )


def _local_date(epoch: int) -> date:
    return datetime.fromtimestamp(epoch, UTC).astimezone(LOCAL).date()


def daily_means(
    epoch: np.ndarray, columns: dict[str, np.ndarray], start: int, end: int
) -> Daily | None:
    """Means per local day of the readings in [start, end); None without readings.

    NaN values (a pulse not recorded) are left out of a day's mean; a day with only
    NaN for one column keeps NaN there.
    """
    inside = (epoch >= start) & (epoch < end)
    if not inside.any():
        return None
    midnights = np.asarray(_midnights(_local_date(start), _local_date(end - 1)), dtype=np.int64)
    n_days = int(midnights.size) - 1
    index = np.searchsorted(midnights, epoch[inside], side="right") - 1
    counts = np.bincount(index, minlength=n_days)
    days = np.flatnonzero(counts)
    series = {}
    for name, values in columns.items():
        v = values[inside].astype(float)
        ok = np.isfinite(v)
        sums = np.bincount(index[ok], weights=v[ok], minlength=n_days)
        seen = np.bincount(index[ok], minlength=n_days)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(seen > 0, sums / np.maximum(seen, 1), np.nan)
        series[name] = tuple(float(x) for x in means[days])
    return Daily(tuple(int(d) for d in days), n_days, series)


def _scale(values: Sequence[float], low: float, high: float) -> list[float]:
    span = high - low or 1.0
    return [HEIGHT - PAD - (v - low) / span * (HEIGHT - 2 * PAD) for v in values]


def svg(
    daily: Daily,
    names: Sequence[str],
    label: str,
    targets: Sequence[float] = (),
) -> Markup:
    """An inline <svg> with one line per name (daily means) and dashed target lines.

    `label` is the text alternative (role="img", aria-label and <title>); it is escaped.
    """
    lines = [(name, daily.series.get(name, ())) for name in names]
    finite = [v for _name, values in lines for v in values if np.isfinite(v)]
    finite += list(targets)
    low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
    span_x = max(daily.n_days - 1, 1)
    xs = [PAD + d / span_x * (WIDTH - 2 * PAD) for d in daily.days]
    parts = [
        f'<svg class="sparkline" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(label)}" focusable="false">',
        f"<title>{escape(label)}</title>",
    ]
    for y in _scale(targets, low, high):
        parts.append(
            f'<line class="spark-target" x1="{PAD}" x2="{WIDTH - PAD}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
    for i, (_name, values) in enumerate(lines):
        ys = _scale(values, low, high)
        points = [(x, y) for x, y, v in zip(xs, ys, values, strict=True) if np.isfinite(v)]
        if not points:
            continue
        css = f"spark-line spark-line-{i}"
        if len(points) > 1:
            coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline class="{css}" fill="none" points="{coords}"/>')
        x, y = points[-1]
        parts.append(f'<circle class="{css} spark-end" cx="{x:.1f}" cy="{y:.1f}" r="2"/>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (numbers and an escaped label only)
