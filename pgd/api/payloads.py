"""JSON in and out of the API: the same validator as the forms, plus JSON's own types.

Also the list's query parameters. Nothing here touches the request or the database.

pgd.measurements.validation decides ranges, units and times and words the messages;
this module only adds what JSON brings: a "type" field, fields that belong to another
type, and values of the wrong JSON type (a number where text belongs).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from pgd.measurements import validation
from pgd.measurements.models import Kind
from pgd.measurements.validation import Invalid
from pgd.measurements.values import Arm, BloodPressure, Glucose, Moment, Reading, Value, Weight

COMMON = ("type", "taken_at", "note")
FIELDS: dict[str, tuple[str, ...]] = {
    Kind.BLOOD_PRESSURE: (*COMMON, "systolic", "diastolic", "pulse", "arm"),
    Kind.WEIGHT: (*COMMON, "weight_kg"),
    Kind.GLUCOSE: (*COMMON, "glucose", "unit", "moment"),
}
NUMBERS = frozenset({"systolic", "diastolic", "pulse", "weight_kg", "glucose"})
UNITS = {"mmol/L": "mmol", "mg/dL": "mg"}
ARMS = tuple(a.value for a in Arm)
MOMENTS = tuple(m.value for m in Moment)
# RFC 3339 date-time: a date, "T", a time and a UTC offset (Z or ±hh:mm) are all required.
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$", re.ASCII
)
TIME_EXAMPLE = "2026-03-14T08:30:00+01:00"
DEFAULT_LIMIT = 100
MAX_LIMIT = 500
CURSOR_PATTERN = "^[0-9]{1,12}_[0-9a-f]{32}$"
MAX_NUMBER_TEXT = 64
_CURSOR = re.compile(CURSOR_PATTERN, re.ASCII)
_LIMIT = re.compile(r"^[0-9]{1,4}$", re.ASCII)


def parse_time(raw: object) -> datetime:
    """RFC 3339 with an offset → aware UTC datetime; ValueError for anything else."""
    if not isinstance(raw, str) or not _RFC3339.fullmatch(raw):
        raise ValueError("not RFC 3339")
    text = raw.upper()
    fraction = re.search(r"\.(\d+)", text)
    if fraction:  # Python reads at most 6 digits of a second
        text = text.replace(fraction.group(0), "." + fraction.group(1)[:6].ljust(6, "0"))
    when = datetime.fromisoformat(text)
    try:
        return when.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 pushed past the calendar's edge by its offset
        return (datetime.min if when.year == 1 else datetime.max).replace(tzinfo=UTC)


def _time_message() -> str:
    return _(
        "Write the time as RFC 3339 with a time zone, for example %(example)s.",
        example=TIME_EXAMPLE,
    )


def _taken_at(raw: object, errors: dict[str, str]) -> datetime | None:
    if raw is None:
        errors["taken_at"] = _(
            "Send the time of the measurement, for example %(example)s.", example=TIME_EXAMPLE
        )
        return None
    try:
        when = parse_time(raw)
    except ValueError:
        errors["taken_at"] = _time_message()
        return None
    try:
        return validation.taken_at(when)
    except Invalid as exc:
        errors.update(exc.errors)
        return None


def _choice(
    body: dict[str, Any], name: str, allowed: tuple[str, ...], message: Any, errors: dict[str, str]
) -> str | None:
    """Enumerated text fields are exact: what the API document lists, or null/absent."""
    raw = body.get(name)
    if raw is None:
        return None
    if not isinstance(raw, str) or raw not in allowed:
        errors[name] = str(message)
        return None
    return raw


def _number(raw: object) -> object:
    """No measurement needs 64 characters. Longer digit strings read as float infinity,
    on which validation.number_in_range's whole-number check raises OverflowError."""
    if isinstance(raw, str) and len(raw) > MAX_NUMBER_TEXT:
        return math.inf  # validation answers "fill in a number" for a non-finite value
    return raw


def _value(kind: str, body: dict[str, Any], errors: dict[str, str]) -> Value | None:
    body = {name: _number(raw) if name in NUMBERS else raw for name, raw in body.items()}
    try:
        if kind == Kind.BLOOD_PRESSURE:
            arm = _choice(
                body, "arm", ARMS, _l("Choose left arm, right arm, or leave it empty."), errors
            )
            return validation.blood_pressure(
                body.get("systolic"), body.get("diastolic"), body.get("pulse"), arm
            )
        if kind == Kind.WEIGHT:
            return validation.weight(body.get("weight_kg"))
        unit = _choice(body, "unit", tuple(UNITS), _l("Choose mmol/L or mg/dL."), errors)
        moment = _choice(
            body,
            "moment",
            MOMENTS,
            _l("Choose when you measured, for example before breakfast."),
            errors,
        )
        return validation.glucose(body.get("glucose"), UNITS.get(unit or "mmol/L"), moment)
    except Invalid as exc:
        for name, message in exc.errors.items():
            errors.setdefault("weight_kg" if name == "weight" else name, message)
        return None


def _note(raw: object, errors: dict[str, str]) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str):
        errors["note"] = _("Send the note as text.")
        return ""
    if len(raw) > validation.NOTE_MAX:
        errors["note"] = _("A note has at most %(max)d characters.", max=validation.NOTE_MAX)
        return ""
    try:
        return validation.note(raw)
    except Invalid as exc:
        errors.update(exc.errors)
        return ""


def measurement_input(body: dict[str, Any]) -> tuple[Value, datetime, str]:
    """A JSON object → (value, UTC time, note), or Invalid with every problem at once."""
    kind = body.get("type")
    if not isinstance(kind, str) or kind not in FIELDS:
        raise Invalid(
            {"type": _("Choose the type of measurement: blood_pressure, weight or glucose.")}
        )
    errors: dict[str, str] = {}
    for name in body:
        if name not in FIELDS[kind]:
            errors[name] = _("This field does not belong to a %(type)s measurement.", type=kind)
    when = _taken_at(body.get("taken_at"), errors)
    note = _note(body.get("note"), errors)
    value = _value(kind, body, errors)
    if errors:
        raise Invalid(errors)
    assert value is not None
    assert when is not None
    return value, when, note


@dataclass(frozen=True)
class ListQuery:
    kinds: tuple[Kind, ...]
    start: datetime | None
    end: datetime | None
    cursor: str | None
    limit: int


def _single(args: MultiDict[str, str], name: str, errors: dict[str, str]) -> str | None:
    values = args.getlist(name)
    if len(values) > 1:
        errors[name] = _("Send this parameter once.")
        return None
    return values[0] if values else None


def list_query(args: MultiDict[str, str]) -> ListQuery:
    """Query parameters of the list → filters, or Invalid naming each wrong parameter."""
    errors: dict[str, str] = {}
    kinds: tuple[Kind, ...] = tuple(Kind)
    times: dict[str, datetime | None] = {"from": None, "to": None}
    cursor = None
    limit = DEFAULT_LIMIT
    raw_type = _single(args, "type", errors)
    if raw_type is not None:
        if raw_type in FIELDS:
            kinds = (Kind(raw_type),)
        else:
            errors["type"] = _("Choose blood_pressure, weight or glucose.")
    for name in times:
        raw = _single(args, name, errors)
        if raw is None:
            continue
        try:
            times[name] = parse_time(raw)
        except ValueError:
            errors[name] = _time_message()
    raw_cursor = _single(args, "cursor", errors)
    if raw_cursor is not None:
        if _CURSOR.fullmatch(raw_cursor):
            cursor = raw_cursor
        else:
            errors["cursor"] = _("Use the next_cursor of the previous page, unchanged.")
    raw_limit = _single(args, "limit", errors)
    if raw_limit is not None:
        if _LIMIT.fullmatch(raw_limit) and 1 <= int(raw_limit) <= MAX_LIMIT:
            limit = int(raw_limit)
        else:
            errors["limit"] = _("Choose a whole number from 1 to %(max)d.", max=MAX_LIMIT)
    if errors:
        raise Invalid(errors)
    return ListQuery(kinds, times["from"], times["to"], cursor, limit)


def rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def measurement_output(reading: Reading) -> dict[str, object]:
    out: dict[str, object] = {
        "id": str(reading.id),
        "type": reading.kind.value,
        "taken_at": rfc3339(reading.taken_at),
    }
    value = reading.value
    if isinstance(value, BloodPressure):
        out.update(
            systolic=value.systolic, diastolic=value.diastolic, pulse=value.pulse, arm=value.arm
        )
    elif isinstance(value, Weight):
        out["weight_kg"] = value.kg
    elif isinstance(value, Glucose):
        out.update(glucose=value.mmol, unit="mmol/L", moment=value.moment)
    out["note"] = reading.note
    out["source"] = reading.source
    out["advice"] = [
        {"level": item.level, "message": item.text} for item in validation.advice(value)
    ]
    return out
