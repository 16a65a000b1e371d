"""Plotly figure dicts and their text alternatives, built from numpy arrays.

Figures are plain dicts (a ``go.Figure`` validates every property and costs ~50x more)
and are serialised with orjson straight from numpy. Every trace holds at most
MAX_POINTS points, so a chart's JSON stays small however long the history is.
Each ``*_figure`` has a ``*_text`` companion: a summary and a table for screen
readers and for people who prefer numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.io.json as plotly_json
from babel import Locale
from babel.dates import format_date, format_datetime
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from pgd.measurements.stats import (
    BMI_BANDS,
    GLUCOSE_HIGH,
    GLUCOSE_LOW,
    GLUCOSE_VERY_HIGH,
    GLUCOSE_VERY_LOW,
    MODAL_MIN_COUNT,
    ModalDay,
    TimeInRange,
    bmi,
    bmi_band,
    bp_above_target,
    downsample_minmax,
    minmax_indices,
)
from pgd.measurements.validation import format_number

MAX_POINTS = 2000
MAX_OVERLAY_DAYS = 7  # days in one overlay; the day picker allows no more
TABLE_ROWS = 50

# Okabe-Ito: tells colours apart with every common colour-vision deficiency.
BLUE, VERMILION, GREEN, ORANGE, SKY = "#0072B2", "#D55E00", "#009E73", "#E69F00", "#56B4E9"
PURPLE, BLACK = "#CC79A7", "#000000"
DAY_COLOURS = (BLUE, VERMILION, GREEN, ORANGE, SKY, PURPLE, BLACK)
DAY_DASHES = ("solid", "dash", "dot", "dashdot")
# Clinical time-in-range colours (as on CGM reports); labels carry the meaning as well.
TIR_COLOURS = ("#8B0000", "#D7301F", "#1A9850", "#F4A300", "#B35806")
TIR_TEXT_COLOURS = ("#FFFFFF", "#FFFFFF", "#FFFFFF", "#000000", "#FFFFFF")
CLOCK_ORIGIN = np.datetime64("2000-01-01T00:00:00", "s")

Figure = dict[str, Any]


@dataclass(frozen=True)
class ChartText:
    """What a chart says, as words and a table.

    ``title`` is shown as an HTML heading above the chart (it wraps on a phone; a title
    inside the figure is cut off there), empty when the page heading says it already.
    """

    summary: str
    headers: list[str]
    rows: list[list[str]]
    title: str = ""


# eq=False: dataclass equality on numpy arrays raises, identity is what callers need.
@dataclass(frozen=True, eq=False)
class DayCurve:
    """One day's glucose readings by time of day, for the overlay chart."""

    label: str
    minutes: np.ndarray
    mmol: np.ndarray


def to_json(fig: Figure) -> bytes:
    """Serialise with orjson so numpy arrays go out without a Python list in between."""
    return plotly_json.to_json_plotly(fig, engine="orjson").encode()


# --- shared helpers ---------------------------------------------------------------------


HOUR_MS = 3600 * 1000
# Below 560 CSS pixels of chart box (NARROW_WIDTH in static/js/charts.js) a figure's
# "narrow" patch applies: fewer ticks, kept level, smaller margins, nothing cut off.


def _layout(y_title: str) -> Figure:
    """One look for every chart: large type, a unified hover, the legend above the plot.

    No title inside the figure: the page shows it as a heading, which wraps on a phone.
    The legend sits above the plot, so it never collides with the tick labels below it.
    """
    return {
        "font": {"size": 16},
        "hoverlabel": {"font": {"size": 16}},
        "hovermode": "x unified",
        "autosize": True,
        "margin": {"l": 64, "r": 24, "t": 16, "b": 48},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        "xaxis": {"type": "date"},
        "yaxis": {"title": {"text": y_title}},
        "shapes": [],
    }


def _narrow(clock: bool = False) -> Figure:
    """Layout changes for a phone-sized chart, as plotly "path": value pairs."""
    patch: Figure = {
        "margin.l": 56,
        "xaxis.nticks": 4,  # at most four labels, level: "15 nov", "jul 2026" fit side by side
        "xaxis.tickangle": 0,
    }
    if clock:
        patch["xaxis.dtick"] = 6 * HOUR_MS  # 00:00 06:00 12:00 18:00 00:00
    return patch


def _hline(y: float, text: str, colour: str, dash: str = "dash") -> Figure:
    """A horizontal reference line across the whole plot, named in the legend.

    The name goes in the legend, not on the line: a label on the line covers the
    readings next to it.
    """
    return {
        "type": "line",
        "xref": "paper",
        "x0": 0,
        "x1": 1,
        "yref": "y",
        "y0": y,
        "y1": y,
        "line": {"color": colour, "width": 2, "dash": dash},
        "name": text,
        "showlegend": True,
    }


def _band(
    y0: float, y1: float, colour: str, opacity: float, text: str = "", legend: str = ""
) -> Figure:
    """A horizontal background band, drawn under the data; labelled inside or in the legend."""
    shape: Figure = {
        "type": "rect",
        "xref": "paper",
        "x0": 0,
        "x1": 1,
        "yref": "y",
        "y0": y0,
        "y1": y1,
        "fillcolor": colour,
        "opacity": opacity,
        "line": {"width": 0},
        "layer": "below",
    }
    if text:
        shape["label"] = {"text": text, "textposition": "top left", "font": {"size": 16}}
    if legend:
        shape["name"] = legend
        shape["showlegend"] = True
    return shape


def _num(value: float, decimals: int = 1) -> str:
    return format_number(value, decimals)


def _short(value: float) -> str:
    """'85' for whole numbers, '84,5' otherwise: labels read better without ',0'."""
    return f"{value:.0f}" if float(value).is_integer() else _num(value)


def _pct(value: float) -> str:
    """Whole percentages, but never hide a rare low behind '0%'."""
    return "<1%" if 0 < value < 1 else f"{value:.0f}%"


def _locale() -> Locale:
    """The request's language when there is one; English source text otherwise."""
    return get_locale() or Locale("en")


def _day(moment: np.datetime64, with_year: bool) -> str:
    """A date people say aloud: '3 March' or '3 March 2025'."""
    pattern = "d MMMM y" if with_year else "d MMMM"
    return format_date(moment.astype("datetime64[D]").item(), pattern, locale=_locale())


def _moment(moment: np.datetime64) -> str:
    """A table cell date and time: '3 Mar 2025 08:15'."""
    value = moment.astype("datetime64[s]").item()
    return format_datetime(value, "d MMM y HH:mm", locale=_locale())


def _period(times: np.ndarray) -> str:
    """'12 readings from 3 March to 17 March 2025.' for the start of a summary."""
    n = len(times)
    first, last = times[0].astype("datetime64[D]"), times[-1].astype("datetime64[D]")
    if first == last:
        return ngettext(
            "%(num)d reading on %(date)s.",
            "%(num)d readings on %(date)s.",
            n,
            date=_day(last, True),
        )
    same_year = first.astype("datetime64[Y]") == last.astype("datetime64[Y]")
    return ngettext(
        "%(num)d reading from %(start)s to %(end)s.",
        "%(num)d readings from %(start)s to %(end)s.",
        n,
        start=_day(first, not same_year),
        end=_day(last, True),
    )


def _clock(minutes: np.ndarray) -> np.ndarray:
    """Minutes after midnight on a fixed dummy date, so a date axis can show 00:00-24:00."""
    seconds = np.round(np.asarray(minutes, dtype=float) * 60).astype(np.int64)
    return CLOCK_ORIGIN + seconds.astype("timedelta64[s]")


def _clock_text(minutes: float) -> str:
    """'08:30' from minutes after midnight."""
    whole = int(round(minutes))
    return f"{whole // 60:02d}:{whole % 60:02d}"


def _clock_axis() -> Figure:
    """A time-of-day x axis from 00:00 to 24:00, its labels level (never turned on end)."""
    return {
        "type": "date",
        "tickformat": "%H:%M",
        "hoverformat": "%H:%M",
        "dtick": 3 * HOUR_MS,
        "tickangle": 0,
        "range": [str(CLOCK_ORIGIN), str(CLOCK_ORIGIN + np.timedelta64(1, "D"))],
    }


def _c(array: np.ndarray) -> np.ndarray:
    """orjson serialises only C-contiguous arrays natively; slices may not be."""
    return np.ascontiguousarray(array)


# --- blood pressure ---------------------------------------------------------------------


def blood_pressure_figure(
    times: np.ndarray,
    systolic: np.ndarray,
    diastolic: np.ndarray,
    pulse: np.ndarray | None,
    target: tuple[int, int],
) -> Figure:
    """Readings against the patient's target, so 'above target' is visible at a glance."""
    # Thin both numbers with one index set, so every point shown is a real reading pair.
    keep = np.union1d(
        minmax_indices(systolic, MAX_POINTS // 2), minmax_indices(diastolic, MAX_POINTS // 2)
    )
    x = _c(times[keep])
    data: list[Figure] = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": _("Systolic (upper)"),
            "x": x,
            "y": _c(systolic[keep]),
            "line": {"color": BLUE, "width": 2},
            "marker": {"symbol": "circle", "size": 7},
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": _("Diastolic (lower)"),
            "x": x,
            "y": _c(diastolic[keep]),
            "line": {"color": ORANGE, "width": 2},
            "marker": {"symbol": "square", "size": 7},
        },
    ]
    layout = _layout(_("mmHg"))
    if pulse is not None:
        measured = ~np.isnan(np.asarray(pulse, dtype=float))
        px, py = downsample_minmax(times[measured], pulse[measured], MAX_POINTS)
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": _("Pulse (per minute)"),
                "x": _c(px),
                "y": _c(py),
                "yaxis": "y2",
                "visible": "legendonly",
                "line": {"color": PURPLE, "width": 1, "dash": "dot"},
                "marker": {"symbol": "diamond", "size": 6},
            }
        )
        layout["yaxis2"] = {
            "title": {"text": _("Pulse (per minute)")},
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
        }
        layout["margin"]["r"] = 64
    target_sys, target_dia = target
    top = max(float(np.max(systolic)) if len(systolic) else 0.0, float(target_sys)) + 10
    layout["shapes"] = [
        _band(target_sys, top, VERMILION, 0.08),
        _hline(target_sys, _("target upper value %(value)s", value=target_sys), VERMILION),
        _hline(
            target_dia,
            _("target lower value %(value)s", value=target_dia),
            VERMILION,
            dash="dot",
        ),
    ]
    return {"data": data, "layout": layout, "narrow": _narrow()}


def blood_pressure_text(
    times: np.ndarray,
    systolic: np.ndarray,
    diastolic: np.ndarray,
    target: tuple[int, int],
    pulse: np.ndarray | None = None,
) -> ChartText:
    """Words and a table for the blood pressure chart."""
    headers = [_("Date and time"), _("Systolic (mmHg)"), _("Diastolic (mmHg)")]
    if pulse is not None:
        headers.append(_("Pulse (per minute)"))
    headers.append(_("Above target"))
    n = len(times)
    if n == 0:
        return ChartText(_("No blood pressure readings in this period."), headers, [])
    above = bp_above_target(systolic, diastolic, target)
    summary = " ".join(
        [
            _period(times),
            _(
                "Average %(systolic)s/%(diastolic)s.",
                systolic=_num(float(np.mean(systolic)), 0),
                diastolic=_num(float(np.mean(diastolic)), 0),
            ),
            _(
                "%(above)d of %(total)d above the target of %(systolic)d/%(diastolic)d.",
                above=above,
                total=n,
                systolic=target[0],
                diastolic=target[1],
            ),
        ]
    )
    yes, no = _("yes"), _("no")
    rows = []
    for i in range(n - 1, max(n - TABLE_ROWS, 0) - 1, -1):
        row = [_moment(times[i]), _num(systolic[i], 0), _num(diastolic[i], 0)]
        if pulse is not None:
            row.append("" if np.isnan(pulse[i]) else _num(pulse[i], 0))
        is_above = systolic[i] >= target[0] or diastolic[i] >= target[1]
        row.append(yes if is_above else no)
        rows.append(row)
    return ChartText(summary, headers, rows)


# --- weight -----------------------------------------------------------------------------


def _bmi_labels() -> dict[str, str]:
    """Translated names of the BMI bands, looked up at call time (per request language)."""
    return {
        "underweight": _("underweight"),
        "healthy": _("healthy weight"),
        "overweight": _("overweight"),
        "obese": _("obesity"),
    }


def weight_figure(
    times: np.ndarray, kg: np.ndarray, height_cm: float | None, goal_kg: float | None
) -> Figure:
    """Weight over time with BMI bands and the goal, so progress has a reference."""
    x, y = downsample_minmax(times, np.asarray(kg, dtype=float), MAX_POINTS)
    data: list[Figure] = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": _("Weight"),
            "x": _c(x),
            "y": _c(np.round(y, 1)),
            "line": {"color": BLUE, "width": 2},
            "marker": {"size": 7},
        }
    ]
    layout = _layout(_("kg"))
    shapes: list[Figure] = []
    marks = [float(v) for v in (np.min(y), np.max(y))] if len(y) else []
    if goal_kg is not None:
        marks.append(float(goal_kg))
    if marks:
        low, high = min(marks) - 3.0, max(marks) + 3.0
        layout["yaxis"]["range"] = [low, high]
        if height_cm:
            # Bands are clipped to the visible range so their labels stay on screen.
            square = (height_cm / 100.0) ** 2
            edges = [low, *(limit * square for limit in BMI_BANDS), high]
            colours = (SKY, GREEN, ORANGE, VERMILION)
            names = _bmi_labels()
            for i, key in enumerate(("underweight", "healthy", "overweight", "obese")):
                y0, y1 = max(edges[i], low), min(edges[i + 1], high)
                if y1 > y0:
                    shapes.append(_band(y0, y1, colours[i], 0.12, names[key]))
    if goal_kg is not None:
        shapes.append(_hline(goal_kg, _("goal %(kg)s kg", kg=_short(goal_kg)), BLACK))
    layout["shapes"] = shapes
    return {"data": data, "layout": layout, "narrow": _narrow()}


def weight_text(
    times: np.ndarray, kg: np.ndarray, height_cm: float | None, goal_kg: float | None = None
) -> ChartText:
    """Words and a table for the weight chart."""
    headers = [_("Date and time"), _("Weight (kg)")]
    if height_cm:
        headers.append(_("BMI"))
    n = len(times)
    if n == 0:
        return ChartText(_("No weight readings in this period."), headers, [])
    latest = float(kg[-1])
    parts = [_period(times), _("Latest: %(kg)s kg.", kg=_num(latest))]
    if height_cm:
        value = bmi(latest, height_cm)
        band = _bmi_labels()[bmi_band(value)]
        parts.append(_("BMI %(bmi)s (%(band)s).", bmi=_num(value), band=band))
    if n > 1:
        change = latest - float(kg[0])
        sign = "+" if change > 0 else ""
        parts.append(
            _(
                "Change since %(date)s: %(change)s kg.",
                date=_day(times[0], True),
                change=sign + _num(change),
            )
        )
    if goal_kg is not None:
        parts.append(_("Goal: %(kg)s kg.", kg=_short(goal_kg)))
    rows = []
    for i in range(n - 1, max(n - TABLE_ROWS, 0) - 1, -1):
        row = [_moment(times[i]), _num(kg[i])]
        if height_cm:
            row.append(_num(bmi(float(kg[i]), height_cm)))
        rows.append(row)
    return ChartText(" ".join(parts), headers, rows)


# --- glucose: day curves ----------------------------------------------------------------


def _glucose_target_band() -> Figure:
    """The 3.9-10.0 mmol/L target range as a green background band, named in the legend."""
    name = _("target range (%(low)s to %(high)s)", low=_num(GLUCOSE_LOW), high=_num(GLUCOSE_HIGH))
    return _band(GLUCOSE_LOW, GLUCOSE_HIGH, GREEN, 0.12, legend=name)


def day_curve_overlay_figure(days: list[DayCurve]) -> Figure:
    """Chosen days on one 24-hour axis, so a patient and POH compare days side by side.

    Days are drawn in the order given; past MAX_OVERLAY_DAYS the rest are left out.
    """
    shown = days[:MAX_OVERLAY_DAYS]
    per_trace = max(MAX_POINTS // max(len(shown), 1), 2)  # the whole chart stays in budget
    data: list[Figure] = []
    for i, day in enumerate(shown):
        x, y = downsample_minmax(day.minutes, np.asarray(day.mmol, dtype=float), per_trace)
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": day.label,
                "x": _c(_clock(x)),
                "y": _c(np.round(y, 1)),
                "line": {
                    "color": DAY_COLOURS[i % len(DAY_COLOURS)],
                    "dash": DAY_DASHES[(i // len(DAY_COLOURS)) % len(DAY_DASHES)],
                    "width": 2,
                },
                "marker": {"size": 7},
            }
        )
    layout = _layout(_("mmol/L"))
    layout["xaxis"] = _clock_axis()
    layout["shapes"] = [_glucose_target_band()]
    return {"data": data, "layout": layout, "narrow": _narrow(clock=True)}


def day_curve_text(days: list[DayCurve]) -> ChartText:
    """Words and a table for the day-curve chart: one row per reading, days in chart order."""
    headers = [_("Day"), _("Time"), _("Blood sugar (mmol/L)")]
    shown = days[:MAX_OVERLAY_DAYS]
    values = [np.asarray(d.mmol, dtype=float) for d in shown]
    total = sum(v.size for v in values)
    if total == 0:
        return ChartText(
            _("No blood sugar readings on the chosen days."), headers, [], _("Day curves")
        )
    every = np.concatenate(values)
    parts = [
        ngettext("%(num)d day,", "%(num)d days,", len(shown)),
        ngettext("%(num)d reading.", "%(num)d readings.", total),
        _(
            "Lowest %(low)s, highest %(high)s mmol/L.",
            low=_num(float(every.min())),
            high=_num(float(every.max())),
        ),
        _(
            "%(below)d below %(low)s, %(above)d above %(high)s.",
            below=int(np.count_nonzero(every < GLUCOSE_LOW)),
            low=_num(GLUCOSE_LOW),
            above=int(np.count_nonzero(every > GLUCOSE_HIGH)),
            high=_num(GLUCOSE_HIGH),
        ),
    ]
    if len(days) > len(shown):
        parts.append(
            _(
                "The chart shows %(shown)d of the %(chosen)d chosen days.",
                shown=len(shown),
                chosen=len(days),
            )
        )
    rows = [
        [day.label, _clock_text(m), _num(v)]
        for day in shown
        for m, v in zip(day.minutes, day.mmol, strict=True)
    ]
    return ChartText(" ".join(parts), headers, rows, _("Day curves"))


# --- glucose: modal day -----------------------------------------------------------------


def _band_polygon(
    x: np.ndarray, lower: np.ndarray, upper: np.ndarray, half_width: float
) -> tuple[list[Any], list[Any]]:
    """Closed outlines per run of filled bins, split by None: 'toself' honours the gaps.

    fill='tonexty' draws across NaN gaps (plotly.js issues #2736 and #3296), so the
    band is one polygon per run of bins instead.
    """
    valid = ~(np.isnan(lower) | np.isnan(upper))
    xs: list[Any] = []
    ys: list[Any] = []
    edges = np.flatnonzero(np.diff(np.concatenate(([0], valid.astype(np.int8), [0]))))
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        rx, lo, hi = x[start:stop], lower[start:stop], upper[start:stop]
        if rx.size == 1:  # a lone bin: give it its bin width so it is visible
            rx = np.array([rx[0] - half_width, rx[0] + half_width])
            lo, hi = np.repeat(lo, 2), np.repeat(hi, 2)
        if xs:
            xs.append(None)
            ys.append(None)
        xs.extend(str(v) for v in _clock(np.concatenate((rx, rx[::-1]))))
        ys.extend(np.round(np.concatenate((hi, lo[::-1])), 2).tolist())
    return xs, ys


def modal_day_figure(modal: ModalDay) -> Figure:
    """Middle value and spread by time of day, so a recurring high or low stands out.

    Words a patient uses: "middle value" (the median), "middle half" (25-75%) and
    "most readings, 8 in 10" (10-90%).
    """
    half = float(modal.minutes[1] - modal.minutes[0]) / 2 if modal.minutes.size > 1 else 30.0
    outer_x, outer_y = _band_polygon(modal.minutes, modal.p10, modal.p90, half)
    inner_x, inner_y = _band_polygon(modal.minutes, modal.p25, modal.p75, half)
    spread = np.round(np.stack([modal.p10, modal.p25, modal.p75, modal.p90], axis=1), 1)
    band_style = {"type": "scatter", "mode": "lines", "fill": "toself", "hoverinfo": "skip"}
    hover = "<br>".join(
        [
            _("middle value %(value)s", value="%{y:.1f}"),
            _("middle half %(range)s", range="%{customdata[1]:.1f}-%{customdata[2]:.1f}"),
            _("8 in 10 readings %(range)s", range="%{customdata[0]:.1f}-%{customdata[3]:.1f}"),
        ]
    )
    data: list[Figure] = [
        {
            **band_style,
            "name": _("most readings (8 in 10)"),
            "x": outer_x,
            "y": outer_y,
            "fillcolor": "rgba(86, 180, 233, 0.25)",
            "line": {"width": 0},
        },
        {
            **band_style,
            "name": _("middle half of the readings"),
            "x": inner_x,
            "y": inner_y,
            "fillcolor": "rgba(0, 114, 178, 0.40)",
            "line": {"width": 0},
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": _("middle value"),
            "x": _c(_clock(modal.minutes)),
            "y": _c(np.round(modal.p50, 2)),
            "customdata": _c(spread),
            "hovertemplate": hover + "<extra></extra>",
            "connectgaps": False,
            "line": {"color": BLUE, "width": 3},
            "marker": {"size": 6},
        },
    ]
    layout = _layout(_("mmol/L"))
    layout["xaxis"] = _clock_axis()
    layout["shapes"] = [_glucose_target_band()]
    return {"data": data, "layout": layout, "narrow": _narrow(clock=True)}


def modal_day_text(modal: ModalDay) -> ChartText:
    """Words and a table for the modal day: one row per hour, in plain words."""
    title = _("Blood sugar by time of day")
    headers = [
        _("Time"),
        _("Middle value (mmol/L)"),
        _("Middle half (mmol/L)"),
        _("Most readings, 8 in 10 (mmol/L)"),
        _("Number of readings"),
    ]
    width = float(modal.minutes[1] - modal.minutes[0]) if modal.minutes.size > 1 else 60.0
    rows = []
    slots = []
    for i, centre in enumerate(modal.minutes):
        start, end = _clock_text(centre - width / 2), _clock_text(centre + width / 2)
        slots.append((start, end))
        count = str(int(modal.counts[i]))
        if np.isnan(modal.p50[i]):
            rows.append([f"{start}-{end}", _("too few readings"), "", "", count])
            continue
        rows.append(
            [
                f"{start}-{end}",
                _num(modal.p50[i]),
                f"{_num(modal.p25[i])}-{_num(modal.p75[i])}",
                f"{_num(modal.p10[i])}-{_num(modal.p90[i])}",
                count,
            ]
        )
    n = int(np.sum(modal.counts))
    filled = ~np.isnan(modal.p50)
    if not filled.any():
        return ChartText(
            _("Too few readings to show a pattern by time of day."), headers, rows, title
        )
    medians = np.where(filled, modal.p50, np.nan)
    high, low = int(np.nanargmax(medians)), int(np.nanargmin(medians))
    parts = [
        ngettext("Based on %(num)d reading.", "Based on %(num)d readings.", n),
        _(
            "For each hour of the day, the line shows the middle value of the readings: "
            "half were higher, half were lower. The light band shows where most readings "
            "(8 in 10) were."
        ),
    ]
    if _num(medians[high]) == _num(medians[low]):
        parts.append(_("The middle value stays at %(value)s mmol/L.", value=_num(medians[high])))
    else:
        parts.append(
            _(
                "The middle value is highest between %(high_start)s and %(high_end)s "
                "(%(high)s mmol/L) and lowest between %(low_start)s and %(low_end)s "
                "(%(low)s mmol/L).",
                high_start=slots[high][0],
                high_end=slots[high][1],
                high=_num(medians[high]),
                low_start=slots[low][0],
                low_end=slots[low][1],
                low=_num(medians[low]),
            )
        )
    empty = int(np.count_nonzero(~filled))
    if empty:
        parts.append(
            ngettext(
                "In %(num)d of the %(hours)d hours of the day there are fewer than "
                "%(min)d readings, so the chart is empty there.",
                "In %(num)d of the %(hours)d hours of the day there are fewer than "
                "%(min)d readings, so the chart is empty there.",
                empty,
                hours=int(modal.minutes.size),
                min=MODAL_MIN_COUNT,
            )
        )
    return ChartText(" ".join(parts), headers, rows, title)


# --- glucose: time in range -------------------------------------------------------------


def _tir_bands() -> list[tuple[str, str]]:
    """Band names and their limits, translated at call time."""
    return [
        (_("Very low"), _("below %(v)s", v=_num(GLUCOSE_VERY_LOW))),
        (_("Low"), f"{_num(GLUCOSE_VERY_LOW)}-{_num(GLUCOSE_LOW)}"),
        (_("In range"), f"{_num(GLUCOSE_LOW)}-{_num(GLUCOSE_HIGH)}"),
        (_("High"), f"{_num(GLUCOSE_HIGH)}-{_num(GLUCOSE_VERY_HIGH)}"),
        (_("Very high"), _("above %(v)s", v=_num(GLUCOSE_VERY_HIGH))),
    ]


TIR_LABEL_MIN = 6.0  # percent of the bar wide enough for a readable "12%"


def _tir_values(tir: TimeInRange) -> tuple[float, float, float, float, float]:
    return (tir.very_low, tir.low, tir.in_range, tir.high, tir.very_high)


def time_in_range_figure(tir: TimeInRange) -> Figure:
    """One stacked bar of the five glucose bands, the summary CGM reports lead with."""
    data: list[Figure] = []
    for i, ((name, limits), pct) in enumerate(zip(_tir_bands(), _tir_values(tir), strict=True)):
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": f"{name} ({limits})",
                "x": [round(pct, 1)],
                "y": [""],
                # A label in a sliver is unreadable (plotly shrinks and turns it): the
                # legend, the hover and the table below still give every band's share.
                "text": [_pct(pct) if pct >= TIR_LABEL_MIN else ""],
                "textposition": "inside",
                "textangle": 0,
                "insidetextanchor": "middle",
                "textfont": {"size": 16, "color": TIR_TEXT_COLOURS[i]},
                "marker": {"color": TIR_COLOURS[i]},
                "hovertemplate": f"{_pct(pct)} ({tir.counts[i]})<extra>{name}</extra>",
            }
        )
    layout = _layout("")
    layout.update(
        {
            "barmode": "stack",
            "hovermode": "y unified",  # a horizontal bar: one hover box for all five bands
            "legend": {**layout["legend"], "traceorder": "normal"},
            "xaxis": {"range": [0, 100], "ticksuffix": "%", "fixedrange": True},
            "yaxis": {"visible": False, "fixedrange": True},
        }
    )
    # No y axis to make room for; "100%" needs room on the right.
    narrow = {"margin.l": 24, "margin.r": 32, "xaxis.nticks": 5}
    return {"data": data, "layout": layout, "narrow": narrow}


def time_in_range_text(tir: TimeInRange) -> ChartText:
    """Words and a table for time in range: one row per band."""
    headers = [_("Range"), _("mmol/L"), _("Share"), _("Readings")]
    rows = [
        [name, limits, _pct(pct), str(count)]
        for (name, limits), pct, count in zip(
            _tir_bands(), _tir_values(tir), tir.counts, strict=True
        )
    ]
    if tir.n == 0:
        return ChartText(
            _("No blood sugar readings in this period."), headers, rows, _("Time in range")
        )
    summary = " ".join(
        [
            ngettext("Based on %(num)d reading:", "Based on %(num)d readings:", tir.n),
            _(
                "%(in_range)s in range (%(low)s to %(high)s mmol/L), "
                "%(below)s below and %(above)s above.",
                in_range=_pct(tir.in_range),
                low=_num(GLUCOSE_LOW),
                high=_num(GLUCOSE_HIGH),
                below=_pct(tir.very_low + tir.low),
                above=_pct(tir.high + tir.very_high),
            ),
        ]
    )
    return ChartText(summary, headers, rows, _("Time in range"))
