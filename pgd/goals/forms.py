"""Goal forms: text fields so that "82,5" and "14-3-2026" survive; validation.py decides."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField

from pgd.forms import AttachErrors
from pgd.goals import validation
from pgd.goals.data import GoalData
from pgd.goals.progress import LOCAL

NUMBER = {"inputmode": "decimal", "autocomplete": "off", "class": "input input-number"}
DATE = {"inputmode": "numeric", "autocomplete": "off", "class": "input input-date"}


def _today_text() -> str:
    return datetime.now(LOCAL).strftime("%d-%m-%Y")


class GoalForm(AttachErrors, FlaskForm):
    text = TextAreaField(_l("My goal, in my own words"), render_kw={"rows": 2})
    why = TextAreaField(_l("Why this matters to me (optional)"), render_kw={"rows": 2})
    kind = RadioField(
        _l("What kind of goal is it?"),
        choices=[
            ("activity", _l("Something I do: I check in when I have done it")),
            ("measurement", _l("A measurement I want to reach")),
        ],
        default="activity",
        validate_choice=False,
    )
    metric = SelectField(
        _l("Which measurement?"),
        choices=[
            ("weight", _l("Weight (kg)")),
            ("blood_pressure", _l("Upper blood pressure, average of 2 weeks (mmHg)")),
            (
                "glucose",
                _l("Blood sugar readings within the target for their moment, share of 2 weeks (%)"),
            ),
        ],
        default="weight",
        validate_choice=False,
    )
    direction = RadioField(
        _l("Which way?"),
        choices=[
            ("down", _l("Down: at or below the target")),
            ("up", _l("Up: at or above the target")),
        ],
        default="down",
        validate_choice=False,
    )
    target = StringField(_l("Target value"), render_kw=NUMBER)
    mode = RadioField(
        _l("How do I check in?"),
        choices=[
            ("done", _l('One tap: "done today"')),
            ("count", _l("A number each day, for example minutes")),
        ],
        default="done",
        validate_choice=False,
    )
    per_week = StringField(_l("How often a week (or the weekly total)"), render_kw=NUMBER)
    unit = StringField(
        _l("What I count (only with a number each day)"), render_kw={"class": "input"}
    )
    start = StringField(_l("Start date"), default=_today_text, render_kw=DATE)
    until = StringField(_l("Target date (optional)"), render_kw=DATE)
    actions = TextAreaField(_l("Small steps (optional, one per line)"), render_kw={"rows": 3})

    def parse(self, today: Any) -> GoalData:
        raw = {name: field.data for name, field in self._fields.items()}
        return validation.goal(raw, today)

    def steps(self) -> list[str]:
        return validation.actions(self.actions.data)


class CheckInForm(AttachErrors, FlaskForm):
    day = StringField(_l("Day"), render_kw=DATE)
    count = StringField(_l("How many?"), render_kw=NUMBER)


class ActionForm(AttachErrors, FlaskForm):
    text = StringField(_l("New step"), render_kw={"class": "input"})


class QuestionForm(AttachErrors, FlaskForm):
    text = TextAreaField(_l("Question or topic"), render_kw={"rows": 2})


class ButtonForm(FlaskForm):
    """Only the CSRF token, for the one-tap buttons."""
