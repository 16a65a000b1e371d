"""The pre-consult summary's dated lists, groups, pulse, trends and trend line (pure)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from pgd import clinical
from pgd.sharing import sparkline, summary, summary_lists

AMS = ZoneInfo("Europe/Amsterdam")
HOME = clinical.standard_blood_pressure(60)


def _at(*parts: int) -> int:
    """Epoch seconds of a local (Amsterdam) wall-clock time."""
    return int(datetime(*parts, tzinfo=AMS).timestamp())  # type: ignore[misc]


WINDOW = summary.Window(_at(2026, 1, 1), _at(2026, 12, 31))


@pytest.mark.parametrize(
    ("local", "moment"),
    [
        ((2026, 7, 1, 0, 0), "night"),
        ((2026, 7, 1, 5, 59), "night"),
        ((2026, 7, 1, 6, 0), "morning"),
        ((2026, 7, 1, 11, 59), "morning"),
        ((2026, 7, 1, 12, 0), "afternoon"),
        ((2026, 7, 1, 17, 59), "afternoon"),
        ((2026, 7, 1, 18, 0), "evening"),
        ((2026, 7, 1, 23, 59), "evening"),
        # Winter time (UTC+1) reads the local clock too, not UTC.
        ((2026, 1, 15, 5, 59), "night"),
        ((2026, 1, 15, 6, 0), "morning"),
        # The night the clock goes forward: 03:30 local is still night.
        ((2026, 3, 29, 3, 30), "night"),
    ],
)
def test_the_moment_of_the_day_follows_the_local_clock(local: tuple[int, ...], moment: str) -> None:
    assert summary_lists.moment_of_day(_at(*local)) == moment


def _bp(readings: list[tuple[int, float, float]], **kw: object) -> summary.Block:
    epoch = np.array([r[0] for r in readings], dtype=np.int64)
    s = np.array([r[1] for r in readings], dtype=float)
    d = np.array([r[2] for r in readings], dtype=float)
    return summary.blood_pressure(epoch, s, d, WINDOW, HOME, **kw)  # type: ignore[arg-type]


def test_alarming_blood_pressure_is_listed_from_180_110_newest_first() -> None:
    block = _bp(
        [
            (_at(2026, 5, 1, 7, 30), 179, 109),  # below both: not alarming
            (_at(2026, 5, 2, 7, 30), 180, 90),  # upper at 180: alarming
            (_at(2026, 5, 3, 21, 15), 150, 110),  # lower at 110: alarming
            (_at(2026, 5, 4, 13, 0), 179, 109),
        ]
    )
    assert block.alarms.total == 2
    assert [(e.at, e.moment_of_day, e.values) for e in block.alarms.events] == [
        (_at(2026, 5, 3, 21, 15), "evening", (150.0, 110.0)),
        (_at(2026, 5, 2, 7, 30), "morning", (180.0, 90.0)),
    ]
    assert block.flags[0] == ("bp_very_high", 2)


def test_the_alarm_list_is_capped_and_counts_the_rest() -> None:
    readings = [(_at(2026, 6, day, 8, 0), 190.0, 100.0) for day in range(1, 14)]
    block = _bp(readings)
    cap = summary_lists.LIST_CAP
    assert block.alarms.total == 13
    assert len(block.alarms.events) == cap
    assert block.alarms.more == 13 - cap
    assert block.alarms.events[0].at == _at(2026, 6, 13, 8, 0)  # the newest first


def test_pulse_mean_leaves_out_readings_without_a_pulse() -> None:
    epoch = [_at(2026, 5, d, 8, 0) for d in (1, 2, 3)]
    readings = [(e, 130.0, 80.0) for e in epoch]
    with_pulse = _bp(readings, pulse=np.array([60.0, np.nan, 80.0]))
    assert with_pulse.pulse_mean == pytest.approx(70.0)
    assert with_pulse.pulse_n == 2
    none_recorded = _bp(readings, pulse=np.array([np.nan] * 3))
    assert none_recorded.pulse_mean is None
    assert _bp(readings).pulse_mean is None  # called as before: no pulse at all


def test_systolic_and_diastolic_trends_are_both_given() -> None:
    before = [(_at(2025, 6, d, 8, 0), 140.0, 90.0) for d in (1, 2)]  # the period before
    now = [(_at(2026, 6, d, 8, 0), 130.0, 89.0) for d in (1, 2)]
    block = _bp(before + now)
    assert (block.trend, block.trend_delta) == ("down", pytest.approx(-10.0))
    assert (block.trend_diastolic, block.trend_diastolic_delta) == ("same", pytest.approx(-1.0))
    assert block.week is None  # the measuring week is filled in elsewhere


def _glucose(readings: list[tuple[int, float, str]]) -> summary.Block:
    epoch = np.array([r[0] for r in readings], dtype=np.int64)
    mmol = np.array([r[1] for r in readings], dtype=float)
    moments = np.array([r[2] for r in readings], dtype=object)
    return summary.glucose(epoch, mmol, moments, WINDOW)


def test_hypos_from_below_4_and_very_high_above_15_with_night_hypos() -> None:
    block = _glucose(
        [
            (_at(2026, 4, 1, 7, 0), 4.0, "fasting"),  # 4.0 is not a hypo
            (_at(2026, 4, 2, 7, 0), 3.9, "fasting"),  # morning hypo
            (_at(2026, 4, 3, 3, 10), 3.5, "other"),  # 03:10 local: a night hypo
            (_at(2026, 4, 4, 14, 0), 2.8, "night"),  # chosen "night": a night hypo
            (_at(2026, 4, 5, 6, 0), 3.7, "fasting"),  # 06:00 is morning, not night
            (_at(2026, 4, 6, 19, 0), 15.0, "after_dinner"),  # exactly 15: not above
            (_at(2026, 4, 7, 19, 0), 15.1, "after_dinner"),  # above 15
        ]
    )
    assert block.hypos.total == 4
    assert [(e.values[0], e.moment, e.night) for e in block.hypos.events] == [
        (3.7, "fasting", False),
        (2.8, "night", True),
        (3.5, "other", True),
        (3.9, "fasting", False),
    ]
    assert block.hypos_at_night == 2
    assert block.hypos.events[2].moment_of_day == "night"
    assert [(e.values[0], e.moment_of_day) for e in block.alarms.events] == [(15.1, "evening")]
    assert block.alarms.total == 1
    assert ("glucose_low", 4) in block.flags
    assert ("glucose_very_high", 1) in block.flags


def test_glucose_means_per_moment_group() -> None:
    block = _glucose(
        [
            (_at(2026, 4, 1, 7, 0), 6.0, "fasting"),
            (_at(2026, 4, 1, 11, 0), 7.0, "before_lunch"),
            (_at(2026, 4, 1, 14, 0), 9.0, "after_lunch"),
            (_at(2026, 4, 1, 22, 0), 8.0, "bedtime"),
        ]
    )
    got = {k: (round(v.mean, 2), v.n) for k, v in block.by_moment.items()}
    assert got == {"fasting": (6.5, 2), "after_meal": (9.0, 1), "general": (8.0, 1)}


def test_bmi_with_category_and_the_weight_goal() -> None:
    epoch = np.array([_at(2026, 3, 1, 8, 0), _at(2026, 4, 1, 8, 0)], dtype=np.int64)
    block = summary.weight(epoch, np.array([92.0, 90.0]), WINDOW, 180.0, 85.0)
    assert block.bmi == pytest.approx(90.0 / 1.8**2)
    assert block.bmi_category == "overweight"
    assert block.goal is not None
    assert (block.goal.goal_kg, block.goal.direction) == (85.0, "down")
    assert block.goal.change_kg == pytest.approx(-2.0)
    assert block.goal.from_goal_kg == pytest.approx(5.0)
    no_goal = summary.weight(epoch, np.array([92.0, 90.0]), WINDOW, None)
    assert no_goal.goal is None
    assert no_goal.bmi is None


def test_adherence_counts_local_days_with_a_reading() -> None:
    epoch = np.array(
        [_at(2026, 5, 1, 0, 30), _at(2026, 5, 1, 23, 30), _at(2026, 5, 2, 0, 30)],
        dtype=np.int64,
    )
    block = summary.weight(epoch, np.array([80.0, 81.0, 82.0]), WINDOW, None)
    assert block.days_measured == 2  # 00:30 and 23:30 on 1 May are one local day
    assert block.expected is None  # no measuring plan with a frequency exists
    assert block.daily is not None
    assert block.daily.series["kg"] == (80.5, 82.0)


def test_daily_means_keep_local_days_across_the_clock_change() -> None:
    # 25 October 2026: the clock goes back, the day has 25 hours.
    start, end = _at(2026, 10, 24), _at(2026, 10, 27)
    epoch = np.array([_at(2026, 10, 25, 0, 30), _at(2026, 10, 25, 23, 30)], dtype=np.int64)
    daily = sparkline.daily_means(epoch, {"v": np.array([1.0, 3.0])}, start, end)
    assert daily is not None
    assert (daily.days, daily.n_days) == ((1,), 3)
    assert daily.series["v"] == (2.0,)
    assert sparkline.daily_means(epoch, {"v": np.array([1.0, 3.0])}, end, end + 86400) is None


def test_the_sparkline_is_inline_svg_with_an_escaped_text_alternative() -> None:
    daily = sparkline.Daily((0, 5, 9), 10, {"a": (150.0, 145.0, 141.0), "b": (90.0, 88.0, 86.0)})
    svg = str(sparkline.svg(daily, ("a", "b"), 'Upper <b>"152"</b> & more', (135, 85)))
    assert svg.startswith("<svg ")
    assert 'role="img"' in svg
    assert 'aria-label="Upper &lt;b&gt;&#34;152&#34;&lt;/b&gt; &amp; more"' in svg
    assert "<title>Upper &lt;b&gt;&#34;152&#34;&lt;/b&gt; &amp; more</title>" in svg
    assert svg.count("<polyline") == 2
    assert svg.count('class="spark-target"') == 2
    assert "href" not in svg
    assert "<script" not in svg
    one = str(sparkline.svg(sparkline.Daily((3,), 10, {"a": (150.0,)}), ("a",), "x"))
    assert "<polyline" not in one
    assert one.count("<circle") == 1


def test_the_sparkline_scales_data_and_target_into_the_box() -> None:
    daily = sparkline.Daily((0, 1), 2, {"a": (100.0, 200.0)})
    svg = str(sparkline.svg(daily, ("a",), "x", (150,)))
    top, bottom = sparkline.PAD, sparkline.HEIGHT - sparkline.PAD
    assert f'points="{sparkline.PAD:.1f},{bottom:.1f} ' in svg  # 100: the bottom
    assert f",{top:.1f}" in svg  # 200: the top
    middle = (top + bottom) / 2
    assert f'y1="{middle:.1f}"' in svg  # the target halfway
