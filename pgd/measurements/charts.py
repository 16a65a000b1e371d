"""Plotly figure dicts and their text alternatives, built from numpy arrays.

Figures are plain dicts (a ``go.Figure`` validates every property and costs ~50x more)
and are serialised with orjson straight from numpy. Every trace holds at most
MAX_POINTS points, so a chart's JSON stays small however long the history is.
Each ``*_figure`` has a ``*_text`` companion: a summary and a table for screen
readers and for people who prefer numbers. What a value means (on target, a hypo,
alarming) is asked of pgd.clinical; nothing here compares a value with a limit.
This module holds the shared look, blood pressure and weight; glucose is in
``glucose_charts``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import plotly.io.json as plotly_json
from babel import Locale
from babel.dates import format_date, format_datetime
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from pgd import clinical
from pgd.clinical import BP, measuring_week, words
from pgd.clinical.targets import BMI_CATEGORIES
from pgd.measurements.stats import downsample_minmax, minmax_indices
from pgd.measurements.validation import format_number

MAX_POINTS = 2000
TABLE_ROWS = 50

# Okabe-Ito: tells colours apart with every common colour-vision deficiency.
BLUE, VERMILION, GREEN, ORANGE, SKY = "#0072B2", "#D55E00", "#009E73", "#E69F00", "#56B4E9"
PURPLE, BLACK = "#CC79A7", "#000000"
# A marked reading (alarming, a hypo): large, outlined, a symbol of its own, named in the
# legend and in the table, so its meaning never rests on colour alone.
MARK_SIZE = 16
MARK_LINE = {"color": BLACK, "width": 1.5}

Figure = dict[str, Any]
XRange = tuple[np.datetime64, np.datetime64]


@dataclass(frozen=True)
class ChartText:
    """What a chart says, as words and a table.

    ``title`` is shown as an HTML heading above the chart (it wraps on a phone; a title
    inside the figure is cut off there), empty when the page heading says it already.
    ``caption`` says how many of how many readings the table shows.
    """

    summary: str
    headers: list[str]
    rows: list[list[str]]
    title: str = ""
    caption: str = ""


def to_json(fig: Figure) -> bytes:
    """Serialise with orjson so numpy arrays go out without a Python list in between."""
    return plotly_json.to_json_plotly(fig, engine="orjson").encode()


# --- shared helpers ---------------------------------------------------------------------


HOUR_MS = 3600 * 1000
# Below 560 CSS pixels of chart box (NARROW_WIDTH in static/js/charts.js) a figure's
# "narrow" patch applies: fewer ticks, kept level, smaller margins, nothing cut off.


def layout(y_title: str, x_range: XRange | None = None) -> Figure:
    """One look for every chart: large type, a unified hover, the legend above the plot.

    No title inside the figure: the page shows it as a heading, which wraps on a phone.
    The legend sits above the plot, so it never collides with the tick labels below it.
    No zooming by dragging: the chart always shows what the text below it describes
    (the chosen period); hovering still shows each reading.
    """
    xaxis: Figure = {"type": "date", "fixedrange": True}
    if x_range is not None:
        xaxis["range"] = [str(x_range[0]), str(x_range[1])]
        xaxis["autorange"] = False
    return {
        "font": {"size": 16},
        # namelength -1: the whole series name in the hover ("Bovendruk (systolisch)"),
        # not plotly's default cut after 15 characters.
        "hoverlabel": {"font": {"size": 16}, "namelength": -1},
        "hovermode": "x unified",
        "dragmode": False,
        "autosize": True,
        "margin": {"l": 64, "r": 24, "t": 16, "b": 48},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        "xaxis": xaxis,
        "yaxis": {"title": {"text": y_title}, "fixedrange": True},
        "shapes": [],
    }


def narrow(clock: bool = False) -> Figure:
    """Layout changes for a phone-sized chart, as plotly "path": value pairs."""
    patch: Figure = {
        "margin.l": 56,
        "xaxis.nticks": 4,  # at most four labels, level: "15 nov", "jul 2026" fit side by side
        "xaxis.tickangle": 0,
    }
    if clock:
        patch["xaxis.dtick"] = 6 * HOUR_MS  # 00:00 06:00 12:00 18:00 00:00
    return patch


def hline(y: float, text: str, colour: str, dash: str = "dash") -> Figure:
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


def band(
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


def num(value: float, decimals: int = 1) -> str:
    return format_number(value, decimals)


def short(value: float) -> str:
    """'85' for whole numbers, '84,5' otherwise: labels read better without ',0'."""
    return f"{value:.0f}" if float(value).is_integer() else num(value)


def pct(value: float) -> str:
    """Whole percentages, but never hide a rare reading behind '0%' or '100%'."""
    if 0 < value < 1:
        return "<1%"
    if 99 < value < 100:
        return ">99%"
    return f"{value:.0f}%"


def locale() -> Locale:
    """The request's language when there is one; English source text otherwise."""
    return get_locale() or Locale("en")


def day(moment: np.datetime64, with_year: bool) -> str:
    """A date people say aloud: '3 March' or '3 March 2025'."""
    pattern = "d MMMM y" if with_year else "d MMMM"
    return format_date(moment.astype("datetime64[D]").item(), pattern, locale=locale())


def when(moment: np.datetime64) -> str:
    """A table cell date and time: '3 Mar 2025 08:15'."""
    value = moment.astype("datetime64[s]").item()
    return format_datetime(value, "d MMM y HH:mm", locale=locale())


def period(times: np.ndarray) -> str:
    """'12 readings from 3 March to 17 March 2025.' for the start of a summary."""
    n = len(times)
    first, last = times[0].astype("datetime64[D]"), times[-1].astype("datetime64[D]")
    if first == last:
        return ngettext(
            "%(num)d reading on %(date)s.",
            "%(num)d readings on %(date)s.",
            n,
            date=day(last, True),
        )
    same_year = first.astype("datetime64[Y]") == last.astype("datetime64[Y]")
    return ngettext(
        "%(num)d reading from %(start)s to %(end)s.",
        "%(num)d readings from %(start)s to %(end)s.",
        n,
        start=day(first, not same_year),
        end=day(last, True),
    )


def caption(shown: int, total: int) -> str:
    """'The latest 50 of 162 readings' or 'All 12 readings': what the table holds."""
    if shown < total:
        return _("The latest %(shown)d of %(total)d readings", shown=shown, total=total)
    return ngettext("The only reading", "All %(num)d readings", total)


def c(array: np.ndarray) -> np.ndarray:
    """orjson serialises only C-contiguous arrays natively; slices may not be."""
    return np.ascontiguousarray(array)


def sentences(*parts: str) -> str:
    return " ".join(p for p in parts if p)


# --- blood pressure ---------------------------------------------------------------------


def blood_pressure_figure(
    times: np.ndarray,
    systolic: np.ndarray,
    diastolic: np.ndarray,
    pulse: np.ndarray | None,
    target: clinical.BloodPressureTarget,
    x_range: XRange | None = None,
) -> Figure:
    """Readings against the target, alarming ones marked, over the whole chosen period."""
    # Thin both numbers with one index set, so every point shown is a real reading pair.
    keep = np.union1d(
        minmax_indices(systolic, MAX_POINTS // 2), minmax_indices(diastolic, MAX_POINTS // 2)
    )
    x = c(times[keep])
    data: list[Figure] = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": _("Systolic (upper)"),
            "x": x,
            "y": c(systolic[keep]),
            "line": {"color": BLUE, "width": 2},
            "marker": {"symbol": "circle", "size": 7},
            "cliponaxis": False,
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": _("Diastolic (lower)"),
            "x": x,
            "y": c(diastolic[keep]),
            "line": {"color": ORANGE, "width": 2},
            "marker": {"symbol": "square", "size": 7},
            "cliponaxis": False,
        },
    ]
    # Every alarming reading (180/110 or higher on either number), marked at its upper value.
    alarm = np.flatnonzero(clinical.bp_classes(systolic, diastolic, target) == BP.ALARM)
    if alarm.size > MAX_POINTS:
        alarm = alarm[minmax_indices(systolic[alarm], MAX_POINTS)]
    if alarm.size:
        name = words.bp_class_name(BP.ALARM)
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": name,
                "x": c(times[alarm]),
                "y": c(systolic[alarm]),
                "customdata": c(np.stack([systolic[alarm], diastolic[alarm]], axis=1)),
                "hovertemplate": "%{customdata[0]:.0f}/%{customdata[1]:.0f}<extra>"
                + name
                + "</extra>",
                "marker": {
                    "symbol": "star",
                    "size": MARK_SIZE + 2,
                    "color": VERMILION,
                    "line": MARK_LINE,
                },
                "cliponaxis": False,
            }
        )
    fig_layout = layout(_("mmHg"), x_range)
    if pulse is not None:
        measured = ~np.isnan(np.asarray(pulse, dtype=float))
        px, py = downsample_minmax(times[measured], pulse[measured], MAX_POINTS)
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": _("Pulse (per minute)"),
                "x": c(px),
                "y": c(py),
                "yaxis": "y2",
                "visible": "legendonly",
                "line": {"color": PURPLE, "width": 1, "dash": "dot"},
                "marker": {"symbol": "diamond", "size": 6},
            }
        )
        fig_layout["yaxis2"] = {
            "title": {"text": _("Pulse (per minute)")},
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "fixedrange": True,
        }
        fig_layout["margin"]["r"] = 64
    top = max(float(np.max(systolic)) if len(systolic) else 0.0, float(target.systolic)) + 10
    fig_layout["shapes"] = [
        band(target.systolic, top, VERMILION, 0.08),
        hline(
            target.systolic,
            _("target upper value %(value)s", value=target.systolic),
            VERMILION,
        ),
        hline(
            target.diastolic,
            _("target lower value %(value)s", value=target.diastolic),
            VERMILION,
            dash="dot",
        ),
    ]
    return {"data": data, "layout": fig_layout, "narrow": narrow()}


def blood_pressure_text(
    times: np.ndarray,
    systolic: np.ndarray,
    diastolic: np.ndarray,
    target: clinical.BloodPressureTarget,
    pulse: np.ndarray | None = None,
    *,
    for_patient: bool = True,
) -> ChartText:
    """Words and a table for the blood pressure chart: the mean against the target, named
    with its source, and every reading's meaning in words."""
    headers = [_("Date and time"), _("Systolic (mmHg)"), _("Diastolic (mmHg)")]
    if pulse is not None:
        headers.append(_("Pulse (per minute)"))
    headers.append(_("Meaning"))
    target_words = _(
        "Target: below %(target)s (%(source)s).",
        target=words.bp_target(target),
        source=words.target_source(target, for_patient=for_patient),
    )
    n = len(times)
    if n == 0:
        return ChartText(
            sentences(_("No blood pressure readings in this period."), target_words), headers, []
        )
    classes = clinical.bp_classes(systolic, diastolic, target)
    counts = np.bincount(classes, minlength=len(BP))
    above = int(counts[BP.ABOVE] + counts[BP.ALARM])
    verdict = clinical.bp_mean(systolic, diastolic, target)
    if for_patient:
        said = words.patient(verdict, target)
        meaning = sentences(*said.in_order)
    else:
        # The mean read as one reading is (the same limits), in the care provider's words.
        mean_s, mean_d = verdict.values["systolic"], verdict.values["diastolic"]
        mean_class = clinical.bp_classes(np.array([mean_s]), np.array([mean_d]), target)[0]
        meaning = _(
            "Average %(value)s: %(meaning)s.",
            value=words.pressure(mean_s, mean_d),
            meaning=words.bp_class_name(int(mean_class)),
        )
    parts = [
        period(times),
        meaning,
        target_words,
        ngettext(
            "%(num)d of %(total)d readings was at or above the target.",
            "%(num)d of %(total)d readings were at or above the target.",
            above,
            total=n,
        ),
    ]
    if counts[BP.ALARM]:
        parts.append(
            ngettext(
                "%(num)d reading was very high (%(limit)s or higher).",
                "%(num)d readings were very high (%(limit)s or higher).",
                int(counts[BP.ALARM]),
                limit=words.pressure(*clinical.thresholds.BP_ALARM),
            )
        )
    names = [words.bp_class_name(cls) for cls in BP]
    rows = []
    for i in range(n - 1, max(n - TABLE_ROWS, 0) - 1, -1):
        row = [when(times[i]), num(systolic[i], 0), num(diastolic[i], 0)]
        if pulse is not None:
            row.append("" if np.isnan(pulse[i]) else num(pulse[i], 0))
        row.append(names[classes[i]])
        rows.append(row)
    return ChartText(sentences(*parts), headers, rows, caption=caption(len(rows), n))


def week_shapes(start_day: date) -> list[Figure]:
    """A measuring week as two background bands under the readings: day 1 (practice, not
    counted in the mean) and days 2 to 7, each named in the legend (not colour alone)."""
    day_one = np.datetime64(start_day, "D")
    counted = day_one + np.timedelta64(1, "D")
    after = np.datetime64(measuring_week.end_day(start_day), "D") + np.timedelta64(1, "D")
    shapes = []
    for x0, x1, colour, name, dash in (
        (day_one, counted, BLACK, _("measuring week: day 1, not counted"), "dot"),
        (counted, after, SKY, _("measuring week: days 2 to 7"), "solid"),
    ):
        shapes.append(
            {
                "type": "rect",
                "xref": "x",
                "x0": str(x0),
                "x1": str(x1),
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "fillcolor": colour,
                "opacity": 0.1 if colour == BLACK else 0.18,
                "line": {"color": colour, "width": 1, "dash": dash},
                "layer": "below",
                "name": name,
                "showlegend": True,
            }
        )
    return shapes


def week_sentence(start_day: date, *, for_patient: bool = True) -> str:
    """The text alternative of the marked week."""
    first = format_date(start_day, "d MMMM", locale=locale())
    last = format_date(measuring_week.end_day(start_day), "d MMMM y", locale=locale())
    if for_patient:
        return _(
            "Your measuring week from %(first)s to %(last)s is marked; day 1 does not count.",
            first=first,
            last=last,
        )
    return _(
        "The measuring week from %(first)s to %(last)s is marked; day 1 does not count.",
        first=first,
        last=last,
    )


# --- weight -----------------------------------------------------------------------------

# One colour per BMI category (NHG M95 / WHO edges from pgd.clinical), faint under the data.
BMI_COLOURS = dict(zip(BMI_CATEGORIES, (SKY, GREEN, ORANGE, VERMILION, PURPLE, BLACK), strict=True))


def weight_figure(
    times: np.ndarray,
    kg: np.ndarray,
    height_cm: float | None,
    goal_kg: float | None,
    x_range: XRange | None = None,
) -> Figure:
    """Weight over time with BMI bands and the goal, so progress has a reference."""
    x, y = downsample_minmax(times, np.asarray(kg, dtype=float), MAX_POINTS)
    data: list[Figure] = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": _("Weight"),
            "x": c(x),
            "y": c(np.round(y, 1)),
            "line": {"color": BLUE, "width": 2},
            "marker": {"size": 7},
            "cliponaxis": False,
        }
    ]
    fig_layout = layout(_("kg"), x_range)
    shapes: list[Figure] = []
    marks = [float(v) for v in (np.min(y), np.max(y))] if len(y) else []
    if goal_kg is not None:
        marks.append(float(goal_kg))
    if marks:
        low, high = min(marks) - 3.0, max(marks) + 3.0
        fig_layout["yaxis"]["range"] = [low, high]
        if height_cm:
            # The weights at each BMI edge for this height; bands are clipped to the
            # visible range so their labels stay on screen.
            edges = [low, *clinical.bmi_weight_edges(height_cm), high]
            for i, category in enumerate(BMI_CATEGORIES):
                y0, y1 = max(edges[i], low), min(edges[i + 1], high)
                if y1 > y0:
                    label = words.bmi_category(category)
                    shapes.append(band(y0, y1, BMI_COLOURS[category], 0.12, label))
    if goal_kg is not None:
        shapes.append(hline(goal_kg, _("goal %(kg)s kg", kg=short(goal_kg)), BLACK))
    fig_layout["shapes"] = shapes
    return {"data": data, "layout": fig_layout, "narrow": narrow()}


def weight_text(
    times: np.ndarray,
    kg: np.ndarray,
    height_cm: float | None,
    goal_kg: float | None = None,
    *,
    for_patient: bool = True,
) -> ChartText:
    """Words and a table for the weight chart: the BMI category in words and the healthy
    weight for this height."""
    headers = [_("Date and time"), _("Weight (kg)")]
    if height_cm:
        headers += [_("BMI"), _("Meaning")]
    n = len(times)
    if n == 0:
        return ChartText(_("No weight readings in this period."), headers, [])
    latest = float(kg[-1])
    parts = [period(times), _("Latest: %(kg)s kg.", kg=num(latest))]
    if height_cm:
        value = clinical.bmi(latest, height_cm)
        if for_patient:
            said = words.patient(clinical.bmi_verdict(value))
            parts += [said.headline, said.meaning]
        else:
            category = words.bmi_category(clinical.bmi_category(value))
            parts.append(_("BMI %(bmi)s (%(band)s).", bmi=num(value), band=category))
        low, high = clinical.healthy_weight_range(height_cm)
        parts.append(
            _(
                "A healthy weight at %(height)s cm is %(low)s to %(high)s kg.",
                height=short(height_cm),
                low=num(low),
                high=num(high),
            )
        )
    if n > 1:
        change = latest - float(kg[0])
        sign = "+" if change > 0 else ""
        parts.append(
            _(
                "Change since %(date)s: %(change)s kg.",
                date=day(times[0], True),
                change=sign + num(change),
            )
        )
    if goal_kg is not None:
        parts.append(_("Goal: %(kg)s kg.", kg=short(goal_kg)))
    rows = []
    for i in range(n - 1, max(n - TABLE_ROWS, 0) - 1, -1):
        row = [when(times[i]), num(kg[i])]
        if height_cm:
            value = clinical.bmi(float(kg[i]), height_cm)
            row += [num(value), words.bmi_category(clinical.bmi_category(value))]
        rows.append(row)
    return ChartText(sentences(*parts), headers, rows, caption=caption(len(rows), n))
