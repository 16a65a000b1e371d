"""Bearer tokens: every API endpoint refuses without a working key, as a problem."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pgd import db, policy
from pgd.accounts import tokens
from pgd.accounts.models import ApiToken
from tests.api.conftest import Caller

ENDPOINTS = [
    ("get", "/api/v1/measurements"),
    ("post", "/api/v1/measurements"),
    ("get", "/api/v1/measurements/6f1c1c7e-2c47-4d3e-9a57-0d1f7e0e2b11"),
    ("delete", "/api/v1/measurements/6f1c1c7e-2c47-4d3e-9a57-0d1f7e0e2b11"),
]
BODY = {"type": "weight", "taken_at": "2026-01-05T08:00:00+01:00", "weight_kg": 80}


def _call(client: FlaskClient, method: str, url: str, headers: dict[str, str]) -> Any:
    headers = {"Accept-Language": "en", **headers}
    return getattr(client, method)(url, headers=headers, json=BODY if method == "post" else None)


def _assert_401(response: Any, *, invalid: bool) -> None:
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    problem = response.get_json(force=True)
    assert problem["status"] == 401
    assert problem["type"] == "about:blank"
    assert "Settings" in problem["detail"]
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer")
    assert ('error="invalid_token"' in challenge) is invalid


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token pgd_x", "pgd_abc"],
)
def test_missing_or_other_scheme_is_401(
    app: Flask, client: FlaskClient, method: str, url: str, header: str | None
) -> None:
    headers = {} if header is None else {"Authorization": header}
    _assert_401(_call(client, method, url, headers), invalid=False)


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
@pytest.mark.parametrize(
    "token",
    ["pgd_" + "A" * 43, "pgd_short", "x" * 5000, "pgd_" + "é" * 43, "ğ", "pgd_" + "A" * 42 + "\t"],
)
def test_unknown_or_malformed_token_is_401(
    app: Flask, client: FlaskClient, method: str, url: str, token: str
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    _assert_401(_call(client, method, url, headers), invalid=True)


def test_the_scheme_is_case_insensitive(caller: Caller) -> None:
    response = caller.client.get(
        "/api/v1/measurements", headers={"Authorization": f"bearer {caller.token}"}
    )
    assert response.status_code == 200


def test_a_revoked_token_stops_at_once(app: Flask, caller: Caller) -> None:
    assert caller.get().status_code == 200
    with app.test_request_context():
        token_id = tokens.active(caller.user.id)[0].id
        tokens.revoke(caller.user.id, token_id)
    for method, url in ENDPOINTS:
        _assert_401(_call(caller.client, method, url, caller.headers), invalid=True)


def test_a_deleted_account_token_fails(app: Flask, caller: Caller) -> None:
    with app.app_context():
        sess = db.session()
        sess.delete(sess.get(type(caller.user), caller.user.id))
        sess.commit()
    _assert_401(caller.get(), invalid=True)


def test_the_session_cookie_is_no_key(
    app: Flask, client: FlaskClient, create_patient: Callable[..., Any]
) -> None:
    from tests.conftest import login

    create_patient()
    login(client, "patient@example.nl")
    assert client.get("/settings/api-keys").status_code == 200
    _assert_401(_call(client, "get", "/api/v1/measurements", {}), invalid=False)


def test_the_openapi_document_needs_no_key(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["openapi"].startswith("3.1")


def _last_used(app: Flask, caller: Caller) -> Any:
    with app.app_context():
        return db.session().query(ApiToken.last_used_at).scalar()


def test_last_used_is_written_at_most_once_a_minute(
    app: Flask, caller: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _last_used(app, caller) is None
    assert caller.get().status_code == 200
    first = _last_used(app, caller)
    assert first is not None
    assert caller.get().status_code == 200
    assert _last_used(app, caller) == first, "a second call within a minute writes nothing"

    later = db.utcnow() + timedelta(minutes=2)
    monkeypatch.setattr(db, "utcnow", lambda: later)
    assert caller.get().status_code == 200
    assert _last_used(app, caller) != first


def test_too_many_failed_keys_answer_429_but_do_not_lock_out_the_owner_early(
    make_app: Callable[..., Flask], create_patient: Callable[..., Any]
) -> None:
    app = make_app(API_AUTH_FAILURE_LIMIT="3 per minute")
    client = app.test_client()
    with app.test_request_context():
        from pgd.accounts import services

        user = services.register_patient("limit@example.nl", "mijn hond loopt graag mee", "L", None)
        _info, raw = tokens.create(user, "meter")
    good = {"Authorization": f"Bearer {raw}"}
    for _ in range(5):
        assert client.get("/api/v1/measurements", headers=good).status_code == 200
    bad = {"Authorization": "Bearer pgd_" + "B" * 43}
    assert [client.get("/api/v1/measurements", headers=bad).status_code for _ in range(3)] == [
        401,
        401,
        401,
    ]
    limited = client.get("/api/v1/measurements", headers=bad)
    assert limited.status_code == 429
    assert limited.mimetype == "application/problem+json"
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.get_json(force=True)["status"] == 429
    # The document stays readable; it is not behind the key check.
    assert client.get("/api/v1/openapi.json").status_code == 200
    app.extensions["pgd.engine"].dispose()


def test_every_api_endpoint_declares_the_api_policy(app: Flask) -> None:
    found = {
        rule.endpoint: policy.policy_of(app, rule.endpoint)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
    }
    assert found == {
        "api.create_measurement": "api",
        "api.list_measurements": "api",
        "api.get_measurement": "api",
        "api.delete_measurement": "api",
        "api.list_patients": "api",
        "api.list_patient_measurements": "api",
        "api.patient_summary": "api",
        "api.openapi_document": "public",
    }
    assert policy.policy_of(app, "accounts.api_tokens") == "patient"
    assert policy.policy_of(app, "accounts.revoke_api_token") == "patient"


def test_the_api_policy_outside_the_api_blueprint_denies(app: Flask) -> None:
    """Only the API blueprint checks tokens, so "api" anywhere else must not mean "open"."""

    @app.get("/not-the-api")
    @policy.api
    def stray() -> str:
        return "patient data"

    response = app.test_client().get("/not-the-api")
    assert response.status_code == 404
    assert b"patient data" not in response.data


def test_problems_follow_accept_language(client: FlaskClient) -> None:
    english = client.get("/api/v1/measurements", headers={"Accept-Language": "en"})
    dutch = client.get("/api/v1/measurements", headers={"Accept-Language": "nl"})
    assert english.get_json(force=True)["detail"] != dutch.get_json(force=True)["detail"]
