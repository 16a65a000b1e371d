"""Parsing of FHIR search parameters (pure: takes the query's multi-dict, raises FhirError).

Only what /fhir/metadata lists is understood; anything else is a 400 with a message
that says what is allowed (FHIR R4 3.1.1.5.7: a server may reject unknown parameters).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask_babel import gettext as _

from pgd.fhir import resources
from pgd.fhir.outcome import FhirError

DEFAULT_COUNT = 50
MAX_COUNT = 1000
FORMATS = frozenset({"json", "application/json", "application/fhir+json"})
OBSERVATION_PARAMS = ("patient", "code", "date", "_count", "_cursor", "_format")
GOAL_PARAMS = ("patient", "_format")
EVERYTHING_PARAMS = ("_format",)
_DATE = re.compile(
    r"^(?P<prefix>eq|ge|gt|le|lt)?"
    r"(?P<value>\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?)?)?)$"
)
_CURSOR = re.compile(r"^(?P<epoch>\d{1,12})_(?P<id>[0-9a-f]{32})_(?P<part>[0-9])$")


def bad(message: str, expression: str | None = None) -> FhirError:
    return FhirError(400, message, expression=expression)


def only(args: Mapping[str, Sequence[str]], allowed: Iterable[str]) -> None:
    """400 for any parameter the endpoint does not support, and for a repeated one."""
    allowed = tuple(allowed)
    for name, values in args.items():
        if name not in allowed:
            raise bad(
                _(
                    "The search parameter “%(name)s” is not supported here. "
                    "Supported: %(allowed)s (see /fhir/metadata).",
                    name=name,
                    allowed=", ".join(allowed),
                ),
                name,
            )
        if name != "date" and len(values) > 1:
            raise bad(_("Give “%(name)s” once.", name=name), name)
    for value in args.get("_format", ()):
        if value not in FORMATS:
            raise bad(_("This server answers in JSON only (_format=json)."), "_format")


def patient_id(args: Mapping[str, Sequence[str]]) -> uuid.UUID:
    """The required `patient` parameter: "Patient/<uuid>" or "<uuid>"."""
    values = args.get("patient") or []
    if not values:
        raise bad(_("Give the patient: patient=<id>."), "patient")
    raw = values[0].strip()
    if raw.startswith("Patient/"):
        raw = raw[len("Patient/") :]
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise bad(
            _("The patient id “%(value)s” is not a valid id (a UUID).", value=values[0][:80]),
            "patient",
        ) from None


def count(args: Mapping[str, Sequence[str]]) -> int:
    values = args.get("_count") or []
    if not values:
        return DEFAULT_COUNT
    raw = values[0]
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_COUNT:
        raise bad(
            _(
                "_count must be a whole number from 1 to %(max)d; follow the Bundle's "
                "“next” link for more.",
                max=MAX_COUNT,
            ),
            "_count",
        )
    return int(raw)


def codes(args: Mapping[str, Sequence[str]]) -> frozenset[str]:
    """The LOINC codes asked for (a comma is "or"); all served codes when absent."""
    values = args.get("code") or []
    if not values:
        return frozenset(resources.OBSERVATION_CODES)
    found = set()
    for token in values[0].split(","):
        system, sep, code = token.strip().rpartition("|")
        if (sep and system not in ("", resources.LOINC)) or code not in resources.KIND_OF_CODE:
            raise bad(
                _(
                    "The code “%(code)s” is not served. Use LOINC (http://loinc.org|…): %(codes)s.",
                    code=token[:80],
                    codes=", ".join(resources.OBSERVATION_CODES),
                ),
                "code",
            )
        found.add(code)
    return frozenset(found)


def _bounds(value: str) -> tuple[datetime, datetime]:
    """The period a FHIR date value stands for: [start, end) (date-only in Dutch time)."""
    if "T" in value:
        start = datetime.fromisoformat(value.replace("Z", "+00:00"))
        step = timedelta(seconds=1) if start.microsecond == 0 else timedelta(microseconds=1)
        return start, start + step
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 1:
        first, after = date(parts[0], 1, 1), date(parts[0] + 1, 1, 1)
    elif len(parts) == 2:
        first = date(parts[0], parts[1], 1)
        after = date(parts[0] + (parts[1] == 12), parts[1] % 12 + 1, 1)
    else:
        first = date(parts[0], parts[1], parts[2])
        after = first + timedelta(days=1)
    local = resources.LOCAL
    return (
        datetime.combine(first, datetime.min.time(), local),
        datetime.combine(after, datetime.min.time(), local),
    )


EARLIEST_YEAR = 1970  # no reading is older (pgd.measurements.validation.EARLIEST)


def dates(args: Mapping[str, Sequence[str]]) -> tuple[datetime | None, datetime | None]:
    """date=ge…&date=le… (also gt, lt, eq or none): the [start, end) the readings are in."""
    start: datetime | None = None
    end: datetime | None = None
    for raw in args.get("date") or []:
        match = _DATE.fullmatch(raw.strip())
        try:
            if match is None:
                raise ValueError(raw)
            low, high = _bounds(match.group("value"))
            # Readings lie between 1970 and now: a year-1 or year-9999 bound (which could
            # not be turned into a moment) is a mistake, said as one.
            if low.astimezone(UTC).year < EARLIEST_YEAR or high.astimezone(UTC).year > 9998:
                raise ValueError(raw)
        except (ValueError, OverflowError):
            raise bad(
                _(
                    "The date “%(value)s” is not understood. Use a prefix and an ISO date, "
                    "e.g. date=ge2024-01-01&date=le2024-03-31T23:59:59+01:00.",
                    value=raw[:80],
                ),
                "date",
            ) from None
        prefix = match.group("prefix") or "eq"
        lows = {"ge": low, "gt": high, "eq": low}
        highs = {"le": high, "lt": low, "eq": high}
        if prefix in lows:
            start = lows[prefix] if start is None else max(start, lows[prefix])
        if prefix in highs:
            end = highs[prefix] if end is None else min(end, highs[prefix])
    return start, end


@dataclass(frozen=True)
class Position:
    """Where a page ended: the reading (time, id) and which of its observations."""

    epoch: int
    reading_id: uuid.UUID
    part: int

    @property
    def token(self) -> str:
        return f"{self.epoch}_{self.reading_id.hex}_{self.part}"

    @property
    def reading_cursor(self) -> str:
        """pgd.measurements.services.page's cursor: the readings after this one."""
        return f"{self.epoch}_{self.reading_id.hex}"


def cursor(args: Mapping[str, Sequence[str]]) -> Position | None:
    values = args.get("_cursor") or []
    if not values:
        return None
    match = _CURSOR.fullmatch(values[0])
    if match is None:
        raise bad(_("Use the Bundle's “next” link unchanged."), "_cursor")
    return Position(int(match["epoch"]), uuid.UUID(hex=match["id"]), int(match["part"]))
