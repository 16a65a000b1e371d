"""Targets and where they come from: the standard for the patient's age, agreed with a
named care provider, or chosen by the patient. Pure: plain values in, plain values out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from pgd.clinical import thresholds as t


class Source(StrEnum):
    STANDARD = "standard"  # NHG value for home measurement at the patient's age
    AGREED = "agreed"  # agreed at a consult with a named care provider
    OWN = "own"  # chosen by the patient ("zelf ingesteld")


@dataclass(frozen=True)
class Agreement:
    """Who agreed a target with the patient, and when."""

    name: str  # "A. de Vries"
    profession: str  # as the viewer reads it ("POH", "huisarts")
    day: date
    note: str = ""
    # The patient changed the target after it was agreed (kept as history; shown so).
    by_patient: bool = False


@dataclass(frozen=True)
class BloodPressureTarget:
    """Home blood pressure is on target below both numbers ("< 135/85")."""

    systolic: int
    diastolic: int
    source: Source
    older: bool = False  # the standard for people of 70 and older
    agreement: Agreement | None = None

    @property
    def pair(self) -> tuple[int, int]:
        return (self.systolic, self.diastolic)


def age_on(birth: date | None, today: date) -> int | None:
    """Age in whole years on `today`; None when the birth date is unknown."""
    if birth is None:
        return None
    years = today.year - birth.year
    if (today.month, today.day) < (birth.month, birth.day):
        years -= 1
    return years


def standard_blood_pressure(age: int | None) -> BloodPressureTarget:
    """The NHG home-measurement target for this age (unknown age: the stricter, under-70)."""
    if age is not None and age >= t.OLDER_AGE:
        return BloodPressureTarget(*t.OLDER_HOME_BP_HIGH, Source.STANDARD, older=True)
    return BloodPressureTarget(*t.HOME_BP_HIGH, Source.STANDARD)


def clinical_blood_pressure(
    age: int | None, agreed: BloodPressureTarget | None = None
) -> BloodPressureTarget:
    """What a care provider reads against: the agreed target, else the standard for age.

    A target the patient chose is never a clinical target.
    """
    return agreed if agreed is not None else standard_blood_pressure(age)


def patient_blood_pressure(
    age: int | None,
    agreed: BloodPressureTarget | None = None,
    own: tuple[int, int] | None = None,
) -> BloodPressureTarget:
    """What the patient's own pages read against.

    The patient's own target counts only where it is at least as strict on both numbers
    as the clinical one: a personal 160/100 never makes 150/95 look good.
    """
    clinical = clinical_blood_pressure(age, agreed)
    stricter = own is not None and own[0] <= clinical.systolic and own[1] <= clinical.diastolic
    if own is not None and stricter and own != clinical.pair:
        return BloodPressureTarget(own[0], own[1], Source.OWN)
    return clinical


def looser(target: tuple[int, int], than: tuple[int, int]) -> bool:
    """Is this blood pressure target looser than the other in either number? (A looser
    target would make a higher pressure look good.)"""
    return target[0] > than[0] or target[1] > than[1]


def own_target_ignored(
    age: int | None, agreed: BloodPressureTarget | None, own: tuple[int, int] | None
) -> bool:
    """True when the patient set a target looser than the clinical one (and it is not used)."""
    if own is None:
        return False
    return looser(own, clinical_blood_pressure(age, agreed).pair)


# --- glucose by moment of the day ---------------------------------------------------------

FASTING_MOMENTS = frozenset({"fasting", "before_breakfast", "before_lunch", "before_dinner"})
AFTER_MEAL_MOMENTS = frozenset({"after_breakfast", "after_lunch", "after_dinner"})


@dataclass(frozen=True)
class GlucoseRange:
    """The target range for one kind of moment; `high_inclusive` says if the top is in it."""

    key: str  # "fasting", "after_meal" or "general"
    low: float
    high: float
    high_inclusive: bool
    nhg: bool = True  # an NHG target (fasting, after a meal) or the general range


FASTING = GlucoseRange("fasting", *t.GLUCOSE_FASTING_RANGE, high_inclusive=True)
AFTER_MEAL = GlucoseRange("after_meal", *t.GLUCOSE_AFTER_MEAL_RANGE, high_inclusive=False)
GENERAL = GlucoseRange("general", *t.GLUCOSE_GENERAL_RANGE, high_inclusive=True, nhg=False)


def weight_goal_direction(goal_kg: float | None, start_kg: float | None) -> str | None:
    """Which way the patient's own weight goal aims from where the period started."""
    if goal_kg is None or start_kg is None or goal_kg == start_kg:
        return None
    return "down" if goal_kg < start_kg else "up"


def glucose_range(moment: str) -> GlucoseRange:
    """Fasting and before meals 4.5-8; after a meal under 9; otherwise 4-10 (NHG M01)."""
    if moment in FASTING_MOMENTS:
        return FASTING
    if moment in AFTER_MEAL_MOMENTS:
        return AFTER_MEAL
    return GENERAL


# --- weight ----------------------------------------------------------------------------

BMI_CATEGORIES = ("underweight", "healthy", "overweight", "obese", "severe_obese", "morbid_obese")


def bmi(weight_kg: float, height_cm: float) -> float:
    """Body mass index (kg/m²)."""
    if height_cm <= 0:
        raise ValueError("height_cm must be positive")
    metres = height_cm / 100.0
    return weight_kg / (metres * metres)


def bmi_category(value: float) -> str:
    """18.5 / 25 / 30 / 35 / 40: each edge belongs to the higher category (NHG M95, WHO)."""
    for edge, name in zip(t.BMI_EDGES, BMI_CATEGORIES, strict=False):
        if value < edge:
            return name
    return BMI_CATEGORIES[-1]


def bmi_weight_edges(height_cm: float) -> tuple[float, ...]:
    """The weights (kg) at each BMI edge (18.5 / 25 / 30 / 35 / 40) for this height."""
    square = (height_cm / 100.0) ** 2
    return tuple(edge * square for edge in t.BMI_EDGES)


def healthy_weight_range(height_cm: float) -> tuple[float, float]:
    """The weights (kg) with a healthy BMI (18.5 to under 25) for this height."""
    square = (height_cm / 100.0) ** 2
    return (t.BMI_UNDERWEIGHT * square, t.BMI_OVERWEIGHT * square)
