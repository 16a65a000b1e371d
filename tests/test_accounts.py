"""Registration, login, password change, sessions, login limits and role separation."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from tests.conftest import (
    PASSWORD,
    count_rows,
    login,
    login_clinician,
    post_form,
    register_and_confirm,
)

GOOD = {
    "name": "Jansje Pietersma",
    "email": "jansje@example.nl",
    "birth_date": "14-03-1950",
    "password": PASSWORD,
    "confirm": PASSWORD,
}


def register(client: FlaskClient, **changes: Any) -> Any:
    return post_form(client, "/register", {**GOOD, **changes})


def test_register_confirm_logs_in_and_shows_empty_home(client: FlaskClient, app: Flask) -> None:
    """Registered through the page, logged in by the link in the e-mail (issue 13)."""
    register_and_confirm(client, GOOD["email"], name=GOOD["name"], birth_date=GOOD["birth_date"])
    home = client.get("/home", headers={"Accept-Language": "en"})
    body = home.get_data(as_text=True)
    assert home.status_code == 200
    assert "Welcome, Jansje Pietersma" in body
    assert "still empty" in body  # says what to do next
    assert count_rows(app, "users") == 1
    assert count_rows(app, "profiles") == 1


@pytest.mark.parametrize(
    "birth", ["14-03-1950", "1950-03-14", "14/3/1950", "14.03.1950", "14031950", ""]
)
def test_register_accepts_common_date_spellings(
    client: FlaskClient, app: Flask, birth: str
) -> None:
    assert register(client, birth_date=birth).status_code == 302
    from pgd.accounts import services

    with app.test_request_context():
        user = services.authenticate(GOOD["email"], PASSWORD)
        assert user is not None
        profile = services.profile_of(user.id)
    assert profile.name == "Jansje Pietersma"
    assert (profile.birth_date.isoformat() if profile.birth_date else "") == (
        "1950-03-14" if birth else ""
    )


BAD_INPUT = [
    ("email", {"email": "jansje@"}, "not a valid e-mail address"),
    ("email", {"email": ""}, "Fill in your e-mail address"),
    ("email", {"email": "a" * 250 + "@example.nl"}, "at most 254 characters"),
    ("name", {"name": "   "}, "Fill in your name"),
    ("name", {"name": "x" * 101}, "at most 100 characters"),
    ("password", {"password": "kort123", "confirm": "kort123"}, "at least 10 characters"),
    ("password", {"password": "wachtwoord123", "confirm": "wachtwoord123"}, "too common"),
    ("password", {"password": "Welkom2024!!", "confirm": "Welkom2024!!"}, "too common"),
    ("password", {"password": "1234567890", "confirm": "1234567890"}, "too common"),
    ("password", {"password": "x" * 300, "confirm": "x" * 300}, "at most 256 characters"),
    ("confirm", {"confirm": PASSWORD + "x"}, "not the same"),
    ("birth_date", {"birth_date": "31-02-1950"}, "day-month-year"),
    ("birth_date", {"birth_date": "morgen"}, "day-month-year"),
    ("birth_date", {"birth_date": "31021950"}, "day-month-year"),  # digits, no such day
    # 6 digits: refused, and the full date meant is suggested (1950, not 2050).
    (
        "birth_date",
        {"birth_date": "140350"},
        "Did you mean 14-03-1950? Then write the year in full: 14031950.",
    ),
    ("birth_date", {"birth_date": "01-01-2099"}, "cannot be in the future"),
    ("birth_date", {"birth_date": "01-01-2999"}, "Check the year: use a year from 1900 to 2100."),
]


@pytest.mark.parametrize(("field", "changes", "message"), BAD_INPUT)
def test_register_bad_input_gets_message_next_to_field_and_creates_nothing(
    client: FlaskClient, app: Flask, field: str, changes: dict[str, str], message: str
) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = register(client, **changes)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    # The message sits in the error list of that very field.
    block = body.split(f'id="{field}-error"', 1)
    assert len(block) == 2, f"no error list for {field}"
    assert message in block[1].split("</ul>", 1)[0]
    assert 'aria-invalid="true"' in body
    assert count_rows(app, "users") == 0
    assert count_rows(app, "profiles") == 0
    assert count_rows(app, "data_keys") == 0


def test_duplicate_email_makes_no_second_account_and_does_not_say_so(
    client: FlaskClient, app: Flask, create_patient: Any
) -> None:
    """The answer is the one a new address gets (issue 13); the owner is told by e-mail
    (tests/accounts/test_password_reset.py reads that message)."""
    create_patient(email="jansje@example.nl")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = register(client, email="  Jansje@Example.NL ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/register/sent"
    assert "already" not in response.get_data(as_text=True)
    assert count_rows(app, "users") == 1
    assert count_rows(app, "profiles") == 1


def test_missing_or_wrong_csrf_token_is_400_and_creates_nothing(
    client: FlaskClient, app: Flask
) -> None:
    client.get("/register")
    assert client.post("/register", data=GOOD).status_code == 400
    assert client.post("/register", data={**GOOD, "csrf_token": "forged"}).status_code == 400
    assert count_rows(app, "users") == 0


def test_oversized_request_body_is_refused(client: FlaskClient, app: Flask) -> None:
    response = register(client, name="x" * (2 * 1024 * 1024))
    assert response.status_code == 413
    assert count_rows(app, "users") == 0


def test_login_and_logout(client: FlaskClient, create_patient: Any) -> None:
    create_patient(email="jansje@example.nl")
    response = login(client, "JANSJE@example.nl ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/home"
    assert client.get("/home").status_code == 200
    token_page = client.get("/home").get_data(as_text=True)
    assert "Uitloggen" in token_page or "Log out" in token_page
    response = post_form(client, "/logout", {}, form_url="/home")
    assert response.status_code == 302
    assert client.get("/home").status_code == 302  # back to the login page


def test_logout_requires_post(client: FlaskClient, create_patient: Any) -> None:
    create_patient()
    login(client, "patient@example.nl")
    assert client.get("/logout").status_code == 405
    assert client.get("/home").status_code == 200


def test_same_message_for_unknown_email_and_wrong_password(
    client: FlaskClient, create_patient: Any
) -> None:
    create_patient(email="jansje@example.nl")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    unknown = login(client, "nobody@example.nl", PASSWORD)
    wrong = login(client, "jansje@example.nl", "not the password at all")
    assert unknown.status_code == wrong.status_code == 401
    message = "The e-mail address or the password is not right"
    assert message in unknown.get_data(as_text=True)
    assert message in wrong.get_data(as_text=True)


def test_login_redirects_only_to_local_next(client: FlaskClient, create_patient: Any) -> None:
    create_patient()
    page = client.get("/account/profile")
    assert page.status_code == 302
    assert "/login" in page.headers["Location"]
    response = post_form(
        client,
        "/login",
        {"email": "patient@example.nl", "password": PASSWORD, "next": "/account/profile"},
    )
    assert response.headers["Location"] == "/account/profile"
    post_form(client, "/logout", {}, form_url="/home")
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = post_form(
            client, "/login", {"email": "patient@example.nl", "password": PASSWORD, "next": evil}
        )
        assert response.headers["Location"] == "/home"
        post_form(client, "/logout", {}, form_url="/home")


def test_login_limit_per_account(app: Flask, create_patient: Any) -> None:
    create_patient(email="jansje@example.nl")
    create_patient(email="piet@example.nl", name="Piet")
    for i in range(10):  # a slow attack from ten addresses against one account
        attacker = app.test_client()
        attacker.environ_base["REMOTE_ADDR"] = f"203.0.113.{i}"
        assert login(attacker, "jansje@example.nl", "wrong password here").status_code == 401
    patient = app.test_client()
    patient.environ_base.update(REMOTE_ADDR="198.51.100.7", HTTP_ACCEPT_LANGUAGE="en")
    blocked = login(patient, "jansje@example.nl", PASSWORD)  # even the right password waits
    assert blocked.status_code == 429
    assert "wait 15 minutes" in blocked.get_data(as_text=True)
    # another account is not affected
    assert login(patient, "piet@example.nl", PASSWORD).status_code == 302


def test_login_limit_per_ip_across_accounts(app: Flask, create_patient: Any) -> None:
    create_patient(email="jansje@example.nl")
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    for i in range(10):
        assert login(attacker, f"guess{i}@example.nl", "wrong password here").status_code == 401
    assert login(attacker, "jansje@example.nl", PASSWORD).status_code == 429
    # the real patient, from home, can still log in
    patient = app.test_client()
    patient.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert login(patient, "jansje@example.nl", PASSWORD).status_code == 302


def test_successful_logins_do_not_count_towards_the_limit(
    client: FlaskClient, create_patient: Any
) -> None:
    create_patient()
    for _ in range(12):
        assert login(client, "patient@example.nl").status_code == 302
        post_form(client, "/logout", {}, form_url="/home")


def test_password_change_ends_other_sessions(app: Flask, create_patient: Any) -> None:
    create_patient()
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, "patient@example.nl")
    login(phone, "patient@example.nl")
    assert phone.get("/home").status_code == 200
    new = "een heel ander nieuw wachtwoord"
    response = post_form(
        laptop,
        "/account/password",
        {"current_password": PASSWORD, "new_password": new, "confirm": new},
    )
    assert response.status_code == 302
    assert laptop.get("/home").status_code == 200  # this session continues
    assert phone.get("/home").status_code == 302  # the other one has ended
    fresh = app.test_client()
    assert login(fresh, "patient@example.nl", PASSWORD).status_code == 401
    assert login(fresh, "patient@example.nl", new).status_code == 302


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"current_password": "wrong wrong wrong"},
            "current_password",
            "current password is not right",
        ),
        ({"new_password": "kort", "confirm": "kort"}, "new_password", "at least 10"),
        ({"new_password": "password123", "confirm": "password123"}, "new_password", "too common"),
        ({"confirm": "iets anders dan dat"}, "confirm", "not the same"),
    ],
)
def test_password_change_bad_input_changes_nothing(
    client: FlaskClient,
    app: Flask,
    create_patient: Any,
    data: dict[str, str],
    field: str,
    message: str,
) -> None:
    create_patient()
    login(client, "patient@example.nl")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    new = "een heel ander nieuw wachtwoord"
    form = {"current_password": PASSWORD, "new_password": new, "confirm": new, **data}
    response = post_form(client, "/account/password", form)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True).split(f'id="{field}-error"', 1)[1][:400]
    assert login(app.test_client(), "patient@example.nl", PASSWORD).status_code == 302


def test_profile_update_is_sealed_and_shown(
    client: FlaskClient, app: Flask, create_patient: Any
) -> None:
    create_patient()
    login(client, "patient@example.nl")
    response = post_form(
        client, "/account/profile", {"name": "Jansje P.", "birth_date": "1950-03-14"}
    )
    assert response.status_code == 302
    page = client.get("/account/profile").get_data(as_text=True)
    assert 'value="Jansje P."' in page
    assert 'value="14-03-1950"' in page
    bad = post_form(client, "/account/profile", {"name": "", "birth_date": "32-13-1950"})
    assert bad.status_code == 200
    assert 'value="Jansje P."' in client.get("/account/profile").get_data(as_text=True)


def test_role_separation(app: Flask, create_patient: Any, create_enrolled_clinician: Any) -> None:
    create_patient()
    create_enrolled_clinician()
    patient, clinician, anonymous = app.test_client(), app.test_client(), app.test_client()
    login(patient, "patient@example.nl")
    response = login_clinician(clinician, "poh@praktijk.nl")
    assert response.headers["Location"] == "/clinician"
    assert clinician.get("/clinician").status_code == 200
    for url in ("/home", "/account/profile", "/account/password"):
        assert clinician.get(url).status_code == 404
        assert patient.get(url).status_code == 200
        assert anonymous.get(url).status_code == 302
    for url in ("/clinician", "/clinician/account/password"):
        assert patient.get(url).status_code == 404
        assert anonymous.get(url).status_code == 302
    assert clinician.get("/clinician/account/password").status_code == 200


def test_clinician_home_is_empty_and_shows_who_is_logged_in(
    app: Flask, create_enrolled_clinician: Any
) -> None:
    create_enrolled_clinician()
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login_clinician(client, "poh@praktijk.nl")
    body = client.get("/clinician").get_data(as_text=True)
    assert "Anna de Vries" in body
    assert "practice support worker (POH)" in body
    assert "No patients share data with you at the moment." in body


def test_clinicians_cannot_self_register(client: FlaskClient, app: Flask) -> None:
    register(client, role="clinician", profession="poh", agb_code="01234567")
    with app.app_context():
        from pgd import db
        from pgd.accounts.models import User

        roles = {u.role for u in db.session().query(User)}
        details = db.session().execute(text("SELECT count(*) FROM clinician_details")).scalar()
    assert roles == {"patient"}
    assert details == 0


def test_security_headers_on_every_response(client: FlaskClient) -> None:
    for url in ("/", "/login", "/static/css/pgd.css", "/does-not-exist"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_session_cookie_flags(client: FlaskClient, create_patient: Any) -> None:
    create_patient()
    response = login(client, "patient@example.nl")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_cookie_is_secure_over_https(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/login", base_url="https://localhost")
    assert "Secure" in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" in response.headers
