"""API keys expire and have a scope; making one asks for the password (and a clinician's
second-factor code); a password change revokes every key (issue 13)."""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text, update

from pgd import db
from pgd.accounts import tokens
from pgd.accounts.models import ApiToken
from pgd.security_log import Events
from tests.conftest import (
    PASSWORD,
    count_rows,
    enrol,
    login,
    login_clinician,
    post_form,
    security_events,
)

PAGE = "/settings/api-keys"
CLINICIAN_PAGE = "/clinician/api-keys"
TOKEN = re.compile(r"pgd_[A-Za-z0-9_-]{43}")
API = "/api/v1"
READING = {
    "type": "weight",
    "taken_at": "2026-01-05T08:00:00+01:00",
    "weight_kg": 80,
}


def _bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}", "Accept-Language": "en"}


def _key(app: Flask, user: Any, **kw: Any) -> tuple[tokens.TokenInfo, str]:
    with app.test_request_context():
        return tokens.create(user, "Meter", **kw)


@pytest.fixture
def patient(create_patient: Callable[..., Any]) -> Any:
    return create_patient()


@pytest.fixture
def patient_client(app: Flask, patient: Any) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(client, "patient@example.nl")
    return client


# -- expiry -------------------------------------------------------------------------------


def test_default_expiry_and_scope_per_role(
    app: Flask, create_patient: Callable[..., Any], create_clinician: Callable[..., Any]
) -> None:
    patient = create_patient()
    clinician = create_clinician()
    enrol(app, clinician)
    mine, _raw = _key(app, patient)
    theirs, _raw = _key(app, clinician)
    now = datetime.now(UTC)
    assert abs(mine.expires_at - (now + timedelta(days=365))) < timedelta(minutes=1)
    assert mine.scope == ("read", "write")
    assert abs(theirs.expires_at - (now + timedelta(days=90))) < timedelta(minutes=1)
    assert theirs.scope == ("read",)
    with app.test_request_context(), pytest.raises(tokens.AccountError):
        tokens.create(clinician, "Practice", scopes=["read", "write"])
    with app.test_request_context(), pytest.raises(tokens.AccountError):
        tokens.create(clinician, "Practice", valid_days=365)


def test_the_chosen_expiry_and_scope_are_shown_in_the_list(
    app: Flask, patient_client: FlaskClient
) -> None:
    made = post_form(
        patient_client,
        PAGE,
        {"name": "Weegschaal", "valid_days": "30", "scope": "write", "password": PASSWORD},
    )
    assert made.status_code == 200
    assert TOKEN.search(made.get_data(as_text=True))
    with app.app_context():
        row = db.session().scalars(select(ApiToken)).one()
        expires = row.expires_at.replace(tzinfo=row.expires_at.tzinfo or UTC)
        assert row.scope == "write"
    assert abs(expires - (datetime.now(UTC) + timedelta(days=30))) < timedelta(minutes=1)
    listing = patient_client.get(PAGE).get_data(as_text=True)
    assert "Valid until" in listing
    assert f"{expires.day} {expires.strftime('%b')} {expires.year}" in listing
    assert "send measurements (write)" in listing
    assert "read measurements" not in listing.split("Make a new key")[0]


def test_the_form_offers_a_year_by_default_and_nothing_longer_than_two(
    patient_client: FlaskClient,
) -> None:
    page = patient_client.get(PAGE).get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value="365"|value="365"[^>]*checked', page)
    made = post_form(
        patient_client,
        PAGE,
        {"name": "Meter", "valid_days": "3650", "scope": "read", "password": PASSWORD},
    )
    assert made.status_code == 400
    assert not TOKEN.search(made.get_data(as_text=True))


def test_an_expired_key_answers_401_with_the_date_and_a_log_line(
    app: Flask, create_patient: Callable[..., Any], seclog_stream: io.StringIO
) -> None:
    patient = create_patient()
    info, raw = _key(app, patient)
    with app.app_context(), db.transaction() as sess:
        sess.execute(
            update(ApiToken)
            .where(ApiToken.id == info.id)
            .values(expires_at=datetime(2026, 3, 1, 12, tzinfo=UTC))
        )
    client = app.test_client()
    answer = client.get(f"{API}/measurements", headers=_bearer(raw))
    assert answer.status_code == 401
    assert answer.mimetype == "application/problem+json"
    assert "This key expired on March 1, 2026" in answer.get_json()["detail"]
    assert "invalid_token" in answer.headers["WWW-Authenticate"]
    fhir = client.get(f"/fhir/Patient/{patient.id}", headers=_bearer(raw))
    assert fhir.status_code == 401
    assert "expired on" in fhir.get_json()["issue"][0]["diagnostics"]
    lines = security_events(seclog_stream, Events.API_KEY_EXPIRED)
    assert len(lines) == 2
    assert lines[0]["key_id"] == str(info.id)
    assert lines[0]["user_id"] == str(patient.id)
    assert lines[0]["outcome"] == "refused"
    assert raw not in seclog_stream.getvalue()
    assert raw[4:12] not in seclog_stream.getvalue()


def test_the_list_shows_an_expired_key_as_expired(
    app: Flask, patient: Any, patient_client: FlaskClient
) -> None:
    info, _raw = _key(app, patient)
    with app.app_context(), db.transaction() as sess:
        sess.execute(
            update(ApiToken)
            .where(ApiToken.id == info.id)
            .values(expires_at=datetime(2026, 3, 1, 12, tzinfo=UTC))
        )
    listing = patient_client.get(PAGE).get_data(as_text=True)
    assert "Expired on 1 Mar 2026" in listing


# -- scope --------------------------------------------------------------------------------


def test_a_read_only_key_cannot_write(
    app: Flask, create_patient: Callable[..., Any], seclog_stream: io.StringIO
) -> None:
    patient = create_patient()
    _info, raw = _key(app, patient, scopes=["read"])
    client = app.test_client()
    assert client.get(f"{API}/measurements", headers=_bearer(raw)).status_code == 200
    posted = client.post(f"{API}/measurements", json=READING, headers=_bearer(raw))
    assert posted.status_code == 403
    assert posted.mimetype == "application/problem+json"
    assert "may only read" in posted.get_json()["detail"]
    deleted = client.delete(f"{API}/measurements/{uuid.uuid4()}", headers=_bearer(raw))
    assert deleted.status_code == 403
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": []}
    imported = client.post(
        f"/fhir/Patient/{patient.id}/$import",
        data=json.dumps(bundle),
        headers={**_bearer(raw), "Content-Type": "application/fhir+json"},
    )
    assert imported.status_code == 403
    outcome = imported.get_json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert "may only read" in outcome["issue"][0]["diagnostics"]
    assert count_rows(app, "measurements") == 0
    refused = [
        x
        for x in security_events(seclog_stream, Events.API_KEY_REFUSED)
        if x.get("reason") == "scope"
    ]
    assert len(refused) == 3


def test_a_write_only_key_cannot_read(app: Flask, create_patient: Callable[..., Any]) -> None:
    patient = create_patient()
    _info, raw = _key(app, patient, scopes=["write"])
    client = app.test_client()
    posted = client.post(f"{API}/measurements", json=READING, headers=_bearer(raw))
    assert posted.status_code == 201
    for path in (f"{API}/measurements", posted.headers["Location"]):
        answer = client.get(path, headers=_bearer(raw))
        assert answer.status_code == 403, path
        assert "may only send measurements" in answer.get_json()["detail"]
    fhir = client.get(f"/fhir/Observation?patient={patient.id}", headers=_bearer(raw))
    assert fhir.status_code == 403
    assert fhir.get_json()["resourceType"] == "OperationOutcome"


# -- making a key -------------------------------------------------------------------------


FILL_IN = "Fill in your password."
NOT_RIGHT = "Your password is not right."


@pytest.mark.parametrize(
    ("password", "message", "not_message", "logged"),
    [
        ("", FILL_IN, NOT_RIGHT, False),  # the form's own check: no password checked
        ("dit is niet mijn wachtwoord", NOT_RIGHT, FILL_IN, True),
    ],
)
def test_making_a_key_needs_the_right_password(
    app: Flask,
    patient_client: FlaskClient,
    seclog_stream: io.StringIO,
    password: str,
    message: str,
    not_message: str,
    logged: bool,
) -> None:
    made = post_form(
        patient_client, PAGE, {"name": "Meter", "scope": ["read", "write"], "password": password}
    )
    assert made.status_code == 400
    page = made.get_data(as_text=True)
    assert not TOKEN.search(page)
    assert message in page
    assert not_message not in page
    assert count_rows(app, "api_tokens") == 0
    refused = [
        (line["outcome"], line.get("reason"))
        for line in security_events(seclog_stream, Events.API_KEY_CREATED)
    ]
    assert refused == ([("failure", "password")] if logged else [])


def test_making_a_key_needs_a_scope(app: Flask, patient_client: FlaskClient) -> None:
    made = post_form(patient_client, PAGE, {"name": "Meter", "password": PASSWORD})
    assert made.status_code == 400
    assert "Choose at least one thing the key may do" in made.get_data(as_text=True)
    assert count_rows(app, "api_tokens") == 0


def test_a_clinician_needs_a_second_factor_code_and_gets_read_only(
    app: Flask, create_clinician: Callable[..., Any]
) -> None:
    clinician = create_clinician()
    enrolled = enrol(app, clinician)
    web = app.test_client()
    web.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert login_clinician(web, enrolled).status_code == 302
    form = web.get(CLINICIAN_PAGE).get_data(as_text=True)
    assert 'value="write"' not in form, "a clinician's key only reads"
    assert 'value="730"' not in form
    assert 'value="365"' not in form
    assert 'name="code"' in form

    base = {"name": "Praktijksysteem", "scope": "read", "password": PASSWORD}
    for code in ("", "000000"):
        refused = post_form(web, CLINICIAN_PAGE, {**base, "code": code})
        assert refused.status_code == 400
        assert not TOKEN.search(refused.get_data(as_text=True))
    assert count_rows(app, "api_tokens") == 0
    writing = post_form(web, CLINICIAN_PAGE, {**base, "scope": "write", "code": "123456"})
    assert writing.status_code == 400
    assert count_rows(app, "api_tokens") == 0

    code, _recovery = enrolled.next_code()
    made = post_form(web, CLINICIAN_PAGE, {**base, "code": code})
    assert made.status_code == 200
    raw = TOKEN.search(made.get_data(as_text=True)).group(0)  # type: ignore[union-attr]
    assert app.test_client().get(f"{API}/patients", headers=_bearer(raw)).status_code == 200
    with app.app_context():
        row = db.session().execute(text("SELECT scope, expires_at FROM api_tokens")).one()
    assert row.scope == "read"
    listing = web.get(CLINICIAN_PAGE).get_data(as_text=True)
    assert "read measurements" in listing


# -- password change ------------------------------------------------------------------------


def test_a_password_change_revokes_every_key(
    app: Flask, patient: Any, patient_client: FlaskClient
) -> None:
    _info, first = _key(app, patient)
    _info, second = _key(app, patient, scopes=["write"])
    client = app.test_client()
    assert client.get(f"{API}/measurements", headers=_bearer(first)).status_code == 200
    changed = post_form(
        patient_client,
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": "een heel nieuw wachtwoord 42",
            "confirm": "een heel nieuw wachtwoord 42",
        },
    )
    assert changed.status_code == 302, changed.get_data(as_text=True)[:2000]
    assert client.get(f"{API}/measurements", headers=_bearer(first)).status_code == 401
    posted = client.post(f"{API}/measurements", json=READING, headers=_bearer(second))
    assert posted.status_code == 401
    with app.app_context():
        left = db.session().execute(
            text("SELECT count(*) FROM api_tokens WHERE revoked_at IS NULL")
        )
        assert left.scalar_one() == 0


# -- migration ------------------------------------------------------------------------------


def test_the_migration_gives_existing_keys_the_old_powers_and_a_default_expiry(
    tmp_path: Any,
) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    cfg = db.alembic_config(url)
    command.upgrade(cfg, "0012_disabled_users")
    engine = create_engine(url)
    made = datetime(2026, 1, 10, 9, 30)
    with engine.begin() as conn:
        columns = {r[1]: r for r in conn.execute(text("PRAGMA table_info(users)"))}
        for role, email in (("patient", "p@example.nl"), ("clinician", "c@example.nl")):
            user_id = uuid.uuid4()
            values: dict[str, Any] = {"id": user_id.hex, "email": email, "role": role}
            for name, row in columns.items():  # any other NOT NULL column without default
                if name not in values and row[3] and row[4] is None:
                    values[name] = 0 if "INT" in str(row[2]).upper() else made.isoformat(" ")
            names = ", ".join(values)
            marks = ", ".join(f":{n}" for n in values)
            conn.execute(text(f"INSERT INTO users ({names}) VALUES ({marks})"), values)  # noqa: S608
            conn.execute(
                text(
                    "INSERT INTO api_tokens (id, user_id, name, digest, prefix, created_at) "
                    "VALUES (:id, :user_id, :name, :digest, :prefix, :created_at)"
                ),
                {
                    "id": uuid.uuid4().hex,
                    "user_id": user_id.hex,
                    "name": role,
                    "digest": role.ljust(64, "0"),
                    "prefix": "abcdefgh",
                    "created_at": made.isoformat(" "),
                },
            )
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        rows = {
            r.name: r for r in conn.execute(text("SELECT name, scope, expires_at FROM api_tokens"))
        }
    assert rows["patient"].scope == "read write"
    assert rows["clinician"].scope == "read"
    assert str(rows["patient"].expires_at).startswith("2027-01-10 09:30")
    assert str(rows["clinician"].expires_at).startswith("2026-04-10 09:30")
    command.downgrade(cfg, "0012_disabled_users")
    command.upgrade(cfg, "head")
    engine.dispose()
