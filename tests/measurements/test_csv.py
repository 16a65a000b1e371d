"""The CSV format as a pure function: encodings, separators, headers, every row error."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pgd.measurements import csv_io
from pgd.measurements.models import Kind
from pgd.measurements.values import BloodPressure, Glucose, Reading, Weight

HEADER = "type;date;time;systolic;diastolic;pulse;arm;weight_kg;glucose;unit;moment;note"
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def parse(text: str, encoding: str = "utf-8") -> csv_io.Parsed:
    return csv_io.parse(text.encode(encoding), NOW)


def one_row(row: str, header: str = HEADER) -> csv_io.Parsed:
    return parse(f"{header}\n{row}\n")


def test_all_three_kinds_are_read() -> None:
    result = parse(
        HEADER + "\n"
        "blood_pressure;14-03-2026;08:30;135;85;72;left;;;;;na het opstaan\n"
        "weight;2026-03-14;07:45;;;;;82,5;;;;\n"
        "glucose;14-03-2026;07:30;;;;;;6,8;mmol;fasting;\n"
    )
    assert result.ok
    assert result.errors == []
    assert [item[0] for item in result.items] == [
        BloodPressure(135, 85, 72, "left"),
        Weight(82.5),
        Glucose(6.8, "fasting"),
    ]
    # 14 March is winter time in Amsterdam: UTC+1.
    assert result.items[0][1] == datetime(2026, 3, 14, 7, 30, tzinfo=UTC)
    assert result.items[0][2] == "na het opstaan"


def test_summer_time_is_converted_to_utc() -> None:
    result = one_row("weight;2025-07-01;08:00;;;;;80;;;;")
    assert result.items[0][1] == datetime(2025, 7, 1, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize(("clock", "seconds"), [("08:00:42", 42), ("08:00:00", 0), ("8.00.07", 7)])
def test_seconds_in_the_time_are_kept(clock: str, seconds: int) -> None:
    result = one_row(f"weight;2025-07-01;{clock};;;;;80;;;;")
    assert result.items[0][1] == datetime(2025, 7, 1, 6, 0, seconds, tzinfo=UTC)


def test_seconds_above_59_are_a_time_error() -> None:
    result = one_row("weight;2025-07-01;08:00:61;;;;;80;;;;")
    assert [(e.line, e.column) for e in result.errors] == [(2, "time")]


def test_same_date_and_time_errors_are_reported_on_every_row() -> None:
    result = parse(
        f"{HEADER}\nweight;31-02-2026;08:00;;;;;80;;;;\nweight;31-02-2026;25:00;;;;;80;;;;\n"
    )
    assert [(e.line, e.column) for e in result.errors] == [(2, "date"), (3, "date"), (3, "time")]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_encodings_keep_accents(encoding: str) -> None:
    result = parse(f"{HEADER}\nweight;14-03-2026;08:00;;;;;80;;;;café, daarna geëet\n", encoding)
    assert result.ok, result.file_error or result.errors
    assert result.items[0][2] == "café, daarna geëet"


def test_cp1252_e_acute_is_one_byte_and_still_read() -> None:
    data = f"{HEADER}\nweight;14-03-2026;08:00;;;;;80;;;;é\n".encode("cp1252")
    assert b"\xe9" in data  # really not UTF-8
    result = csv_io.parse(data, NOW)
    assert result.items[0][2] == "é"


def test_bom_does_not_spoil_the_first_column_name() -> None:
    data = "\ufeff" + f"{HEADER}\nweight;14-03-2026;08:00;;;;;80;;;;\n"
    result = csv_io.parse(data.encode("utf-8"), NOW)
    assert result.ok
    assert result.file_error is None


@pytest.mark.parametrize(
    ("separator", "weight"),
    [(";", "82,5"), (",", '"82,5"'), (",", "82.5"), ("\t", "82,5")],
)
def test_separator_is_detected(separator: str, weight: str) -> None:
    header = separator.join(["type", "date", "time", "weight_kg"])
    row = separator.join(["weight", "14-03-2026", "08:00", weight])
    result = parse(f"{header}\n{row}\n")
    assert result.ok, result.file_error or result.errors
    assert result.items[0][0] == Weight(82.5)


def test_excel_sep_hint_line() -> None:
    result = parse("sep=;\ntype;date;time;weight_kg\nweight;14-03-2026;08:00;82,5\n")
    assert result.ok
    assert result.items[0][0] == Weight(82.5)


def test_dutch_headers_and_values() -> None:
    header = "Soort;Datum;Tijd;Bovendruk;Onderdruk;Hartslag;Arm;Gewicht;Bloedsuiker;Eenheid;Moment;Notitie"
    result = parse(
        header + "\n"
        "bloeddruk;14-03-2026;08:30;135;85;;rechts;;;;;\n"
        "Gewicht;14-03-2026;08:00;;;;;82,5;;;;\n"
        "bloedsuiker;14-03-2026;07:30;;;;;;7,4;mmol/L;nuchter;\n"
        "glucose;14-03-2026;10:00;;;;;;9,1;;na ontbijt;\n"
    )
    assert result.ok, result.errors
    assert [item[0] for item in result.items] == [
        BloodPressure(135, 85, None, "right"),
        Weight(82.5),
        Glucose(7.4, "fasting"),
        Glucose(9.1, "after_breakfast"),
    ]


def test_header_names_are_case_and_punctuation_insensitive() -> None:
    result = parse("TYPE;Date;TIME;Weight (kg)\nWEIGHT;14-03-2026;08:00;80\n")
    assert result.ok
    assert result.items[0][0] == Weight(80.0)


def test_mg_per_dl_is_converted() -> None:
    result = one_row("glucose;14-03-2026;07:30;;;;;;126;mg;;")
    assert result.items[0][0] == Glucose(7.0, "other")


def test_wrong_headers_give_one_file_error_naming_the_columns() -> None:
    result = parse("datum,waarde\n14-03-2026,135\n")
    assert result.items == []
    assert result.errors == []
    assert result.file_error is not None
    assert "Missing: type, time" in result.file_error
    assert "Not recognised: waarde" in result.file_error
    for name in csv_io.COLUMNS:
        assert name in result.file_error
    assert not result.ok


def test_a_column_named_twice_is_refused() -> None:
    result = parse("type;date;time;weight;gewicht\nweight;14-03-2026;08:00;80;81\n")
    assert result.file_error is not None
    assert "Named twice: gewicht" in result.file_error


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\r\n\r\n  \n"])
def test_empty_file(data: bytes) -> None:
    result = csv_io.parse(data, NOW)
    assert result.file_error is not None
    assert result.file_error.startswith("The file is empty.")


def test_header_without_rows() -> None:
    result = parse(HEADER + "\n;;;;;;;;;;;\n")
    assert result.file_error == "The file has column names but no measurements."


def test_binary_file_is_refused_with_advice() -> None:
    result = csv_io.parse(b"PK\x03\x04\x00\x00binary xlsx", NOW)
    assert result.file_error is not None
    assert "CSV UTF-8" in result.file_error


def test_utf16_is_refused_with_advice() -> None:
    result = csv_io.parse(HEADER.encode("utf-16"), NOW)
    assert result.file_error is not None
    assert "CSV UTF-8" in result.file_error


def test_bytes_that_are_neither_utf8_nor_cp1252() -> None:
    result = csv_io.parse(b"type;date;time\n\x81\x8d\x8f;;\n", NOW)
    assert result.file_error is not None
    assert "cannot be read as text" in result.file_error


FUTURE = (NOW + timedelta(hours=2)).astimezone(csv_io.LOCAL)

ROW_ERRORS = [
    ("blood_pressure;14-03-2026;08:30;301;85;;;;;;;", "systolic", "Allowed: 60 to 300 mmHg"),
    ("blood_pressure;14-03-2026;08:30;59;40;;;;;;;", "systolic", "Allowed: 60 to 300 mmHg"),
    ("blood_pressure;14-03-2026;08:30;135;29;;;;;;;", "diastolic", "Allowed: 30 to 200 mmHg"),
    ("blood_pressure;14-03-2026;08:30;130;140;;;;;;;", "diastolic", "must be below the upper"),
    ("blood_pressure;14-03-2026;08:30;135;85;251;;;;;;", "pulse", "Allowed: 25 to 250"),
    ("blood_pressure;14-03-2026;08:30;abc;85;;;;;;;", "systolic", "whole number"),
    ("blood_pressure;14-03-2026;08:30;135,5;85;;;;;;;", "systolic", "whole number"),
    ("blood_pressure;14-03-2026;08:30;;85;;;;;;;", "systolic", "Fill in this value"),
    ("blood_pressure;14-03-2026;08:30;135;85;;both;;;;;", "arm", "left or right"),
    ("weight;14-03-2026;08:00;;;;;19,9;;;;", "weight_kg", "Allowed: 20 to 400 kg"),
    ("weight;14-03-2026;08:00;;;;;401;;;;", "weight_kg", "Allowed: 20 to 400 kg"),
    ("weight;14-03-2026;08:00;;;;;zwaar;;;;", "weight_kg", "Fill in a number"),
    ("weight;14-03-2026;08:00;;;;;;;;;", "weight_kg", "Fill in this value"),
    ("glucose;14-03-2026;08:00;;;;;;0,4;;;", "glucose", "Allowed: 0.5 to 40 mmol/L"),
    ("glucose;14-03-2026;08:00;;;;;;41;;;", "glucose", "Allowed: 0.5 to 40 mmol/L"),
    ("glucose;14-03-2026;08:00;;;;;;800;mg;;", "glucose", "mg/dL"),
    ("glucose;14-03-2026;08:00;;;;;;7,4;mol;;", "unit", "mmol/L or mg/dL"),
    ("glucose;14-03-2026;08:00;;;;;;7,4;;brunch;", "moment", "“brunch” is not a moment"),
    ("weight;14-03-2026;08:00;;;;;80;;;;" + "x" * 501, "note", "at most 500"),
    ("weight;31-02-2026;08:00;;;;;80;;;;", "date", "day-month-year"),
    ("weight;;08:00;;;;;80;;;;", "date", "Fill in the date"),
    ("weight;14-03-2026;24:00;;;;;80;;;;", "time", "hours:minutes"),
    ("weight;14-03-2026;;;;;;80;;;;", "time", "Fill in the time"),
    (
        f"weight;{FUTURE:%d-%m-%Y};{FUTURE:%H:%M};;;;;80;;;;",
        "date",
        "in the future",
    ),
    ("weight;14-03-1960;08:00;;;;;80;;;;", "date", "too long ago"),
    ("pressure;14-03-2026;08:00;;;;;80;;;;", "type", "“pressure” is not a type"),
    (";14-03-2026;08:00;;;;;80;;;;", "type", "Fill in the type"),
    ("weight;14-03-2026;08:00;;;;;80;;;;;extra", None, "has 13 cells, but the first row names 12"),
    ("weight;14-03-2026;08:00;;;;;80;;;;;", None, "has 13 cells, but the first row names 12"),
    # A value in a column that the row's type does not use is never ignored.
    (
        "blood_pressure;14-03-2026;08:30;135;85;;;82,5;;;;",
        "weight_kg",
        "A blood pressure measurement has no value in the column “weight_kg”.",
    ),
    ("weight;14-03-2026;08:00;;;;;80;6,8;;;", "glucose", "Leave this column empty in this row"),
    ("weight;14-03-2026;08:00;135;;;;80;;;;", "systolic", "A weight measurement has no value"),
    ("weight;14-03-2026;08:00;;;;;80;;;fasting;", "moment", "A weight measurement has no value"),
    ("glucose;14-03-2026;08:00;;;;left;;6,8;;;", "arm", "A blood sugar measurement has no value"),
    ("blood_pressure;14-03-2026;08:30;135;85;;;;;mg;;", "unit", "in the column “unit”"),
    ("glucose;140326;08:00;;;;;;6,8;;;", "date", "Did you mean 14-03-2026?"),
    ("glucose;14-03-2026;2561;;;;;;6,8;;;", "time", "hours:minutes"),
]


@pytest.mark.parametrize(("row", "column", "message"), ROW_ERRORS)
def test_every_row_error_names_line_column_and_reason(
    row: str, column: str | None, message: str
) -> None:
    good = "weight;14-03-2026;08:00;;;;;80;;;;"
    result = parse(f"{HEADER}\n{good}\n\n{row}\n{good}\n")
    assert not result.ok
    assert len(result.items) == 2  # the good rows are read, but the file is not importable
    found = [(e.line, e.column) for e in result.errors]
    assert (4, column) in found, result.errors  # header 1, good 2, blank 3, bad 4
    assert any(message in e.message for e in result.errors if e.column == column)


def test_several_problems_in_one_row_are_all_reported() -> None:
    result = one_row("blood_pressure;14-03-2026;99:99;400;20;;;;;;;")
    assert {e.column for e in result.errors} == {"systolic", "diastolic", "time"}
    assert {e.line for e in result.errors} == {2}
    assert result.bad_lines == 1


def test_line_numbers_count_multi_line_notes() -> None:
    text = f'{HEADER}\nweight;14-03-2026;08:00;;;;;80;;;;"twee\nregels"\nweight;14-03-2026;09:00;;;;;9;;;;\n'
    result = parse(text)
    assert [e.line for e in result.errors] == [4]


def test_every_invalid_row_is_listed() -> None:
    rows = "\n".join(f"weight;14-03-2026;08:{m:02d};;;;;999;;;;" for m in range(30))
    result = parse(f"{HEADER}\n{rows}\n")
    assert [e.line for e in result.errors] == list(range(2, 32))


@pytest.mark.parametrize(
    "bad", ["weight;14-03-2026;08:00;;;;;999;;;;", "weight;14-03-2026;08:00;;;;;80;;;;;;x"]
)
def test_checking_stops_after_max_problems(bad: str) -> None:
    rows = "\n".join(bad for _ in range(3000))
    result = parse(f"{HEADER}\n{rows}\n")
    assert len(result.errors) == csv_io.MAX_PROBLEMS
    assert result.stopped_at == csv_io.MAX_PROBLEMS + 1  # header is line 1
    assert not result.ok


def _reading(kind: Kind, when: datetime, value: object, note: str = "") -> Reading:
    return Reading(uuid.uuid4(), kind, when, value, note, "web")  # type: ignore[arg-type]


def test_export_round_trip() -> None:
    readings = [
        _reading(
            Kind.BLOOD_PRESSURE,
            datetime(2025, 10, 26, 0, 30, tzinfo=UTC),
            BloodPressure(187, 113, 80, "left"),
            'duizelig; na "fietsen"\nen daarna café',
        ),
        _reading(
            Kind.BLOOD_PRESSURE, datetime(2025, 7, 1, 6, 0, 17, tzinfo=UTC), BloodPressure(120, 80)
        ),
        _reading(Kind.WEIGHT, datetime(2025, 1, 2, 7, 0, tzinfo=UTC), Weight(82.5), "=SUM(A1:A9)"),
        _reading(
            Kind.GLUCOSE,
            datetime(2025, 1, 2, 6, 30, tzinfo=UTC),
            Glucose(7.4, "fasting"),
            "-2 na sport",
        ),
        _reading(
            Kind.GLUCOSE,
            datetime(2025, 1, 2, 21, 0, tzinfo=UTC),
            Glucose(13.9, "bedtime"),
            "'quoted",
        ),
    ]
    data = csv_io.export(readings)
    assert data.startswith(b"\xef\xbb\xbf" + HEADER.encode())
    assert b"82,5" in data
    assert b"'=SUM(A1:A9)" in data  # a spreadsheet shows it as text, never runs it
    result = csv_io.parse(data, NOW)
    assert result.ok, result.file_error or result.errors
    assert result.items == [(r.value, r.taken_at, r.note) for r in readings]


def test_export_of_nothing_is_a_header_that_imports_as_empty() -> None:
    data = csv_io.export([])
    assert data.decode("utf-8-sig").strip() == HEADER
    assert csv_io.parse(data, NOW).file_error == "The file has column names but no measurements."


COMMA_HEADER = "type,date,time,systolic,diastolic,pulse,arm,weight_kg,glucose,unit,moment,note"
NOVEMBER = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_an_unquoted_decimal_comma_is_refused_not_read_as_a_whole_number() -> None:
    """The issue's line: "83,1" in a comma file. Saved as 83 kg before; now refused."""
    data = f"{COMMA_HEADER}\nweight,2026-11-14,07:20,,,,,83,1,,,\n".encode()
    result = csv_io.parse(data, NOVEMBER)
    assert not result.ok
    assert result.items == []
    assert [(e.line, e.column, e.message) for e in result.errors] == [
        (
            2,
            "glucose",
            "A weight measurement has no value in the column “glucose”. Is there a comma in "
            'the number? Then put the number in quotes ("83,1") or use a point (83.1).',
        )
    ]


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        # 6,8 unquoted: 6 under glucose and 8 under unit.
        ("glucose,14-11-2026,08:00,,,,,,6,8,,", "unit", '("6,8") or use a point (6.8)'),
        # One cell too many: the comma split a number somewhere in the row.
        ("weight,14-11-2026,08:00,,,,,83,1,,,,", None, "Is there a comma in the number?"),
        ("weight,14-11-2026,08:00,,,,,83,1,,,,", None, "has 13 cells"),
    ],
)
def test_comma_file_errors_say_how_to_write_a_decimal(
    row: str, column: str | None, message: str
) -> None:
    result = csv_io.parse(f"{COMMA_HEADER}\n{row}\n".encode(), NOVEMBER)
    assert result.items == []
    assert any(e.column == column and message in e.message for e in result.errors), result.errors


@pytest.mark.parametrize(
    "row",
    [
        "weight,2026-11-14,07:20,,,,,83.1,,,,",
        'weight,2026-11-14,07:20,,,,,"83,1",,,,',
        "weight,2026-11-14,07:20,,,,,83.1,,kg,,",  # the row's own unit says nothing new
    ],
)
def test_a_quoted_or_pointed_decimal_in_a_comma_file_is_read(row: str) -> None:
    result = csv_io.parse(f"{COMMA_HEADER}\n{row}\n".encode(), NOVEMBER)
    assert result.ok, result.errors
    assert result.items[0][0] == Weight(83.1)


def test_a_blood_pressure_row_may_name_its_own_unit() -> None:
    result = one_row("blood_pressure;14-03-2026;08:30;135;85;;;;;mmHg;;")
    assert result.ok, result.errors
    assert result.items[0][0] == BloodPressure(135, 85)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("Na het ontbijt", "after_breakfast"),
        ("na het ontbijt", "after_breakfast"),
        ("NUCHTER", "fasting"),
        ("Nuchter (na het opstaan)", "fasting"),
        ("Nuchter / voor het ontbijt", "before_breakfast"),
        ("vóór het ontbijt", "before_breakfast"),
        ("Voor de lunch", "before_lunch"),
        ("Na de lunch", "after_lunch"),
        ("Voor het avondeten", "before_dinner"),
        ("na het avondeten", "after_dinner"),
        ("Voor het slapen", "bedtime"),
        ("'s Nachts", "night"),
        ("’s nachts", "night"),
        ("Ander moment", "other"),
        ("After breakfast", "after_breakfast"),
        ("Fasting (on waking)", "fasting"),
        ("At bedtime", "bedtime"),
        ("During the night", "night"),
        ("Another moment", "other"),
    ],
)
def test_moments_as_the_app_names_them_are_read(moment: str, expected: str) -> None:
    result = one_row(f"glucose;14-03-2026;07:30;;;;;;6,8;mmol;{moment};")
    assert result.ok, result.errors
    assert result.items[0][0] == Glucose(6.8, expected)


def test_every_moment_label_the_app_shows_is_read_in_both_languages(app: Any) -> None:
    """The CSV aliases follow the labels of the forms and the day curve, in nl and en."""
    from flask_babel import force_locale

    from pgd.measurements.forms import DAY_CURVE_SLOTS, moment_choices

    labels = [(value, label) for value, label in moment_choices()]
    labels += [(value, label) for value, _clock, label in DAY_CURVE_SLOTS]
    seen = set()
    with app.test_request_context():
        for locale in ("nl", "en"):
            with force_locale(locale):
                for value, label in labels:
                    text = str(label)
                    seen.add(text)
                    result = one_row(f"glucose;14-03-2026;07:30;;;;;;6,8;;{text};")
                    assert result.ok, (locale, text, result.errors)
                    assert result.items[0][0] == Glucose(6.8, value), (locale, text)
    assert "Na het ontbijt" in seen  # really the Dutch labels, not only the English


@pytest.mark.parametrize(
    ("day", "clock", "local"),
    [
        ("14032026", "0830", datetime(2026, 3, 14, 8, 30)),
        ("14-03-2026", "830", datetime(2026, 3, 14, 8, 30)),
        ("2026-03-14", "8", datetime(2026, 3, 14, 8, 0)),
    ],
)
def test_dates_and_times_in_digits_only(day: str, clock: str, local: datetime) -> None:
    result = one_row(f"weight;{day};{clock};;;;;80;;;;")
    assert result.ok, result.errors
    assert result.items[0][1] == local.replace(tzinfo=csv_io.LOCAL).astimezone(UTC)


def test_an_unknown_moment_says_what_is_allowed(app: Any) -> None:
    with app.test_request_context(headers={"Accept-Language": "en"}):
        result = one_row("glucose;14-03-2026;07:30;;;;;;6,8;mmol;ontbijt;")
    assert not result.ok
    said = str(result.errors)
    assert "“ontbijt” is not a moment we know." in said
    assert "fasting, before_breakfast" in said
    assert "the name the app shows (for example “after breakfast”)" in said
