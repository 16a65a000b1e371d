"""Form fields shared by every domain: forgiving input, errors in plain language."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import Field
from wtforms.widgets import TextInput

_DATE_PATTERNS = (
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), ("y", "m", "d")),
    (re.compile(r"^(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{4})$"), ("d", "m", "y")),
    # Digits only (a phone's number keypad): 14031950. Six digits stay refused: 140350
    # could be 14-03-1950 or 2050.
    (re.compile(r"^(\d{2})(\d{2})(\d{4})$"), ("d", "m", "y")),
)


def parse_date(text: str) -> date | None:
    """Accept 1950-03-14, 14-03-1950, 14/3/1950, 14.3.1950 and 14031950 (day first)."""
    text = text.strip()
    for pattern, order in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            parts = dict(zip(order, (int(x) for x in match.groups()), strict=True))
            try:
                return date(parts["y"], parts["m"], parts["d"])
            except ValueError:
                return None
    return None


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
            raise ValueError(_l("Write the date as day-month-year, for example 14-03-1950."))
        self.data = parsed
