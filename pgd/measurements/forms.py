"""Measurement forms. Fields are text so that "7,4" survives; pgd.measurements.validation
decides, for forms, CSV and API alike."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField

from pgd.measurements import validation
from pgd.measurements.validation import LOCAL, Invalid
from pgd.measurements.values import Moment

T = TypeVar("T")

NUMBER = {"inputmode": "decimal", "autocomplete": "off", "class": "input input-number"}


def moment_choices() -> list[tuple[str, Any]]:
    return [
        (Moment.FASTING.value, _l("Fasting (on waking)")),
        (Moment.BEFORE_BREAKFAST.value, _l("Before breakfast")),
        (Moment.AFTER_BREAKFAST.value, _l("After breakfast")),
        (Moment.BEFORE_LUNCH.value, _l("Before lunch")),
        (Moment.AFTER_LUNCH.value, _l("After lunch")),
        (Moment.BEFORE_DINNER.value, _l("Before dinner")),
        (Moment.AFTER_DINNER.value, _l("After dinner")),
        (Moment.BEDTIME.value, _l("At bedtime")),
        (Moment.NIGHT.value, _l("During the night")),
        (Moment.OTHER.value, _l("Another moment")),
    ]


# The seven moments of a day curve ("dagcurve"), with the times a POH usually suggests.
DAY_CURVE_SLOTS: list[tuple[str, str, Any]] = [
    (Moment.BEFORE_BREAKFAST.value, "07:30", _l("Fasting / before breakfast")),
    (Moment.AFTER_BREAKFAST.value, "09:30", _l("After breakfast")),
    (Moment.BEFORE_LUNCH.value, "12:00", _l("Before lunch")),
    (Moment.AFTER_LUNCH.value, "14:00", _l("After lunch")),
    (Moment.BEFORE_DINNER.value, "17:30", _l("Before dinner")),
    (Moment.AFTER_DINNER.value, "19:30", _l("After dinner")),
    (Moment.BEDTIME.value, "22:30", _l("At bedtime")),
]


def _now_local() -> datetime:
    return datetime.now(LOCAL)


def _in_page_order(form: FlaskForm, last: tuple[str, ...]) -> None:
    """Move ``last`` to the end of the field order, as the page shows them.

    WTForms orders fields by when they were declared, so a base class's date and time
    would come first; the error summary lists problems in field order and must follow
    the page from top to bottom.
    """
    for name in last:
        if name in form._fields:
            form._fields.move_to_end(name)


class _Timed(FlaskForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _in_page_order(self, ("date", "time", "note"))

    date = StringField(
        _l("Date"),
        default=lambda: _now_local().strftime("%d-%m-%Y"),
        render_kw={"inputmode": "numeric", "class": "input input-date"},
    )
    time = StringField(
        _l("Time"),
        default=lambda: _now_local().strftime("%H:%M"),
        render_kw={"inputmode": "numeric", "class": "input input-time"},
    )
    note = TextAreaField(
        _l("Note (optional)"),
        render_kw={"rows": 2, "class": "input"},
    )

    def attach(self, error: Invalid) -> None:
        """Put each message next to its field (taken_at belongs to the date field)."""
        for name, message in error.errors.items():
            target = "date" if name == "taken_at" else name
            field = self._fields.get(target)
            if field is None:
                field = self._fields["date"]
            field.errors = [*field.errors, message]

    def when(self) -> datetime:
        return validation.taken_at(validation.local_datetime(self.date.data, self.time.data))


def collect(*steps: Callable[[], Any]) -> list[Any]:
    """Run every validation step and report all problems at once, not one at a time."""
    errors: dict[str, str] = {}
    results: list[Any] = []
    for step in steps:
        try:
            results.append(step())
        except Invalid as exc:
            errors.update(exc.errors)
            results.append(None)
    if errors:
        raise Invalid(errors)
    return results


class BloodPressureForm(_Timed):
    systolic = StringField(_l("Upper value (systolic)"), render_kw=NUMBER)
    diastolic = StringField(_l("Lower value (diastolic)"), render_kw=NUMBER)
    pulse = StringField(_l("Pulse (optional)"), render_kw=NUMBER)
    arm = RadioField(
        _l("Arm (optional)"),
        choices=[("", _l("Not noted")), ("left", _l("Left")), ("right", _l("Right"))],
        default="",
        validate_choice=False,
    )

    def parse(self) -> list[Any]:
        return collect(
            lambda: validation.blood_pressure(
                self.systolic.data, self.diastolic.data, self.pulse.data, self.arm.data or None
            ),
            self.when,
            lambda: validation.note(self.note.data),
        )


class WeightForm(_Timed):
    weight = StringField(_l("Weight in kg"), render_kw=NUMBER)

    def parse(self) -> list[Any]:
        return collect(
            lambda: validation.weight(self.weight.data),
            self.when,
            lambda: validation.note(self.note.data),
        )


class GlucoseForm(_Timed):
    glucose = StringField(_l("Blood sugar"), render_kw=NUMBER)
    unit = RadioField(
        _l("Unit"),
        choices=[("mmol", "mmol/L"), ("mg", "mg/dL")],
        default="mmol",
        validate_choice=False,
    )
    moment = SelectField(
        _l("When did you measure?"), choices=moment_choices, default="other", validate_choice=False
    )

    def parse(self) -> list[Any]:
        return collect(
            lambda: validation.glucose(self.glucose.data, self.unit.data, self.moment.data),
            self.when,
            lambda: validation.note(self.note.data),
        )


class DayCurveForm(FlaskForm):
    """One date, seven moments; fill in any of them."""

    date = StringField(
        _l("Date of the day curve"),
        default=lambda: _now_local().strftime("%d-%m-%Y"),
        render_kw={"inputmode": "numeric", "class": "input input-date"},
    )
    unit = RadioField(
        _l("Unit"),
        choices=[("mmol", "mmol/L"), ("mg", "mg/dL")],
        default="mmol",
        validate_choice=False,
    )
    note = TextAreaField(
        _l("Note (optional)"),
        render_kw={"rows": 2, "class": "input"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        slots = [
            f"{kind}_{slot}" for slot, _t, _label in DAY_CURVE_SLOTS for kind in ("value", "time")
        ]
        _in_page_order(self, (*slots, "note"))

    def slots(self) -> list[tuple[str, Any, Any, Any]]:
        return [
            (slot, label, self._fields[f"value_{slot}"], self._fields[f"time_{slot}"])
            for slot, _default, label in DAY_CURVE_SLOTS
        ]

    def parse(self) -> list[tuple[Any, datetime]]:
        """Readings for the filled-in slots; all problems reported at once."""
        errors: dict[str, str] = {}
        readings: list[tuple[Any, datetime]] = []
        now = _now_local()
        try:
            validation.note(self.note.data)
        except Invalid as exc:
            errors.update(exc.errors)
        for slot, _default, _label in DAY_CURVE_SLOTS:
            raw = self._fields[f"value_{slot}"].data
            if not (raw or "").strip():
                continue
            try:
                value = validation.glucose(raw, self.unit.data, slot)
            except Invalid as exc:
                for message in exc.errors.values():
                    errors[f"value_{slot}"] = message
                continue
            try:
                local = validation.local_datetime(self.date.data, self._fields[f"time_{slot}"].data)
            except Invalid as exc:
                for key, message in exc.errors.items():
                    errors["date" if key == "date" else f"time_{slot}"] = message
                continue
            if local.date() > now.date():
                errors["date"] = str(
                    _l("This date is in the future. Fill in the day you measured.")
                )
                continue
            if local > now + validation.FUTURE_TOLERANCE:
                # Today, but later than now (bedtime 22:30 filled in at 19:00): the
                # problem is that slot's time, not the date.
                errors[f"time_{slot}"] = str(
                    _l("This time has not come yet. Fill in the time you measured.")
                )
                continue
            try:
                when = validation.taken_at(local, now.astimezone(UTC))
            except Invalid as exc:
                errors["date"] = next(iter(exc.errors.values()))
                continue
            readings.append((value, when))
        if not readings and not errors:
            first = DAY_CURVE_SLOTS[0][0]
            errors[f"value_{first}"] = str(_l("Fill in at least one blood sugar value."))
        if errors:
            raise Invalid(errors)
        return readings

    def note_text(self) -> str:
        return validation.note(self.note.data)

    def attach(self, error: Invalid) -> None:
        for name, message in error.errors.items():
            field = self._fields.get(name) or self._fields["date"]
            field.errors = [*field.errors, message]


# Both fields of a slot carry the moment as their label, so the error summary names it:
# "At bedtime: This time has not come yet." The time column's visible header is "Time".
for _slot, _default, _label in DAY_CURVE_SLOTS:
    setattr(DayCurveForm, f"value_{_slot}", StringField(_label, render_kw=NUMBER))
    setattr(
        DayCurveForm,
        f"time_{_slot}",
        StringField(
            _label,
            default=_default,
            render_kw={"inputmode": "numeric", "class": "input input-time"},
        ),
    )


class DeleteForm(FlaskForm):
    """Only the CSRF token: deleting needs a deliberate second click."""


# A blood pressure target one may set or agree (mmHg): wide enough for any individual
# target, narrow enough to catch a typing error. Plausibility only, not a clinical limit.
BP_TARGET_BOUNDS = {"systolic": (100.0, 180.0), "diastolic": (50.0, 110.0)}


class SettingsForm(FlaskForm):
    height = StringField(_l("Height in cm (for your BMI)"), render_kw=NUMBER)
    bp_target_systolic = StringField(_l("Upper value (systolic) below"), render_kw=NUMBER)
    bp_target_diastolic = StringField(_l("Lower value (diastolic) below"), render_kw=NUMBER)
    glucose_unit = RadioField(
        _l("Blood sugar unit"),
        choices=[("mmol", "mmol/L"), ("mg", "mg/dL")],
        default="mmol",
        validate_choice=False,
    )

    def parse(self) -> dict[str, Any]:
        errors: dict[str, str] = {}
        out: dict[str, Any] = {}
        specs = (
            ("height", "height_cm", (100.0, 250.0), "cm", False, False),
            # Optional: empty means "the target for my age, or the one agreed at the practice".
            (
                "bp_target_systolic",
                "bp_target_systolic",
                BP_TARGET_BOUNDS["systolic"],
                "mmHg",
                True,
                False,
            ),
            (
                "bp_target_diastolic",
                "bp_target_diastolic",
                BP_TARGET_BOUNDS["diastolic"],
                "mmHg",
                True,
                False,
            ),
        )
        for field_name, key, bounds, unit, whole, required in specs:
            value = validation.number_in_range(
                errors,
                field_name,
                self._fields[field_name].data,
                bounds,
                unit,
                whole=whole,
                required=required,
            )
            out[key] = (int(value) if whole else round(value, 1)) if value is not None else None
        unit_value = self.glucose_unit.data or "mmol"
        if unit_value not in ("mmol", "mg"):
            errors["glucose_unit"] = str(_l("Choose mmol/L or mg/dL."))
        out["glucose_unit"] = unit_value
        own = (out.get("bp_target_systolic"), out.get("bp_target_diastolic"))
        if (own[0] is None) != (own[1] is None) and not errors:
            missing = "bp_target_diastolic" if own[1] is None else "bp_target_systolic"
            errors[missing] = str(
                _l("Fill in both numbers of your own target, or leave both empty.")
            )
        if (
            out.get("bp_target_systolic")
            and out.get("bp_target_diastolic")
            and out["bp_target_diastolic"] >= out["bp_target_systolic"]
        ):
            errors["bp_target_diastolic"] = str(
                _l("The lower value must be below the upper value.")
            )
        if errors:
            raise Invalid(errors)
        return out

    def attach(self, error: Invalid) -> None:
        for name, message in error.errors.items():
            self._fields[name].errors = [*self._fields[name].errors, message]
