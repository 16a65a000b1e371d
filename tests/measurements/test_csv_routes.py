"""CSV import and export through the web: preview, confirm, all or nothing, limits, access."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from pgd import db
from pgd.measurements import values as v
from pgd.measurements.models import Measurement
from pgd.measurements.validation import LOCAL
from tests.conftest import count_rows, csrf_token, login, post_form

IMPORT = "/measurements/import"
HEADER = "type;date;time;systolic;diastolic;pulse;arm;weight_kg;glucose;unit;moment;note"
GOOD = (
    HEADER + "\n"
    "blood_pressure;14-03-2025;08:30;135;85;72;left;;;;;na het opstaan\n"
    "blood_pressure;15-03-2025;08:30;142;91;;;;;;;\n"
    "weight;2025-03-14;07:45;;;;;82,5;;;;\n"
    "glucose;14-03-2025;07:30;;;;;;6,8;mmol;fasting;café\n"
).encode("cp1252")
_PENDING = re.compile(r"/measurements/import/([0-9a-f-]{36})/confirm")


def _client(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(client, email)
    return client


@pytest.fixture
def patient(app: Flask, create_patient: Any) -> FlaskClient:
    create_patient()
    return _client(app, "patient@example.nl")


def upload(client: FlaskClient, data: bytes, name: str = "metingen.csv") -> Any:
    return post_form(client, IMPORT, {"file": (io.BytesIO(data), name)})


def pending_id(body: str) -> str:
    match = _PENDING.search(body)
    assert match, "no confirm button on the page"
    return match.group(1)


def confirm(client: FlaskClient, pending: str) -> Any:
    return post_form(client, f"/measurements/import/{pending}/confirm", {}, form_url=IMPORT)


def test_good_file_preview_then_confirm(patient: FlaskClient, app: Flask) -> None:
    response = upload(patient, GOOD)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "holds 4 correct measurements" in body
    assert re.search(r"Blood pressure</td><td>2<", body)
    assert re.search(r"Weight</td><td>1<", body)
    assert re.search(r"Blood sugar</td><td>1<", body)
    assert "Nothing has been saved yet" in body
    assert count_rows(app, "measurements") == 0
    assert count_rows(app, "pending_imports") == 1

    saved = confirm(patient, pending_id(body))
    assert saved.status_code == 302
    assert saved.headers["Location"] == "/measurements"
    listing = patient.get("/measurements").get_data(as_text=True)
    assert "Imported 4 measurements." in listing
    assert "135/85 mmHg" in listing
    assert "café" in listing
    assert count_rows(app, "measurements") == 4
    assert count_rows(app, "pending_imports") == 0
    with app.app_context():
        sources = db.session().execute(select(Measurement.source).distinct()).all()
    assert sources == [("csv",)]


def test_reimporting_the_same_file_adds_nothing(patient: FlaskClient, app: Flask) -> None:
    confirm(patient, pending_id(upload(patient, GOOD).get_data(as_text=True)))
    body = upload(patient, GOOD).get_data(as_text=True)
    assert "4 measurements are already in your record and will be skipped." in body
    assert "There is nothing new to save" in body
    assert "/confirm" not in body  # no button that would save nothing
    assert count_rows(app, "measurements") == 4


def test_preview_says_how_many_are_skipped_and_saves_the_rest(
    patient: FlaskClient, app: Flask
) -> None:
    first = (
        HEADER + "\n"
        "blood_pressure;14-03-2025;08:30;135;85;72;left;;;;;\n"
        "blood_pressure;15-03-2025;08:30;142;91;;;;;;;\n"
        "weight;2025-03-14;07:45;;;;;82,5;;;;\n"
    ).encode()
    confirm(patient, pending_id(upload(patient, first).get_data(as_text=True)))
    # Three already saved (a note does not make a reading new), two new, one repeated.
    second = (
        HEADER + "\n"
        "blood_pressure;14-03-2025;08:30;135;85;72;left;;;;;other note\n"
        "blood_pressure;15-03-2025;08:30;142;91;;;;;;;\n"
        "weight;14-03-2025;07:45;;;;;82.5;;;;\n"
        "weight;21-03-2025;07:45;;;;;82;;;;\n"
        "weight;21-03-2025;07:45;;;;;82,0;;;;\n"
        "glucose;21-03-2025;07:30;;;;;;6,8;mmol;nuchter;\n"
    ).encode()
    body = upload(patient, second).get_data(as_text=True)
    assert "holds 6 correct measurements" in body
    assert "3 measurements are already in your record and will be skipped." in body
    assert "1 row repeats a measurement from earlier in the file and will be skipped." in body
    assert "Save 2 measurements" in body
    confirm(patient, pending_id(body))
    listing = patient.get("/measurements").get_data(as_text=True)
    assert "Imported 2 measurements. 4 were already in your record" in listing
    assert count_rows(app, "measurements") == 5


def test_preview_counts_duplicates_in_dutch(app: Flask, create_patient: Any) -> None:
    create_patient()
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "nl-NL"
    login(client, "patient@example.nl")
    confirm(client, pending_id(upload(client, GOOD).get_data(as_text=True)))
    extra = b"weight;2025-03-20;07:45;;;;;81,5;;;;\n"
    body = upload(client, GOOD + extra).get_data(as_text=True)
    assert "4 metingen staan al in uw dossier en worden overgeslagen." in body
    assert "1 meting opslaan" in body


def test_a_preview_is_used_once(patient: FlaskClient, app: Flask) -> None:
    pending = pending_id(upload(patient, GOOD).get_data(as_text=True))
    assert confirm(patient, pending).status_code == 302
    assert confirm(patient, pending).status_code == 404
    assert count_rows(app, "measurements") == 4


def test_one_bad_row_is_listed_and_nothing_is_saved(patient: FlaskClient, app: Flask) -> None:
    bad = GOOD + b"blood_pressure;16-03-2025;08:30;135;185;;;;;;;\n"
    response = upload(patient, bad)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "1 row in metingen.csv has a problem" in body
    assert "Nothing has been saved" in body
    assert re.search(r"<td>6</td><td>diastolic</td><td>The lower value \(185\) must be below", body)
    assert "/confirm" not in body  # a file with a bad row cannot be imported
    assert count_rows(app, "measurements") == 0
    assert count_rows(app, "pending_imports") == 0


def test_a_file_full_of_bad_rows_is_checked_up_to_the_limit(
    patient: FlaskClient, app: Flask
) -> None:
    bad = HEADER.encode() + b"\n" + b"weight;14-03-2025;08:00;;;;;999;;;;\n" * 200_000
    response = upload(patient, bad)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "We stopped checking at line 1001, after 1000 problems." in body
    assert body.count("Allowed: 20 to 400 kg") == 1000
    assert count_rows(app, "pending_imports") == 0


def test_wrong_headers_are_explained(patient: FlaskClient, app: Flask) -> None:
    body = upload(patient, b"datum,waarde\n14-03-2025,135\n").get_data(as_text=True)
    assert "We cannot read this file" in body
    assert "Missing: type, time" in body
    assert "Expected columns: type, date, time" in body
    assert count_rows(app, "pending_imports") == 0


def test_empty_upload(patient: FlaskClient) -> None:
    body = upload(patient, b"").get_data(as_text=True)
    assert "The file is empty." in body


def test_no_file_chosen(patient: FlaskClient) -> None:
    response = post_form(patient, IMPORT, {})
    assert response.status_code == 200
    assert "Choose a file on your computer first." in response.get_data(as_text=True)


def test_upload_without_csrf_token_is_refused(patient: FlaskClient, app: Flask) -> None:
    response = patient.post(IMPORT, data={"file": (io.BytesIO(GOOD), "m.csv")})
    assert response.status_code == 200
    assert "This form has expired" in response.get_data(as_text=True)
    assert count_rows(app, "pending_imports") == 0


def test_files_above_the_global_1_mb_limit_are_accepted(patient: FlaskClient) -> None:
    note = "n" * 400
    rows = "".join(
        f"weight;{1 + d % 28:02d}-{1 + d // 28 % 12:02d}-{2000 + d // 336};08:00;;;;;80;;;;{note}\n"
        for d in range(5000)
    )
    data = (HEADER + "\n" + rows).encode()
    assert len(data) > 2 * 1024 * 1024
    body = upload(patient, data).get_data(as_text=True)
    assert "holds 5000 correct measurements" in body


@pytest.mark.parametrize("megabytes", [11, 50])
def test_too_large_file_is_refused_clearly(
    patient: FlaskClient, app: Flask, megabytes: int
) -> None:
    data = GOOD + b"x" * (megabytes * 1024 * 1024)
    response = upload(patient, data)
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert "A file can be at most 10 MB" in body
    assert count_rows(app, "pending_imports") == 0
    assert count_rows(app, "measurements") == 0


def test_another_patient_cannot_confirm_or_cancel(
    app: Flask, patient: FlaskClient, create_patient: Any
) -> None:
    pending = pending_id(upload(patient, GOOD).get_data(as_text=True))
    create_patient(email="other@example.nl", name="Piet Anders")
    other = _client(app, "other@example.nl")
    assert confirm(other, pending).status_code == 404
    cancelled = post_form(other, f"/measurements/import/{pending}/cancel", {}, form_url=IMPORT)
    assert cancelled.status_code == 302
    assert count_rows(app, "measurements") == 0
    assert count_rows(app, "pending_imports") == 1  # still there for its owner
    assert confirm(patient, pending).status_code == 302
    assert count_rows(app, "measurements") == 4


def test_unknown_pending_import_is_404(patient: FlaskClient) -> None:
    assert confirm(patient, "00000000-0000-4000-8000-000000000000").status_code == 404


def test_cancel_throws_the_preview_away(patient: FlaskClient, app: Flask) -> None:
    pending = pending_id(upload(patient, GOOD).get_data(as_text=True))
    response = post_form(patient, f"/measurements/import/{pending}/cancel", {}, form_url=IMPORT)
    assert response.status_code == 302
    assert count_rows(app, "pending_imports") == 0
    assert confirm(patient, pending).status_code == 404
    assert count_rows(app, "measurements") == 0


def test_a_preview_expires_after_an_hour(patient: FlaskClient, app: Flask) -> None:
    pending = pending_id(upload(patient, GOOD).get_data(as_text=True))
    with app.app_context(), db.transaction() as sess:
        sess.execute(
            text("UPDATE pending_imports SET created_at = :t"),
            {"t": datetime.now(UTC) - timedelta(minutes=61)},
        )
    response = confirm(patient, pending)
    assert response.status_code == 302
    assert response.headers["Location"] == IMPORT
    page = patient.get(IMPORT).get_data(as_text=True)
    assert "more than an hour old" in page
    assert count_rows(app, "measurements") == 0
    assert count_rows(app, "pending_imports") == 0


def test_pending_rows_are_sealed(patient: FlaskClient, app: Flask) -> None:
    import zlib

    from pgd import crypto
    from pgd.measurements import imports
    from pgd.measurements.import_models import PendingImport

    upload(patient, GOOD)
    with app.test_request_context():
        row = db.session().scalars(select(PendingImport)).one()
        blob = bytes(row.payload_sealed)
        assert b"135" not in blob
        assert "café".encode() not in blob
        # The rows are compressed before sealing, so "not readable" alone proves little:
        # the stored bytes do not even decompress, and open only with the patient's key.
        with pytest.raises(zlib.error):
            zlib.decompress(blob)
        crypto.limit_keys_to(row.patient_id)
        cipher = crypto.cipher_for(row.patient_id, crypto.Category.IMPORTS)
        rows = [
            v.decode(kind, payload)
            for kind, _epoch, payload in imports._unpack_encoded(
                cipher.open(imports.TABLE, row.id, blob)
            )
        ]
    assert any("café" in note for _value, note in rows)
    assert any(getattr(value, "systolic", None) == 135 for value, _note in rows)


def test_import_pages_need_a_patient_login(app: Flask, create_clinician: Any) -> None:
    anonymous = app.test_client()
    assert anonymous.get(IMPORT).status_code == 302
    assert anonymous.get("/measurements/export.csv").status_code == 302
    create_clinician()
    clinician = app.test_client()
    login(clinician, "poh@praktijk.nl")
    assert clinician.get("/measurements/export.csv").status_code in {302, 404}


def test_export_round_trip(patient: FlaskClient, app: Flask) -> None:
    when = datetime.now(UTC) - timedelta(days=1)
    local = when.astimezone(LOCAL)
    post_form(
        patient,
        "/measurements/blood-pressure/new",
        {
            "systolic": "187",
            "diastolic": "113",
            "pulse": "",
            "arm": "",
            "note": '=duizelig; na "fietsen"',
            "date": local.strftime("%d-%m-%Y"),
            "time": local.strftime("%H:%M"),
        },
    )
    confirm(patient, pending_id(upload(patient, GOOD).get_data(as_text=True)))
    assert count_rows(app, "measurements") == 5

    response = patient.get("/measurements/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="measurements-\d{4}-\d{2}-\d{2}\.csv"', disposition)
    data = response.data
    assert data.startswith(b"\xef\xbb\xbf" + HEADER.encode())
    assert data.count(b"\r\n") == 6  # header + 5 readings
    assert b"'=duizelig" in data

    body = upload(patient, data, "measurements.csv").get_data(as_text=True)
    assert "holds 5 correct measurements" in body
    assert "5 measurements are already in your record and will be skipped." in body
    assert "There is nothing new to save" in body
    assert count_rows(app, "measurements") == 5


def test_export_without_measurements(patient: FlaskClient) -> None:
    response = patient.get("/measurements/export.csv")
    assert response.status_code == 200
    assert response.data.decode("utf-8-sig").strip() == HEADER


def test_import_page_documents_the_format(patient: FlaskClient) -> None:
    body = patient.get(IMPORT).get_data(as_text=True)
    for column in ("type", "date", "time", "systolic", "weight_kg", "glucose", "moment"):
        assert f"<code>{column}</code>" in body
    assert "at most 10 MB" in body
    assert csrf_token(patient, IMPORT)


def test_import_export_and_api_keys_can_be_found_from_the_menu_pages(
    patient: FlaskClient,
) -> None:
    """A page nobody can reach does not exist for a patient: each is linked from a menu page."""
    listing = patient.get("/measurements").get_data(as_text=True)
    assert f'href="{IMPORT}"' in listing
    assert 'href="/measurements/export.csv"' in listing
    settings = patient.get("/settings").get_data(as_text=True)
    keys = re.search(r'href="([^"]+)">[^<]*API', settings)
    assert keys, "no link to the API keys page on the settings page"
    assert patient.get(keys.group(1)).status_code == 200


ISSUE_FILE = (
    b"type,date,time,systolic,diastolic,pulse,arm,weight_kg,glucose,unit,moment,note\n"
    b"weight,2026-11-14,07:20,,,,,83,1,,,\n"
)


@pytest.mark.parametrize(
    ("language", "message"),
    [
        (
            "en",
            "A weight measurement has no value in the column “glucose”. Is there a comma in "
            "the number? Then put the number in quotes (&#34;83,1&#34;) or use a point (83.1).",
        ),
        (
            "nl-NL",
            "Een gewichtsmeting heeft geen waarde in de kolom ‘glucose’. Staat er een komma in "
            "het getal? Zet het getal dan tussen aanhalingstekens (&#34;83,1&#34;) of gebruik "
            "een punt (83.1).",
        ),
    ],
)
def test_a_decimal_comma_split_over_two_columns_is_refused(
    app: Flask, create_patient: Any, monkeypatch: pytest.MonkeyPatch, language: str, message: str
) -> None:
    """The issue: 83,1 kg in a comma file was saved as 83,0 kg. Now the file is refused."""
    from pgd.measurements import imports

    real_check = imports.check
    after = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    monkeypatch.setattr(
        imports, "check", lambda principal, pid, data: real_check(principal, pid, data, after)
    )
    create_patient()
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    login(client, "patient@example.nl")
    body = upload(client, ISSUE_FILE).get_data(as_text=True)
    assert re.search(r"<td>2</td><td>glucose</td><td>([^<]*)</td>", body).group(1) == message  # type: ignore[union-attr]
    assert "/confirm" not in body
    assert count_rows(app, "measurements") == 0
    assert count_rows(app, "pending_imports") == 0
