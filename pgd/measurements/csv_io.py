"""The CSV format for importing and exporting measurements (pure: no request, no database).

One row per reading. The first row names the columns; names are case-insensitive and may
be English or Dutch (Dutch in brackets):

    type       blood_pressure, weight or glucose  (soort: bloeddruk, gewicht, glucose/bloedsuiker)
    date       YYYY-MM-DD, DD-MM-YYYY or DDMMYYYY  (datum)
    time       HH:MM or HHMM, local Dutch time (HH:MM:SS also read)  (tijd)
    systolic   mmHg, blood pressure only           (bovendruk)
    diastolic  mmHg, blood pressure only           (onderdruk)
    pulse      beats per minute, optional          (hartslag)
    arm        left or right, optional             (links/rechts)
    weight_kg  kg, weight only; "82,5" and "82.5"  (gewicht)
    glucose    blood sugar, glucose only           (bloedsuiker)
    unit       mmol (default) or mg                (eenheid)
    moment     fasting, before_breakfast, ... other (default); also the names the app
               shows, in Dutch or English ("na het ontbijt", "At bedtime")
    note       free text, at most 500 characters   (notitie)

Only type, date and time must be present as columns. The separator is detected from the
header (`;` as Dutch Excel writes it, `,`, or tab; in a `,` file a decimal comma
must be quoted, "82,5", or written as 82.5); the file may be UTF-8 (with or without
BOM) or Windows-1252. Every value goes through pgd.measurements.validation, exactly like
the web form.

Nothing in a row is ignored: a value in a column that the row's type does not use (a
weight row with something under glucose) and a row with more cells than the header has
columns are errors for that row. Both are what an unquoted decimal comma in a `,` file
looks like ("83,1" read as 83 and a stray 1), and importing such a row would save 83.

The export writes this same format so that it imports again unchanged: English column
names, `;` separator, decimal comma, UTF-8 with BOM (Dutch Excel opens it as columns, with
accents intact), times in Europe/Amsterdam. A note starting with = + - @ is prefixed with
an apostrophe so a spreadsheet never runs it as a formula; the import removes that prefix.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from flask_babel import format_number
from flask_babel import gettext as _

from pgd.measurements import validation
from pgd.measurements.models import Kind
from pgd.measurements.validation import LOCAL, Invalid
from pgd.measurements.values import BloodPressure, Glucose, Moment, Reading, Value, Weight

Item = tuple[Value, datetime, str]  # (validated value, aware UTC time, note)

COLUMNS = (
    "type",
    "date",
    "time",
    "systolic",
    "diastolic",
    "pulse",
    "arm",
    "weight_kg",
    "glucose",
    "unit",
    "moment",
    "note",
)
REQUIRED = ("type", "date", "time")
DUTCH_COLUMNS = {
    "type": "soort",
    "date": "datum",
    "time": "tijd",
    "systolic": "bovendruk",
    "diastolic": "onderdruk",
    "pulse": "hartslag",
    "weight_kg": "gewicht",
    "glucose": "bloedsuiker",
    "unit": "eenheid",
    "note": "notitie",
}
_ALIASES = {
    **{name: name for name in COLUMNS},
    "kind": "type",
    "soort": "type",
    "datum": "date",
    "tijd": "time",
    "systolisch": "systolic",
    "bovendruk": "systolic",
    "diastolisch": "diastolic",
    "onderdruk": "diastolic",
    "hartslag": "pulse",
    "pols": "pulse",
    "weight": "weight_kg",
    "kg": "weight_kg",
    "gewicht": "weight_kg",
    "gewicht_kg": "weight_kg",
    "bloedsuiker": "glucose",
    "eenheid": "unit",
    "notitie": "note",
    "opmerking": "note",
}
_TYPES = {
    "blood_pressure": Kind.BLOOD_PRESSURE,
    "bloeddruk": Kind.BLOOD_PRESSURE,
    "weight": Kind.WEIGHT,
    "gewicht": Kind.WEIGHT,
    "glucose": Kind.GLUCOSE,
    "bloedsuiker": Kind.GLUCOSE,
}
_ARMS = {"left": "left", "links": "left", "right": "right", "rechts": "right"}
# The moment's value, and the names the app shows for it (forms.moment_choices and the
# day curve), in English and Dutch, as _key() writes them; a test keeps these in step.
_MOMENTS = {
    **{m.value: m.value for m in Moment},
    "fasting_on_waking": Moment.FASTING.value,
    "fasting_before_breakfast": Moment.BEFORE_BREAKFAST.value,
    "at_bedtime": Moment.BEDTIME.value,
    "during_the_night": Moment.NIGHT.value,
    "another_moment": Moment.OTHER.value,
    "nuchter_na_het_opstaan": Moment.FASTING.value,
    "nuchter_voor_het_ontbijt": Moment.BEFORE_BREAKFAST.value,
    "voor_het_ontbijt": Moment.BEFORE_BREAKFAST.value,
    "na_het_ontbijt": Moment.AFTER_BREAKFAST.value,
    "voor_de_lunch": Moment.BEFORE_LUNCH.value,
    "na_de_lunch": Moment.AFTER_LUNCH.value,
    "voor_het_avondeten": Moment.BEFORE_DINNER.value,
    "na_het_avondeten": Moment.AFTER_DINNER.value,
    "s_nachts": Moment.NIGHT.value,
    "nachts": Moment.NIGHT.value,
    "ander_moment": Moment.OTHER.value,
    "nuchter": Moment.FASTING.value,
    "voor_ontbijt": Moment.BEFORE_BREAKFAST.value,
    "na_ontbijt": Moment.AFTER_BREAKFAST.value,
    "voor_lunch": Moment.BEFORE_LUNCH.value,
    "na_lunch": Moment.AFTER_LUNCH.value,
    "voor_avondeten": Moment.BEFORE_DINNER.value,
    "na_avondeten": Moment.AFTER_DINNER.value,
    "voor_het_slapen": Moment.BEDTIME.value,
    "bedtijd": Moment.BEDTIME.value,
    "nacht": Moment.NIGHT.value,
    "anders": Moment.OTHER.value,
}
# The columns each type fills in; any other value column must be empty in its row.
_USES = {
    Kind.BLOOD_PRESSURE: frozenset({"systolic", "diastolic", "pulse", "arm"}),
    Kind.WEIGHT: frozenset({"weight_kg"}),
    Kind.GLUCOSE: frozenset({"glucose", "unit", "moment"}),
}
_VALUE_COLUMNS = ("systolic", "diastolic", "pulse", "arm", "weight_kg", "glucose", "unit", "moment")
# A unit that names the row's own unit says nothing new ("kg" on a weight row): harmless.
_OWN_UNIT = {Kind.BLOOD_PRESSURE: "mmhg", Kind.WEIGHT: "kg"}
_WHOLE = re.compile(r"^[0-9]+$")
# Which CSV column a validation error belongs to.
_ERROR_COLUMN = {"weight": "weight_kg", "taken_at": "date"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Past this many problems a file is clearly wrong as a whole; the patient fixes these first
# (and the check of a 10 MB file of bad rows stays a second, not a minute).
MAX_PROBLEMS = 1000
_WITH_SECONDS = re.compile(r"^\s*(\d{1,2}[:.]\d{2})[:.](\d{2})\s*$")


@dataclass(frozen=True)
class RowError:
    """One problem in one row; `line` is the line number a spreadsheet shows (header = 1)."""

    line: int
    column: str | None
    message: str


@dataclass
class Parsed:
    items: list[Item] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    file_error: str | None = None
    stopped_at: int | None = None  # line where checking stopped after MAX_PROBLEMS
    too_many: bool = False  # more rows than the import takes (setting IMPORT_MAX_ROWS)

    @property
    def ok(self) -> bool:
        """Importable: readable, at least one reading, and not a single invalid row."""
        return self.file_error is None and not self.errors and bool(self.items)

    @property
    def bad_lines(self) -> int:
        return len({e.line for e in self.errors})


def too_many_rows(limit: int) -> str:
    return _(
        "This file holds more than %(max)s measurements. We import at most %(max)s at a "
        "time. Split the file (for example one year per file) and import the files one by "
        "one.",
        max=format_number(limit),
    )


def _key(text: str) -> str:
    """'Weight (kg)' → 'weight_kg'; 'Voor het ontbijt' → 'voor_het_ontbijt'; accents go."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^0-9a-z]+", "_", text.strip().lower()).strip("_")


def _expected() -> str:
    dutch = ", ".join(DUTCH_COLUMNS.values())
    return _(
        "Expected columns: %(columns)s. Dutch names are fine too (%(dutch)s).",
        columns=", ".join(COLUMNS),
        dutch=dutch,
    )


def decode(data: bytes) -> str:
    """UTF-8 (BOM or not), else Windows-1252; raises ValueError with a readable reason."""
    if b"\x00" in data[:4096]:
        raise ValueError(
            _(
                "This is not a CSV text file (it may be an Excel .xlsx file). In Excel choose "
                "Save as, then 'CSV UTF-8' or 'CSV (semicolon separated)', and upload that file."
            )
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise ValueError(
            _("This file cannot be read as text. Save it as 'CSV UTF-8' and upload it again.")
        ) from None


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse(data: bytes, now: datetime | None = None, max_rows: int | None = None) -> Parsed:
    """Read and validate a whole file; nothing is saved here. Past max_rows rows the
    check stops with a file error (too_many): such a file is not imported anyway."""
    try:
        text = decode(data)
    except ValueError as exc:
        return Parsed(file_error=str(exc))
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return Parsed(file_error=_("The file is empty.") + " " + _expected())
    skip = first
    header_line = lines[first]
    if header_line.strip().lower().startswith("sep=") and len(header_line.strip()) == 5:
        delimiter = header_line.strip()[4]  # Excel's "sep=;" hint line
        skip = first + 1
    else:
        delimiter = _delimiter(header_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for _skipped in range(skip):
            next(reader)
        header = next(reader, None)
        if header is None:
            return Parsed(file_error=_("The file is empty.") + " " + _expected())
        columns, problem = _columns(header)
        if problem:
            return Parsed(file_error=problem)
        layout = _Layout(columns, header, delimiter)
        return _rows(reader, layout, now or datetime.now(UTC), max_rows)
    except csv.Error as exc:
        return Parsed(
            file_error=_(
                "Line %(line)d of the file cannot be read as CSV (%(reason)s).",
                line=reader.line_num,
                reason=str(exc),
            )
        )


def _columns(header: list[str]) -> tuple[dict[str, int], str | None]:
    columns: dict[str, int] = {}
    unknown: list[str] = []
    doubled: list[str] = []
    for index, raw in enumerate(header):
        if not raw.strip():
            continue
        name = _ALIASES.get(_key(raw))
        if name is None:
            unknown.append(raw.strip())
        elif name in columns:
            doubled.append(raw.strip())
        else:
            columns[name] = index
    missing = [name for name in REQUIRED if name not in columns]
    if not (missing or unknown or doubled):
        return columns, None
    parts = [_("The first row of the file must name the columns.")]
    if missing:
        parts.append(_("Missing: %(names)s.", names=", ".join(missing)))
    if unknown:
        parts.append(_("Not recognised: %(names)s.", names=", ".join(unknown)))
    if doubled:
        parts.append(_("Named twice: %(names)s.", names=", ".join(doubled)))
    parts.append(_expected())
    return columns, " ".join(parts)


class _Layout:
    """Where each column is, what the file calls it, and its separator (for the hints)."""

    def __init__(self, columns: dict[str, int], header: list[str], delimiter: str) -> None:
        self.columns = columns
        self.names = [name.strip() for name in header]
        self.width = len(header)
        self.delimiter = delimiter
        # Per type, the value columns in this file that it does not use: (name, index).
        present = sorted((columns[name], name) for name in _VALUE_COLUMNS if name in columns)
        self.unused = {
            kind: [(name, index) for index, name in present if name not in _USES[kind]]
            for kind in Kind
        }

    def strays(self, kind: Kind, row: list[str]) -> dict[str, str]:
        """A message for every value in a column that this type does not use."""
        found: dict[str, str] = {}
        for name, index in self.unused[kind]:
            if index >= len(row) or not row[index]:
                continue
            cell = row[index].strip()
            if not cell or (name == "unit" and cell.lower() == _OWN_UNIT.get(kind)):
                continue
            before = row[index - 1].strip() if index else ""
            found[name] = (
                _not_used(kind, self.names[index] or name)
                + " "
                + _split_number_hint(self.delimiter, cell, before, other_column=True)
            )
        return found

    def too_many(self, found: int) -> str:
        text = _(
            "This row has %(found)d cells, but the first row names %(expected)d columns.",
            found=found,
            expected=self.width,
        )
        if self.delimiter == ",":
            return text + " " + _split_number_hint(",", "", "", other_column=False)
        return text + " " + _("Check the row and remove the extra cells.")


def _not_used(kind: Kind, column: str) -> str:
    if kind is Kind.BLOOD_PRESSURE:
        return _(
            "A blood pressure measurement has no value in the column “%(column)s”.", column=column
        )
    if kind is Kind.WEIGHT:
        return _("A weight measurement has no value in the column “%(column)s”.", column=column)
    return _("A blood sugar measurement has no value in the column “%(column)s”.", column=column)


def _split_number_hint(delimiter: str, cell: str, before: str, *, other_column: bool) -> str:
    """In a `,` file "83,1" becomes two cells, 83 and 1: say how to write it instead."""
    split = _WHOLE.match(cell) and _WHOLE.match(before)
    if delimiter == "," and (split or not other_column):
        whole, part = (before, cell) if split else ("82", "5")
        return _(
            'Is there a comma in the number? Then put the number in quotes ("%(comma)s") '
            "or use a point (%(point)s).",
            comma=f"{whole},{part}",
            point=f"{whole}.{part}",
        )
    if other_column:
        return _("Leave this column empty in this row, or check that the row has the right type.")
    return ""


def _rows(reader: Any, layout: _Layout, now: datetime, max_rows: int | None = None) -> Parsed:
    result = Parsed()
    items, errors = result.items, result.errors
    columns = layout.columns
    get_type = columns["type"]
    optional = [(name, columns.get(name)) for name in COLUMNS[3:]]
    times = _Times(now)
    count = 0
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        count += 1
        if max_rows is not None and count > max_rows:
            return Parsed(file_error=too_many_rows(max_rows), too_many=True)
        if len(row) > layout.width:
            # Never cut a row to fit: the extra cells are part of some value.
            item = None
            row_errors = {"": layout.too_many(len(row))}
        else:
            cells = {
                name: (row[index] if index is not None and index < len(row) else "")
                for name, index in optional
            }
            type_text = row[get_type] if get_type < len(row) else ""
            kind = _TYPES.get(type_text) or _TYPES.get(_key(type_text))
            item, row_errors = _item(
                kind,
                type_text,
                row[columns["date"]] if columns["date"] < len(row) else "",
                row[columns["time"]] if columns["time"] < len(row) else "",
                cells,
                times,
                layout.delimiter,
            )
            strays = layout.strays(kind, row) if kind is not None else None
            if strays:
                item = None
                row_errors = {**strays, **row_errors}
        if item is not None:
            items.append(item)
            continue
        errors.extend(RowError(line, col or None, msg) for col, msg in row_errors.items())
        if len(errors) >= MAX_PROBLEMS:
            result.stopped_at = line  # the file cannot be imported anyway
            break
    if not items and not errors:
        result.file_error = _("The file has column names but no measurements.")
    return result


def _item(
    kind: Kind | None,
    type_text: str,
    day: str,
    clock: str,
    cells: dict[str, str],
    times: _Times,
    delimiter: str,
) -> tuple[Item | None, dict[str, str]]:
    """One row → (value, UTC time, note), or the errors keyed by CSV column."""
    errors: dict[str, str] = {}
    value: Value | None = None
    try:
        if kind is None:
            errors["type"] = (
                _("Fill in the type of measurement.")
                if not type_text.strip()
                else _(
                    "“%(value)s” is not a type we know. Use blood_pressure, weight or glucose "
                    "(or bloeddruk, gewicht, bloedsuiker).",
                    value=type_text.strip(),
                )
            )
        elif kind is Kind.BLOOD_PRESSURE:
            arm = cells["arm"].strip()
            value = validation.blood_pressure(
                cells["systolic"],
                cells["diastolic"],
                cells["pulse"],
                _ARMS.get(_key(arm), arm) if arm else None,
            )
        elif kind is Kind.WEIGHT:
            value = validation.weight(cells["weight_kg"])
        else:
            moment = cells["moment"].strip()
            value = validation.glucose(
                cells["glucose"],
                cells["unit"] or "mmol",
                _MOMENTS.get(moment) or _MOMENTS.get(_key(moment), moment),
            )
    except Invalid as exc:
        errors.update(_columnise(exc.errors, cells, delimiter))
    when = None
    try:
        when = times.at(day, clock)
    except Invalid as exc:
        errors.update(_columnise(exc.errors, cells, delimiter))
    try:
        note = validation.note(_unguard(cells["note"]))
    except Invalid as exc:
        errors.update(_columnise(exc.errors, cells, delimiter))
    if errors:
        return None, errors
    assert value is not None
    assert when is not None
    return (value, when, note), {}


class _Times:
    """Local date and time → aware UTC; each distinct date or clock is validated once a file."""

    _ANY_DAY = "01-01-2000"
    _ANY_CLOCK = "12:00"

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.days: dict[str, date | dict[str, str]] = {}
        self.clocks: dict[str, time | dict[str, str]] = {}

    def _day(self, text: str) -> date | dict[str, str]:
        hit = self.days.get(text)
        if hit is None:
            try:
                hit = validation.local_datetime(text, self._ANY_CLOCK).date()
            except Invalid as exc:
                hit = exc.errors
            self.days[text] = hit
        return hit

    def _clock(self, text: str) -> time | dict[str, str]:
        hit = self.clocks.get(text)
        if hit is None:
            match = _WITH_SECONDS.match(text)
            with_seconds = match is not None and int(match.group(2)) < 60
            seconds = int(match.group(2)) if match and with_seconds else 0
            clock = match.group(1) if match and with_seconds else text
            try:
                hit = validation.local_datetime(self._ANY_DAY, clock).time()
                hit = hit.replace(second=seconds)
            except Invalid as exc:
                hit = exc.errors
            self.clocks[text] = hit
        return hit

    def at(self, day: str, clock: str) -> datetime:
        parsed_day, parsed_clock = self._day(day), self._clock(clock)
        if isinstance(parsed_day, dict) or isinstance(parsed_clock, dict):
            errors = parsed_day if isinstance(parsed_day, dict) else {}
            raise Invalid({**errors, **(parsed_clock if isinstance(parsed_clock, dict) else {})})
        when = datetime.combine(parsed_day, parsed_clock, tzinfo=LOCAL)
        return validation.taken_at(when, self.now)


def _columnise(found: dict[str, str], cells: dict[str, str], delimiter: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, message in found.items():
        column = _ERROR_COLUMN.get(name, name)
        if column == "arm":
            message = _("Use left or right (links or rechts), or leave it empty.")
        elif column == "unit" and delimiter == "," and _WHOLE.match(cells["unit"].strip()):
            # "6,8" unquoted: 6 under glucose, 8 under unit.
            hint = _split_number_hint(
                ",", cells["unit"].strip(), cells["glucose"].strip(), other_column=False
            )
            message = f"{message} {hint}"
        elif column == "moment":
            message = _(
                "“%(value)s” is not a moment we know. Use one of: %(allowed)s, or the name "
                "the app shows (for example “%(example)s”).",
                value=cells["moment"].strip(),
                allowed=", ".join(m.value for m in Moment),
                example=_("After breakfast").lower(),
            )
        out[column] = message
    return out


def _unguard(note: str) -> str:
    if len(note) > 1 and note[0] == "'" and note[1] in "=+-@\t\r":
        return note[1:]
    return note


def _guard(note: str) -> str:
    return "'" + note if note.startswith(_FORMULA_START) else note


def _decimal(x: float) -> str:
    return f"{x:g}".replace(".", ",")


def export(readings: Iterable[Reading]) -> bytes:
    """All readings in the import format: UTF-8 with BOM, `;`, decimal comma, local time."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for r in readings:
        local = r.taken_at.astimezone(LOCAL)
        clock = local.strftime("%H:%M:%S" if local.second else "%H:%M")
        row = [r.kind.value, local.strftime("%Y-%m-%d"), clock, "", "", "", "", "", "", "", ""]
        value = r.value
        if isinstance(value, BloodPressure):
            row[3] = str(value.systolic)
            row[4] = str(value.diastolic)
            row[5] = "" if value.pulse is None else str(value.pulse)
            row[6] = value.arm or ""
        elif isinstance(value, Weight):
            row[7] = _decimal(value.kg)
        elif isinstance(value, Glucose):
            row[8] = _decimal(value.mmol)
            row[9] = "mmol"
            row[10] = value.moment
        row.append(_guard(r.note))
        writer.writerow(row)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
