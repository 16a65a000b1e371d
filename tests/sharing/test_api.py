"""The clinician's read side of the API: same policy, documented responses, paging."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask

from pgd.accounts import tokens
from tests.sharing.conftest import add_readings, enrol

API = "/api/v1"


@pytest.fixture
def clinician_token(app: Flask, create_clinician: Callable[..., Any]) -> tuple[Any, str]:
    clinician = create_clinician()
    enrol(app, clinician)
    with app.test_request_context():
        _info, raw = tokens.create(clinician, "Practice system")
    return clinician, raw


def test_a_clinician_without_second_factor_gets_no_key(
    app: Flask, create_clinician: Callable[..., Any]
) -> None:
    clinician = create_clinician()
    with app.test_request_context(), pytest.raises(tokens.NotFound):
        tokens.create(clinician, "sneaky")


def test_responses_match_the_document_and_pages_hold_everyone(
    app: Flask,
    create_patient: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    clinician_token: tuple[Any, str],
) -> None:
    clinician, raw = clinician_token
    patients = [create_patient(email=f"p{i}@example.nl", name=f"P {i}") for i in range(3)]
    add_readings(app, patients[0])
    for patient in patients:
        make_grant(patient, clinician, categories=("weight", "goals"))
    schema = schemathesis.openapi.from_wsgi(f"{API}/openapi.json", app)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {raw}", "Accept-Language": "en"}

    first = client.get(f"{API}/patients?limit=2", headers=headers)
    schema["/patients"]["GET"].validate_response(first)
    body = first.get_json()
    assert body["total"] == 3
    assert [p["name"] for p in body["items"]] == ["P 2", "P 1"]
    rest = client.get(f"{API}/patients?limit=2&cursor={body['next_cursor']}", headers=headers)
    assert [p["name"] for p in rest.get_json()["items"]] == ["P 0"]
    assert rest.get_json()["next_cursor"] is None
    assert client.get(f"{API}/patients?cursor=bogus", headers=headers).status_code == 400

    readings = client.get(f"{API}/patients/{patients[0].id}/measurements", headers=headers)
    schema["/patients/{patient_id}/measurements"]["GET"].validate_response(readings)
    assert {item["type"] for item in readings.get_json()["items"]} == {"weight"}
    assert readings.get_json()["total"] == 3
    glucose = client.get(
        f"{API}/patients/{patients[0].id}/measurements?type=glucose", headers=headers
    )
    assert glucose.status_code == 404
    assert glucose.get_json()["status"] == 404


def test_the_patient_side_of_the_api_is_not_the_clinicians(
    app: Flask,
    create_patient: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    clinician_token: tuple[Any, str],
) -> None:
    clinician, raw = clinician_token
    patient = create_patient()
    add_readings(app, patient)
    make_grant(patient, clinician)
    headers = {"Authorization": f"Bearer {raw}"}
    client = app.test_client()
    # A clinician's key cannot write, and "own measurements" are not a patient's.
    weight = {"type": "weight", "taken_at": "2026-01-01T08:00:00Z", "weight_kg": 80}
    assert client.post(f"{API}/measurements", json=weight, headers=headers).status_code == 404
    assert client.get(f"{API}/measurements", headers=headers).status_code == 404
    with app.test_request_context():
        _info, patient_key = tokens.create(patient, "Meter")
    patient_headers = {"Authorization": f"Bearer {patient_key}"}
    assert client.get(f"{API}/patients", headers=patient_headers).status_code == 404
    other = client.get(f"{API}/patients/{patient.id}/measurements", headers=patient_headers)
    assert other.status_code == 404


def test_a_clinician_makes_and_revokes_a_key_on_the_web(
    app: Flask, create_clinician: Callable[..., Any], verified_client: Callable[[Any], Any]
) -> None:
    import re

    from tests.conftest import PASSWORD, post_form

    clinician = create_clinician()
    web = verified_client(clinician)
    # Making a key asks for the password and a second-factor code (issue 13).
    code, _recovery = app.extensions["pgd.test_enrolled"][clinician.email].next_code()
    data = {"name": "Praktijksysteem", "password": PASSWORD, "scope": "read", "code": code}
    made = post_form(web, "/clinician/api-keys", data)
    raw = re.search(r'value="(pgd_[^"]+)"', made.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    headers = {"Authorization": f"Bearer {raw}"}
    assert app.test_client().get(f"{API}/patients", headers=headers).status_code == 200
    listing = web.get("/clinician/api-keys").get_data(as_text=True)
    revoke = re.search(r'href="(/clinician/api-keys/[0-9a-f-]+/revoke)"', listing).group(1)  # type: ignore[union-attr]
    assert post_form(web, revoke, {}).status_code == 302
    assert app.test_client().get(f"{API}/patients", headers=headers).status_code == 401


@pytest.fixture
def dutch_server_clock() -> Iterator[None]:
    """A server whose local time is Dutch: stored times must still come out as UTC."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/Amsterdam"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_the_summary_through_the_api_matches_the_page_and_is_logged(
    app: Flask,
    create_patient: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    clinician_token: tuple[Any, str],
    dutch_server_clock: None,
) -> None:
    from datetime import UTC, datetime, timedelta

    from pgd.goals import questions, services
    from pgd.goals.data import GoalData, GoalKind
    from tests.conftest import count_rows

    clinician, raw = clinician_token
    patient = create_patient()
    add_readings(app, patient)  # days 1, 5, 40: BP 150/92, a glucose of 3.5 on day 5
    today = datetime.now(UTC).date()
    with app.test_request_context():
        services.create_goal(
            patient,
            patient.id,
            GoalData(
                kind=GoalKind.MEASUREMENT,
                text="Afvallen naar 85 kilo",
                why="Fitter",
                start=today - timedelta(days=60),
                metric="weight",
                target=85.0,
            ),
        )
        questions.add_question(patient, patient.id, "Mag ik mijn metformine later nemen?")
    make_grant(patient, clinician, categories=("blood_pressure", "glucose", "goals"))
    schema = schemathesis.openapi.from_wsgi(f"{API}/openapi.json", app)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {raw}", "Accept-Language": "en"}

    got = client.get(f"{API}/patients/{patient.id}/summary", headers=headers)
    assert got.status_code == 200
    schema["/patients/{patient_id}/summary"]["GET"].validate_response(got)
    body = got.get_json()
    assert body["period"] == "3m"
    assert body["patient"]["id"] == str(patient.id)
    blocks = {b["category"]: b for b in body["measurements"]}
    assert set(blocks) == {"blood_pressure", "glucose"}  # weight is not shared
    assert blocks["blood_pressure"]["readings"] == 3
    assert {f["code"] for f in blocks["blood_pressure"]["flags"]} == {"bp_mean_high"}
    assert blocks["glucose"]["flags"] == [{"code": "glucose_low", "value": 1}]
    assert blocks["glucose"]["latest"]["values"] == {"mmol": 7.4}
    # The target the readings were judged against, with its source (NHG, unknown age).
    target = blocks["blood_pressure"]["target"]
    assert (target["systolic_below"], target["diastolic_below"]) == (135, 85)
    assert target["source"] == "standard"
    assert target["text"] == "below 135/85, NHG target for home measurement"
    assert blocks["blood_pressure"]["verdict"] == {"level": "high", "code": "bp_mean_high"}
    assert blocks["glucose"]["verdict"]["code"] == "glucose_period_hypos"
    assert blocks["glucose"]["target"]["code"] == "glucose_by_moment"
    [goal] = body["goals"]
    assert goal["text"] == "Afvallen naar 85 kilo"
    assert goal["progress"]["status"] == "not_shared"  # weight itself is not shared
    assert [q["text"] for q in body["questions"]] == ["Mag ik mijn metformine later nemen?"]
    written = datetime.fromisoformat(body["questions"][0]["written_at"].replace("Z", "+00:00"))
    assert abs((written - datetime.now(UTC)).total_seconds()) < 120  # UTC, whatever TZ says
    assert count_rows(app, "access_events") == 1

    month = client.get(f"{API}/patients/{patient.id}/summary?period=1m", headers=headers)
    assert {b["category"]: b["readings"] for b in month.get_json()["measurements"]} == {
        "blood_pressure": 2,
        "glucose": 2,
    }
    bad = client.get(f"{API}/patients/{patient.id}/summary?period=2w", headers=headers)
    assert bad.status_code == 400
    assert bad.get_json()["errors"][0]["field"] == "period"
    assert client.get(f"{API}/patients/{uuid.uuid4()}/summary", headers=headers).status_code == 404
    assert count_rows(app, "access_events") == 2  # refused requests read nothing
