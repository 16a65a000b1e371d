"""The forms of what a care provider may write during a consult (and only that)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

from pgd.forms import AttachErrors
from pgd.measurements.forms import BP_TARGET_BOUNDS, NUMBER
from pgd.measurements.validation import Invalid, number_in_range

NOTE_MAX = 200


class AgreedTargetForm(AttachErrors, FlaskForm):
    systolic = StringField(_l("Upper value (systolic) below"), render_kw=NUMBER)
    diastolic = StringField(_l("Lower value (diastolic) below"), render_kw=NUMBER)
    note = TextAreaField(_l("Note for the patient (optional)"), render_kw={"maxlength": NOTE_MAX})

    def parse(self) -> tuple[tuple[int, int], str]:
        errors: dict[str, str] = {}
        values = {}
        for name in ("systolic", "diastolic"):
            value = number_in_range(
                errors, name, self._fields[name].data, BP_TARGET_BOUNDS[name], "mmHg", whole=True
            )
            values[name] = int(value) if value is not None else None
        s, d = values["systolic"], values["diastolic"]
        if s is not None and d is not None and d >= s:
            errors["diastolic"] = _("The lower value must be below the upper value.")
        note = " ".join(str(self.note.data or "").split())
        if len(note) > NOTE_MAX:
            errors["note"] = _("Use at most %(max)d characters.", max=NOTE_MAX)
        if errors:
            raise Invalid(errors)
        assert s is not None
        assert d is not None
        return (s, d), note


class ProposalForm(AttachErrors, FlaskForm):
    text = StringField(_l("The goal, in plain words"))
    per_week = StringField(_l("How many days a week?"), render_kw=NUMBER)
    why = TextAreaField(_l("Why this goal (optional)"))
