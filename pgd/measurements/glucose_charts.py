"""Glucose charts for finger pricks: day curves, values by moment of the day, and the
share of readings within the target for their moment.

Pure helpers, like ``charts``: plain numpy arrays in, plotly dicts and ChartText out.
Each reading is judged by pgd.clinical against the range for its moment (fasting and
before a meal, after a meal, other moments); a hypo (below 4) and a very high reading
(above 15) are marked on every chart and named in every table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from flask_babel import gettext as _
from flask_babel import ngettext

from pgd import clinical
from pgd.clinical import G, words
from pgd.measurements.charts import (
    BLACK,
    BLUE,
    GREEN,
    HOUR_MS,
    MARK_LINE,
    MARK_SIZE,
    MAX_POINTS,
    ORANGE,
    PURPLE,
    SKY,
    VERMILION,
    ChartText,
    Figure,
    band,
    c,
    layout,
    narrow,
    num,
    pct,
    sentences,
)
from pgd.measurements.forms import DAY_CURVE_SLOTS, moment_choices
from pgd.measurements.stats import GroupStats, downsample_minmax, group_percentiles, minmax_indices

MAX_OVERLAY_DAYS = 7  # days in one overlay; the day picker allows no more
DAY_COLOURS = (BLUE, VERMILION, GREEN, ORANGE, SKY, PURPLE, BLACK)
DAY_DASHES = ("solid", "dash", "dot", "dashdot")
CLOCK_ORIGIN = np.datetime64("2000-01-01T00:00:00", "s")

# The share bar's five bands (as on CGM reports), each with text of enough contrast on it
# (WCAG 1.4.3); every band is named in the legend and the table as well.
SHARE_BANDS = (G.HYPO, G.BELOW, G.IN_RANGE, G.ABOVE, G.VERY_HIGH)
SHARE_COLOURS = ("#8B0000", "#D7301F", "#1A9850", "#B07800", "#7F2704")
SHARE_TEXT_COLOURS = ("#FFFFFF", "#FFFFFF", "#000000", "#000000", "#FFFFFF")
SERIOUS_HYPO_COLOUR = SHARE_COLOURS[0]  # dark red, 10:1 on white
SHARE_LABEL_MIN = 6.0  # percent of the bar wide enough for a readable "12%"

# Moments of the day in the order of a day; fasting and before breakfast are one moment.
# The first seven are the day curve's and always listed; night and other only with data.
MOMENT_GROUPS: tuple[tuple[str, ...], ...] = (
    ("fasting", "before_breakfast"),
    ("after_breakfast",),
    ("before_lunch",),
    ("after_lunch",),
    ("before_dinner",),
    ("after_dinner",),
    ("bedtime",),
    ("night",),
    ("other",),
)
ALWAYS_LISTED = 7
OTHER_GROUP = len(MOMENT_GROUPS) - 1
_GROUP_OF = {m: i for i, group in enumerate(MOMENT_GROUPS) for m in group}
HALF_MIN_COUNT = 4  # fewer readings at a moment: no "middle half" (it would say nothing)


def _group_labels() -> list[str]:
    """Names of the moment groups, in the request's language: the day-curve form's words
    (pgd.measurements.forms), then the night and other moments as the glucose form names
    them."""
    choices = _moment_labels()
    return [str(label) for _slot, _time, label in DAY_CURVE_SLOTS] + [
        choices["night"],
        choices["other"],
    ]


def _moment_labels() -> dict[str, str]:
    """One reading's moment in words, as the glucose form names it."""
    return {value: str(label) for value, label in moment_choices()}


def moment_groups(moments: np.ndarray) -> np.ndarray:
    """Each reading's moment group (index into MOMENT_GROUPS); unknown moments are 'other'.

    Fixed-width text compares in C: one pass per known moment, none per reading.
    """
    text = np.asarray(moments, dtype=object).astype("U24")
    out = np.full(text.shape, OTHER_GROUP, dtype=np.int64)
    for moment, group in _GROUP_OF.items():
        out[text == moment] = group
    return out


def _class_names() -> list[str]:
    return [words.glucose_class_name(cls) for cls in G]


def _hypo_mask(classes: np.ndarray) -> np.ndarray:
    return (classes == G.SEVERE_HYPO) | (classes == G.HYPO)


# A reading outside the target for its own moment: ringed, so the general 4-10 band on
# the day-curve chart never makes it look good (after a meal 9,5 is above the target).
OFF_TARGET_COLOUR = "#B35806"


def _marks(
    x: np.ndarray | list[Any],
    y: np.ndarray,
    classes: np.ndarray,
    *,
    horizontal: bool = False,
    off_target: bool = False,
) -> list[Figure]:
    """Serious hypos, hypos and very high readings as marker traces of their own: each with
    a symbol, a colour and a name in the legend (pgd.clinical says which reading is which).
    off_target: readings below or above the target for their moment get a ring too."""
    traces = []
    kinds = [
        (G.SEVERE_HYPO, "x", SERIOUS_HYPO_COLOUR),
        (G.HYPO, "triangle-down", VERMILION),
        (G.VERY_HIGH, "triangle-up", BLACK),
    ]
    if off_target:
        kinds += [
            (G.ABOVE, "circle-open", OFF_TARGET_COLOUR),
            (G.BELOW, "circle-open", OFF_TARGET_COLOUR),
        ]
    # Category labels (a list) as one object array, made once for every marked class.
    listed = np.asarray(x, dtype=object) if isinstance(x, list) else None
    for cls, symbol, colour in kinds:
        name = words.glucose_class_name(cls)
        if off_target and cls in (G.ABOVE, G.BELOW):
            name = words.glucose_off_target_name(cls)
        index = np.flatnonzero(classes == cls)
        if index.size > MAX_POINTS // 3:
            index = index[minmax_indices(y[index], MAX_POINTS // 3)]
        if not index.size:
            continue
        xs = listed[index].tolist() if listed is not None else c(np.asarray(x)[index])
        values = c(np.round(y[index], 1))
        trace: Figure = {
            "type": "scatter",
            "mode": "markers",
            "name": name,
            "x": values if horizontal else xs,
            "y": xs if horizontal else values,
            "marker": {
                "symbol": symbol,
                "size": MARK_SIZE + (6 if symbol == "circle-open" else 0),
                "color": colour,
                "line": {"width": 3, "color": colour} if symbol == "circle-open" else MARK_LINE,
            },
            "hovertemplate": ("%{x:.1f}" if horizontal else "%{y:.1f}")
            + " "
            + _("mmol/L")
            + "<extra>"
            + name
            + "</extra>",
            "cliponaxis": False,
        }
        traces.append(trace)
    return traces


# --- day curves -------------------------------------------------------------------------


# eq=False: dataclass equality on numpy arrays raises, identity is what callers need.
@dataclass(frozen=True, eq=False)
class DayCurve:
    """One day's glucose readings by time of day, for the overlay chart."""

    label: str
    minutes: np.ndarray
    mmol: np.ndarray
    moments: np.ndarray | None = None  # each reading's moment; None: "other" for all

    def moment_values(self) -> np.ndarray:
        if self.moments is None:
            return np.full(np.asarray(self.mmol).shape, "other", dtype=object)
        return np.asarray(self.moments, dtype=object)


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
        "fixedrange": True,
        "range": [str(CLOCK_ORIGIN), str(CLOCK_ORIGIN + np.timedelta64(1, "D"))],
    }


def _general_band() -> Figure:
    """The day's general range (4 to 10) as a green background band, named in the legend.

    Not called a target: fasting and after a meal have their own NHG targets, which the
    table under the chart applies to each reading.
    """
    general = clinical.glucose_range("other")
    name = _(
        "general day range (%(low)s to %(high)s)",
        low=words.number(general.low),
        high=words.number(general.high),
    )
    return band(general.low, general.high, GREEN, 0.12, legend=name)


def day_curve_overlay_figure(days: list[DayCurve]) -> Figure:
    """Chosen days on one 24-hour axis, so a patient and POH compare days side by side.

    A day with one reading shows it as a marker. Hypos and very high readings get a
    marker of their own. Past MAX_OVERLAY_DAYS the rest are left out.
    """
    shown = days[:MAX_OVERLAY_DAYS]
    per_trace = max(MAX_POINTS // max(len(shown), 1), 2)  # the whole chart stays in budget
    data: list[Figure] = []
    for i, curve in enumerate(shown):
        x, y = downsample_minmax(curve.minutes, np.asarray(curve.mmol, dtype=float), per_trace)
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": curve.label,
                "x": c(_clock(x)),
                "y": c(np.round(y, 1)),
                "line": {
                    "color": DAY_COLOURS[i % len(DAY_COLOURS)],
                    "dash": DAY_DASHES[(i // len(DAY_COLOURS)) % len(DAY_DASHES)],
                    "width": 2,
                },
                "marker": {"size": 8},
            }
        )
    if shown:
        minutes = np.concatenate([np.asarray(d.minutes, dtype=float) for d in shown])
        mmol = np.concatenate([np.asarray(d.mmol, dtype=float) for d in shown])
        moments = np.concatenate([d.moment_values() for d in shown])
        classes = clinical.glucose_classes(mmol, moments)
        data += _marks(_clock(minutes), mmol, classes, off_target=True)
    fig_layout = layout(_("mmol/L"))
    fig_layout["xaxis"] = _clock_axis()
    fig_layout["shapes"] = [_general_band()]
    return {"data": data, "layout": fig_layout, "narrow": narrow(clock=True)}


def _share_words(share: clinical.Share, for_patient: bool) -> list[str]:
    """The share in range, then hypos and very high readings, in plain words."""
    in_range = _(
        "%(in_range)d of the %(n)d readings (%(pct)s) were within the target for their "
        "moment of the day.",
        in_range=share.in_range,
        n=share.n,
        pct=pct(share.in_range_pct),
    )
    if for_patient:
        said = words.patient(clinical.glucose_period(share))
        return [said.headline, in_range, said.next_step]
    parts = [in_range]
    if share.hypos:
        parts.append(
            ngettext(
                "%(num)d reading was below %(limit)s (a hypo).",
                "%(num)d readings were below %(limit)s (a hypo).",
                share.hypos,
                limit=words.number(clinical.thresholds.GLUCOSE_HYPO),
            )
        )
    if share.very_high:
        parts.append(
            ngettext(
                "%(num)d reading was above %(limit)s (very high).",
                "%(num)d readings were above %(limit)s (very high).",
                share.very_high,
                limit=words.number(clinical.thresholds.GLUCOSE_VERY_HIGH),
            )
        )
    return parts


def day_curve_text(
    days: list[DayCurve], *, for_patient: bool = True, missing: tuple[str, ...] = ()
) -> ChartText:
    """Words and a table for the day-curve chart: one row per reading, days in chart order,
    each with its moment and its meaning in words."""
    title = _("Day curves")
    headers = [
        _("Day"),
        _("Time"),
        _("Moment"),
        _("Blood sugar (mmol/L)"),
        _("Meaning"),
    ]
    shown = days[:MAX_OVERLAY_DAYS]
    nothing_on = _("No readings on %(days)s.", days=", ".join(missing)) if missing else ""
    total = sum(np.asarray(d.mmol).size for d in shown)
    if total == 0:
        summary = sentences(_("No blood sugar readings on the chosen days."), nothing_on)
        return ChartText(summary, headers, [], title)
    mmol = np.concatenate([np.asarray(d.mmol, dtype=float) for d in shown])
    moments = np.concatenate([d.moment_values() for d in shown])
    classes = clinical.glucose_classes(mmol, moments)
    parts = [
        ngettext("%(num)d day,", "%(num)d days,", len(shown)),
        ngettext("%(num)d reading.", "%(num)d readings.", total),
    ]
    if total == 1:
        parts.append(_("The reading: %(value)s mmol/L.", value=num(float(mmol[0]))))
    else:
        parts.append(
            _(
                "Lowest %(low)s, highest %(high)s mmol/L.",
                low=num(float(mmol.min())),
                high=num(float(mmol.max())),
            )
        )
    parts += _share_words(clinical.glucose_share(classes), for_patient)
    if len(days) > len(shown):
        parts.append(
            _(
                "The chart shows %(shown)d of the %(chosen)d chosen days.",
                shown=len(shown),
                chosen=len(days),
            )
        )
    parts.append(nothing_on)
    names, moment_names = _class_names(), _moment_labels()
    rows = []
    i = 0
    for curve in shown:
        for m, v, moment in zip(curve.minutes, curve.mmol, curve.moment_values(), strict=True):
            label = moment_names.get(str(moment), moment_names["other"])
            rows.append([curve.label, _clock_text(m), label, num(v), names[classes[i]]])
            i += 1
    table_caption = ngettext(
        "The only reading on the chosen days", "All %(num)d readings on the chosen days", total
    )
    return ChartText(sentences(*parts), headers, rows, title, table_caption)


# --- by moment of the day ---------------------------------------------------------------


# eq=False: dataclass equality on numpy arrays raises, identity is what callers need.
@dataclass(frozen=True, eq=False)
class Moments:
    """Glucose per moment of the day: spread, in-range and marked counts, per group."""

    n: int
    groups: np.ndarray  # each reading's group
    mmol: np.ndarray
    classes: np.ndarray  # each reading's class (pgd.clinical.G)
    spread: GroupStats  # per group: count, lowest, quartiles, highest
    in_range: np.ndarray  # per group
    hypos: np.ndarray  # per group
    very_high: np.ndarray  # per group

    @property
    def listed(self) -> list[int]:
        """The day's seven moments, then night and other moments when they have readings."""
        extra = [g for g in range(ALWAYS_LISTED, len(MOMENT_GROUPS)) if self.spread.counts[g]]
        return list(range(ALWAYS_LISTED)) + extra

    def median_class(self, group: int) -> G | None:
        """What the middle value means for this moment's target; None without readings."""
        if not self.spread.counts[group]:
            return None
        # Judged as shown (one decimal, like every reading): "4,0" is never called a hypo.
        median = round(float(self.spread.p50[group]), 1)
        return clinical.glucose_class(median, MOMENT_GROUPS[group][0])


def moments_of(mmol: np.ndarray, moments: np.ndarray) -> Moments:
    """Group readings by moment of the day and judge each against its moment's range."""
    values = np.asarray(mmol, dtype=float)
    kinds = np.asarray(moments, dtype=object)
    keep = np.isfinite(values)
    values, kinds = values[keep], kinds[keep]
    groups = moment_groups(kinds)
    classes = clinical.glucose_classes(values, kinds)
    n_groups = len(MOMENT_GROUPS)
    return Moments(
        n=int(values.size),
        groups=groups,
        mmol=values,
        classes=classes,
        spread=group_percentiles(groups, values, n_groups),
        in_range=np.bincount(groups[classes == G.IN_RANGE], minlength=n_groups),
        hypos=np.bincount(groups[_hypo_mask(classes)], minlength=n_groups),
        very_high=np.bincount(groups[classes == G.VERY_HIGH], minlength=n_groups),
    )


def moments_figure(m: Moments) -> Figure:
    """Per moment (one row each, a day from top to bottom): its target range, the lowest
    to highest reading, the middle half and the middle value; hypos and very high marked."""
    labels = _group_labels()
    listed = m.listed
    names = [labels[g] for g in listed]
    st = m.spread
    ranges = [clinical.glucose_range(MOMENT_GROUPS[g][0]) for g in listed]
    low = np.array([r.low for r in ranges])
    high = np.array([r.high for r in ranges])
    targets = [
        words.glucose_range_text(r) + " " + _("mmol/L") for r in ranges
    ]  # hover: the moment's target
    idx = np.array(listed)
    counts = st.counts[idx]
    half = counts >= HALF_MIN_COUNT
    p25 = np.where(half, st.p25[idx], np.nan)
    p75 = np.where(half, st.p75[idx], np.nan)
    bar: Figure = {"type": "bar", "orientation": "h", "y": names}
    data: list[Figure] = [
        {
            **bar,
            "name": _("target for this moment"),
            "base": c(low),
            "x": c(high - low),
            "width": 0.8,
            "marker": {"color": GREEN, "opacity": 0.25},
            "customdata": targets,
            "hovertemplate": "%{customdata}<extra>" + _("target for this moment") + "</extra>",
        },
        {
            **bar,
            "name": _("lowest to highest"),
            "base": c(np.round(st.low[idx], 1)),
            "x": c(np.round(st.high[idx] - st.low[idx], 1)),
            "width": 0.12,
            "marker": {"color": "#595959"},
            "customdata": c(np.round(np.stack([st.low[idx], st.high[idx]], axis=1), 1)),
            "hovertemplate": "%{customdata[0]:.1f} - %{customdata[1]:.1f}<extra>"
            + _("lowest to highest")
            + "</extra>",
        },
        {
            **bar,
            "name": _("middle half of the readings"),
            "base": c(np.round(p25, 1)),
            "x": c(np.round(p75 - p25, 1)),
            "width": 0.4,
            "marker": {"color": BLUE, "opacity": 0.7},
            "customdata": c(np.round(np.stack([p25, p75], axis=1), 1)),
            "hovertemplate": "%{customdata[0]:.1f} - %{customdata[1]:.1f}<extra>"
            + _("middle half")
            + "</extra>",
        },
        {
            "type": "scatter",
            "mode": "markers",
            "name": _("middle value"),
            "x": c(np.round(st.p50[idx], 1)),
            "y": names,
            # "1 reading" / "3 readings": the plural is chosen here, per moment.
            "customdata": [ngettext("%(num)d reading", "%(num)d readings", int(n)) for n in counts],
            "marker": {"symbol": "line-ns", "size": 26, "line": {"color": BLACK, "width": 4}},
            "hovertemplate": "%{x:.1f} "
            + _("mmol/L")
            + " (%{customdata})<extra>"
            + _("middle value")
            + "</extra>",
        },
    ]
    label_of = np.array(labels, dtype=object)
    data += _marks(label_of[m.groups].tolist(), m.mmol, m.classes, horizontal=True)
    fig_layout = layout(_("mmol/L"))
    fig_layout.update(
        {
            "barmode": "overlay",
            "hovermode": "y unified",
            "height": 150 + 44 * len(listed),
            "xaxis": {"title": {"text": _("mmol/L")}, "fixedrange": True, "rangemode": "tozero"},
            "yaxis": {
                "type": "category",
                "categoryorder": "array",
                "categoryarray": names,
                "autorange": "reversed",  # the day from top to bottom
                "automargin": True,
                "fixedrange": True,
            },
        }
    )
    return {"data": data, "layout": fig_layout, "narrow": {"margin.l": 8, "xaxis.nticks": 5}}


def _in_sentence(label: str) -> str:
    """'Na de lunch' inside a sentence: 'na de lunch'."""
    return label[:1].lower() + label[1:]


def _moment_list(items: list[tuple[str, str]]) -> str:
    return ", ".join(f"{_in_sentence(name)} ({value})" for name, value in items)


def moments_text(m: Moments) -> ChartText:
    """Words and a table for the moments chart: one row per moment of the day."""
    title = _("Blood sugar by moment of the day")
    headers = [
        _("Moment"),
        _("Readings"),
        _("Middle value (mmol/L)"),
        _("Lowest to highest (mmol/L)"),
        _("Middle half (mmol/L)"),
        _("Within the target"),
        _("Target for this moment"),
        _("Meaning of the middle value"),
    ]
    labels, st = _group_labels(), m.spread
    rows = []
    above: list[tuple[str, str]] = []
    below: list[tuple[str, str]] = []
    empty: list[str] = []
    for g in m.listed:
        count = int(st.counts[g])
        target = words.glucose_target_text(MOMENT_GROUPS[g][0])
        if not count:
            rows.append([labels[g], "0", _("no readings"), "", "", "", target, ""])
            empty.append(labels[g])
            continue
        cls = m.median_class(g)
        median = num(float(st.p50[g]))
        if cls in (G.ABOVE, G.VERY_HIGH):
            above.append((labels[g], median))
        elif cls in (G.BELOW, G.HYPO, G.SEVERE_HYPO):
            below.append((labels[g], median))
        middle_half = (
            f"{num(float(st.p25[g]))} - {num(float(st.p75[g]))}" if count >= HALF_MIN_COUNT else ""
        )
        rows.append(
            [
                labels[g],
                str(count),
                median,
                f"{num(float(st.low[g]))} - {num(float(st.high[g]))}",
                middle_half,
                _("%(num)d of %(total)d", num=int(m.in_range[g]), total=count),
                target,
                words.glucose_class_name(cls) if cls is not None else "",
            ]
        )
    if m.n == 0:
        return ChartText(_("No blood sugar readings in this period."), headers, rows, title)
    parts = [
        ngettext("Based on %(num)d reading.", "Based on %(num)d readings.", m.n),
        _(
            "For each moment of the day: the middle value (half of the readings were higher, "
            "half lower), the lowest and the highest reading, and the target for that moment."
        ),
    ]
    if above:
        parts.append(
            _("The middle value was above the target: %(moments)s.", moments=_moment_list(above))
        )
    if below:
        parts.append(
            _("The middle value was below the target: %(moments)s.", moments=_moment_list(below))
        )
    if not above and not below:
        parts.append(_("At every moment with readings, the middle value was within the target."))
    hypos = int(m.hypos.sum())
    if hypos:
        where = [(labels[g], str(int(m.hypos[g]))) for g in m.listed if m.hypos[g]]
        parts.append(
            ngettext(
                "%(num)d reading was below %(limit)s (a hypo): %(moments)s.",
                "%(num)d readings were below %(limit)s (a hypo): %(moments)s.",
                hypos,
                limit=words.number(clinical.thresholds.GLUCOSE_HYPO),
                moments=_moment_list(where),
            )
        )
    very_high = int(m.very_high.sum())
    if very_high:
        where = [(labels[g], str(int(m.very_high[g]))) for g in m.listed if m.very_high[g]]
        parts.append(
            ngettext(
                "%(num)d reading was above %(limit)s (very high): %(moments)s.",
                "%(num)d readings were above %(limit)s (very high): %(moments)s.",
                very_high,
                limit=words.number(clinical.thresholds.GLUCOSE_VERY_HIGH),
                moments=_moment_list(where),
            )
        )
    if empty:
        listing = ", ".join(_in_sentence(name) for name in empty)
        parts.append(_("No readings at: %(moments)s.", moments=listing))
    table_caption = ngettext(
        "The only reading, by moment of the day",
        "All %(num)d readings, by moment of the day",
        m.n,
    )
    return ChartText(sentences(*parts), headers, rows, title, table_caption)


# --- share of readings in range ---------------------------------------------------------


def _band_counts(share: clinical.Share) -> list[int]:
    """Readings per share band; the hypo band holds the serious hypos too."""
    counts = list(share.counts)
    counts[G.HYPO] += counts[G.SEVERE_HYPO]
    return [counts[cls] for cls in SHARE_BANDS]


def share_figure(share: clinical.Share) -> Figure:
    """One stacked bar: hypo, below, within, above the target, very high."""
    data: list[Figure] = []
    for i, (cls, count) in enumerate(zip(SHARE_BANDS, _band_counts(share), strict=True)):
        name = words.glucose_class_name(cls)
        share_pct = 100.0 * count / share.n if share.n else 0.0
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": name,
                "x": [round(share_pct, 1)],
                "y": [""],
                # A label in a sliver is unreadable (plotly shrinks and turns it): the
                # legend, the hover and the table below still give every band's share.
                "text": [pct(share_pct) if share_pct >= SHARE_LABEL_MIN else ""],
                "textposition": "inside",
                "textangle": 0,
                "insidetextanchor": "middle",
                "textfont": {"size": 16, "color": SHARE_TEXT_COLOURS[i]},
                "marker": {"color": SHARE_COLOURS[i]},
                "hovertemplate": f"{pct(share_pct)} ({count})<extra>{name}</extra>",
            }
        )
    fig_layout = layout("")
    fig_layout.update(
        {
            "barmode": "stack",
            "hovermode": "y unified",  # a horizontal bar: one hover box for all five bands
            "legend": {**fig_layout["legend"], "traceorder": "normal"},
            "xaxis": {"range": [0, 100], "ticksuffix": "%", "fixedrange": True},
            "yaxis": {"visible": False, "fixedrange": True},
        }
    )
    # No y axis to make room for; "100%" needs room on the right.
    return {
        "data": data,
        "layout": fig_layout,
        "narrow": {"margin.l": 24, "margin.r": 32, "xaxis.nticks": 5},
    }


def share_text(share: clinical.Share, *, for_patient: bool = True) -> ChartText:
    """Words and a table for the share in range: one row per band, with the counts."""
    title = _("Share of readings in range")
    headers = [_("Band"), _("Readings"), _("Share")]
    rows = [
        [
            words.glucose_class_name(cls),
            str(count),
            pct(100.0 * count / share.n if share.n else 0.0),
        ]
        for cls, count in zip(SHARE_BANDS, _band_counts(share), strict=True)
    ]
    if share.n == 0:
        return ChartText(_("No blood sugar readings in this period."), headers, rows, title)
    parts = _share_words(share, for_patient)
    serious = share.counts[G.SEVERE_HYPO]
    if serious:
        parts.append(
            ngettext(
                "%(num)d reading was below %(limit)s: very low.",
                "%(num)d readings were below %(limit)s: very low.",
                serious,
                limit=words.number(clinical.thresholds.GLUCOSE_SEVERE_HYPO),
            )
        )
    targets = "; ".join(words.glucose_target_text(m) for m in ("fasting", "after_lunch", "other"))
    parts.append(_("The targets: %(targets)s.", targets=targets))
    table_caption = ngettext("The only reading", "All %(num)d readings", share.n)
    return ChartText(sentences(*parts), headers, rows, title, table_caption)
