"""Sharing forms: find a care provider, choose what to share, change it, revoke.

Dates are typed the Dutch way (day-month-year) and mean whole days in the Netherlands:
"from 1 March" starts at 00:00 that day, "until 1 June" lasts to the end of that day.
"3 months" and "1 year" are counted in local days too and end at the end of the last one,
so the day the patient is shown is the last day the share works.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectMultipleField, StringField
from wtforms.widgets import CheckboxInput, ListWidget

from pgd.forms import ForgivingDateField
from pgd.measurements.validation import LOCAL
from pgd.sharing import codes, labels
from pgd.sharing.consent_words import last_day
from pgd.sharing.policy import SHAREABLE
from pgd.sharing.services import SharingError

EXPIRY_SPANS = {"3m": timedelta(days=91), "1y": timedelta(days=365)}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LookupForm(FlaskForm):
    how = RadioField(
        _l("How do you want to find your care provider?"),
        choices=[
            ("code", _l("With the share code my care provider shows me")),
            ("email", _l("With my care provider's e-mail address")),
        ],
        default="code",
    )
    code = StringField(
        _l("Share code"),
        render_kw={
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
            "maxlength": 20,
        },
    )
    email = StringField(
        _l("E-mail address of your care provider"),
        render_kw={"autocomplete": "off", "inputmode": "email", "maxlength": 254},
    )

    def chosen(self) -> tuple[str, str]:
        """(code, email): exactly one of them filled, or a message next to the field.

        Forgiving: when only the other field is filled in, that one is meant."""
        typed_code = (self.code.data or "").strip()
        typed_email = (self.email.data or "").strip()
        if self.how.data == "code" and not typed_code and typed_email:
            self.how.data = "email"
        elif self.how.data == "email" and not typed_email and typed_code:
            self.how.data = "code"
        if self.how.data == "email":
            email = (self.email.data or "").strip()
            if not email:
                self.email.errors = [_("Fill in the e-mail address of your care provider.")]
                raise SharingError("email", "empty")
            return "", email
        code = codes.normalise(self.code.data or "")
        if not code:
            self.code.errors = [_("Fill in the share code your care provider shows you.")]
            raise SharingError("code", "empty")
        return code, ""


def local_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL).astimezone(UTC)


def local_end(day: date) -> datetime:
    """The end of a local day: 00:00 the next day (exclusive), in UTC. The `last_day`
    template filter shows this moment as `day` again."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=LOCAL).astimezone(UTC)


def span_end(code: str, now: datetime) -> datetime:
    """The end of "3 months" or "1 year" from `now`: counted in local calendar days (a
    day is 23 or 25 hours across a clock change), through the end of the last day."""
    return local_end(now.astimezone(LOCAL).date() + EXPIRY_SPANS[code])


def _span_label(value: str, text: Any, now: datetime) -> Any:
    if value not in EXPIRY_SPANS:
        return text
    return _("%(span)s (until %(day)s)", span=text, day=last_day(span_end(value, now)))


class _Terms(FlaskForm):
    # The service checks the choice (one clear message, also for a forged value).
    categories = MultiCheckboxField(
        _l("What may your care provider see?"), choices=[], validate_choice=False
    )
    expiry = RadioField(
        _l("For how long?"),
        choices=[
            ("3m", _l("3 months")),
            ("1y", _l("1 year")),
            ("date", _l("Until a date I choose")),
        ],
        default="1y",
    )
    until = ForgivingDateField(_l("Until (day-month-year)"), render_kw={"autocomplete": "off"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.categories.choices = [(c, labels.category(c)) for c in SHAREABLE]
        # "3 months" names its last day, the day the share is shown to end on.
        now = datetime.now(UTC)
        self.expiry.choices = [
            (value, _span_label(value, text, now)) for value, text in self.expiry.choices
        ]

    def expires_at(self, now: datetime) -> datetime:
        if self.expiry.data in EXPIRY_SPANS:
            return span_end(self.expiry.data, now)
        if self.until.data is None:
            if not self.until.errors:
                self.until.errors = [_("Fill in the last day, for example 1-6-2027.")]
            raise SharingError("expiry", "date")
        return local_end(self.until.data)


class GrantForm(_Terms):
    code = HiddenField()
    email = HiddenField()
    period = RadioField(
        _l("Which measurements?"),
        choices=[("all", _l("All my measurements")), ("from", _l("Only from a date"))],
        default="all",
    )
    data_from_day = ForgivingDateField(
        _l("From (day-month-year)"), render_kw={"autocomplete": "off"}
    )

    def data_from(self) -> datetime | None:
        if self.period.data != "from":
            return None
        if self.data_from_day.data is None:
            if not self.data_from_day.errors:
                self.data_from_day.errors = [_("Fill in the first day, for example 1-3-2026.")]
            raise SharingError("data_from", "date")
        return local_start(self.data_from_day.data)


class ChangeForm(_Terms):
    """Add or remove categories, extend or shorten: the choices of a new share, plus
    keeping the end date. `confirmed` comes from the step that shows what sharing more
    or longer means."""

    expiry = RadioField(
        _l("Until when?"),
        choices=[
            ("keep", _l("Keep the end date")),
            ("3m", _l("3 months from today")),
            ("1y", _l("1 year from today")),
            ("date", _l("Until a date I choose")),
        ],
        default="keep",
    )
    confirmed = HiddenField()


class ConfirmForm(FlaskForm):
    """Only the CSRF token: a deliberate second click."""
