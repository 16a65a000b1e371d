"""Logging in with a second factor: the code step, recovery codes, replay, limits."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from pgd import db
from tests.conftest import login, login_clinician, post_form, rfc6238_code

CODE = "/login/code"
RECOVERY = "/login/code?recovery=1"


def _password_only(english: Any, email: str) -> Any:
    client = english()
    first = login(client, email)
    assert first.status_code == 302
    assert first.headers["Location"] == CODE
    return client


def test_login_with_an_app_code(app: Flask, create_enrolled_clinician: Any, english: Any) -> None:
    who = create_enrolled_clinician()
    client = _password_only(english, who.email)
    page = client.get(CODE).get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page
    assert 'inputmode="numeric"' in page
    code, _ = who.next_code()
    done = post_form(client, CODE, {"code": f"{code[:3]} {code[3:]}"})
    assert done.headers["Location"] == "/clinician"
    assert client.get("/clinician").status_code == 200
    assert client.get(CODE).headers["Location"] == "/clinician"  # nothing left to do


def test_the_half_logged_in_session_reaches_only_the_code_step_and_logout(
    app: Flask, create_enrolled_clinician: Any, create_patient: Any, english: Any
) -> None:
    who = create_enrolled_clinician()
    client = _password_only(english, who.email)
    for url in (
        "/clinician",
        "/clinician/account/password",
        "/account/second-factor",
        "/account/second-factor/setup",
        "/account/second-factor/qr.svg",
        "/home",
        "/",
        "/login",
        "/register",
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"] == CODE, url
    assert client.get(CODE).status_code == 200
    assert client.get("/static/css/pgd.css").status_code == 200
    # Logging out forgets the waiting state; the password alone never logged anyone in.
    post_form(client, "/logout", {}, form_url=CODE)
    assert client.get("/clinician").headers["Location"].startswith("/login")
    assert client.get(CODE).headers["Location"] == "/login"


def test_a_wrong_or_expired_code_is_refused(
    app: Flask, create_enrolled_clinician: Any, english: Any
) -> None:
    who = create_enrolled_clinician()
    client = _password_only(english, who.email)
    for typed in (
        rfc6238_code(who.secret, step_offset=-3),
        rfc6238_code(who.secret, step_offset=3),
    ):
        response = post_form(client, CODE, {"code": typed})
        assert response.status_code == 401
        assert "This code is not right, or it has expired" in response.get_data(as_text=True)
    short = post_form(client, CODE, {"code": "12 34"})
    assert "A code has 6 digits" in short.get_data(as_text=True)
    assert client.get("/clinician").headers["Location"] == CODE


def test_a_code_works_only_once(app: Flask, create_enrolled_clinician: Any, english: Any) -> None:
    who = create_enrolled_clinician()
    first = _password_only(english, who.email)
    code, _ = who.next_code()
    assert post_form(first, CODE, {"code": code}).headers["Location"] == "/clinician"
    second = _password_only(english, who.email)
    replay = post_form(second, CODE, {"code": code})
    assert replay.status_code == 401
    assert "This code has already been used" in replay.get_data(as_text=True)
    assert second.get("/clinician").headers["Location"] == CODE
    # The enrolment's own code, one step back, is refused too.
    older = post_form(second, CODE, {"code": who.code(-1)})
    assert older.status_code == 401


def test_login_with_a_recovery_code_once(
    app: Flask, create_enrolled_clinician: Any, english: Any
) -> None:
    who = create_enrolled_clinician()
    recovery = who.recovery_codes[3]
    client = _password_only(english, who.email)
    page = client.get(RECOVERY).get_data(as_text=True)
    assert 'name="recovery_code"' in page
    done = post_form(client, RECOVERY, {"recovery_code": recovery.upper().replace("-", " ")})
    assert done.headers["Location"] == "/clinician"
    home = client.get("/clinician").get_data(as_text=True)
    assert "You have 9 recovery codes left" in home
    again = _password_only(english, who.email)
    reused = post_form(again, RECOVERY, {"recovery_code": recovery})
    assert reused.status_code == 401
    assert "already been used" in reused.get_data(as_text=True)
    with app.app_context():
        used = db.session().execute(
            text("SELECT count(*) FROM recovery_codes WHERE used_at IS NOT NULL")
        )
        assert used.scalar_one() == 1


def test_recovery_codes_are_stored_only_as_keyed_hashes(
    app: Flask, create_enrolled_clinician: Any
) -> None:
    who = create_enrolled_clinician()
    with app.app_context():
        digests = list(db.session().execute(text("SELECT digest FROM recovery_codes")).scalars())
    assert len(digests) == 10
    for code in who.recovery_codes:
        plain = code.replace("-", "")
        assert all(plain not in d and code not in d for d in digests)
    import hashlib

    unkeyed = {hashlib.sha256(c.replace("-", "").encode()).hexdigest() for c in who.recovery_codes}
    assert not unkeyed & set(digests)


def test_code_attempts_are_limited(
    app: Flask, create_enrolled_clinician: Any, english: Any
) -> None:
    who = create_enrolled_clinician()
    client = _password_only(english, who.email)
    wrong = "000000" if who.code() != "000000" else "111111"
    for _ in range(5):
        assert post_form(client, CODE, {"code": wrong}).status_code == 401
    code, _ = who.next_code()
    blocked = post_form(client, CODE, {"code": code})
    assert blocked.status_code == 429
    assert "Too many wrong codes" in blocked.get_data(as_text=True)
    assert "15 minutes" in blocked.get_data(as_text=True)
    assert client.get("/clinician").headers["Location"] == CODE
    # Another browser does not get around it: the limit is per account.
    other = _password_only(english, who.email)
    assert post_form(other, RECOVERY, {"recovery_code": who.recovery_codes[0]}).status_code == 429


def test_right_codes_do_not_use_up_the_limit(
    app: Flask, create_enrolled_clinician: Any, english: Any
) -> None:
    who = create_enrolled_clinician()
    for _ in range(7):  # more logins than the limit allows failures
        response = login_clinician(english(), who)
        assert response.headers["Location"] == "/clinician"


def test_a_damaged_secret_gives_a_clear_message_and_recovery_still_works(
    app: Flask, create_enrolled_clinician: Any, english: Any
) -> None:
    who = create_enrolled_clinician()
    with app.app_context(), db.transaction() as sess:
        blob = sess.execute(text("SELECT secret_sealed FROM second_factors")).scalar_one()
        damaged = bytes(blob[:-1]) + bytes([blob[-1] ^ 1])
        sess.execute(text("UPDATE second_factors SET secret_sealed = :b"), {"b": damaged})
    client = _password_only(english, who.email)
    code, _ = who.next_code()
    response = post_form(client, CODE, {"code": code})
    assert response.status_code == 401
    assert "Your second factor cannot be read" in response.get_data(as_text=True)
    assert client.get("/clinician").headers["Location"] == CODE
    with app.app_context():
        still = db.session().execute(text("SELECT secret_sealed FROM second_factors")).scalar_one()
    assert bytes(still) == damaged  # nothing changed
    done = post_form(client, RECOVERY, {"recovery_code": who.recovery_codes[0]})
    assert done.headers["Location"] == "/clinician"


def test_the_waiting_state_expires(
    app: Flask, create_enrolled_clinician: Any, english: Any
) -> None:
    who = create_enrolled_clinician()
    client = _password_only(english, who.email)
    with client.session_transaction() as session:
        state = dict(session["sf_pending"])
        state["since"] -= 11 * 60
        session["sf_pending"] = state
    response = client.get(CODE)
    assert response.headers["Location"] == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert "Logging in took too long" in page
    code, _ = who.next_code()
    late = post_form(client, CODE, {"code": code}, form_url="/login")
    assert late.headers["Location"] == "/login"
    assert client.get("/clinician").headers["Location"].startswith("/login")


def test_next_page_survives_the_code_step(
    app: Flask, create_enrolled_clinician: Any, english: Any
) -> None:
    who = create_enrolled_clinician()
    client = english()
    response = post_form(
        client,
        "/login",
        {
            "email": who.email,
            "password": "mijn hond loopt graag mee",
            "next": "/clinician/account/password",
        },
        form_url="/login?next=/clinician/account/password",
    )
    assert response.headers["Location"] == CODE
    code, _ = who.next_code()
    done = post_form(client, CODE, {"code": code})
    assert done.headers["Location"] == "/clinician/account/password"


@pytest.mark.parametrize("field", ["code", "recovery_code"])
def test_a_session_without_the_code_step_is_sent_there(
    app: Flask, create_enrolled_clinician: Any, english: Any, field: str
) -> None:
    """A logged-in session that never passed the code step (e.g. a forged flag is gone)."""
    who = create_enrolled_clinician()
    client = english()
    login_clinician(client, who)
    with client.session_transaction() as session:
        session.pop("sf_verified")
    assert client.get("/clinician").headers["Location"] == CODE
    if field == "code":
        code, _ = who.next_code()
        done = post_form(client, CODE, {"code": code})
    else:
        done = post_form(client, RECOVERY, {"recovery_code": who.recovery_codes[-1]})
    assert done.headers["Location"] == "/clinician"
    assert client.get("/clinician").status_code == 200
