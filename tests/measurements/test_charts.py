"""Chart builders as pure functions: the traces, the shapes, the JSON size, the text."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import pytest

from pgd.measurements import charts, stats

START = np.datetime64("2006-01-01T00:00:00", "s")
LIMIT = 250 * 1024
YEARS = 20


def _times(n: int, step_seconds: int) -> np.ndarray:
    return START + (np.arange(n, dtype=np.int64) * step_seconds).astype("timedelta64[s]")


@pytest.fixture(scope="module")
def bp_20_years() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Four readings a day for 20 years, with a missing pulse now and then."""
    rng = np.random.default_rng(3)
    n = YEARS * 365 * 4
    systolic = rng.normal(138, 14, n).round()
    diastolic = rng.normal(86, 9, n).round()
    pulse = rng.normal(72, 8, n).round()
    pulse[::7] = np.nan
    return _times(n, 6 * 3600), systolic, diastolic, pulse


@pytest.fixture(scope="module")
def glucose_20_years() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A reading every 5 minutes for 20 years (a CGM): times, minute of day, mmol/L."""
    rng = np.random.default_rng(4)
    n = YEARS * 365 * 288
    times = _times(n, 300)
    minutes = np.tile(np.arange(0, 1440, 5), YEARS * 365)
    mmol = np.clip(rng.normal(8.0, 2.5, n) + np.sin(minutes / 1440 * 2 * np.pi), 1.5, 30)
    return times, minutes, mmol.round(1)


def _json(fig: dict[str, Any]) -> tuple[bytes, dict[str, Any]]:
    raw = charts.to_json(fig)
    assert isinstance(raw, bytes)
    return raw, orjson.loads(raw)


def _names(fig: dict[str, Any]) -> list[str]:
    return [trace["name"] for trace in fig["data"]]


def _common_layout(layout: dict[str, Any]) -> None:
    assert layout["font"]["size"] >= 16
    assert layout["autosize"] is True
    assert layout["hovermode"] in {"x unified", "y unified"}


# --- JSON size for long histories -------------------------------------------------------


def test_blood_pressure_json_stays_small_for_20_years(bp_20_years) -> None:
    times, systolic, diastolic, pulse = bp_20_years
    raw, fig = _json(charts.blood_pressure_figure(times, systolic, diastolic, pulse, (140, 90)))
    assert len(raw) <= LIMIT
    assert all(len(trace["x"]) <= charts.MAX_POINTS for trace in fig["data"])
    sys_trace, dia_trace, pulse_trace = fig["data"]
    assert max(sys_trace["y"]) == systolic.max()  # the worst reading survives thinning
    assert min(dia_trace["y"]) == diastolic.min()
    assert max(pulse_trace["y"]) == np.nanmax(pulse)
    assert None not in pulse_trace["y"]


def test_blood_pressure_thinning_keeps_reading_pairs(bp_20_years) -> None:
    times, systolic, diastolic, _pulse = bp_20_years
    fig = charts.blood_pressure_figure(times, systolic, diastolic, None, (140, 90))
    sys_trace, dia_trace = fig["data"]
    index = np.searchsorted(times, sys_trace["x"])
    np.testing.assert_array_equal(times[index], sys_trace["x"])
    np.testing.assert_array_equal(systolic[index], sys_trace["y"])
    np.testing.assert_array_equal(diastolic[index], dia_trace["y"])
    np.testing.assert_array_equal(sys_trace["x"], dia_trace["x"])


def test_weight_json_stays_small_for_20_years_of_daily_weighing() -> None:
    n = YEARS * 365
    kg = 95 - np.arange(n) / n * 10 + np.random.default_rng(5).normal(0, 0.5, n)
    raw, fig = _json(charts.weight_figure(_times(n, 86400), kg, 180.0, 85.0))
    assert len(raw) <= LIMIT
    assert len(fig["data"][0]["x"]) <= charts.MAX_POINTS


def test_glucose_charts_stay_small_for_20_years_of_cgm(glucose_20_years) -> None:
    times, minutes, mmol = glucose_20_years
    modal = stats.modal_day(minutes, mmol)
    tir = stats.time_in_range(mmol)
    day_of = times.astype("datetime64[D]")
    bounds = np.flatnonzero(np.diff(day_of.astype(np.int64))) + 1
    days = [
        charts.DayCurve(str(day_of[idx[0]]), minutes[idx], mmol[idx])
        for idx in np.split(np.arange(times.size), bounds)
    ]
    assert len(days) == YEARS * 365
    for fig in (
        charts.modal_day_figure(modal),
        charts.time_in_range_figure(tir),
        charts.day_curve_overlay_figure(days),
    ):
        raw, parsed = _json(fig)
        assert len(raw) <= LIMIT
        assert sum(len(trace["x"]) for trace in parsed["data"]) <= 3 * charts.MAX_POINTS
    # A single very dense day is thinned as well.
    dense = charts.DayCurve("dense", np.linspace(0, 1439.9, 50_000), np.linspace(3, 12, 50_000))
    raw, parsed = _json(charts.day_curve_overlay_figure([dense]))
    assert len(parsed["data"][0]["x"]) <= charts.MAX_POINTS
    assert len(raw) <= LIMIT


# --- blood pressure ---------------------------------------------------------------------


def _bp_sample() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    times = np.array(
        [f"2025-03-{d:02d}T08:00" for d in range(3, 15)] + ["2025-03-17T19:30"], "datetime64[s]"
    )
    systolic = np.array([150, 139, 120, 145, 130, 128, 135, 141, 125, 133, 129, 138, 136.0])
    diastolic = np.array([80, 89, 90, 95, 82, 84, 86, 88, 79, 81, 83, 85, 87.0])
    return times, systolic, diastolic


def test_blood_pressure_figure_traces_and_target_lines() -> None:
    times, systolic, diastolic = _bp_sample()
    fig = charts.blood_pressure_figure(times, systolic, diastolic, None, (135, 85))
    _common_layout(fig["layout"])
    assert _names(fig) == ["Systolic (upper)", "Diastolic (lower)"]
    assert all(t["mode"] == "lines+markers" for t in fig["data"])
    assert "yaxis2" not in fig["layout"]
    lines = [s for s in fig["layout"]["shapes"] if s["type"] == "line"]
    assert [(s["y0"], s["name"]) for s in lines] == [
        (135, "target upper value 135"),
        (85, "target lower value 85"),
    ]
    assert all(s["line"]["dash"] != "solid" for s in lines)
    # Named in the legend, not by a label on the line that covers the readings.
    assert all(s["showlegend"] and "label" not in s for s in lines)
    (shade,) = [s for s in fig["layout"]["shapes"] if s["type"] == "rect"]
    assert shade["y0"] == 135
    assert shade["y1"] > systolic.max()
    assert shade["opacity"] <= 0.1
    np.testing.assert_array_equal(fig["data"][0]["y"], systolic)  # short: not thinned


def test_blood_pressure_pulse_is_optional_and_hidden_by_default() -> None:
    times, systolic, diastolic = _bp_sample()
    pulse = np.full(times.size, 70.0)
    pulse[2] = np.nan
    fig = charts.blood_pressure_figure(times, systolic, diastolic, pulse, (140, 90))
    assert len(fig["data"]) == 3
    pulse_trace = fig["data"][2]
    assert pulse_trace["yaxis"] == "y2"
    assert pulse_trace["visible"] == "legendonly"
    assert len(pulse_trace["y"]) == times.size - 1  # the missing pulse is left out
    assert fig["layout"]["yaxis2"]["overlaying"] == "y"


def test_blood_pressure_text_counts() -> None:
    times, systolic, diastolic = _bp_sample()
    text = charts.blood_pressure_text(times, systolic, diastolic, (140, 90))
    assert text.summary == (
        "13 readings from 3 March to 17 March 2025. Average 135/85. "
        "4 of 13 above the target of 140/90."
    )
    assert len(text.rows) == 13
    assert text.rows[0] == ["17 Mar 2025 19:30", "136", "87", "no"]
    assert text.rows[-1] == ["3 Mar 2025 08:00", "150", "80", "yes"]
    assert sum(row[-1] == "yes" for row in text.rows) == 4
    assert len(text.headers) == len(text.rows[0])


def test_blood_pressure_text_limits_rows_and_handles_empty() -> None:
    times = _times(120, 3600)
    values = np.full(120, 120.0)
    text = charts.blood_pressure_text(times, values, values - 40, (140, 90), pulse=values / 2)
    assert len(text.rows) == charts.TABLE_ROWS
    assert text.rows[0][:2] == ["5 Jan 2006 23:00", "120"]
    assert "Pulse (per minute)" in text.headers
    empty = charts.blood_pressure_text(times[:0], values[:0], values[:0], (140, 90))
    assert empty.rows == []
    assert empty.summary == "No blood pressure readings in this period."


# --- weight -----------------------------------------------------------------------------


def _weight_sample() -> tuple[np.ndarray, np.ndarray]:
    times = np.array(["2025-01-06T07:30", "2025-02-03T07:30", "2025-03-03T07:30"], "datetime64[s]")
    return times, np.array([92.4, 90.1, 88.6])


def test_weight_figure_goal_line_only_with_goal() -> None:
    times, kg = _weight_sample()
    without = charts.weight_figure(times, kg, None, None)
    _common_layout(without["layout"])
    assert _names(without) == ["Weight"]
    assert without["layout"]["shapes"] == []
    with_goal = charts.weight_figure(times, kg, None, 85.0)
    (goal,) = with_goal["layout"]["shapes"]
    assert goal["type"] == "line"
    assert goal["y0"] == goal["y1"] == 85.0
    assert goal["line"]["dash"] == "dash"
    assert goal["name"] == "goal 85 kg"
    assert goal["showlegend"] is True
    assert "label" not in goal
    assert with_goal["layout"]["yaxis"]["range"][0] < 85.0  # the goal is on screen


def test_weight_figure_bmi_bands_only_with_height() -> None:
    times, kg = _weight_sample()
    assert charts.weight_figure(times, kg, None, None)["layout"]["shapes"] == []
    fig = charts.weight_figure(times, kg, 175.0, 75.0)
    bands = [s for s in fig["layout"]["shapes"] if s["type"] == "rect"]
    labels = [b["label"]["text"] for b in bands]
    assert labels == ["healthy weight", "overweight", "obesity"]
    square = 1.75**2
    healthy, overweight, obese = bands
    assert healthy["y1"] == pytest.approx(25.0 * square)
    assert overweight["y0"] == pytest.approx(25.0 * square)
    assert overweight["y1"] == pytest.approx(30.0 * square)
    assert obese["y0"] == pytest.approx(30.0 * square)
    low, high = fig["layout"]["yaxis"]["range"]
    assert healthy["y0"] == low  # clipped to what is on screen
    assert obese["y1"] == high
    assert all(b["layer"] == "below" for b in bands)


def test_weight_text() -> None:
    times, kg = _weight_sample()
    text = charts.weight_text(times, kg, 180.0, 85.0)
    assert text.summary == (
        "3 readings from 6 January to 3 March 2025. Latest: 88.6 kg. "
        "BMI 27.3 (overweight). Change since 6 January 2025: -3.8 kg. Goal: 85 kg."
    )
    assert text.headers == ["Date and time", "Weight (kg)", "BMI"]
    assert text.rows == [
        ["3 Mar 2025 07:30", "88.6", "27.3"],
        ["3 Feb 2025 07:30", "90.1", "27.8"],
        ["6 Jan 2025 07:30", "92.4", "28.5"],
    ]
    plain = charts.weight_text(times, kg, None)
    assert plain.headers == ["Date and time", "Weight (kg)"]
    assert "BMI" not in plain.summary
    assert "goal" not in plain.summary


# --- day curves -------------------------------------------------------------------------


def _curves() -> list[charts.DayCurve]:
    slots = np.array([420, 540, 690, 810, 1050, 1170, 1320])
    return [
        charts.DayCurve("Mon 3 March", slots, np.array([6.1, 9.8, 5.4, 11.2, 6.0, 8.4, 7.0])),
        charts.DayCurve("Thu 6 March", slots[:5], np.array([5.8, 3.7, 6.2, 10.4, 5.9])),
    ]


def test_day_curve_overlay_one_trace_per_day_on_a_clock_axis() -> None:
    fig = charts.day_curve_overlay_figure(_curves())
    _common_layout(fig["layout"])
    assert _names(fig) == ["Mon 3 March", "Thu 6 March"]
    _raw, parsed = _json(fig)
    assert parsed["data"][0]["x"][0] == "2000-01-01T07:00:00"
    assert parsed["data"][1]["y"] == [5.8, 3.7, 6.2, 10.4, 5.9]
    assert fig["layout"]["xaxis"]["tickformat"] == "%H:%M"
    assert parsed["layout"]["xaxis"]["range"] == ["2000-01-01T00:00:00", "2000-01-02T00:00:00"]
    (band,) = fig["layout"]["shapes"]
    assert (band["y0"], band["y1"], band["layer"]) == (3.9, 10.0, "below")
    colours = {t["line"]["color"] for t in fig["data"]}
    assert len(colours) == 2


def test_day_curve_overlay_caps_the_number_of_days() -> None:
    slots = np.array([480, 720])
    many = [charts.DayCurve(f"day {i}", slots, np.array([6.0, 8.0])) for i in range(20)]
    fig = charts.day_curve_overlay_figure(many)
    assert len(fig["data"]) == charts.MAX_OVERLAY_DAYS
    styles = {(t["line"]["color"], t["line"]["dash"]) for t in fig["data"]}
    assert len(styles) == charts.MAX_OVERLAY_DAYS  # every day looks different
    text = charts.day_curve_text(many)
    assert len(text.rows) == 2 * charts.MAX_OVERLAY_DAYS
    assert f"{charts.MAX_OVERLAY_DAYS} of the 20 chosen days" in text.summary


def test_day_curve_text() -> None:
    text = charts.day_curve_text(_curves())
    assert text.summary == (
        "2 days, 12 readings. Lowest 3.7, highest 11.2 mmol/L. 1 below 3.9, 2 above 10.0."
    )
    assert len(text.rows) == 12
    assert text.rows[0] == ["Mon 3 March", "07:00", "6.1"]
    assert text.rows[-1] == ["Thu 6 March", "17:30", "5.9"]
    assert charts.day_curve_text([]).rows == []


# --- modal day --------------------------------------------------------------------------


def _modal_with_gap() -> stats.ModalDay:
    rng = np.random.default_rng(6)
    minutes = rng.integers(0, 1440, 3000)
    minutes = minutes[(minutes < 120) | (minutes >= 180)]  # nothing 02:00-03:00
    minutes = np.append(minutes, [130, 140])  # two readings: still too few
    mmol = 7 + 2 * np.sin(minutes / 1440 * 2 * np.pi) + rng.normal(0, 1, minutes.size)
    return stats.modal_day(minutes, mmol)


def test_modal_day_figure_median_bands_and_gaps() -> None:
    modal = _modal_with_gap()
    fig = charts.modal_day_figure(modal)
    _common_layout(fig["layout"])
    assert _names(fig) == ["most readings (8 in 10)", "middle half of the readings", "middle value"]
    outer, inner, median = fig["data"]
    assert outer["fill"] == inner["fill"] == "toself"
    assert outer["fillcolor"] != inner["fillcolor"]
    _raw, parsed = _json(fig)
    assert parsed["data"][2]["y"][2] is None  # 02:00-03:00 is a gap
    assert parsed["data"][2]["y"][3] == pytest.approx(modal.p50[3], abs=0.01)
    # Bands: two closed outlines (00:00-02:00 and 03:00-24:00) split by one None.
    for band, low, high in ((outer, modal.p10, modal.p90), (inner, modal.p25, modal.p75)):
        assert band["x"].count(None) == 1
        split = band["y"].index(None)
        first = band["y"][:split]
        assert first[:2] == pytest.approx([high[0], high[1]], abs=0.01)
        assert first[2:] == pytest.approx([low[1], low[0]], abs=0.01)
        assert len(band["y"]) - split - 1 == 2 * 21
    (band,) = fig["layout"]["shapes"]
    assert (band["y0"], band["y1"]) == (3.9, 10.0)
    assert band["name"] == "target range (3.9 to 10.0)"
    hover = fig["data"][2]["hovertemplate"]
    assert hover.startswith("middle value %{y:.1f}<br>middle half ")
    assert "8 in 10 readings" in hover
    assert "median" not in hover.lower()


def test_modal_day_lone_bin_is_drawn_across_its_hour() -> None:
    modal = stats.modal_day(np.array([300, 320, 350]), np.array([5.0, 6.0, 7.0]))
    _raw, parsed = _json(charts.modal_day_figure(modal))
    inner = parsed["data"][1]
    assert inner["x"] == [
        "2000-01-01T05:00:00",
        "2000-01-01T06:00:00",
        "2000-01-01T06:00:00",
        "2000-01-01T05:00:00",
    ]
    assert inner["y"] == [6.5, 6.5, 5.5, 5.5]


def test_modal_day_text_one_row_per_bin() -> None:
    modal = _modal_with_gap()
    text = charts.modal_day_text(modal)
    assert len(text.rows) == 24
    assert text.title == "Blood sugar by time of day"
    assert text.headers[1:] == [
        "Middle value (mmol/L)",
        "Middle half (mmol/L)",
        "Most readings, 8 in 10 (mmol/L)",
        "Number of readings",
    ]
    assert text.rows[2][:2] == ["02:00-03:00", "too few readings"]
    assert text.rows[2][-1] == "2"
    assert text.rows[8][0] == "08:00-09:00"
    assert text.rows[8][1] == f"{modal.p50[8]:.1f}"
    assert text.rows[8][2] == f"{modal.p25[8]:.1f}-{modal.p75[8]:.1f}"
    assert sum(int(row[-1]) for row in text.rows) == int(modal.counts.sum())
    assert text.summary.startswith(f"Based on {int(modal.counts.sum())} readings.")
    assert "the line shows the middle value of the readings" in text.summary
    assert "most readings (8 in 10)" in text.summary
    assert "The middle value is highest between " in text.summary
    assert text.summary.endswith(
        "In 1 of the 24 hours of the day there are fewer than 3 readings, "
        "so the chart is empty there."
    )
    for hard in ("median", "10-90", "25-75", "time slot", "percentile"):
        assert hard not in text.summary.lower()
    nothing = charts.modal_day_text(stats.modal_day(np.array([60]), np.array([5.0])))
    assert nothing.summary == "Too few readings to show a pattern by time of day."


# --- time in range ----------------------------------------------------------------------


def test_time_in_range_figure_stacked_bar() -> None:
    tir = stats.time_in_range(np.array([2.5, 3.5, 5.0, 6.0, 7.0, 8.0, 9.0, 11.0, 12.0, 15.0]))
    fig = charts.time_in_range_figure(tir)
    _common_layout(fig["layout"])
    assert fig["layout"]["barmode"] == "stack"
    assert [t["orientation"] for t in fig["data"]] == ["h"] * 5
    assert [t["x"][0] for t in fig["data"]] == [10.0, 10.0, 50.0, 20.0, 10.0]
    assert [t["text"][0] for t in fig["data"]] == ["10%", "10%", "50%", "20%", "10%"]
    assert [t["marker"]["color"] for t in fig["data"]] == list(charts.TIR_COLOURS)
    assert _names(fig)[2] == "In range (3.9-10.0)"
    assert "title" not in fig["layout"]
    assert charts.time_in_range_text(tir).title == "Time in range"


def test_time_in_range_slivers_get_no_label_but_keep_their_hover() -> None:
    values = np.array([2.9] + [3.5] * 2 + [6.0] * 150 + [11.0] * 40 + [14.5] * 7)  # 200
    fig = charts.time_in_range_figure(stats.time_in_range(values))
    assert [t["text"][0] for t in fig["data"]] == ["", "", "75%", "20%", ""]
    assert fig["data"][0]["hovertemplate"].startswith("<1% (1)")
    assert fig["data"][4]["hovertemplate"].startswith("4% (7)")


def test_time_in_range_text_rows() -> None:
    values = np.array([2.9] + [3.5] * 2 + [6.0] * 150 + [11.0] * 40 + [14.5] * 7)
    text = charts.time_in_range_text(stats.time_in_range(values))
    assert [row[-1] for row in text.rows] == ["1", "2", "150", "40", "7"]
    assert [row[2] for row in text.rows] == ["<1%", "1%", "75%", "20%", "4%"]
    assert text.summary == (
        "Based on 200 readings: 75% in range (3.9 to 10.0 mmol/L), 2% below and 24% above."
    )
    empty = charts.time_in_range_text(stats.time_in_range(np.array([])))
    assert empty.summary == "No blood sugar readings in this period."
    assert [row[-1] for row in empty.rows] == ["0"] * 5


# --- fitting a phone, in the reader's language ------------------------------------------


def _all_figures() -> dict[str, dict[str, Any]]:
    times, systolic, diastolic = _bp_sample()
    wtimes, kg = _weight_sample()
    tir = stats.time_in_range(np.array([2.5, 3.5, 5.0, 6.0, 7.0, 8.0, 9.0, 11.0, 12.0, 15.0]))
    return {
        "blood_pressure": charts.blood_pressure_figure(times, systolic, diastolic, None, (140, 90)),
        "weight": charts.weight_figure(wtimes, kg, 180.0, 85.0),
        "day_curves": charts.day_curve_overlay_figure(_curves()),
        "modal_day": charts.modal_day_figure(_modal_with_gap()),
        "time_in_range": charts.time_in_range_figure(tir),
    }


@pytest.mark.parametrize(
    "name", ["blood_pressure", "weight", "day_curves", "modal_day", "time_in_range"]
)
def test_figures_have_no_title_inside_and_a_legend_above_the_plot(name: str) -> None:
    """A title inside the figure is cut off on a phone: the page shows it as a heading.
    The legend sits above the plot, so it never covers the tick labels below it."""
    fig = _all_figures()[name]
    layout = fig["layout"]
    assert "title" not in layout
    assert layout["margin"]["t"] <= 24
    assert layout["legend"]["y"] > 1
    assert layout["legend"]["yanchor"] == "bottom"
    narrow = fig["narrow"]
    assert narrow["margin.l"] < layout["margin"]["l"]
    for shape in layout["shapes"]:
        assert "label" not in shape or shape["type"] == "rect"  # lines are named in the legend


@pytest.mark.parametrize("name", ["day_curves", "modal_day"])
def test_clock_axis_labels_stay_level_and_fewer_on_a_phone(name: str) -> None:
    fig = _all_figures()[name]
    assert fig["layout"]["xaxis"]["tickangle"] == 0
    assert fig["narrow"]["xaxis.tickangle"] == 0
    assert fig["narrow"]["xaxis.dtick"] == 6 * 3600 * 1000  # 00:00 06:00 12:00 18:00 00:00
    assert fig["narrow"]["xaxis.nticks"] <= 5


def test_date_axes_keep_few_level_labels_on_a_phone() -> None:
    fig = _all_figures()["blood_pressure"]
    assert fig["narrow"]["xaxis.tickangle"] == 0
    assert fig["narrow"]["xaxis.nticks"] <= 4


def test_chart_words_and_numbers_in_dutch(app: Any) -> None:
    """Decimal commas and plain Dutch in the charts and their text alternatives."""
    times, kg = _weight_sample()
    with app.test_request_context("/", headers={"Accept-Language": "nl-NL"}):
        weight = charts.weight_text(times, kg, 180.0, 85.0)
        assert "BMI 27,3 (overgewicht)." in weight.summary
        assert "88,6 kg" in weight.summary
        day = charts.day_curve_overlay_figure(_curves())
        assert day["layout"]["shapes"][0]["name"] == "streefgebied (3,9 tot 10,0)"
        bp_times, systolic, diastolic = _bp_sample()
        bp = charts.blood_pressure_figure(bp_times, systolic, diastolic, None, (140, 90))
        assert [s["name"] for s in bp["layout"]["shapes"] if s["type"] == "line"] == [
            "streefwaarde bovendruk 140",
            "streefwaarde onderdruk 90",
        ]
        modal = _modal_with_gap()
        fig = charts.modal_day_figure(modal)
        assert _names(fig) == [
            "de meeste metingen (8 van de 10)",
            "de middelste helft van de metingen",
            "middelste waarde",
        ]
        text = charts.modal_day_text(modal)
        assert text.title == "Bloedsuiker per uur van de dag"
        assert "middelste waarde" in text.summary
        assert "de meeste metingen (8 van de 10)" in text.summary
        assert "In 1 van de 24 uren van de dag zijn er minder dan 3 metingen." in text.summary
        for hard in ("mediaan", "tijdvak", "10-90", "25-75"):
            assert hard not in text.summary.lower()
        assert text.rows[8][1] == f"{modal.p50[8]:.1f}".replace(".", ",")
