"""Build + serialise every chart for five years of one patient's data, and the JSON sizes.

Issue 3: every chart's JSON stays <= 250 kB; build charts from numpy arrays with orjson
(plotly serialises 15k points in ~2 ms that way, ~110 ms from Python lists).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import plotly.io.json as plotly_json

from pgd import clinical
from pgd.measurements import charts
from pgd.measurements import glucose_charts as gc

COMMAND = ".venv/bin/python benchmarks/chart_json_bench.py"
REPEATS = 30
LIMIT = 250 * 1024
START = np.datetime64("2021-01-01T00:00:00", "s")


def _data() -> dict[str, Any]:
    """Five years: 3,650 blood pressure, 260 weight, 8,000 glucose readings."""
    rng = np.random.default_rng(42)
    day = 86400
    bp_t = START + np.sort(rng.integers(0, 5 * 365 * day, 3650)).astype("timedelta64[s]")
    w_t = START + (np.arange(260) * 7 * day + 7 * 3600).astype("timedelta64[s]")
    g_t = START + np.sort(rng.integers(0, 5 * 365 * day, 8000)).astype("timedelta64[s]")
    minutes = (g_t - g_t.astype("datetime64[D]")).astype("timedelta64[m]").astype(np.int64)
    mmol = np.clip(rng.normal(8.0, 2.5, 8000), 2.0, 25.0).round(1)
    moments = np.array(
        ["fasting", "after_breakfast", "after_lunch", "bedtime", "other"], dtype=object
    )
    moment = moments[rng.integers(0, moments.size, 8000)]
    day_of = g_t.astype("datetime64[D]")
    last_days = np.unique(day_of)[-3:]
    return {
        "bp": (bp_t, rng.normal(138, 14, 3650).round(), rng.normal(86, 9, 3650).round()),
        "pulse": rng.normal(72, 8, 3650).round(),
        "weight": (w_t, 95 - np.arange(260) * 0.03 + rng.normal(0, 0.6, 260)),
        "glucose": (minutes, mmol, moment),
        "days": [
            gc.DayCurve(str(d), minutes[day_of == d], mmol[day_of == d], moment[day_of == d])
            for d in last_days
        ],
    }


def _time(build: Callable[[], bytes]) -> tuple[float, int]:
    """Median milliseconds over REPEATS, and the JSON size."""
    size = len(build())
    runs = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        build()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs), size


def main() -> None:
    d = _data()
    bp_t, systolic, diastolic = d["bp"]
    w_t, kg = d["weight"]
    _minutes, mmol, moment = d["glucose"]
    target = clinical.standard_blood_pressure(60)
    cases: dict[str, Callable[[], bytes]] = {
        "blood pressure (3,650)": lambda: charts.to_json(
            charts.blood_pressure_figure(bp_t, systolic, diastolic, d["pulse"], target)
        ),
        "weight (260)": lambda: charts.to_json(charts.weight_figure(w_t, kg, 180.0, 85.0)),
        "glucose day curves (3 days)": lambda: charts.to_json(
            gc.day_curve_overlay_figure(d["days"])
        ),
        "glucose by moment (8,000)": lambda: charts.to_json(
            gc.moments_figure(gc.moments_of(mmol, moment))
        ),
        "glucose share in range (8,000)": lambda: charts.to_json(
            gc.share_figure(clinical.glucose_share(clinical.glucose_classes(mmol, moment)))
        ),
        "all five text alternatives": lambda: repr(
            [
                charts.blood_pressure_text(bp_t, systolic, diastolic, target),
                charts.weight_text(w_t, kg, 180.0, 85.0),
                gc.day_curve_text(d["days"]),
                gc.moments_text(gc.moments_of(mmol, moment)),
                gc.share_text(clinical.glucose_share(clinical.glucose_classes(mmol, moment))),
            ]
        ).encode(),
    }
    print(f"Charts for five years of data, median of {REPEATS} runs (build + serialise)")
    print(f"{'chart':<32}{'ms':>8}{'JSON kB':>10}")
    too_big = []
    for name, build in cases.items():
        ms, size = _time(build)
        print(f"{name:<32}{ms:>8.2f}{size / 1024:>10.1f}")
        if size > LIMIT and "text" not in name:
            too_big.append(name)

    # Reference: 15k points, numpy arrays + orjson against Python lists + the json engine.
    x = START + (np.arange(15_000) * 900).astype("timedelta64[s]")
    y = np.random.default_rng(1).normal(8, 2, 15_000).round(1)
    fast = {"data": [{"type": "scatter", "x": x, "y": y}]}
    slow = {"data": [{"type": "scatter", "x": x.tolist(), "y": y.tolist()}]}
    fast_ms, _ = _time(lambda: plotly_json.to_json_plotly(fast, engine="orjson").encode())
    slow_ms, _ = _time(lambda: plotly_json.to_json_plotly(slow, engine="json").encode())
    print(f"reference, 15k points: numpy + orjson {fast_ms:.1f} ms; lists + json {slow_ms:.1f} ms")
    print(
        f"JSON limit {LIMIT // 1024} kB per chart: {'FAILED ' + ', '.join(too_big) if too_big else 'ok'}"
    )
    print(f"reproduce: {COMMAND}")
    sys.exit(1 if too_big else 0)


if __name__ == "__main__":
    main()
