"""POST /fhir/Patient/{id}/$import: an app sends a patient's Bundle through the API.

The same rules as the web import (pgd.fhir.importer), all or nothing, and every answer an
OperationOutcome (application/fhir+json) that validates as FHIR: 400 not JSON, 404 not the
key's own record, 413 too large, 415 not JSON content, 422 unusable, 200 with counts.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from fhir.resources.R4B.operationoutcome import OperationOutcome
from flask import Flask
from werkzeug.exceptions import NotFound

from pgd.fhir import importer
from pgd.measurements import imports
from pgd.measurements import services as measurements
from pgd.measurements.models import Source
from pgd.measurements.values import BloodPressure, Glucose, Weight
from tests.conftest import count_rows
from tests.fhir_interop.conftest import FHIR, FhirCaller, validate
from tests.fhir_interop.test_import import (
    PATIENT,
    bp,
    bundle,
    glucose,
    good,
    obs,
    pulse,
    weight,
)

FHIR_JSON = "application/fhir+json"


def post(
    caller: FhirCaller,
    patient_id: object,
    data: bytes,
    *,
    content_type: str = FHIR_JSON,
    language: str = "en",
    query: str = "",
) -> Any:
    return caller.client.post(
        f"{FHIR}/Patient/{patient_id}/$import{query}",
        data=data,
        headers={
            "Authorization": f"Bearer {caller.token}",
            "Accept-Language": language,
            "Content-Type": content_type,
        },
    )


def outcome(response: Any, status: int) -> list[dict[str, Any]]:
    """Status, content type and an R4 OperationOutcome; returns its issues."""
    assert response.status_code == status, (response.status_code, response.data[:800])
    assert response.mimetype == FHIR_JSON
    body = response.get_json()
    assert body["resourceType"] == "OperationOutcome"
    OperationOutcome.model_validate(body)
    return body["issue"]  # type: ignore[no-any-return]


def imported(caller: FhirCaller, data: bytes, status: int, **kw: Any) -> list[dict[str, Any]]:
    return outcome(post(caller, caller.user.id, data, **kw), status)


def texts(issues: list[dict[str, Any]], severity: str | None = None) -> list[str]:
    return [i["diagnostics"] for i in issues if severity in (None, i["severity"])]


def saved(app: Flask, user: Any) -> list[Any]:
    with app.test_request_context():
        return list(measurements.all_readings(user, user.id))


def refused(app: Flask, issues: list[dict[str, Any]]) -> None:
    assert count_rows(app, "measurements") == 0
    assert count_rows(app, "pending_imports") == 0
    assert all(i["severity"] in ("error", "warning", "information") for i in issues)


# -- success ------------------------------------------------------------------------------


def test_a_good_bundle_is_saved_with_counts_and_left_out_entries(
    app: Flask, fhir_patient: FhirCaller
) -> None:
    issues = imported(fhir_patient, good(), 200)
    assert texts(issues, "information") == [
        "5 readings added to your record.",
        "0 readings were already in your record (or twice in this Bundle) and were skipped.",
    ]
    # The Goal (8th entry, Bundle.entry[7]) is left out with a warning naming it.
    (left_out,) = [i for i in issues if i["severity"] == "warning"]
    assert left_out["expression"] == ["Bundle.entry[7].resource"]
    assert left_out["diagnostics"].startswith("Goal/goal1: A Goal is not a measurement")
    readings = saved(app, fhir_patient.user)
    assert len(readings) == 5
    assert {r.source for r in readings} == {"api"}
    assert BloodPressure(135, 85, 72, None) in {r.value for r in readings}
    assert Weight(82.5) in {r.value for r in readings}


def test_sending_the_same_bundle_twice_adds_nothing(app: Flask, fhir_patient: FhirCaller) -> None:
    imported(fhir_patient, good(), 200)
    issues = imported(fhir_patient, good(), 200)
    assert texts(issues, "information") == [
        "0 readings added to your record.",
        "5 readings were already in your record (or twice in this Bundle) and were skipped.",
    ]
    assert count_rows(app, "measurements") == 5


def test_mg_per_dl_is_converted_and_application_json_is_accepted(
    app: Flask, fhir_patient: FhirCaller
) -> None:
    data = bundle(glucose("g", 162, "14760-3", "mg/dL", ["PCM"]), bp("b", 128, 82, "mmHg"))
    imported(fhir_patient, data, 200, content_type="application/json; charset=utf-8")
    values = {r.value for r in saved(app, fhir_patient.user)}
    assert values == {Glucose(round(162 / 18.016, 1), "after_breakfast"), BloodPressure(128, 82)}


def test_entries_it_cannot_use_are_warnings_not_errors(
    app: Flask, fhir_patient: FhirCaller
) -> None:
    data = bundle(
        weight("w", 80.1),
        obs("h", "8302-2", valueQuantity={"value": 180, "unit": "cm"}),  # body height
        weight("gone", 81, when="2026-03-15T08:00:00+01:00") | {"status": "cancelled"},
        pulse("p", 70, when="2026-03-16T08:00:00+01:00"),
        {"resourceType": "Condition", "id": "c1"},
    )
    issues = imported(fhir_patient, data, 200)
    warnings = {i["expression"][0]: i["diagnostics"] for i in issues if i["severity"] == "warning"}
    assert set(warnings) == {f"Bundle.entry[{n}].resource" for n in (1, 2, 3, 4)}
    assert "The code 8302-2 is not a blood pressure" in warnings["Bundle.entry[1].resource"]
    assert "“cancelled”" in warnings["Bundle.entry[2].resource"]
    assert "only together with a blood pressure" in warnings["Bundle.entry[3].resource"]
    assert warnings["Bundle.entry[4].resource"].startswith("Condition/c1: A Condition")
    assert count_rows(app, "measurements") == 1


def test_the_patients_own_id_and_other_servers_ids_are_accepted(
    app: Flask, fhir_patient: FhirCaller
) -> None:
    me = fhir_patient.user.id
    elsewhere = uuid.uuid4()
    own = weight("w1", 80) | {"subject": {"reference": f"Patient/{me}"}}
    own_absolute = weight("w2", 81, when="2026-03-15T08:00:00+01:00") | {
        "subject": {"reference": f"http://localhost/fhir/Patient/{me}"}
    }
    other_server = weight("w3", 82, when="2026-03-16T08:00:00+01:00") | {
        "subject": {"reference": f"https://pgo.example.org/fhir/Patient/{elsewhere}"}
    }
    data = orjson.dumps(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [
                {"fullUrl": f"http://localhost/fhir/Observation/{uuid.uuid4()}", "resource": own},
                {"resource": own_absolute},
                {"resource": other_server},
            ],
        }
    )
    # Each entry alone (the file rule "one person per file" holds across entries).
    for entry in orjson.loads(data)["entry"]:
        one = {"resourceType": "Bundle", "type": "batch", "entry": [entry]}
        imported(fhir_patient, orjson.dumps(one), 200)
    assert count_rows(app, "measurements") == 3


# -- refused: nothing saved ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "status", "code", "words"),
    [
        (b'{"resourceType": "Bundle",\n "type": }', 400, "invalid", "not correct JSON"),
        (b"", 400, "invalid", "empty"),
        (b"[1, 2]", 422, "processing", "not a FHIR file"),
        (orjson.dumps(weight("w", 80)), 422, "processing", "one Observation, not a Bundle"),
        (bundle(weight("w", 80), kind="document"), 422, "processing", "of type “document”"),
        (bundle(kind="collection"), 422, "processing", "holds no entries"),
        (bundle(PATIENT, {"resourceType": "Goal"}), 422, "processing", "no blood pressure"),
    ],
)
def test_a_body_that_is_not_an_importable_bundle_is_refused(
    app: Flask, fhir_patient: FhirCaller, data: bytes, status: int, code: str, words: str
) -> None:
    issues = imported(fhir_patient, data, status)
    assert issues[0]["severity"] == "error"
    assert issues[0]["code"] == code
    assert words in issues[0]["diagnostics"]
    refused(app, issues)


def test_a_wrong_content_type_is_refused(app: Flask, fhir_patient: FhirCaller) -> None:
    issues = imported(fhir_patient, good(), 415, content_type="text/csv")
    assert "application/fhir+json" in issues[0]["diagnostics"]
    refused(app, issues)


def test_an_unknown_parameter_is_refused(app: Flask, fhir_patient: FhirCaller) -> None:
    issues = imported(fhir_patient, good(), 400, query="?dryRun=true")
    assert "not supported" in issues[0]["diagnostics"]
    refused(app, issues)


def test_unusable_readings_refuse_the_whole_bundle_one_issue_per_problem(
    app: Flask, fhir_patient: FhirCaller
) -> None:
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat(timespec="seconds")
    data = bundle(
        bp("ok", 135, 85),  # entry[0]: good, and still not saved
        bp("high", 320, 85),  # entry[1]
        bp("kpa", 17, 11, "kPa"),  # entry[2]: a unit that is not mmHg
        weight("st", 13, "stone"),  # entry[3]
        glucose("mg", 6.1, unit="mg"),  # entry[4]: ambiguous
        weight("later", 80, when=future),  # entry[5]
        obs("nt", "29463-7", when=None, valueQuantity={"value": 80, "unit": "kg"}),  # entry[6]
    )
    issues = imported(fhir_patient, data, 422)
    summary, *rest = issues
    assert summary["severity"] == "error"
    assert summary["diagnostics"].startswith("Nothing was imported: 6 entries cannot be used.")
    by_entry: dict[str, list[str]] = {}
    for item in rest:
        assert item["severity"] == "error"
        assert item["code"] == "value"
        by_entry.setdefault(item["expression"][0], []).append(item["diagnostics"])
    assert set(by_entry) == {f"Bundle.entry[{n}].resource" for n in (1, 2, 3, 4, 5, 6)}
    assert "Observation/high: Upper pressure: 320 mmHg is not possible" in " ".join(
        by_entry["Bundle.entry[1].resource"]
    )
    assert "“kPa”" in " ".join(by_entry["Bundle.entry[2].resource"])
    assert "“stone”" in " ".join(by_entry["Bundle.entry[3].resource"])
    assert "“mg”" in " ".join(by_entry["Bundle.entry[4].resource"])
    assert "future" in " ".join(by_entry["Bundle.entry[5].resource"]).lower()
    assert "effectiveDateTime" in " ".join(by_entry["Bundle.entry[6].resource"])
    refused(app, issues)


def test_entries_about_another_patient_of_this_server_are_refused(
    app: Flask, fhir_patient: FhirCaller, create_patient: Callable[..., Any]
) -> None:
    other = create_patient(email="ander@example.nl").id
    mine = weight("w1", 80) | {"subject": {"reference": f"Patient/{fhir_patient.user.id}"}}
    theirs = weight("w2", 81) | {"subject": {"reference": f"Patient/{other}"}}
    issues = imported(fhir_patient, bundle(mine, theirs), 422)
    (problem,) = issues
    assert problem["severity"] == "error"
    assert problem["code"] == "business-rule"
    assert problem["expression"] == ["Bundle.entry[1].resource"]
    assert f"another patient (Patient/{other})" in problem["diagnostics"]
    assert "Nothing was imported" in problem["diagnostics"]
    refused(app, issues)

    # Alone, an absolute reference into this server, and a random UUID: the same.
    for ref in (f"http://localhost/fhir/Patient/{other}", f"Patient/{uuid.uuid4()}"):
        alone = bundle(weight("w", 80) | {"subject": {"reference": ref}})
        issues = imported(fhir_patient, alone, 422)
        assert issues[0]["expression"] == ["Bundle.entry[0].resource"]
        refused(app, issues)


def test_a_bundle_about_two_people_is_refused(app: Flask, fhir_patient: FhirCaller) -> None:
    data = bundle(
        weight("w1", 80) | {"subject": {"reference": "Patient/a"}},
        weight("w2", 81) | {"subject": {"reference": "Patient/b"}},
    )
    issues = imported(fhir_patient, data, 422)
    assert "more than one person" in issues[0]["diagnostics"]
    refused(app, issues)


def test_more_than_the_maximum_entries_is_413_and_nothing_saved(
    app: Flask, fhir_patient: FhirCaller
) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    data = bundle(
        *(
            weight(f"w{i}", 80, when=(start + timedelta(hours=i)).isoformat())
            for i in range(importer.MAX_ENTRIES + 1)
        )
    )
    assert len(data) > 1024 * 1024  # above the app's usual 1 MB: the route's own limit holds
    issues = imported(fhir_patient, data, 413)
    assert issues[0]["code"] == "too-costly"
    assert "This file holds 10,001 entries. We import at most 10,000" in issues[0]["diagnostics"]
    refused(app, issues)


def test_a_body_over_the_byte_limit_is_413(app: Flask, fhir_patient: FhirCaller) -> None:
    data = bundle(weight("w", 80)) + b" " * imports.MAX_BYTES
    issues = imported(fhir_patient, data, 413)
    assert issues[0]["code"] == "too-costly"
    assert "larger than 10 MB" in issues[0]["diagnostics"]
    refused(app, issues)


# -- who may import: only the patient, into their own record ------------------------------


def test_a_clinician_key_cannot_import_even_with_a_share(
    app: Flask,
    fhir_clinician: FhirCaller,
    create_patient: Callable[..., Any],
    make_grant: Callable[..., Any],
) -> None:
    patient = create_patient(email="gedeeld@example.nl")
    make_grant(patient, fhir_clinician.user)
    for target in (patient.id, fhir_clinician.user.id):
        issues = outcome(post(fhir_clinician, target, good()), 404)
        assert issues[0]["code"] == "not-found"
    assert count_rows(app, "measurements") == 0


def test_a_patient_key_cannot_write_into_another_patients_record(
    app: Flask, fhir_patient: FhirCaller, create_patient: Callable[..., Any]
) -> None:
    other = create_patient(email="ander@example.nl")
    mine = outcome(post(fhir_patient, other.id, good()), 404)
    unknown = outcome(post(fhir_patient, uuid.uuid4(), good()), 404)
    assert mine == unknown  # the answer tells nothing about whether the record exists
    assert outcome(post(fhir_patient, "not-a-uuid", good()), 404)[0]["code"] == "not-found"
    # Behind the route, the consent policy refuses the same write (defence in depth).
    items = importer.parse(good(), datetime.now(UTC)).items
    with app.test_request_context(), pytest.raises(NotFound):
        measurements.add_many(fhir_patient.user, other.id, items, Source.API)
    assert count_rows(app, "measurements") == 0


def test_without_a_key_or_with_get_it_answers_in_fhir(app: Flask, fhir_patient: FhirCaller) -> None:
    client = app.test_client()
    path = f"{FHIR}/Patient/{fhir_patient.user.id}/$import"
    no_key = client.post(path, data=good(), content_type=FHIR_JSON)
    assert outcome(no_key, 401)[0]["code"] == "login"
    wrong_method = fhir_patient.get(f"/Patient/{fhir_patient.user.id}/$import")
    assert outcome(wrong_method, 405)[0]["code"] == "not-supported"
    assert count_rows(app, "measurements") == 0


# -- language and the CapabilityStatement -------------------------------------------------


def test_messages_follow_accept_language(app: Flask, fhir_patient: FhirCaller) -> None:
    issues = imported(fhir_patient, good(), 200, language="nl")
    assert texts(issues, "information")[0] == "5 metingen toegevoegd aan uw dossier."
    issues = imported(fhir_patient, b"{", 400, language="nl")
    assert "JSON" in issues[0]["diagnostics"]


def test_the_metadata_lists_the_import_operation(fhir_patient: FhirCaller) -> None:
    statement = validate(fhir_patient.read("/metadata"))
    rest = statement["rest"][0]
    assert "Reads are read-only" in rest["documentation"]
    assert "$import" in rest["documentation"]
    (patient,) = [r for r in rest["resource"] if r["type"] == "Patient"]
    operations = {o["name"]: o for o in patient["operation"]}
    assert set(operations) == {"everything", "import"}
    assert operations["import"]["definition"].endswith("/OperationDefinition/Patient-import")
    assert "413" in operations["import"]["documentation"]
