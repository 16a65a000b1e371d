"""Ending everything of a user (services.end_everything): a password change keeps this
device and ends the others, also on "My sessions"; a reset link ends all; switching the
second factor off ends all sessions but keeps a patient's API keys (issue 13)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from pgd import db, security_log
from pgd.accounts import reset, tokens
from pgd.accounts.models import ApiToken, LoginSession
from tests.conftest import PASSWORD, enrol, login, login_clinician, post_form, security_events

PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
LAPTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
NEW_PASSWORD = "een heel nieuw wachtwoord 42"
NOWHERE_ELSE = "You are not logged in anywhere else."


def _client(app: Flask, agent: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.environ_base["HTTP_USER_AGENT"] = agent
    return client


def _listed(client: FlaskClient) -> str:
    """The text of "My sessions" without its tags."""
    page = client.get("/account/sessions")
    assert page.status_code == 200
    return " ".join(re.sub(r"<[^>]+>", " ", page.get_data(as_text=True)).split())


def _api_works(app: Flask, raw: str) -> bool:
    answer = app.test_client().get(
        "/api/v1/measurements", headers={"Authorization": f"Bearer {raw}"}
    )
    assert answer.status_code in (200, 401), answer.status_code
    return answer.status_code == 200


def _key(app: Flask, user: Any) -> str:
    with app.test_request_context():
        return tokens.create(user, "Meter")[1]


def _open_rows(app: Flask, user: Any) -> list[str]:
    with app.app_context():
        return list(
            db.session().scalars(
                select(LoginSession.user_agent).where(
                    LoginSession.user_id == user.id, LoginSession.ended_at.is_(None)
                )
            )
        )


def test_a_password_change_keeps_this_device_and_ends_the_others_on_my_sessions(
    app: Flask, create_patient: Callable[..., Any], seclog_stream: io.StringIO
) -> None:
    patient = create_patient()
    phone, laptop = _client(app, PHONE), _client(app, LAPTOP)
    assert login(phone, patient.email).status_code == 302
    assert login(laptop, patient.email).status_code == 302
    raw = _key(app, patient)
    before = _listed(laptop)
    assert "Chrome on Android" in before  # the other device is listed before the change
    assert NOWHERE_ELSE not in before

    changed = post_form(
        laptop,
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert changed.status_code == 302

    after = _listed(laptop)
    assert "Firefox on Windows (this device)" in after
    assert "Chrome on Android" not in after  # the list does not lie about the phone
    assert NOWHERE_ELSE in after
    assert _open_rows(app, patient) == ["Firefox;Windows"]
    assert laptop.get("/home").status_code == 200
    assert phone.get("/home").headers["Location"].startswith("/login")
    assert not _api_works(app, raw)
    with app.app_context():
        key_id, revoked_at = db.session().execute(select(ApiToken.id, ApiToken.revoked_at)).one()
    assert revoked_at is not None
    [revoked] = security_events(seclog_stream, security_log.Events.API_KEY_REVOKED)
    assert (revoked["key_id"], revoked["reason"]) == (str(key_id), "password_changed")


def test_a_reset_link_ends_every_session_and_key(
    app: Flask, create_patient: Callable[..., Any], seclog_stream: io.StringIO
) -> None:
    patient = create_patient()
    phone, laptop = _client(app, PHONE), _client(app, LAPTOP)
    assert login(phone, patient.email).status_code == 302
    assert login(laptop, patient.email).status_code == 302
    raw = _key(app, patient)
    with app.test_request_context():
        link = reset.issue_link(patient, "reset", reset.RESET_VALIDITY)
        assert reset.use_link(link, NEW_PASSWORD) is not None
    assert _open_rows(app, patient) == []
    for client in (phone, laptop):
        assert client.get("/home").headers["Location"].startswith("/login")
    assert not _api_works(app, raw)
    [revoked] = security_events(seclog_stream, security_log.Events.API_KEY_REVOKED)
    assert revoked["reason"] == "password_reset"


def test_switching_the_second_factor_off_ends_other_sessions_and_keeps_a_patients_keys(
    app: Flask, create_patient: Callable[..., Any], seclog_stream: io.StringIO
) -> None:
    patient = create_patient()
    enrolled = enrol(app, patient)
    phone, laptop = _client(app, PHONE), _client(app, LAPTOP)
    assert login_clinician(phone, enrolled).status_code == 302
    assert login_clinician(laptop, enrolled).status_code == 302
    raw = _key(app, patient)

    off = post_form(laptop, "/account/second-factor/off", {"password": PASSWORD})
    assert off.status_code == 302
    assert phone.get("/home").headers["Location"].startswith("/login")
    assert laptop.get("/home").status_code == 200  # a fresh session on this device
    after = _listed(laptop)
    assert "Firefox on Windows (this device)" in after
    assert NOWHERE_ELSE in after
    assert _open_rows(app, patient) == ["Firefox;Windows"]
    # A patient's key never needed the second factor: it keeps working (as before).
    assert _api_works(app, raw)
    assert security_events(seclog_stream, security_log.Events.API_KEY_REVOKED) == []
