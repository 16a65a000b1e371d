"""The period of the patient's own report: two dates, checked with plain messages."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from pgd.forms import ForgivingDateField
from pgd.reports.service import MAX_DAYS

EARLIEST = date(1970, 1, 1)  # no reading is older (pgd.measurements.validation.EARLIEST)

DEFAULT_DAYS = 91  # "the last 3 months", as the clinician's summary starts


class PeriodForm(FlaskForm):
    """A GET form (the PDF link can be bookmarked): nothing is written, so no CSRF token."""

    class Meta:
        csrf = False

    start = ForgivingDateField(_l("From"))
    end = ForgivingDateField(_l("To"))

    def fill_defaults(self, today: date) -> None:
        if self.start.data is None and not self.start.raw:
            self.start.data = today - timedelta(days=DEFAULT_DAYS)
        if self.end.data is None and not self.end.raw:
            self.end.data = today

    def period(self, today: date) -> tuple[date, date] | None:
        """(first, last) when valid: from before to, to not after today, at most five
        years; else None, with the messages next to the fields."""
        ok = self.validate()
        first, last = self.start.data, self.end.data
        if first is None and not self.start.errors:
            self.start.errors = [*self.start.errors, _("Fill in the first day.")]
        if last is None and not self.end.errors:
            self.end.errors = [*self.end.errors, _("Fill in the last day.")]
        if first is None or last is None:
            return None
        if last > today:
            self.end.errors = [
                *self.end.errors,
                _("The last day can be today at the latest (%(day)s).", day=_dmy(today)),
            ]
        if first < EARLIEST:
            self.start.errors = [
                *self.start.errors,
                _("The first day can be %(day)s at the earliest.", day=_dmy(EARLIEST)),
            ]
        elif first > last:
            self.start.errors = [
                *self.start.errors,
                _("The first day must be on or before the last day."),
            ]
        elif (last - first).days + 1 > MAX_DAYS:
            self.start.errors = [
                *self.start.errors,
                _(
                    "Choose at most 5 years. The first day can be %(day)s at the earliest.",
                    day=_dmy(last - timedelta(days=MAX_DAYS - 1)),
                ),
            ]
        if ok and not self.start.errors and not self.end.errors:
            return first, last
        return None


def _dmy(day: date) -> str:
    return day.strftime("%d-%m-%Y")
