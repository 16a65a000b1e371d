"""Findings of the security review (issue 13): client grouping for every limit, a rate per
API key, clear 400s and form errors instead of 500s, and private database and key files."""

from __future__ import annotations

import io
import logging
import os
import re
import stat
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pgd import create_app, db
from pgd.accounts import throttle, tokens
from pgd.measurements.validation import LOCAL
from tests.conftest import FAST_HASHING, PASSWORD, login, post_form

# -- one grouping of client addresses ------------------------------------------------


@pytest.mark.parametrize(
    ("address", "group"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8::1", "2001:db8::/64"),
        ("2001:db8::2", "2001:db8::/64"),
        ("2001:0db8:0000:0000:abcd::1", "2001:db8::/64"),
        ("2001:db8:0:1::1", "2001:db8:0:1::/64"),
        ("::1", "::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("fe80::1%eth0", "fe80::/64"),
        ("unknown", "unknown"),
        ("", "unknown"),
        (None, "unknown"),
        ("not:an:address", "not:an:address"),
    ],
)
def test_client_group(address: str | None, group: str) -> None:
    assert throttle.client_group(address) == group


def _wrong_login(client: FlaskClient, address: str, n: int) -> int:
    client.environ_base["REMOTE_ADDR"] = address
    response = post_form(
        client, "/login", {"email": f"nobody{n}@example.nl", "password": "not the password"}
    )
    return int(response.status_code)


def test_shortened_ipv6_addresses_of_one_network_share_the_login_limit(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(LOGIN_LIMIT_IP="2 per 15 minutes")
    client = app.test_client()
    assert _wrong_login(client, "2001:db8::1", 1) != 429
    assert _wrong_login(client, "2001:db8::1", 2) != 429
    # Another device of the same home network (/64), another account: still limited.
    assert _wrong_login(client, "2001:db8::2", 3) == 429
    # Another network is not.
    assert _wrong_login(client, "2001:db8:0:1::2", 4) != 429
    app.extensions["pgd.engine"].dispose()


def test_the_api_failed_key_brake_groups_an_ipv6_network(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(API_AUTH_FAILURE_LIMIT="2 per minute")
    client = app.test_client()
    bad = {"Authorization": "Bearer pgd_" + "B" * 43}

    def call(address: str) -> int:
        return int(
            client.get(
                "/api/v1/measurements", headers=bad, environ_base={"REMOTE_ADDR": address}
            ).status_code
        )

    assert [call("2001:db8::1"), call("2001:db8::1")] == [401, 401]
    assert call("2001:db8::2") == 429
    assert call("2001:db8:0:1::2") == 401
    app.extensions["pgd.engine"].dispose()


# -- a rate per valid API key ---------------------------------------------------------


def test_a_valid_key_over_its_rate_gets_429_in_the_api_and_in_fhir(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(API_KEY_RATE_LIMIT="3 per minute")
    with app.test_request_context():
        from pgd.accounts import services

        user = services.register_patient("rate@example.nl", PASSWORD, "R", None)
        _info, raw = tokens.create(user, "meter")
        _info, other = tokens.create(user, "second meter")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {raw}", "Accept-Language": "en"}
    codes = [client.get("/api/v1/measurements", headers=headers).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = client.get("/api/v1/measurements", headers=headers)
    assert limited.mimetype == "application/problem+json"
    assert limited.get_json(force=True)["status"] == 429
    assert "API key" in limited.get_json(force=True)["detail"]
    assert int(limited.headers["Retry-After"]) >= 1
    # The rate is per key: the patient's other key still works.
    second = {"Authorization": f"Bearer {other}", "Accept-Language": "en"}
    assert client.get("/api/v1/measurements", headers=second).status_code == 200
    # FHIR shares the check and answers with an OperationOutcome.
    fhir = client.get(f"/fhir/Patient/{user.id}", headers=headers)
    assert fhir.status_code == 429
    outcome = fhir.get_json(force=True)
    assert outcome["resourceType"] == "OperationOutcome"
    app.extensions["pgd.engine"].dispose()


# -- clear answers instead of 500s -----------------------------------------------------


@pytest.fixture
def patient(app: Flask, create_patient: Callable[..., Any]) -> FlaskClient:
    create_patient()
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(client, "patient@example.nl")
    return client


def test_a_list_cursor_with_a_huge_number_is_not_a_500(patient: FlaskClient) -> None:
    # The web list ignores a cursor it did not write (tests/measurements/test_entry.py:
    # "after=garbage" is the first page); a huge number is one of those, not a crash.
    post_form(patient, "/measurements/weight/new", _now_fields(weight="80"))
    first = patient.get("/measurements")
    assert first.status_code == 200
    assert _values_listed(first.get_data(as_text=True)) == ["80.0 kg"]
    for number in ("9" * 30, "9" * 19, "9" * 13):
        response = patient.get(f"/measurements?after={number}_{uuid.uuid4().hex}")
        assert response.status_code == 200
        # The first page again: the one reading in the list's value column.
        assert _values_listed(response.get_data(as_text=True)) == ["80.0 kg"]
    # The API answers a cursor it did not write with a 400 that says what to do.
    with patient.application.test_request_context():
        from sqlalchemy import select

        from pgd.accounts.models import User

        user = db.session().scalars(select(User)).one()
        _info, raw = tokens.create(user, "meter")
    api = patient.get(
        f"/api/v1/measurements?cursor={'9' * 30}_{uuid.uuid4().hex}",
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert api.status_code == 400
    assert "next_cursor" in api.get_data(as_text=True)


def _values_listed(html: str) -> list[str]:
    """The text of the "Value" cells of the measurement list, in order."""
    cells = re.findall(r'<td class="value"[^>]*>(.*?)</td>', html, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells]


def _now_fields(**values: str) -> dict[str, str]:
    when = datetime.now(LOCAL) - timedelta(hours=1)
    return {**values, "date": when.strftime("%d-%m-%Y"), "time": when.strftime("%H:%M")}


def test_a_share_until_31_12_9999_is_a_form_error(
    app: Flask, create_clinician: Callable[..., Any], patient: FlaskClient
) -> None:
    create_clinician()
    response = post_form(
        patient,
        "/sharing/confirm",
        {
            "code": "",
            "email": "poh@praktijk.nl",
            "categories": ["weight"],
            "period": "all",
            "expiry": "date",
            "until": "31-12-9999",
        },
        form_url="/sharing/new",
    )
    assert response.status_code == 200
    assert "Check the year" in response.get_data(as_text=True)


def test_a_form_date_of_01_01_0001_is_a_form_error(patient: FlaskClient) -> None:
    response = post_form(
        patient,
        "/measurements/weight/new",
        {"weight": "80", "date": "01-01-0001", "time": "00:00", "note": ""},
    )
    assert response.status_code == 200
    assert "Check the year" in response.get_data(as_text=True)


def test_a_csv_row_dated_0001_01_01_is_an_error_on_its_row(patient: FlaskClient) -> None:
    data = (
        "type;date;time;weight_kg\n"
        "weight;0001-01-01;00:00;80\n"
        f"weight;{(datetime.now(LOCAL) - timedelta(days=1)).strftime('%d-%m-%Y')};08:00;81\n"
    ).encode()
    response = post_form(
        patient, "/measurements/import", {"file": (io.BytesIO(data), "metingen.csv")}
    )
    assert response.status_code == 200
    assert "Check the year" in response.get_data(as_text=True)


# -- private files ---------------------------------------------------------------------


def test_the_sqlite_database_files_are_created_private(tmp_path: Path) -> None:
    path = tmp_path / "pgd.sqlite3"
    url = f"sqlite:///{path}"
    old = os.umask(0o022)
    try:
        db.upgrade(url)
        app = create_app(
            {"TESTING": True, "INSTANCE_PATH": str(tmp_path / "i"), "DATABASE_URL": url}
            | FAST_HASHING
        )
        client = app.test_client()
        assert client.get("/login").status_code == 200
        found = {
            p.name: stat.S_IMODE(p.stat().st_mode)
            for p in tmp_path.iterdir()
            if p.name.startswith("pgd.sqlite3")
        }
        app.extensions["pgd.engine"].dispose()
    finally:
        os.umask(old)
    assert "pgd.sqlite3" in found
    assert all(mode == 0o600 for mode in found.values()), found


def test_a_key_file_readable_by_others_is_warned_about_at_start_up(
    make_app: Callable[..., Flask], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = make_app()
    first.extensions["pgd.engine"].dispose()
    key_file = tmp_path / "instance" / "master_keys.json"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    with caplog.at_level(logging.WARNING):
        make_app().extensions["pgd.engine"].dispose()
    assert "readable by others" not in caplog.text
    key_file.chmod(0o644)
    with caplog.at_level(logging.WARNING):
        make_app().extensions["pgd.engine"].dispose()
    warned = [r for r in caplog.records if "readable by others" in r.getMessage()]
    assert warned
    assert str(key_file) in warned[0].getMessage()
    assert warned[0].levelno == logging.WARNING
