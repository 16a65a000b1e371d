"""Bad input on /fhir: each gets an OperationOutcome, application/fhir+json, a 4xx and a
message that says what is allowed."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.fhir_interop.conftest import FhirCaller
from tests.fhir_interop.helpers import seed


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/Patient/not-a-uuid", 404, "does not exist"),
        ("/Patient/not-a-uuid/$everything", 404, "does not exist"),
        ("/Observation?patient={pid}&_count=100000", 400, "1 to 1000"),
        ("/Observation?patient={pid}&_count=0", 400, "1 to 1000"),
        ("/Observation?patient={pid}&_count=ten", 400, "1 to 1000"),
        ("/Observation?patient={pid}&_count=%C2%B2", 400, "1 to 1000"),  # "²" is a digit
        ("/Observation?patient={pid}&date=lt0001-01-01", 400, "not understood"),
        ("/Observation?patient={pid}&date=ge0001-01-01T00:00:00%2B14:00", 400, "not understood"),
        ("/Observation?patient={pid}&date=le9999-12-31", 400, "not understood"),
        ("/Observation?patient={pid}&category=vital-signs", 400, "not supported"),
        ("/Observation?patient={pid}&_sort=date", 400, "not supported"),
        ("/Goal?patient={pid}&status=active", 400, "not supported"),
        ("/Patient/{pid}/$everything?start=2024-01-01", 400, "not supported"),
        ("/Observation?patient={pid}&date=gisteren", 400, "not understood"),
        ("/Observation?patient={pid}&date=ge2024-13-01", 400, "not understood"),
        ("/Observation?patient={pid}&date=ge2024-01-01T10:00", 400, "not understood"),
        ("/Observation?patient={pid}&code=1234-5", 400, "not served"),
        ("/Observation?patient={pid}&code=http://snomed.info/sct|85354-9", 400, "not served"),
        ("/Observation?patient={pid}&_cursor=abc", 400, "next"),
        ("/Observation?patient={pid}&_count=5&_count=6", 400, "once"),
        ("/Observation?patient=not-a-uuid", 400, "not a valid id"),
        ("/Observation", 400, "patient"),
        ("/Observation?patient={pid}&_format=xml", 400, "JSON"),
        ("/Condition?patient={pid}", 404, "does not exist"),
    ],
)
def test_bad_input_is_an_operation_outcome(
    app: Flask, fhir_patient: FhirCaller, path: str, status: int, words: str
) -> None:
    body = fhir_patient.read(path.format(pid=fhir_patient.user.id), status=status)
    assert body["resourceType"] == "OperationOutcome"
    (issue,) = body["issue"]
    assert issue["severity"] == "error"
    assert words in issue["diagnostics"]


def test_a_good_date_range_and_count_work(app: Flask, fhir_patient: FhirCaller) -> None:
    seed(app, fhir_patient.user, days_ago=(1,))
    pid = fhir_patient.user.id
    body = fhir_patient.read(
        f"/Observation?patient={pid}&date=ge2000-01&date=lt2999-01-01T00:00:00Z&_count=1000"
        "&_format=json"
    )
    assert len(body["entry"]) == 14


def test_no_key_wrong_method_and_unknown_paths_answer_in_fhir(app: Flask) -> None:
    client = app.test_client()
    no_key = client.get("/fhir/Patient/00000000-0000-4000-8000-000000000000")
    assert no_key.status_code == 401
    assert no_key.mimetype == "application/fhir+json"
    assert no_key.headers["WWW-Authenticate"].startswith("Bearer")
    assert no_key.get_json()["issue"][0]["code"] == "login"
    wrong = client.post("/fhir/metadata")
    assert wrong.status_code == 405
    assert wrong.mimetype == "application/fhir+json"
    assert wrong.get_json()["resourceType"] == "OperationOutcome"
    missing = client.get("/fhir/nothing/here")
    assert missing.status_code == 404
    assert missing.mimetype == "application/fhir+json"


def test_a_crash_is_an_operation_outcome_too(
    app: Flask, fhir_patient: FhirCaller, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Flask finds the app's HTML 500 page before a blueprint's class handler: the FHIR
    blueprint catches the code itself."""
    from pgd.fhir import bundles

    def broken(*_args: object, **_kw: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(bundles, "read_patient", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    body = fhir_patient.read(f"/Patient/{fhir_patient.user.id}", status=500)
    assert body["resourceType"] == "OperationOutcome"
    assert "Something went wrong on our side" in body["issue"][0]["diagnostics"]
    assert "a bug" not in str(body)
