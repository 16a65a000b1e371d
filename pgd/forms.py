"""Form fields shared by every domain: forgiving input, errors in plain language."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import Field
from wtforms.widgets import TextInput

_DATE_PATTERNS = (
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), ("y", "m", "d")),
    (re.compile(r"^(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{4})$"), ("d", "m", "y")),
    # Digits only (a phone's number keypad): 14031950. Six digits are refused, not
    # guessed: 140350 could be 1950 or 2050, and 281126 read year first is 26-11-2028;
    # a misread date files a reading on the wrong day. date_problem() suggests the year.
    (re.compile(r"^(\d{2})(\d{2})(\d{4})$"), ("d", "m", "y")),
)
_SIX_DIGITS = re.compile(r"^([0-9]{2})([0-9]{2})([0-9]{2})$")
# Every date PGD takes (a birth date, a reading, the end of a share, a goal) lies in these
# years; outside them a date is a typo, and near 1-1-0001 or 31-12-9999 converting it to
# UTC or adding a day would overflow.
FIRST_YEAR = 1900
LAST_YEAR = 2100


def _typed_year(text: str) -> int | None:
    """The year of a date written with separators, whether it exists or not (eight bare
    digits out of range are more likely another order, 20260601, than a wrong year)."""
    for pattern, order in _DATE_PATTERNS[:2]:
        match = pattern.match(text.strip())
        if match:
            return int(match.groups()[order.index("y")])
    return None


def parse_date(text: str) -> date | None:
    """Accept 1950-03-14, 14-03-1950, 14/3/1950, 14.3.1950 and 14031950 (day first), in
    the years FIRST_YEAR to LAST_YEAR."""
    text = text.strip()
    for pattern, order in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            parts = dict(zip(order, (int(x) for x in match.groups()), strict=True))
            if not FIRST_YEAR <= parts["y"] <= LAST_YEAR:
                return None
            try:
                return date(parts["y"], parts["m"], parts["d"])
            except ValueError:
                return None
    return None


def date_problem(text: str, example: str = "14-03-2026") -> str:
    """What to say about a date parse_date could not read: what is allowed, and for six
    digits the full date we think was meant."""
    year = _typed_year(text)
    if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
        return _(
            "Check the year: use a year from %(first)d to %(last)d.",
            first=FIRST_YEAR,
            last=LAST_YEAR,
        )
    six = _SIX_DIGITS.match(text.strip())
    if six:
        day, month, year = (int(x) for x in six.groups())
        # This century, unless that lies in the future (a birth date: 140350 is 1950).
        century = 2000 if 2000 + year <= date.today().year else 1900
        try:
            meant = date(century + year, month, day)
        except ValueError:
            meant = None
        if meant is not None:
            return _(
                "Did you mean %(day)s? Then write the year in full: %(digits)s.",
                day=meant.strftime("%d-%m-%Y"),
                digits=meant.strftime("%d%m%Y"),
            )
    return _(
        "Write the date as day-month-year, for example %(example)s or %(digits)s.",
        example=example,
        digits=example.replace("-", ""),
    )


class ForgivingDateField(Field):
    """A date typed in any common Dutch or ISO way; empty is allowed unless required."""

    widget = TextInput()

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        # Birth dates pass {"autocomplete": "bday"}; other dates are not the user's own
        # birthday, so the browser should not offer it.
        render_kw = {"inputmode": "numeric", "autocomplete": "off", "placeholder": _l("dd-mm-yyyy")}
        render_kw.update(kwargs.get("render_kw") or {})
        kwargs["render_kw"] = render_kw
        super().__init__(label, validators, **kwargs)
        self.raw = ""

    def _value(self) -> str:
        if self.raw:
            return self.raw
        return self.data.strftime("%d-%m-%Y") if isinstance(self.data, date) else ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw = (valuelist[0] if valuelist else "").strip()[:40]
        if not self.raw:
            self.data = None
            return
        parsed = parse_date(self.raw)
        if parsed is None:
            self.data = None
            raise ValueError(date_problem(self.raw, example="14-03-1950"))
        self.data = parsed


class AttachErrors:
    """Mix into a FlaskForm: `attach(Invalid)` puts each message next to its field (one the
    form lacks goes to its first field), so a service's checks read like the form's own."""

    def attach(self, error: Any) -> None:
        fields = self._fields  # type: ignore[attr-defined]
        for name, message in error.errors.items():
            field = fields.get(name) or next(
                iter(f for f in fields.values() if f.name != "csrf_token")
            )
            field.errors = [*field.errors, message]
