"""The one reading of every value (pgd.clinical), table-driven: every limit on both sides
of its edge, each age band, each source of a target."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from pgd import clinical
from pgd.clinical import BP, Agreement, BloodPressureTarget, G, Level, Source
from pgd.clinical import thresholds as t
from pgd.clinical.targets import BMI_CATEGORIES

UNDER_70 = clinical.standard_blood_pressure(60)
FROM_70 = clinical.standard_blood_pressure(70)


# --- age and the standard target -------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "today", "age"),
    [
        (date(1956, 11, 29), date(2026, 11, 29), 70),  # the birthday itself
        (date(1956, 11, 30), date(2026, 11, 29), 69),  # the day before
        (date(1960, 2, 29), date(2026, 2, 28), 65),  # born on 29 February
        (date(1960, 2, 29), date(2026, 3, 1), 66),
        (None, date(2026, 11, 29), None),
    ],
)
def test_age_on(birth: date | None, today: date, age: int | None) -> None:
    assert clinical.age_on(birth, today) == age


@pytest.mark.parametrize(
    ("age", "target", "older"),
    [
        (None, (135, 85), False),  # unknown age: the stricter standard
        (18, (135, 85), False),
        (69, (135, 85), False),
        (70, (150, 85), True),
        (95, (150, 85), True),
    ],
)
def test_standard_home_target_by_age(age: int | None, target: tuple[int, int], older: bool) -> None:
    found = clinical.standard_blood_pressure(age)
    assert found.pair == target
    assert found.source is Source.STANDARD
    assert found.older is older


# --- blood pressure: one reading --------------------------------------------------------


@pytest.mark.parametrize(
    ("reading", "target", "code", "level"),
    [
        ((134, 84), UNDER_70, "bp_reading_ok", Level.OK),
        ((135, 84), UNDER_70, "bp_reading_high", Level.HIGH),  # from 135 counts as high
        ((134, 85), UNDER_70, "bp_reading_high", Level.HIGH),  # from 85 too
        ((149, 84), FROM_70, "bp_reading_ok", Level.OK),  # 70+: under 150 is fine
        ((150, 84), FROM_70, "bp_reading_high", Level.HIGH),
        ((179, 109), UNDER_70, "bp_reading_high", Level.HIGH),
        ((180, 80), UNDER_70, "bp_reading_alarm", Level.ALARM),  # 180 or more
        ((150, 110), FROM_70, "bp_reading_alarm", Level.ALARM),  # 110 or more
        ((179, 109), FROM_70, "bp_reading_high", Level.HIGH),
        ((149, 85), FROM_70, "bp_reading_high", Level.HIGH),  # 70+: the lower limit stays 85
        ((120, 109), FROM_70, "bp_reading_high", Level.HIGH),
        ((120, 110), UNDER_70, "bp_reading_alarm", Level.ALARM),
    ],
)
def test_blood_pressure_reading(
    reading: tuple[int, int], target: BloodPressureTarget, code: str, level: Level
) -> None:
    verdict = clinical.bp_reading(*reading, target)
    assert (verdict.code, verdict.level) == (code, level)


def test_blood_pressure_classes_match_the_single_verdict() -> None:
    sys_ = np.array([134, 135, 134, 179, 180, 120])
    dia = np.array([84, 84, 85, 109, 80, 110])
    classes = clinical.bp_classes(sys_, dia, UNDER_70)
    assert classes.tolist() == [BP.ON_TARGET, BP.ABOVE, BP.ABOVE, BP.ABOVE, BP.ALARM, BP.ALARM]


# --- blood pressure: the home mean ------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "target", "code"),
    [
        ([137] * 6, UNDER_70, "bp_mean_high"),  # 137/86 for a 60-year-old: high
        ([134] * 6, UNDER_70, "bp_mean_ok"),
        ([145] * 6, FROM_70, "bp_mean_ok"),  # 145/80 for a 75-year-old: acceptable
        ([150] * 6, FROM_70, "bp_mean_high"),
        ([181] * 6, FROM_70, "bp_mean_alarm"),
        ([179] * 6, UNDER_70, "bp_mean_high"),  # the alarm edge of a mean: 180
        ([180] * 6, UNDER_70, "bp_mean_alarm"),
        ([179, 180] * 3, UNDER_70, "bp_mean_alarm"),  # 179.5 reads 180 (half up)
    ],
)
def test_blood_pressure_mean(values: list[int], target: BloodPressureTarget, code: str) -> None:
    dia = [86 if target is UNDER_70 and values[0] == 137 else 80] * len(values)
    verdict = clinical.bp_mean(np.array(values), np.array(dia), target)
    assert verdict.code == code
    assert verdict.values["few"] is False


@pytest.mark.parametrize(
    ("diastolic", "target", "code"),
    [
        (84, UNDER_70, "bp_mean_ok"),
        (85, UNDER_70, "bp_mean_high"),  # home mean: from 85 counts as high
        (84, FROM_70, "bp_mean_ok"),
        (85, FROM_70, "bp_mean_high"),  # 70+: only the upper limit is looser
        (109, FROM_70, "bp_mean_high"),
        (110, FROM_70, "bp_mean_alarm"),  # the alarm edge of a mean's lower pressure
    ],
)
def test_blood_pressure_mean_lower_pressure(
    diastolic: int, target: BloodPressureTarget, code: str
) -> None:
    verdict = clinical.bp_mean(np.full(6, 130), np.full(6, diastolic), target)
    assert verdict.code == code


def test_a_mean_of_few_readings_says_so_and_none_is_unknown() -> None:
    few = clinical.bp_mean(np.array([140, 142]), np.array([80, 82]), UNDER_70)
    assert few.values["few"] is True
    assert few.values["n"] == 2
    edge = t.BP_MIN_READINGS_FOR_MEAN
    assert clinical.bp_mean(np.full(edge, 120), np.full(edge, 80), UNDER_70).values["few"] is False
    assert clinical.bp_mean(np.full(edge - 1, 120), np.full(edge - 1, 80), UNDER_70).values["few"]
    assert clinical.bp_mean(np.array([]), np.array([]), UNDER_70).level is Level.UNKNOWN


# --- where a target comes from ----------------------------------------------------------

AGREED_140 = BloodPressureTarget(
    140, 90, Source.AGREED, agreement=Agreement("Anna de Vries", "POH", date(2027, 3, 12))
)


@pytest.mark.parametrize(
    ("age", "agreed", "own", "expected", "source", "ignored"),
    [
        (60, None, None, (135, 85), Source.STANDARD, False),
        (75, None, None, (150, 85), Source.STANDARD, False),
        (80, AGREED_140, None, (140, 90), Source.AGREED, False),  # agreed beats the standard
        (60, None, (130, 80), (130, 80), Source.OWN, False),  # a stricter own target counts
        (60, None, (135, 85), (135, 85), Source.STANDARD, False),  # the same: the NHG one
        (60, None, (160, 100), (135, 85), Source.STANDARD, True),  # looser: never used
        (60, None, (130, 90), (135, 85), Source.STANDARD, True),  # looser on one number
        (80, AGREED_140, (145, 85), (140, 90), Source.AGREED, True),
        (80, AGREED_140, (130, 80), (130, 80), Source.OWN, False),
    ],
)
def test_the_patient_reads_against_the_stricter_of_own_and_clinical(
    age: int,
    agreed: BloodPressureTarget | None,
    own: tuple[int, int] | None,
    expected: tuple[int, int],
    source: Source,
    ignored: bool,
) -> None:
    found = clinical.patient_blood_pressure(age, agreed, own)
    assert found.pair == expected
    assert found.source is source
    assert clinical.own_target_ignored(age, agreed, own) is ignored


def test_a_care_provider_never_reads_against_the_patients_own_target() -> None:
    assert clinical.clinical_blood_pressure(60).pair == (135, 85)
    assert clinical.clinical_blood_pressure(60).source is Source.STANDARD
    assert clinical.clinical_blood_pressure(80, AGREED_140) is AGREED_140


def test_a_patients_own_target_never_makes_an_alarming_value_look_good() -> None:
    own = clinical.patient_blood_pressure(60, None, (179, 109))
    assert own.source is Source.STANDARD  # looser than 135/85: not used
    assert clinical.bp_reading(150, 95, own).level is Level.HIGH
    strict = BloodPressureTarget(200, 120, Source.OWN)  # even if one were used
    assert clinical.bp_reading(185, 95, strict).level is Level.ALARM


# --- glucose by moment --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mmol", "moment", "expected"),
    [
        (2.9, "fasting", G.SEVERE_HYPO),
        (3.0, "fasting", G.HYPO),  # 3.0 is not below 3.0
        (3.9, "after_lunch", G.HYPO),
        (4.0, "after_lunch", G.IN_RANGE),  # "4 is de vloer": 4.0 is not a hypo
        (4.0, "fasting", G.BELOW),  # but under the fasting range (4.5)
        (4.4, "before_dinner", G.BELOW),
        (4.5, "before_breakfast", G.IN_RANGE),
        (8.0, "fasting", G.IN_RANGE),  # fasting 4.5 to 8: 8.0 in range
        (8.1, "before_lunch", G.ABOVE),
        (8.9, "after_breakfast", G.IN_RANGE),
        (9.0, "after_dinner", G.ABOVE),  # after a meal: under 9
        (10.0, "bedtime", G.IN_RANGE),  # general 4 to 10
        (10.1, "night", G.ABOVE),
        (10.1, "other", G.ABOVE),
        (15.0, "other", G.ABOVE),  # exactly 15 is not above 15
        (15.1, "fasting", G.VERY_HIGH),
    ],
)
def test_glucose_by_moment(mmol: float, moment: str, expected: G) -> None:
    assert clinical.glucose_class(mmol, moment) is expected
    vector = clinical.glucose_classes(np.array([mmol]), np.array([moment], dtype=object))
    assert vector.tolist() == [expected]


@pytest.mark.parametrize(
    ("mmol", "moment", "code", "level"),
    [
        (2.9, "other", "glucose_severe_hypo", Level.HYPO),
        (3.9, "other", "glucose_hypo", Level.HYPO),
        (4.2, "fasting", "glucose_below", Level.LOW),
        (6.0, "fasting", "glucose_in_range", Level.OK),
        (9.5, "after_lunch", "glucose_above", Level.HIGH),
        (15.1, "after_lunch", "glucose_very_high", Level.ALARM),
    ],
)
def test_glucose_reading_verdict(mmol: float, moment: str, code: str, level: Level) -> None:
    verdict = clinical.glucose_reading(mmol, moment)
    assert (verdict.code, verdict.level) == (code, level)


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ([6.0] * 7 + [12.0] * 3, "glucose_period_ok"),  # 7 of 10 in range: good
        ([6.0] * 6 + [12.0] * 4, "glucose_period_off"),  # 6 of 10: not
        ([6.0] * 9 + [3.9], "glucose_period_hypos"),  # any hypo comes first
        ([6.0] * 9 + [15.1], "glucose_period_very_high"),
        ([], "glucose_none"),
    ],
)
def test_glucose_period(values: list[float], code: str) -> None:
    mmol = np.array(values, dtype=float)
    share = clinical.glucose_share(
        clinical.glucose_classes(mmol, np.array(["other"] * len(values), dtype=object))
    )
    assert clinical.glucose_period(share).code == code
    assert share.n == len(values)


# --- weight -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bmi", "category"),
    [
        (18.49, "underweight"),
        (18.5, "healthy"),
        (24.99, "healthy"),
        (25.0, "overweight"),
        (29.99, "overweight"),
        (30.0, "obese"),
        (34.99, "obese"),
        (35.0, "severe_obese"),
        (39.99, "severe_obese"),
        (40.0, "morbid_obese"),
    ],
)
def test_bmi_categories(bmi: float, category: str) -> None:
    assert clinical.bmi_category(bmi) == category
    assert clinical.bmi_verdict(bmi).code == "bmi_" + category


def test_bmi_and_the_healthy_count() -> None:
    assert clinical.bmi(81.0, 180.0) == pytest.approx(25.0)
    low, high = clinical.healthy_weight_range(180.0)
    assert (round(low, 1), round(high, 1)) == (59.9, 81.0)
    assert clinical.bmi_healthy_count(np.array([59.8, 60.0, 80.9, 81.0]), 180.0) == 2
    with pytest.raises(ValueError, match="height"):
        clinical.bmi(80.0, 0)


@pytest.mark.parametrize(
    ("first", "last", "days", "direction", "code"),
    [
        (100.0, 96.0, 90, "down", "weight_change_planned"),  # a planned loss: no alarm
        (100.0, 96.0, 90, None, "weight_change"),  # -4 %: noted
        (100.0, 97.0, 90, None, "weight_steady"),  # -3 %: not more than 3 %
        (100.0, 103.1, 90, None, "weight_change"),
        (100.0, 103.1, 90, "up", "weight_change_planned"),
        (100.0, 94.9, 31, None, "weight_loss_unintended"),  # > 5 % in a month
        (100.0, 95.0, 31, None, "weight_change"),  # exactly 5 %: noted, not unintended
        (100.0, 94.9, 32, None, "weight_change"),  # over a month: the 6-month rule
        (100.0, 89.9, 183, None, "weight_loss_unintended"),  # > 10 % in six months
        (100.0, 90.0, 183, None, "weight_change"),
        (100.0, 89.9, 184, None, "weight_change"),
        (100.0, 94.0, 20, "up", "weight_loss_unintended"),  # against the goal's direction
    ],
)
def test_weight_change_against_the_goal(
    first: float, last: float, days: int, direction: str | None, code: str
) -> None:
    assert clinical.weight_change(first, last, days, direction).code == code


def test_the_worst_verdict_leads_and_sets_the_colour() -> None:
    ok = clinical.bp_reading(120, 80, UNDER_70)
    alarm = clinical.bp_reading(190, 115, UNDER_70)
    assert clinical.worst(ok, None, alarm) is alarm
    assert alarm.status == "alarm"
    assert ok.status == "good"
    assert clinical.worst() is None


@pytest.mark.parametrize(
    ("goal", "start", "direction"),
    [(80.0, 90.0, "down"), (95.0, 90.0, "up"), (90.0, 90.0, None), (None, 90.0, None)],
)
def test_weight_goal_direction_from_the_start_of_the_period(
    goal: float | None, start: float, direction: str | None
) -> None:
    """The patient's card and the POH's summary read the goal's direction the same way:
    from the first weight of the period, so 90 -> 78 kg with a goal of 80 is planned."""
    assert clinical.weight_goal_direction(goal, start) == direction
    planned = clinical.weight_change(90.0, 78.0, 80, clinical.weight_goal_direction(80.0, 90.0))
    assert planned.code == "weight_change_planned"


@pytest.mark.parametrize(
    ("values", "code"),
    [
        (([134.4] * 6, [80] * 6), "bp_mean_ok"),  # shows 134/80
        (([134.5] * 6, [80] * 6), "bp_mean_high"),  # shows 135/80: judged as shown
        (([120] * 6, [84.4] * 6), "bp_mean_ok"),
        (([120] * 6, [84.5] * 6), "bp_mean_high"),  # shows 120/85
    ],
)
def test_a_mean_is_judged_as_it_is_shown(
    values: tuple[list[float], list[float]], code: str
) -> None:
    assert clinical.bp_mean(np.array(values[0]), np.array(values[1]), UNDER_70).code == code


def test_over_70_edges_149_and_150() -> None:
    assert clinical.bp_mean(np.array([149] * 6), np.array([80] * 6), FROM_70).code == "bp_mean_ok"
    assert clinical.bp_mean(np.array([150] * 6), np.array([80] * 6), FROM_70).code == "bp_mean_high"


def test_bmi_weight_edges_match_the_categories() -> None:
    edges = clinical.bmi_weight_edges(180.0)
    assert [round(e, 1) for e in edges] == [59.9, 81.0, 97.2, 113.4, 129.6]
    for edge, above in zip(edges, BMI_CATEGORIES[1:], strict=True):
        assert clinical.bmi_category(clinical.bmi(edge + 0.01, 180.0)) == above


# --- trends: what counts as "about the same" -------------------------------------------


@pytest.mark.parametrize(
    ("delta", "quantity", "said"),
    [
        (2.9, "systolic", "same"),
        (3.0, "systolic", "up"),
        (-3.0, "systolic", "down"),
        (1.9, "diastolic", "same"),
        (2.0, "diastolic", "up"),
        (-0.49, "kg", "same"),
        (-0.5, "kg", "down"),
        (0.29, "mmol", "same"),
        (0.3, "mmol", "up"),
    ],
)
def test_a_change_smaller_than_the_noise_is_about_the_same(
    delta: float, quantity: str, said: str
) -> None:
    assert clinical.trend(delta, quantity) == said
    assert clinical.about_the_same(delta, quantity) is (said == "same")
