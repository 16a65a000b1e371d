"""Chart builders as pure functions: the traces, the marks, the shapes, the JSON size, the text."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import pytest
from flask import Flask

from pgd import clinical
from pgd.measurements import charts
from pgd.measurements import glucose_charts as gc

START = np.datetime64("2006-01-01T00:00:00", "s")
LIMIT = 250 * 1024
YEARS = 20
NHG = clinical.standard_blood_pressure(60)  # 135/85 for home measurement
NHG_70 = clinical.standard_blood_pressure(75)  # 150/85 from 70 years on
ALARM_NAME = "very high (180/110 or higher)"


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
def glucose_20_years() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A reading every 5 minutes for 20 years: times, minute of day, mmol/L, moments."""
    rng = np.random.default_rng(4)
    n = YEARS * 365 * 288
    times = _times(n, 300)
    minutes = np.tile(np.arange(0, 1440, 5), YEARS * 365)
    mmol = np.clip(rng.normal(8.0, 2.5, n) + np.sin(minutes / 1440 * 2 * np.pi), 1.5, 30)
    kinds = np.array(["fasting", "after_lunch", "bedtime", "night", "other"], dtype=object)
    return times, minutes, mmol.round(1), kinds[minutes // 300]


def _json(fig: dict[str, Any]) -> tuple[bytes, dict[str, Any]]:
    raw = charts.to_json(fig)
    assert isinstance(raw, bytes)
    return raw, orjson.loads(raw)


def _names(fig: dict[str, Any]) -> list[str]:
    return [trace["name"] for trace in fig["data"]]


def _trace(fig: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [t for t in fig["data"] if t["name"] == name]
    return found


def _common_layout(layout: dict[str, Any]) -> None:
    assert layout["font"]["size"] >= 16
    assert layout["autosize"] is True
    assert layout["hovermode"] in {"x unified", "y unified"}
    assert layout["hoverlabel"]["namelength"] == -1  # names are never cut in the hover


# --- JSON size for long histories -------------------------------------------------------


def test_blood_pressure_json_stays_small_for_20_years(bp_20_years) -> None:
    times, systolic, diastolic, pulse = bp_20_years
    raw, fig = _json(charts.blood_pressure_figure(times, systolic, diastolic, pulse, NHG))
    assert len(raw) <= LIMIT
    assert all(len(trace["x"]) <= charts.MAX_POINTS for trace in fig["data"])
    sys_trace, dia_trace, alarm, pulse_trace = fig["data"]
    assert max(sys_trace["y"]) == systolic.max()  # the worst reading survives thinning
    assert min(dia_trace["y"]) == diastolic.min()
    assert max(pulse_trace["y"]) == np.nanmax(pulse)
    assert None not in pulse_trace["y"]
    # Every alarming reading is marked, however long the history.
    alarming = int(np.count_nonzero((systolic >= 180) | (diastolic >= 110)))
    assert alarm["name"] == ALARM_NAME
    assert 0 < len(alarm["x"]) == alarming


def test_blood_pressure_thinning_keeps_reading_pairs(bp_20_years) -> None:
    times, systolic, diastolic, _pulse = bp_20_years
    fig = charts.blood_pressure_figure(times, systolic, diastolic, None, NHG)
    sys_trace, dia_trace = fig["data"][:2]
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


def test_glucose_charts_stay_small_for_20_years_of_readings(glucose_20_years) -> None:
    times, minutes, mmol, kinds = glucose_20_years
    day_of = times.astype("datetime64[D]")
    bounds = np.flatnonzero(np.diff(day_of.astype(np.int64))) + 1
    days = [
        gc.DayCurve(str(day_of[idx[0]]), minutes[idx], mmol[idx], kinds[idx])
        for idx in np.split(np.arange(times.size), bounds)
    ]
    assert len(days) == YEARS * 365
    moments = gc.moments_of(mmol, kinds)
    share = clinical.glucose_share(clinical.glucose_classes(mmol, kinds))
    for fig in (
        gc.moments_figure(moments),
        gc.share_figure(share),
        gc.day_curve_overlay_figure(days),
    ):
        raw, parsed = _json(fig)
        assert len(raw) <= LIMIT
        assert sum(len(trace["x"]) for trace in parsed["data"]) <= 3 * charts.MAX_POINTS
    # A single very dense day is thinned as well.
    dense = gc.DayCurve("dense", np.linspace(0, 1439.9, 50_000), np.linspace(3, 12, 50_000))
    raw, parsed = _json(gc.day_curve_overlay_figure([dense]))
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
    fig = charts.blood_pressure_figure(times, systolic, diastolic, None, NHG)
    _common_layout(fig["layout"])
    assert _names(fig) == ["Systolic (upper)", "Diastolic (lower)"]  # nothing alarming
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


@pytest.mark.parametrize(
    ("systolic", "diastolic", "marked"),
    [(179, 109, False), (180, 80, True), (150, 110, True), (190, 115, True)],
)
def test_an_alarming_reading_gets_a_marker_of_its_own(
    systolic: float, diastolic: float, marked: bool
) -> None:
    times, sys_, dia = _bp_sample()
    sys_, dia = sys_.copy(), dia.copy()
    sys_[4], dia[4] = systolic, diastolic
    fig = charts.blood_pressure_figure(times, sys_, dia, None, NHG)
    if not marked:
        assert ALARM_NAME not in _names(fig)
        return
    alarm = _trace(fig, ALARM_NAME)
    assert alarm["mode"] == "markers"
    assert alarm["marker"]["symbol"] not in {"circle", "square"}  # not the readings' symbol
    assert alarm["marker"]["size"] > fig["data"][0]["marker"]["size"]
    assert alarm["marker"]["line"]["width"] > 0  # outlined: visible on any background
    assert list(alarm["x"]) == [times[4]]
    assert alarm["customdata"].tolist() == [[systolic, diastolic]]


def test_one_reading_is_a_marker_on_a_date_axis_over_the_whole_period() -> None:
    times = np.array(["2025-03-10T08:00"], "datetime64[s]")
    period = (np.datetime64("2024-12-09T09:00:00"), np.datetime64("2025-03-10T09:00:00"))
    fig = charts.blood_pressure_figure(
        times, np.array([142.0]), np.array([88.0]), None, NHG, period
    )
    _raw, parsed = _json(fig)
    xaxis = parsed["layout"]["xaxis"]
    assert xaxis["type"] == "date"
    assert xaxis["range"] == ["2024-12-09T09:00:00", "2025-03-10T09:00:00"]
    assert xaxis["autorange"] is False
    upper = parsed["data"][0]
    assert "markers" in upper["mode"]
    assert upper["x"] == ["2025-03-10T08:00:00"]
    assert upper["cliponaxis"] is False  # a reading at the edge (now) is drawn whole
    weight = charts.weight_figure(times, np.array([82.5]), None, None, period)
    assert weight["layout"]["xaxis"]["range"] == [str(period[0]), str(period[1])]
    assert "markers" in weight["data"][0]["mode"]


def test_blood_pressure_text_names_the_target_with_its_source() -> None:
    times, systolic, diastolic = _bp_sample()
    text = charts.blood_pressure_text(times, systolic, diastolic, NHG)
    assert text.summary.startswith("13 readings from 3 March to 17 March 2025. ")
    assert "Your average blood pressure at home is too high." in text.summary
    assert "Your average blood pressure at home was 135/85. That is not below 135/85." in (
        text.summary
    )
    assert "Target: below 135/85 (NHG target for home measurement)." in text.summary
    assert "8 of 13 readings were at or above the target." in text.summary
    assert "very high" not in text.summary
    assert text.headers[-1] == "Meaning"
    assert text.rows[0] == ["17 Mar 2025 19:30", "136", "87", "at or above the target"]
    assert text.rows[-1] == ["3 Mar 2025 08:00", "150", "80", "at or above the target"]
    assert text.rows[-3][-1] == "at or above the target"  # 120/90: the lower value counts
    assert text.rows[-5][-1] == "below the target"  # 130/82
    assert sum(row[-1] == "at or above the target" for row in text.rows) == 8
    assert len(text.headers) == len(text.rows[0])
    assert text.caption == "All 13 readings"
    # From 70 on the NHG home target is 150/85, and the text says where it comes from.
    older = charts.blood_pressure_text(times, systolic, diastolic, NHG_70)
    assert "Target: below 150/85 (NHG target for home measurement, 70 years and older)." in (
        older.summary
    )
    assert "8 of 13 readings were at or above the target." in older.summary
    assert older.rows[-1][-1] == "at or above the target"  # 150/80: from 150 on


def test_blood_pressure_text_marks_alarming_readings_in_words() -> None:
    times, systolic, diastolic = _bp_sample()
    systolic, diastolic = systolic.copy(), diastolic.copy()
    systolic[-1], diastolic[-1] = 190, 115
    text = charts.blood_pressure_text(times, systolic, diastolic, NHG)
    assert text.rows[0] == ["17 Mar 2025 19:30", "190", "115", ALARM_NAME]
    assert "1 reading was very high (180/110 or higher)." in text.summary
    # The care provider's text: the same facts, without the advice to the patient.
    theirs = charts.blood_pressure_text(times, systolic, diastolic, NHG, for_patient=False)
    assert "Average 139/87: at or above the target." in theirs.summary
    assert "Your" not in theirs.summary
    assert "1 reading was very high (180/110 or higher)." in theirs.summary


def test_blood_pressure_text_limits_rows_and_handles_empty() -> None:
    times = _times(120, 3600)
    values = np.full(120, 120.0)
    text = charts.blood_pressure_text(times, values, values - 40, NHG, pulse=values / 2)
    assert len(text.rows) == charts.TABLE_ROWS
    assert text.rows[0][:2] == ["5 Jan 2006 23:00", "120"]
    assert "Pulse (per minute)" in text.headers
    assert text.caption == "The latest 50 of 120 readings"
    assert "Your average blood pressure at home is good." in text.summary
    empty = charts.blood_pressure_text(times[:0], values[:0], values[:0], NHG)
    assert empty.rows == []
    assert empty.summary.startswith("No blood pressure readings in this period.")


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


def test_weight_figure_bmi_bands_from_the_clinical_edges() -> None:
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
    # A heavier person sees the bands for severe (35) and morbid (40) obesity as well.
    heavy = charts.weight_figure(times, np.array([118.0, 121.0, 126.0]), 175.0, None)
    bands = [s for s in heavy["layout"]["shapes"] if s["type"] == "rect"]
    assert [b["label"]["text"] for b in bands] == ["severe obesity", "morbid obesity"]
    assert bands[1]["y0"] == pytest.approx(40.0 * square)


def test_weight_text() -> None:
    times, kg = _weight_sample()
    text = charts.weight_text(times, kg, 180.0, 85.0)
    assert text.summary == (
        "3 readings from 6 January to 3 March 2025. Latest: 88.6 kg. "
        "Your BMI is 27.3: overweight. A healthy BMI is from 18.5 to under 25. "
        "A healthy weight at 180 cm is 59.9 to 81.0 kg. "
        "Change since 6 January 2025: -3.8 kg. Goal: 85 kg."
    )
    assert text.headers == ["Date and time", "Weight (kg)", "BMI", "Meaning"]
    assert text.rows == [
        ["3 Mar 2025 07:30", "88.6", "27.3", "overweight"],
        ["3 Feb 2025 07:30", "90.1", "27.8", "overweight"],
        ["6 Jan 2025 07:30", "92.4", "28.5", "overweight"],
    ]
    assert text.caption == "All 3 readings"
    theirs = charts.weight_text(times, kg, 180.0, for_patient=False)
    assert "BMI 27.3 (overweight)." in theirs.summary
    assert "Your" not in theirs.summary
    plain = charts.weight_text(times, kg, None)
    assert plain.headers == ["Date and time", "Weight (kg)"]
    assert "BMI" not in plain.summary
    assert "goal" not in plain.summary.lower()


# --- day curves -------------------------------------------------------------------------

SLOTS = np.array([420, 540, 690, 810, 1050, 1170, 1320])
CURVE_MOMENTS = np.array(
    [
        "before_breakfast",
        "after_breakfast",
        "before_lunch",
        "after_lunch",
        "before_dinner",
        "after_dinner",
        "bedtime",
    ],
    dtype=object,
)


def _curves() -> list[gc.DayCurve]:
    return [
        gc.DayCurve(
            "Mon 3 March", SLOTS, np.array([6.1, 9.8, 5.4, 11.2, 6.0, 8.4, 7.0]), CURVE_MOMENTS
        ),
        gc.DayCurve(
            "Thu 6 March", SLOTS[:5], np.array([5.8, 3.7, 6.2, 16.4, 5.9]), CURVE_MOMENTS[:5]
        ),
    ]


def test_day_curve_overlay_one_trace_per_day_on_a_clock_axis() -> None:
    fig = gc.day_curve_overlay_figure(_curves())
    _common_layout(fig["layout"])
    assert _names(fig) == [
        "Mon 3 March",
        "Thu 6 March",
        "hypo (below 4)",
        "very high (above 15)",
        "above the target for its moment",
    ]
    _raw, parsed = _json(fig)
    assert parsed["data"][0]["x"][0] == "2000-01-01T07:00:00"
    assert parsed["data"][1]["y"] == [5.8, 3.7, 6.2, 16.4, 5.9]
    assert fig["layout"]["xaxis"]["tickformat"] == "%H:%M"
    assert parsed["layout"]["xaxis"]["range"] == ["2000-01-01T00:00:00", "2000-01-02T00:00:00"]
    (band,) = fig["layout"]["shapes"]
    assert (band["y0"], band["y1"], band["layer"]) == (4.0, 10.0, "below")
    assert band["name"] == "general day range (4 to 10)"
    colours = {t["line"]["color"] for t in fig["data"][:2]}
    assert len(colours) == 2


def test_day_curves_mark_hypos_and_very_high_readings() -> None:
    fig = gc.day_curve_overlay_figure(_curves())
    _raw, parsed = _json(fig)
    hypo = _trace(parsed, "hypo (below 4)")
    high = _trace(parsed, "very high (above 15)")
    assert (hypo["x"], hypo["y"]) == (["2000-01-01T09:00:00"], [3.7])
    assert (high["x"], high["y"]) == (["2000-01-01T13:30:00"], [16.4])
    assert hypo["marker"]["symbol"] != high["marker"]["symbol"]
    # Inside the general 4-10 band but above the target for their moment (after a meal:
    # under 9): ringed, so the band never makes them look good.
    ringed = _trace(parsed, "above the target for its moment")
    assert ringed["y"] == [9.8, 11.2]
    assert ringed["marker"]["symbol"] == "circle-open"
    assert hypo["marker"]["color"] != high["marker"]["color"]
    assert hypo["mode"] == high["mode"] == "markers"


def test_a_day_with_one_reading_is_drawn_as_a_marker() -> None:
    one = gc.DayCurve("Tue 4 March", np.array([480]), np.array([2.9]), np.array(["fasting"]))
    fig = gc.day_curve_overlay_figure([one])
    _raw, parsed = _json(fig)
    day = parsed["data"][0]
    assert "markers" in day["mode"]
    assert (day["x"], day["y"]) == (["2000-01-01T08:00:00"], [2.9])
    serious = _trace(parsed, "very low blood sugar (below 3)")  # marked apart from a hypo
    assert serious["y"] == [2.9]
    assert serious["marker"]["symbol"] not in {"triangle-down", "triangle-up"}
    assert "hypo (below 4)" not in _names(parsed)
    text = gc.day_curve_text([one])
    assert text.rows == [
        ["Tue 4 March", "08:00", "Fasting (on waking)", "2.9", "very low blood sugar (below 3)"]
    ]
    assert text.summary.startswith("1 day, 1 reading. The reading: 2.9 mmol/L. ")
    assert "1 reading was below 4 (a hypo)." in text.summary
    assert "0 of the 1 readings (0%) were within the target" in text.summary
    assert text.caption == "The only reading on the chosen days"


def test_day_curve_overlay_caps_the_number_of_days() -> None:
    slots = np.array([480, 720])
    many = [gc.DayCurve(f"day {i}", slots, np.array([6.0, 8.0])) for i in range(20)]
    fig = gc.day_curve_overlay_figure(many)
    assert len(fig["data"]) == gc.MAX_OVERLAY_DAYS
    styles = {(t["line"]["color"], t["line"]["dash"]) for t in fig["data"]}
    assert len(styles) == gc.MAX_OVERLAY_DAYS  # every day looks different
    text = gc.day_curve_text(many)
    assert len(text.rows) == 2 * gc.MAX_OVERLAY_DAYS
    assert f"{gc.MAX_OVERLAY_DAYS} of the 20 chosen days" in text.summary


def test_day_curve_text() -> None:
    text = gc.day_curve_text(_curves())
    assert text.summary.startswith("2 days, 12 readings. Lowest 3.7, highest 16.4 mmol/L. ")
    assert "1 reading was below 4 (a hypo)." in text.summary
    # In range for each moment: after breakfast 9.8 and after lunch 11.2 are above the 9
    # after a meal; 3.7 is a hypo and 16.4 very high.
    assert "8 of the 12 readings (67%) were within the target" in text.summary
    assert text.headers == ["Day", "Time", "Moment", "Blood sugar (mmol/L)", "Meaning"]
    assert len(text.rows) == 12
    assert text.rows[0] == ["Mon 3 March", "07:00", "Before breakfast", "6.1", "within the target"]
    assert text.rows[1][-1] == "above the target"
    assert text.rows[8] == ["Thu 6 March", "09:00", "After breakfast", "3.7", "hypo (below 4)"]
    assert text.rows[10][-1] == "very high (above 15)"
    assert text.caption == "All 12 readings on the chosen days"
    assert gc.day_curve_text([]).rows == []
    missing = gc.day_curve_text([], missing=("2 March 2025",))
    assert missing.summary == (
        "No blood sugar readings on the chosen days. No readings on 2 March 2025."
    )


# --- by moment of the day ---------------------------------------------------------------


MOMENT_READINGS = [
    # (moment, mmol/L): fasting and before breakfast are one moment
    ("fasting", 5.0),
    ("fasting", 6.0),
    ("before_breakfast", 7.0),
    ("before_breakfast", 9.0),
    ("after_breakfast", 8.0),
    ("after_lunch", 9.0),
    ("after_lunch", 12.0),
    ("after_lunch", 3.5),
    ("before_dinner", 4.2),
    ("bedtime", 16.0),
]


@pytest.mark.parametrize(
    ("row", "moment", "count", "median", "low_high", "half", "in_range", "meaning"),
    [
        (
            0,
            "Fasting / before breakfast",
            "4",
            "6.5",
            "5.0 - 9.0",
            "5.8 - 7.5",
            "3 of 4",
            "within the target",
        ),
        (1, "After breakfast", "1", "8.0", "8.0 - 8.0", "", "1 of 1", "within the target"),
        (2, "Before lunch", "0", "no readings", "", "", "", ""),
        (3, "After lunch", "3", "9.0", "3.5 - 12.0", "", "0 of 3", "above the target"),
        (4, "Before dinner", "1", "4.2", "4.2 - 4.2", "", "0 of 1", "below the target"),
        (5, "After dinner", "0", "no readings", "", "", "", ""),
        (6, "At bedtime", "1", "16.0", "16.0 - 16.0", "", "0 of 1", "very high (above 15)"),
    ],
)
def test_moments_table_counts_and_middle_values(
    row: int,
    moment: str,
    count: str,
    median: str,
    low_high: str,
    half: str,
    in_range: str,
    meaning: str,
) -> None:
    moments = np.array([m for m, _v in MOMENT_READINGS], dtype=object)
    mmol = np.array([v for _m, v in MOMENT_READINGS])
    text = gc.moments_text(gc.moments_of(mmol, moments))
    got = text.rows[row]
    assert got[:6] == [moment, count, median, low_high, half, in_range]
    assert got[-1] == meaning
    assert len(text.rows) == 7  # no night or other readings: those rows are left out


def test_moments_targets_summary_and_caption() -> None:
    moments = np.array([m for m, _v in MOMENT_READINGS] + ["night", "other"], dtype=object)
    mmol = np.array([v for _m, v in MOMENT_READINGS] + [2.8, 6.0])
    m = gc.moments_of(mmol, moments)
    text = gc.moments_text(m)
    assert text.title == "Blood sugar by moment of the day"
    assert [row[0] for row in text.rows][-2:] == ["During the night", "Another moment"]
    assert text.rows[0][6] == "between 4.5 and 8 mmol/L fasting and before a meal (NHG)"
    assert text.rows[3][6] == "below 9 mmol/L after a meal (NHG)"
    assert text.caption == "All 12 readings, by moment of the day"
    assert text.summary.startswith("Based on 12 readings. ")
    assert (
        "The middle value was above the target: after lunch (9.0), at bedtime (16.0)."
        in text.summary
    )
    assert (
        "The middle value was below the target: before dinner (4.2), during the night (2.8)."
        in text.summary
    )
    assert "2 readings were below 4 (a hypo): after lunch (1), during the night (1)." in (
        text.summary
    )
    assert "1 reading was above 15 (very high): at bedtime (1)." in text.summary
    assert "No readings at: before lunch, after dinner." in text.summary
    for hard in ("median", "percentile", "quartile"):
        assert hard not in text.summary.lower()


def test_moments_figure_one_row_per_moment_with_its_target() -> None:
    moments = np.array([m for m, _v in MOMENT_READINGS], dtype=object)
    mmol = np.array([v for _m, v in MOMENT_READINGS])
    fig = gc.moments_figure(gc.moments_of(mmol, moments))
    _common_layout(fig["layout"])
    _raw, parsed = _json(fig)
    target, spread, half, middle = parsed["data"][:4]
    assert target["name"] == "target for this moment"
    assert target["y"][0] == "Fasting / before breakfast"
    assert (target["base"][0], target["x"][0]) == (4.5, 3.5)  # 4.5 to 8
    assert (target["base"][3], target["x"][3]) == (4.0, 5.0)  # after a meal: 4 to under 9
    assert (spread["base"][0], spread["x"][0]) == (5.0, 4.0)  # lowest 5, highest 9
    assert half["base"][0] == pytest.approx(5.8, abs=0.06)
    assert half["x"][1] is None  # one reading: no middle half
    assert middle["x"][:2] == [6.5, 8.0]
    assert middle["x"][2] is None  # before lunch: no readings
    assert middle["customdata"][1] == "1 reading"  # the plural is chosen per moment
    assert middle["customdata"][2] == "0 readings"
    hypo = _trace(parsed, "hypo (below 4)")
    assert (hypo["x"], hypo["y"]) == ([3.5], ["After lunch"])
    assert _trace(parsed, "very high (above 15)")["y"] == ["At bedtime"]
    assert parsed["layout"]["yaxis"]["categoryarray"][0] == "Fasting / before breakfast"
    assert parsed["layout"]["yaxis"]["autorange"] == "reversed"  # the day from the top


def test_moments_without_readings() -> None:
    m = gc.moments_of(np.array([]), np.array([], dtype=object))
    text = gc.moments_text(m)
    assert text.summary == "No blood sugar readings in this period."
    assert len(text.rows) == 7
    assert charts.to_json(gc.moments_figure(m))


# --- share of readings in range ---------------------------------------------------------


# Both sides of every edge, against the range of the reading's moment.
EDGES = [
    ("fasting", 4.5, "within the target"),  # fasting 4.5 to 8, both included
    ("fasting", 4.4, "below the target"),
    ("before_lunch", 8.0, "within the target"),
    ("before_breakfast", 8.1, "above the target"),
    ("after_lunch", 8.9, "within the target"),  # after a meal: under 9
    ("after_dinner", 9.0, "above the target"),
    ("after_breakfast", 4.0, "within the target"),
    ("bedtime", 10.0, "within the target"),  # other moments 4 to 10
    ("night", 10.1, "above the target"),
    ("other", 3.9, "hypo (below 4)"),
    ("fasting", 3.0, "hypo (below 4)"),
    ("fasting", 2.9, "hypo (below 4)"),  # a serious hypo is a hypo too
    ("after_lunch", 15.0, "above the target"),
    ("after_lunch", 15.1, "very high (above 15)"),
]


def _share(rows: list[tuple[str, float, str]]) -> clinical.Share:
    moments = np.array([m for m, _v, _w in rows], dtype=object)
    return clinical.glucose_share(
        clinical.glucose_classes(np.array([v for _m, v, _w in rows]), moments)
    )


@pytest.mark.parametrize(("moment", "mmol", "band"), EDGES)
def test_share_in_range_edges_per_moment(moment: str, mmol: float, band: str) -> None:
    text = gc.share_text(_share([(moment, mmol, band)]))
    counts = {row[0]: row[1] for row in text.rows}
    assert counts[band] == "1"
    assert sum(int(c) for c in counts.values()) == 1


def test_share_in_range_counts_text_and_bar() -> None:
    share = _share(EDGES)
    text = gc.share_text(share)
    assert text.title == "Share of readings in range"
    assert [row[:2] for row in text.rows] == [
        ["hypo (below 4)", "3"],
        ["below the target", "1"],
        ["within the target", "5"],
        ["above the target", "4"],
        ["very high (above 15)", "1"],
    ]
    assert [row[2] for row in text.rows] == ["21%", "7%", "36%", "29%", "7%"]
    assert "5 of the 14 readings (36%) were within the target for their moment of the day." in (
        text.summary
    )
    assert "1 reading was below 3: very low." in text.summary
    assert "between 4.5 and 8 mmol/L fasting and before a meal (NHG)" in text.summary
    assert text.caption == "All 14 readings"
    fig = gc.share_figure(share)
    _common_layout(fig["layout"])
    assert fig["layout"]["barmode"] == "stack"
    assert _names(fig) == [row[0] for row in text.rows]
    assert [t["x"][0] for t in fig["data"]] == [21.4, 7.1, 35.7, 28.6, 7.1]
    assert [t["marker"]["color"] for t in fig["data"]] == list(gc.SHARE_COLOURS)
    assert "title" not in fig["layout"]
    theirs = gc.share_text(share, for_patient=False)
    assert "3 readings were below 4 (a hypo)." in theirs.summary
    assert "1 reading was above 15 (very high)." in theirs.summary
    assert "your" not in theirs.summary.lower()


def test_share_slivers_get_no_label_but_keep_their_hover() -> None:
    rows = [("other", 2.9, "")] + [("other", 6.0, "")] * 150 + [("other", 11.0, "")] * 49
    fig = gc.share_figure(_share(rows))
    assert [t["text"][0] for t in fig["data"]] == ["", "", "75%", "24%", ""]
    assert fig["data"][0]["hovertemplate"].startswith("<1% (1)")


def test_share_text_without_readings() -> None:
    empty = gc.share_text(clinical.glucose_share(np.array([], dtype=np.int8)))
    assert empty.summary == "No blood sugar readings in this period."
    assert [row[1] for row in empty.rows] == ["0"] * 5


# --- fitting a phone, no zoom, in the reader's language ---------------------------------


def _all_figures() -> dict[str, dict[str, Any]]:
    times, systolic, diastolic = _bp_sample()
    wtimes, kg = _weight_sample()
    moments = np.array([m for m, _v in MOMENT_READINGS], dtype=object)
    mmol = np.array([v for _m, v in MOMENT_READINGS])
    return {
        "blood_pressure": charts.blood_pressure_figure(times, systolic, diastolic, None, NHG),
        "weight": charts.weight_figure(wtimes, kg, 180.0, 85.0),
        "day_curves": gc.day_curve_overlay_figure(_curves()),
        "moments": gc.moments_figure(gc.moments_of(mmol, moments)),
        "share": gc.share_figure(_share(EDGES)),
    }


FIGURES = ["blood_pressure", "weight", "day_curves", "moments", "share"]


@pytest.mark.parametrize("name", FIGURES)
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


@pytest.mark.parametrize("name", FIGURES)
def test_dragging_never_zooms_away_from_what_the_text_describes(name: str) -> None:
    layout = _all_figures()[name]["layout"]
    assert layout["dragmode"] is False
    axes = [key for key in layout if key.startswith(("xaxis", "yaxis"))]
    assert axes
    assert all(layout[key]["fixedrange"] is True for key in axes)
    assert layout["hovermode"]  # hovering still shows the readings


def test_clock_axis_labels_stay_level_and_fewer_on_a_phone() -> None:
    fig = _all_figures()["day_curves"]
    assert fig["layout"]["xaxis"]["tickangle"] == 0
    assert fig["narrow"]["xaxis.tickangle"] == 0
    assert fig["narrow"]["xaxis.dtick"] == 6 * 3600 * 1000  # 00:00 06:00 12:00 18:00 00:00
    assert fig["narrow"]["xaxis.nticks"] <= 5


def test_date_axes_keep_few_level_labels_on_a_phone() -> None:
    fig = _all_figures()["blood_pressure"]
    assert fig["narrow"]["xaxis.tickangle"] == 0
    assert fig["narrow"]["xaxis.nticks"] <= 4


def test_chart_words_and_numbers_in_dutch(app: Flask) -> None:
    """Decimal commas and plain Dutch in the charts and their text alternatives."""
    times, kg = _weight_sample()
    with app.test_request_context("/", headers={"Accept-Language": "nl-NL"}):
        weight = charts.weight_text(times, kg, 180.0, 85.0)
        assert "Uw BMI is 27,3: overgewicht." in weight.summary
        assert "88,6 kg" in weight.summary
        assert weight.rows[0][-1] == "overgewicht"
        day = gc.day_curve_overlay_figure(_curves())
        assert day["layout"]["shapes"][0]["name"] == "algemeen bereik over de dag (4 tot 10)"
        assert _names(day)[2:] == [
            "hypo (onder 4)",
            "erg hoog (boven 15)",
            "boven het streefbereik voor dat moment",
        ]
        bp_times, systolic, diastolic = _bp_sample()
        systolic = systolic.copy()
        systolic[0] = 190
        bp = charts.blood_pressure_figure(bp_times, systolic, diastolic, None, NHG)
        assert [s["name"] for s in bp["layout"]["shapes"] if s["type"] == "line"] == [
            "streefwaarde bovendruk 135",
            "streefwaarde onderdruk 85",
        ]
        assert _names(bp)[-1] == "erg hoog (180/110 of hoger)"
        bp_text = charts.blood_pressure_text(bp_times, systolic, diastolic, NHG)
        assert "Streefwaarde: onder 135/85 (NHG-streefwaarde voor thuismeting)." in (
            bp_text.summary
        )
        assert bp_text.rows[-1][-1] == "erg hoog (180/110 of hoger)"
        assert bp_text.caption == "Alle 13 metingen"
        moments = np.array([m for m, _v in MOMENT_READINGS], dtype=object)
        mmol = np.array([v for _m, v in MOMENT_READINGS])
        text = gc.moments_text(gc.moments_of(mmol, moments))
        assert text.title == "Bloedsuiker per moment van de dag"
        assert text.rows[0][:3] == ["Nuchter / voor het ontbijt", "4", "6,5"]
        assert text.rows[0][-1] == "binnen de streefwaarde"
        assert "middelste waarde" in text.summary
        for hard in ("mediaan", "percentiel", "kwartiel"):
            assert hard not in text.summary.lower()
        share = gc.share_text(_share(EDGES))
        assert share.title == "Deel van de metingen binnen het streefbereik"
        assert "5 van de 14 metingen (36%)" in share.summary
        assert [row[0] for row in share.rows] == [
            "hypo (onder 4)",
            "onder de streefwaarde",
            "binnen de streefwaarde",
            "boven de streefwaarde",
            "erg hoog (boven 15)",
        ]


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0.0, "0%"), (0.4, "<1%"), (1.0, "1%"), (99.0, "99%"), (99.6, ">99%"), (100.0, "100%")],
)
def test_a_rare_reading_is_never_hidden_behind_0_or_100_percent(value: float, shown: str) -> None:
    assert charts.pct(value) == shown
