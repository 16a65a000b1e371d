"""Settings → API keys: made by name, shown once, stored as a keyed hash, revocable."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from pgd import crypto, db
from tests.conftest import PASSWORD, count_rows, csrf_token, login, post_form

PAGE = "/settings/api-keys"
TOKEN = re.compile(r"pgd_[A-Za-z0-9_-]{43}")


@pytest.fixture
def patient_client(
    app: Flask, client: FlaskClient, create_patient: Callable[..., Any]
) -> FlaskClient:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    create_patient()
    login(client, "patient@example.nl")
    return client


def _make(client: FlaskClient, name: str) -> str:
    # Making a key asks for the password (issue 13); a refused form answers 400.
    data = {"name": name, "password": PASSWORD, "scope": ["read", "write"]}
    response = post_form(client, PAGE, data)
    assert response.status_code in (200, 400)
    return response.get_data(as_text=True)


def _api(client: FlaskClient, token: str) -> int:
    return client.get(
        "/api/v1/measurements", headers={"Authorization": f"Bearer {token}"}
    ).status_code


def test_a_new_key_is_shown_once_and_works(app: Flask, patient_client: FlaskClient) -> None:
    page = _make(patient_client, "Omron app")
    tokens = TOKEN.findall(page)
    assert len(set(tokens)) == 1
    raw = tokens[0]
    assert "You will not see it again" in page
    assert _api(app.test_client(), raw) == 200

    listing = patient_client.get(PAGE).get_data(as_text=True)
    assert "Omron app" in listing
    assert raw not in listing, "the full key is shown only once"
    assert f"pgd_{raw[4:12]}…" in listing, "the list shows the start of the key"
    assert "Never" not in listing, "the key was used just now"


def test_only_a_keyed_hash_is_stored(app: Flask, patient_client: FlaskClient) -> None:
    raw = TOKEN.search(_make(patient_client, "Meter")).group(0)  # type: ignore[union-attr]
    with app.app_context():
        rows = db.session().execute(text("SELECT * FROM api_tokens")).mappings().all()
        expected = crypto.token_digest(raw)
    assert len(rows) == 1
    row = rows[0]
    assert row["digest"] == expected
    assert row["prefix"] == raw[4:12]
    for value in row.values():
        assert raw not in str(value)
        assert raw[4:] not in str(value)


def test_the_raw_key_is_not_in_the_sqlite_file(app: Flask, patient_client: FlaskClient) -> None:
    url = app.config["DATABASE_URL"]
    if not url.startswith("sqlite"):
        pytest.skip("file check is for the embedded database")
    raw = TOKEN.search(_make(patient_client, "Meter")).group(0)  # type: ignore[union-attr]
    path = url.removeprefix("sqlite:///")
    blob = b""
    for suffix in ("", "-wal"):
        try:
            with open(path + suffix, "rb") as fh:
                blob += fh.read()
        except FileNotFoundError:
            pass
    assert raw.encode() not in blob
    assert raw[12:].encode() not in blob


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Give the key a name"),
        ("   ", "Give the key a name"),
        ("x" * 61, "at most 60 characters"),
    ],
)
def test_a_key_needs_a_name_of_1_to_60_characters(
    app: Flask, patient_client: FlaskClient, name: str, message: str
) -> None:
    page = _make(patient_client, name)
    assert message in page
    assert not TOKEN.search(page)
    assert count_rows(app, "api_tokens") == 0


def test_a_60_character_name_is_fine(app: Flask, patient_client: FlaskClient) -> None:
    assert TOKEN.search(_make(patient_client, "é" * 60))
    assert count_rows(app, "api_tokens") == 1


def test_revoke_asks_first_then_stops_the_key(app: Flask, patient_client: FlaskClient) -> None:
    raw = TOKEN.search(_make(patient_client, "Old meter")).group(0)  # type: ignore[union-attr]
    listing = patient_client.get(PAGE).get_data(as_text=True)
    revoke_url = re.search(r'href="(/settings/api-keys/[0-9a-f-]+/revoke)"', listing).group(1)  # type: ignore[union-attr]

    confirm = patient_client.get(revoke_url)
    assert confirm.status_code == 200
    assert "Revoke this key?" in confirm.get_data(as_text=True)
    assert _api(app.test_client(), raw) == 200, "looking at the question revokes nothing"

    done = post_form(patient_client, revoke_url, {}, follow_redirects=True)
    assert done.status_code == 200
    assert "has been revoked" in done.get_data(as_text=True)
    assert "Old meter" not in done.get_data(as_text=True).split("has been revoked")[1]
    assert _api(app.test_client(), raw) == 401
    assert patient_client.get(revoke_url).status_code == 404, "revoked keys are gone"


def test_revoke_needs_the_csrf_token(app: Flask, patient_client: FlaskClient) -> None:
    raw = TOKEN.search(_make(patient_client, "Meter")).group(0)  # type: ignore[union-attr]
    listing = patient_client.get(PAGE).get_data(as_text=True)
    revoke_url = re.search(r'href="(/settings/api-keys/[0-9a-f-]+/revoke)"', listing).group(1)  # type: ignore[union-attr]
    response = patient_client.post(revoke_url, data={})
    assert response.status_code == 400
    assert _api(app.test_client(), raw) == 200


def test_nobody_else_can_revoke_or_see_my_key(
    app: Flask, patient_client: FlaskClient, create_patient: Callable[..., Any]
) -> None:
    raw = TOKEN.search(_make(patient_client, "Mine")).group(0)  # type: ignore[union-attr]
    listing = patient_client.get(PAGE).get_data(as_text=True)
    revoke_url = re.search(r'href="(/settings/api-keys/[0-9a-f-]+/revoke)"', listing).group(1)  # type: ignore[union-attr]

    create_patient(email="other@example.nl")
    other = app.test_client()
    login(other, "other@example.nl")
    assert "Mine" not in other.get(PAGE).get_data(as_text=True)
    assert other.get(revoke_url).status_code == 404
    token = csrf_token(other, PAGE)
    assert other.post(revoke_url, data={"csrf_token": token}).status_code == 404
    assert _api(app.test_client(), raw) == 200


def test_the_page_is_for_logged_in_patients_only(
    app: Flask, client: FlaskClient, create_clinician: Callable[..., Any]
) -> None:
    anonymous = client.get(PAGE)
    assert anonymous.status_code == 302
    assert "/login" in anonymous.headers["Location"]
    create_clinician()
    login(client, "poh@praktijk.nl")
    assert client.get(PAGE).status_code == 404


def test_clinicians_cannot_get_a_token(app: Flask, create_clinician: Callable[..., Any]) -> None:
    from pgd.accounts import tokens

    clinician = create_clinician()
    with app.test_request_context(), pytest.raises(tokens.NotFound):
        tokens.create(clinician, "sneaky")
    assert count_rows(app, "api_tokens") == 0
