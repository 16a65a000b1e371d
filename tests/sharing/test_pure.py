"""Pure helpers: share codes and the pre-consult summary, without the app."""

from __future__ import annotations

import numpy as np
import pytest

from pgd import clinical
from pgd.clinical import Source
from pgd.sharing import codes, summary

DAY = 86400
WINDOW = summary.Window(start=100 * DAY, end=190 * DAY)  # previous period: 10..100 days
HOME = clinical.standard_blood_pressure(60)  # NHG home measurement under 70: 135/85
AGREED_140 = clinical.BloodPressureTarget(140, 90, Source.AGREED)


def _moments(n: int, moment: str = "other") -> np.ndarray:
    return np.array([moment] * n, dtype=object)


def test_codes_have_no_look_alikes_and_forgive_typing() -> None:
    for look_alike in "0O1IL":
        assert look_alike not in codes.ALPHABET
    made = {codes.generate() for _ in range(200)}
    assert len(made) == 200
    assert all(codes.problem(c) is None for c in made)
    assert codes.normalise(" kx7p-2m9q ") == "KX7P2M9Q"
    assert codes.display("KX7P2M9Q") == "KX7P-2M9Q"
    assert codes.problem("KX7P2M9") == "length"
    assert codes.problem("KX7P2M90") == "characters"


def test_blood_pressure_block() -> None:
    epoch = np.array([50, 60, 110, 120, 130], dtype=np.int64) * DAY
    systolic = np.array([130, 130, 150, 138, 146], dtype=float)
    diastolic = np.array([80, 80, 95, 85, 88], dtype=float)
    block = summary.blood_pressure(epoch, systolic, diastolic, WINDOW, AGREED_140)
    assert block.n == 3
    assert block.latest == (146.0, 88.0)
    assert block.latest_at == 130 * DAY
    assert block.stats["systolic"].mean == pytest.approx(144.667, abs=0.01)
    assert (block.stats["systolic"].minimum, block.stats["systolic"].maximum) == (138, 150)
    assert block.trend == "up"
    assert block.trend_delta == pytest.approx(14.667, abs=0.01)
    assert block.within_target_pct == pytest.approx(100 / 3)  # only 138/85 is below 140/90
    assert block.flags == [("bp_mean_high", 0)]


def test_blood_pressure_below_the_flag_and_without_an_earlier_period() -> None:
    epoch = np.array([110, 120], dtype=np.int64) * DAY
    block = summary.blood_pressure(
        epoch, np.array([128.0, 132.0]), np.array([82.0, 84.0]), WINDOW, HOME
    )
    assert block.flags == []
    assert block.trend is None
    assert block.within_target_pct == 100.0
    assert block.verdict is not None
    assert block.verdict.code == "bp_mean_ok"
    stricter = clinical.BloodPressureTarget(130, 80, Source.AGREED)
    agreed = summary.blood_pressure(
        epoch, np.array([128.0, 132.0]), np.array([82.0, 84.0]), WINDOW, stricter
    )
    assert agreed.within_target_pct == 0.0  # an agreed stricter target counts


def test_home_mean_from_135_85_is_flagged_for_a_60_year_old_not_for_a_75_year_old() -> None:
    epoch = np.array([110, 120, 130], dtype=np.int64) * DAY
    sys_, dia = np.array([137.0, 137.0, 137.0]), np.array([86.0, 86.0, 86.0])
    young = summary.blood_pressure(epoch, sys_, dia, WINDOW, HOME)
    assert ("bp_mean_high", 0) in young.flags
    old = clinical.standard_blood_pressure(75)
    older = summary.blood_pressure(epoch, np.array([145.0] * 3), np.array([80.0] * 3), WINDOW, old)
    assert older.flags == []
    assert older.within_target_pct == 100.0


def test_weight_change_flag_and_bmi_target() -> None:
    epoch = np.array([20, 110, 150, 180], dtype=np.int64) * DAY
    kg = np.array([90.0, 90.0, 88.0, 86.9])
    block = summary.weight(epoch, kg, WINDOW, height_cm=190.0)
    assert block.n == 3
    assert block.trend == "down"
    assert block.flags == [("weight_change", -3.4)]
    assert block.within_target_pct == 100.0  # at 190 cm, BMI 24.1 to 24.4: healthy
    short = summary.weight(epoch, kg, WINDOW, height_cm=170.0)
    assert short.within_target_pct == 0.0  # at 170 cm the same weights are BMI 30 or more
    steady = summary.weight(epoch, np.array([90.0, 90.0, 89.0, 88.0]), WINDOW, None)
    assert steady.flags == []  # -2.2 % is not more than 3 %
    assert steady.within_target_pct is None
    # The patient's own goal of 80 kg: losing from 90 is the plan, a note and no flag.
    planned = summary.weight(epoch, kg, WINDOW, 190.0, goal_kg=80.0)
    assert planned.flags == []
    assert planned.notes == [("weight_change_planned", -3.4)]
    against = summary.weight(epoch, kg, WINDOW, 190.0, goal_kg=95.0)
    assert against.flags == [("weight_change", -3.4)]
    assert against.notes == []


def test_glucose_hypos_are_counted_and_the_share_in_range_follows_the_moment() -> None:
    epoch = np.array([110, 111, 112, 113, 114], dtype=np.int64) * DAY
    moments = np.array(["fasting", "other", "fasting", "after_lunch", "after_lunch"], dtype=object)
    # 3.9 is a hypo (below 4.0); 4.2 fasting is under 4.5; 7.0 fasting in range;
    # 8.9 after a meal in range (under 9); 9.0 after a meal is not.
    block = summary.glucose(epoch, np.array([3.5, 3.9, 7.0, 8.9, 9.0]), moments, WINDOW)
    assert block.flags == [("glucose_low", 2)]
    assert block.within_target_pct == pytest.approx(40.0)
    assert block.trend is None
    assert block.verdict is not None
    assert block.verdict.code == "glucose_period_hypos"


def test_an_empty_period_has_no_numbers() -> None:
    empty = np.empty(0, dtype=np.int64)
    block = summary.glucose(empty, np.empty(0), _moments(0), WINDOW)
    assert block.n == 0
    assert block.latest is None
    assert block.flags == []


def test_single_alarming_readings_are_counted_even_when_the_mean_is_fine() -> None:
    """One 185/100 among good readings: the mean stays under the agreed 140/90, but the
    POH must see it; the same for blood sugar above 15 (the limits of the patient's own
    advice)."""
    epoch = np.array([110, 120, 130, 140, 150], dtype=np.int64) * DAY
    systolic = np.array([120.0, 125.0, 185.0, 122.0, 130.0])
    diastolic = np.array([75.0, 78.0, 100.0, 110.0, 80.0])  # 110 diastolic counts too
    block = summary.blood_pressure(epoch, systolic, diastolic, WINDOW, AGREED_140)
    assert block.flags == [("bp_very_high", 2)]  # no bp_mean_high: the mean is 136/88.6
    home = summary.blood_pressure(epoch, systolic, diastolic, WINDOW, HOME)
    assert home.flags == [("bp_very_high", 2), ("bp_mean_high", 0)]  # 136/89 at home: high
    glucose = summary.glucose(
        epoch, np.array([6.0, 15.0, 15.1, 22.0, 7.0]), _moments(5), WINDOW
    )  # exactly 15 is not above 15
    assert glucose.flags == [("glucose_very_high", 2)]
