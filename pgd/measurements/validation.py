"""One validator for every entry path (form, CSV, API): ranges, units, times, advice.

Messages say what is wrong and what is allowed, in plain language, and are translated.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from pgd import clinical
from pgd.clinical import words as clinical_words
from pgd.forms import date_problem, parse_date
from pgd.measurements.values import (
    MGDL_PER_MMOL,
    Arm,
    BloodPressure,
    Glucose,
    Moment,
    Weight,
)

LOCAL = ZoneInfo("Europe/Amsterdam")
FUTURE_TOLERANCE = timedelta(minutes=10)
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
NOTE_MAX = 500

SYSTOLIC = (60, 300)
DIASTOLIC = (30, 200)
PULSE = (25, 250)
WEIGHT_KG = (20.0, 400.0)
GLUCOSE_MMOL = (0.5, 40.0)


@dataclass
class Invalid(Exception):
    """Field name → message; nothing is saved when this is raised."""

    errors: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return "; ".join(f"{k}: {v}" for k, v in self.errors.items())


_NUMBER = re.compile(r"^[+]?(\d+([.,]\d*)?|[.,]\d+)$")


def parse_number(raw: object) -> float | None:
    """Accept 7,4 and 7.4 (Dutch users type a comma); None for empty; ValueError otherwise."""
    if type(raw) is str:
        return _parse_text(raw)
    return _parse_number(raw)


# A 100,000-row CSV file holds a few hundred different texts per column (issue 14): each
# is parsed once. An unreadable text raises, and an exception is not kept.
@functools.lru_cache(maxsize=4096)
def _parse_text(raw: str) -> float | None:
    return _parse_number(raw)


def _parse_number(raw: object) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise ValueError("not a number")
    if isinstance(raw, int | float):
        if not math.isfinite(raw):
            raise ValueError("not finite")
        return float(raw)
    text = str(raw).strip().replace(" ", "")
    if not text:
        return None
    if not _NUMBER.match(text):
        raise ValueError("not a number")
    return float(text.replace(",", "."))


# One way to write a number for the reader, shared with pgd.clinical's words.
decimal_sign = clinical_words.decimal_sign
format_number = clinical_words.number


_EXAMPLES = {
    "systolic": 135.0,
    "diastolic": 85.0,
    "pulse": 70.0,
    "weight": 82.5,
    "glucose": 7.4,
}


def number_in_range(
    errors: dict[str, str],
    name: str,
    raw: object,
    bounds: tuple[float, float],
    unit: str,
    *,
    whole: bool,
    required: bool = True,
) -> float | None:
    try:
        value = parse_number(raw)
    except ValueError:
        if whole:
            errors[name] = _(
                "Fill in a whole number, for example %(example)s.",
                example=format_number(_EXAMPLES.get(name, 120.0)),
            )
        else:
            errors[name] = _(
                "Fill in a number, for example %(example)s.",
                example=format_number(_EXAMPLES.get(name, 7.4)),
            )
        return None
    if value is None:
        if required:
            errors[name] = _("Fill in this value.")
        return None
    if whole:
        if abs(value - round(value)) > 1e-9:
            errors[name] = _("Fill in a whole number, without a comma.")
            return None
        value = float(round(value))
    low, high = bounds
    if not low <= value <= high:
        errors[name] = _(
            "%(value)s %(unit)s is not possible here. Allowed: %(low)s to %(high)s %(unit)s.",
            value=format_number(value),
            unit=unit,
            low=format_number(low),
            high=format_number(high),
        )
        return None
    return value


# Built once: a 100,000-row CSV file validates every row through these functions.
_PULSE_UNIT = _l("beats per minute")
_ARMS = frozenset(a.value for a in Arm)
_MOMENTS = frozenset(m.value for m in Moment)


def blood_pressure(
    systolic: object, diastolic: object, pulse: object = None, arm: object = None
) -> BloodPressure:
    errors: dict[str, str] = {}
    sys_v = number_in_range(errors, "systolic", systolic, SYSTOLIC, "mmHg", whole=True)
    dia_v = number_in_range(errors, "diastolic", diastolic, DIASTOLIC, "mmHg", whole=True)
    pulse_v = number_in_range(
        errors, "pulse", pulse, PULSE, _PULSE_UNIT, whole=True, required=False
    )
    arm_v = (str(arm).strip().lower() if arm is not None else "") or None
    if arm_v is not None and arm_v not in _ARMS:
        errors["arm"] = _("Choose left arm, right arm, or leave it empty.")
    if sys_v is not None and dia_v is not None and dia_v >= sys_v:
        errors["diastolic"] = _(
            "The lower value (%(dia)s) must be below the upper value (%(sys)s). Did you swap them?",
            dia=format_number(dia_v),
            sys=format_number(sys_v),
        )
    if errors:
        raise Invalid(errors)
    assert sys_v is not None
    assert dia_v is not None
    return BloodPressure(
        int(sys_v), int(dia_v), int(pulse_v) if pulse_v is not None else None, arm_v
    )


def weight(kg: object) -> Weight:
    errors: dict[str, str] = {}
    value = number_in_range(errors, "weight", kg, WEIGHT_KG, "kg", whole=False)
    if errors:
        raise Invalid(errors)
    assert value is not None
    return Weight(round(value, 1))


def glucose(value: object, unit: object = "mmol", moment: object = None) -> Glucose:
    errors: dict[str, str] = {}
    unit_v = str(unit or "mmol").strip().lower().replace("/l", "").replace("/dl", "")
    if unit_v not in {"mmol", "mg"}:
        errors["unit"] = _("Choose mmol/L or mg/dL.")
        raise Invalid(errors)
    if unit_v == "mg":
        bounds = (round(GLUCOSE_MMOL[0] * MGDL_PER_MMOL), round(GLUCOSE_MMOL[1] * MGDL_PER_MMOL))
        raw = number_in_range(errors, "glucose", value, bounds, "mg/dL", whole=False)
        mmol = raw / MGDL_PER_MMOL if raw is not None else None
    else:
        mmol = number_in_range(errors, "glucose", value, GLUCOSE_MMOL, "mmol/L", whole=False)
    moment_v = str(moment).strip().lower() if moment not in (None, "") else Moment.OTHER.value
    if moment_v not in _MOMENTS:
        errors["moment"] = _("Choose when you measured, for example before breakfast.")
    if errors:
        raise Invalid(errors)
    assert mmol is not None
    return Glucose(round(mmol, 1), moment_v)


def note(text: object) -> str:
    value = "" if text is None else str(text).strip()
    if len(value) > NOTE_MAX:
        raise Invalid({"note": _("A note has at most %(max)d characters.", max=NOTE_MAX)})
    return value


def taken_at(when: datetime, now: datetime | None = None) -> datetime:
    """Aware time → UTC; refuse more than 10 minutes ahead, or before 1970."""
    now = now or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=LOCAL)
    try:
        when = when.astimezone(UTC)
    except OverflowError:  # year 1 or 9999: beyond what a datetime holds once in UTC
        when = (datetime.min if when.year < 2 else datetime.max).replace(tzinfo=UTC)
    if when > now + FUTURE_TOLERANCE:
        raise Invalid({"taken_at": _("This time is in the future. Fill in when you measured.")})
    if when < EARLIEST:
        raise Invalid(
            {
                "taken_at": _(
                    "Check the year: this date is too long ago. Use a date from %(year)d on.",
                    year=EARLIEST.year,
                )
            }
        )
    return when


# 8:15, 08.15, 0815, 815 and 8: the hour is one or two digits, the minutes two ("8:" is
# refused: a colon promises minutes).
_CLOCK = re.compile(r"^([0-9]{1,2})(?::?([0-9]{2}))?$")


def local_datetime(day: object, clock: object) -> datetime:
    """A date and a time typed separately (local time) → aware datetime."""
    errors: dict[str, str] = {}
    parsed_day: date | None = None
    parsed_time: time | None = None

    day_text = str(day or "").strip()
    if not day_text:
        errors["date"] = _("Fill in the date.")
    else:
        parsed_day = parse_date(day_text)
        if parsed_day is None:
            errors["date"] = date_problem(day_text)
    clock_text = str(clock or "").strip().replace(".", ":")
    match = _CLOCK.match(clock_text)
    if not clock_text:
        errors["time"] = _("Fill in the time.")
    elif not match or int(match.group(1)) > 23 or int(match.group(2) or 0) > 59:
        errors["time"] = _("Write the time as hours:minutes, for example 08:30 or 0830.")
    else:
        parsed_time = time(int(match.group(1)), int(match.group(2) or 0))
    if errors:
        raise Invalid(errors)
    assert parsed_day is not None
    assert parsed_time is not None
    return datetime.combine(parsed_day, parsed_time, tzinfo=LOCAL)


@dataclass(frozen=True)
class Advice:
    level: str  # "urgent" or "attention"
    text: str


def advice(value: BloodPressure | Weight | Glucose) -> list[Advice]:
    """Possible but alarming values are saved, with advice on what to do now (pgd.clinical)."""
    if isinstance(value, BloodPressure) and clinical.bp_alarming(value.systolic, value.diastolic):
        verdict = clinical.bp_reading(
            value.systolic, value.diastolic, clinical.standard_blood_pressure(None)
        )
        return [Advice("urgent", _advice_text(clinical_words.patient(verdict)))]
    if isinstance(value, Glucose):
        verdict = clinical.glucose_reading(value.mmol, value.moment)
        if verdict.level is clinical.Level.HYPO:
            return [Advice("urgent", _advice_text(clinical_words.patient(verdict)))]
        if verdict.level is clinical.Level.ALARM:
            return [Advice("attention", _advice_text(clinical_words.patient(verdict)))]
    return []


def _advice_text(said: clinical_words.Words) -> str:
    return " ".join(said.in_order)
