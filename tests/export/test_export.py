"""The complete export (issue 12, GDPR articles 15 and 20): one ZIP with every file its
README names, every reading, the shares with their history and the access log, and
nothing of anyone else; only after the password; a clinician cannot reach it."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
import zipfile
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pgd import db
from pgd.export import readme
from pgd.goals import questions
from pgd.goals import services as goals
from pgd.goals.data import GoalData, GoalKind
from pgd.measurements import services as measurements
from pgd.measurements.models import Source
from pgd.measurements.values import Weight
from pgd.sharing.models import Grant, GrantChange
from tests.conftest import PASSWORD, csrf_token, enrol, login, login_clinician
from tests.sharing.conftest import add_readings

URL = "/account/export"
OTHER_NAME = "Bartholomeus Zwanenburg"
OTHER_EMAIL = "bart@example.nl"
OTHER_GOAL = "Elke dag naar de volkstuin fietsen"
OTHER_QUESTION = "Mag ik mijn tuinbonen blijven eten?"


def _client(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert login(client, email).status_code == 302
    return client


def _record(app: Flask, patient: Any, *, goal: str, question: str) -> uuid.UUID:
    """A goal with a step and a check-in, and a consult question; returns the goal id."""
    today = datetime.now(UTC).date()
    with app.test_request_context():
        goal_id = goals.create_goal(
            patient,
            patient.id,
            GoalData(
                kind=GoalKind.ACTIVITY,
                text=goal,
                why="Fitter worden",
                start=today - timedelta(days=14),
                per_week=3,
            ),
        )
        goals.add_action(patient, patient.id, goal_id, "Fiets oppompen")
        goals.check_in(patient, patient.id, goal_id, today - timedelta(days=1))
        questions.add_question(patient, patient.id, question)
    return goal_id


def _share(app: Flask, patient: Any, clinician: Any) -> uuid.UUID:
    """A grant and one consent change to it (weight removed), written directly."""
    now = datetime.now(UTC)
    grant = Grant(
        id=uuid.uuid4(),
        patient_id=patient.id,
        clinician_id=clinician.id,
        categories="blood_pressure,goals",
        expires_at=now + timedelta(days=60),
        created_at=now - timedelta(days=2),
    )
    with app.app_context(), db.transaction() as sess:
        sess.add(grant)
        sess.flush()
        sess.add(
            GrantChange(
                grant_id=grant.id,
                patient_id=patient.id,
                changed_at=now - timedelta(days=1),
                categories_before="blood_pressure,weight,goals",
                categories_after="blood_pressure,goals",
                expires_before=now + timedelta(days=60),
                expires_after=now + timedelta(days=60),
            )
        )
    return grant.id


@pytest.fixture
def two_patients(
    app: Flask, create_patient: Callable[..., Any], create_clinician: Callable[..., Any]
) -> dict[str, Any]:
    first = create_patient(birth_date=date(1958, 4, 2))
    other = create_patient(email=OTHER_EMAIL, name=OTHER_NAME, birth_date=date(1949, 7, 30))
    add_readings(app, first)  # 3 days x blood pressure, weight, glucose
    with app.test_request_context():
        measurements.add_many(
            other, other.id, [(Weight(123.4), datetime.now(UTC), "zwaar")], Source.WEB
        )
    goal_id = _record(app, first, goal="Drie keer per week wandelen", question="Hoe laat?")
    from pgd.accounts import tokens
    from pgd.measurements import week

    with app.test_request_context():
        started = week.today() - timedelta(days=2)
        week.start(first, first.id, started)
        _info, api_key = tokens.create(first, "Mijn meter")
    _record(app, other, goal=OTHER_GOAL, question=OTHER_QUESTION)
    clinician = create_clinician()
    enrolled = enrol(app, clinician)
    grant_id = _share(app, first, clinician)
    _share(app, other, clinician)
    poh = app.test_client()
    assert login_clinician(poh, enrolled).status_code == 302
    for who in (first, other):  # one access-log event for each patient
        assert poh.get(f"/clinician/patients/{who.id}").status_code == 200
    return {
        "first": first,
        "other": other,
        "goal_id": goal_id,
        "grant_id": grant_id,
        "week_start": started.isoformat(),
        "api_key": api_key,
        "clinician": clinician,
        "poh": poh,
    }


def _download(client: FlaskClient, password: str = PASSWORD) -> Any:
    return client.post(URL, data={"csrf_token": csrf_token(client, URL), "password": password})


def _archive(app: Flask, email: str) -> zipfile.ZipFile:
    response = _download(_client(app, email))
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    return zipfile.ZipFile(io.BytesIO(response.get_data()))


def _csv(zf: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    text = zf.read(name).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def test_the_archive_holds_every_file_its_readme_explains(
    app: Flask, two_patients: dict[str, Any]
) -> None:
    first = two_patients["first"]
    zf = _archive(app, first.email)
    text = zf.read("README.txt").decode("utf-8")
    listed = re.findall(r"^Bestand: (\S+)\r?$", text, flags=re.M)
    assert sorted(listed) == sorted(zf.namelist())
    assert sorted(listed) == sorted(d.name for d in readme.FILES)
    assert "File: measurements.csv" in text  # the English section too
    for doc in readme.FILES:
        for column, _nl, _en in doc.columns:
            assert f"  - {column}: " in text, (doc.name, column)

    for name in zf.namelist():
        if name.endswith(".json"):
            json.loads(zf.read(name))  # every JSON file parses
        if name.endswith(".csv"):
            doc = next(d for d in readme.FILES if d.name == name)
            header = zf.read(name).decode("utf-8-sig").split("\r\n", 1)[0]
            assert header.split(";") == [c[0] for c in doc.columns], name

    with app.test_request_context():
        count = sum(1 for _ in measurements.all_readings(first, first.id))
    assert count == 9
    rows = _csv(zf, "measurements.csv")
    assert len(rows) == count
    assert {r["type"] for r in rows} == {"blood_pressure", "weight", "glucose"}
    assert len(json.loads(zf.read("measurements.json"))) == count
    assert any(r["weight_kg"] == "89,9" for r in rows)  # decimal comma, as README says
    assert any(r["note"] == "bp note" for r in rows)

    profile = json.loads(zf.read("profile.json"))
    assert profile == [
        {
            "name": "Jansje Pietersma",
            "birth_date": "1958-04-02",
            "email": first.email,
            "language": profile[0]["language"],
            "account_created_utc": profile[0]["account_created_utc"],
            "login_code_on": False,
        }
    ]

    (goal,) = json.loads(zf.read("goals.json"))
    assert goal["id"] == str(two_patients["goal_id"])
    assert goal["text"] == "Drie keer per week wandelen"
    assert goal["steps"] == [{"text": "Fiets oppompen", "done": False}]
    assert len(goal["checkins"]) == 1
    assert len(_csv(zf, "goal_checkins.csv")) == 1
    assert [q["text"] for q in _csv(zf, "questions.csv")] == ["Hoe laat?"]

    (share,) = _csv(zf, "shares.csv")
    assert share["id"] == str(two_patients["grant_id"])
    assert share["care_provider"] == "Anna de Vries"
    assert share["categories"] == "blood_pressure,goals"
    (change,) = _csv(zf, "share_changes.csv")
    assert change["share_id"] == str(two_patients["grant_id"])
    assert change["categories_before"] == "blood_pressure,weight,goals"
    log = _csv(zf, "access_log.csv")
    assert [(e["action"], e["outcome"]) for e in log] == [("view_summary", "allowed")]
    assert log[0]["care_provider"] == "Anna de Vries"
    assert set(log[0]) == {c[0] for c in readme.ACCESS_LOG}  # no ids, no hashes

    (week_row,) = _csv(zf, "measuring_weeks.csv")
    assert week_row["start_day"] == two_patients["week_start"]
    assert week_row["stopped_utc"] == ""
    (key,) = _csv(zf, "api_keys.csv")
    assert key["name"] == "Mijn meter"
    assert two_patients["api_key"] not in zf.read("api_keys.csv").decode("utf-8-sig")

    bundle = json.loads(zf.read("fhir/everything.json"))
    assert bundle["resourceType"] == "Bundle"
    observations = [
        e for e in bundle.get("entry", []) if e["resource"]["resourceType"] == "Observation"
    ]
    assert observations, "the FHIR Bundle holds the readings"


def test_nothing_of_anyone_else_is_in_the_archive(app: Flask, two_patients: dict[str, Any]) -> None:
    first, other, clinician = (
        two_patients["first"],
        two_patients["other"],
        two_patients["clinician"],
    )
    zf = _archive(app, first.email)
    everything = b"".join(zf.read(name) for name in zf.namelist())
    forbidden = [
        OTHER_NAME,
        OTHER_EMAIL,
        OTHER_GOAL,
        OTHER_QUESTION,
        "123,4",
        "123.4",
        "zwaar",
        "1949-07-30",
        str(other.id),
        other.id.hex,
        str(clinician.id),  # the care provider's internal id
        clinician.id.hex,
        clinician.email,
        "$argon2",  # no password hash
    ]
    for text in forbidden:
        assert text.encode() not in everything, text
        assert text.encode("utf-16-le") not in everything, text
    # The other patient's own archive has their data, so the search above could find it.
    theirs = _archive(app, OTHER_EMAIL)
    assert OTHER_GOAL.encode() in b"".join(theirs.read(n) for n in theirs.namelist())


def test_the_password_is_asked_again(app: Flask, two_patients: dict[str, Any]) -> None:
    client = _client(app, two_patients["first"].email)
    page = client.get(URL)
    assert page.status_code == 200
    assert 'type="password"' in page.get_data(as_text=True)
    wrong = _download(client, "not my password at all")
    assert wrong.status_code == 400
    assert wrong.mimetype == "text/html"
    assert "Your password is not right." in wrong.get_data(as_text=True)
    empty = _download(client, "")
    assert empty.status_code == 400
    assert empty.mimetype == "text/html"
    no_token = client.post(URL, data={"password": PASSWORD})
    assert no_token.mimetype != "application/zip"


def test_a_clinician_cannot_use_it(app: Flask, two_patients: dict[str, Any]) -> None:
    poh = two_patients["poh"]
    assert poh.get(URL).status_code == 404
    token = csrf_token(poh, "/clinician/share-code")  # a valid form token of their own
    response = poh.post(URL, data={"csrf_token": token, "password": PASSWORD})
    assert response.status_code == 404


def test_someone_logged_out_is_sent_to_log_in(app: Flask, two_patients: dict[str, Any]) -> None:
    response = app.test_client().get(URL)
    assert response.status_code in (302, 401)
    assert response.headers["Location"].startswith("/login")
    assert app.test_client().post(URL, data={"password": PASSWORD}).mimetype != "application/zip"


def test_my_details_links_to_the_export(app: Flask, two_patients: dict[str, Any]) -> None:
    client = _client(app, two_patients["first"].email)
    page = client.get("/account/profile").get_data(as_text=True)
    assert f'href="{URL}"' in page
