"""Setting up a second factor: QR code, typed key, confirmation, recovery codes."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import text

from pgd import db
from pgd.accounts.second_factor_codes import qr_svg
from pgd.crypto import totp
from tests.accounts.conftest import recovery_codes_on_page, secret_on_page
from tests.conftest import count_rows, login, post_form, rfc6238_code

SETUP = "/account/second-factor/setup"
CODES = "/account/second-factor/recovery-codes"
QR = "/account/second-factor/qr.svg"


def _confirmed(app: Flask) -> list[Any]:
    with app.app_context():
        return list(db.session().execute(text("SELECT confirmed_at FROM second_factors")).scalars())


def test_clinician_first_login_sets_up_the_second_factor(
    app: Flask, create_clinician: Any, english: Any
) -> None:
    create_clinician()
    client = english()
    assert login(client, "poh@praktijk.nl").headers["Location"] == "/clinician"
    assert client.get("/clinician").headers["Location"] == SETUP

    page = client.get(SETUP)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'src="{QR}"' in html
    assert 'autocomplete="one-time-code"' in html
    assert 'inputmode="numeric"' in html
    secret = secret_on_page(html)
    assert len(secret) == 32
    # A reload shows the same key: the app that already scanned it keeps working.
    assert secret_on_page(client.get(SETUP).get_data(as_text=True)) == secret

    qr = client.get(QR)
    assert qr.status_code == 200
    assert qr.mimetype == "image/svg+xml"
    assert qr.get_data(as_text=True).startswith("<svg")
    assert qr.headers["Cache-Control"] == "no-store"
    # The QR code carries exactly the key shown for typing, for this account.
    uri = totp.provisioning_uri(totp.from_base32(secret), "poh@praktijk.nl", "PGD")
    assert qr.data == qr_svg(uri, "QR code for your authenticator app")
    assert _confirmed(app) == [None]

    wrong = post_form(
        client, SETUP, {"code": "000000" if rfc6238_code(secret) != "000000" else "111111"}
    )
    assert wrong.status_code == 400
    assert "This code is not right, or it has expired" in wrong.get_data(as_text=True)
    assert _confirmed(app) == [None]
    assert count_rows(app, "recovery_codes") == 0
    assert client.get("/clinician").headers["Location"] == SETUP

    code = rfc6238_code(secret)
    done = post_form(client, SETUP, {"code": f" {code[:3]} {code[3:]} "})  # spaces are fine
    assert done.headers["Location"] == CODES
    assert _confirmed(app) != [None]
    assert count_rows(app, "recovery_codes") == 10

    shown = client.get(CODES).get_data(as_text=True)
    codes = recovery_codes_on_page(shown)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert 'id="print-codes"' in shown
    assert "js/second_factor.js" in shown

    not_ticked = post_form(client, CODES, {})
    assert "Tick the box once you have saved the codes" in not_ticked.get_data(as_text=True)
    assert recovery_codes_on_page(client.get(CODES).get_data(as_text=True)) == codes

    finished = post_form(client, CODES, {"saved": "y"})
    assert finished.headers["Location"] == "/clinician"
    # Shown once: the codes page and the QR code are gone, the clinician pages open.
    assert client.get(CODES).headers["Location"] == "/account/second-factor"
    assert client.get(QR).status_code == 404
    assert client.get(SETUP).headers["Location"] == "/account/second-factor"
    assert client.get("/clinician").status_code == 200
    status = client.get("/account/second-factor").get_data(as_text=True)
    assert "Logging in with a code is on." in status
    assert "You have 10 unused recovery codes." in status


def test_the_confirming_code_cannot_be_used_again_to_log_in(
    app: Flask, create_clinician: Any, english: Any
) -> None:
    create_clinician()
    client = english()
    login(client, "poh@praktijk.nl")
    secret = secret_on_page(client.get(SETUP).get_data(as_text=True))
    code = rfc6238_code(secret)
    post_form(client, SETUP, {"code": code})
    other = english()
    assert login(other, "poh@praktijk.nl").headers["Location"] == "/login/code"
    again = post_form(other, "/login/code", {"code": code})
    assert again.status_code == 401
    assert "already been used" in again.get_data(as_text=True)


def test_enrolment_ends_other_sessions(app: Flask, create_patient: Any, english: Any) -> None:
    create_patient()
    first, second = english(), english()
    login(first, "patient@example.nl")
    login(second, "patient@example.nl")
    assert second.get("/home").status_code == 200
    secret = secret_on_page(first.get(SETUP).get_data(as_text=True))
    post_form(first, SETUP, {"code": rfc6238_code(secret)})
    assert first.get(CODES).status_code == 200
    assert first.get("/home").status_code == 200
    assert second.get("/home").headers["Location"].startswith("/login")


def test_bad_codes_are_explained_and_change_nothing(
    app: Flask, create_clinician: Any, english: Any
) -> None:
    create_clinician()
    client = english()
    login(client, "poh@praktijk.nl")
    secret = secret_on_page(client.get(SETUP).get_data(as_text=True))
    for typed, message in [
        ("", "Fill in the 6-digit code that your app shows now."),
        ("12345", "A code has 6 digits, for example 123 456."),
        ("abcdef", "A code has 6 digits, for example 123 456."),
        (rfc6238_code(secret, step_offset=-4), "This code is not right, or it has expired"),
    ]:
        response = post_form(client, SETUP, {"code": typed})
        assert message in response.get_data(as_text=True), typed
        assert response.status_code in {200, 400}
    assert _confirmed(app) == [None]
    assert count_rows(app, "recovery_codes") == 0


def test_a_damaged_pending_secret_starts_over(
    app: Flask, create_clinician: Any, english: Any
) -> None:
    create_clinician()
    client = english()
    login(client, "poh@praktijk.nl")
    before = secret_on_page(client.get(SETUP).get_data(as_text=True))
    with app.app_context(), db.transaction() as sess:
        sess.execute(
            text("UPDATE second_factors SET secret_sealed = :b"), {"b": b"\x01" + b"x" * 40}
        )
    page = client.get(SETUP)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Your earlier set-up could not be read" in html
    after = secret_on_page(html)
    assert after != before
    assert post_form(client, SETUP, {"code": rfc6238_code(after)}).headers["Location"] == CODES


def test_new_recovery_codes_replace_the_old_ones(
    app: Flask, create_enrolled_clinician: Any, english: Any
) -> None:
    from tests.conftest import login_clinician

    who = create_enrolled_clinician()
    client = english()
    login_clinician(client, who)
    wrong = post_form(
        client,
        "/account/second-factor/new-recovery-codes",
        {"code": "12"},
        form_url="/account/second-factor",
    )
    assert wrong.status_code == 400
    assert "A code has 6 digits" in wrong.get_data(as_text=True)
    code, _ = who.next_code()
    made = post_form(
        client,
        "/account/second-factor/new-recovery-codes",
        {"code": code},
        form_url="/account/second-factor",
    )
    assert made.headers["Location"] == CODES
    fresh = recovery_codes_on_page(client.get(CODES).get_data(as_text=True))
    assert len(fresh) == 10
    assert not set(fresh) & set(who.recovery_codes)
    # An old recovery code no longer works, a new one does.
    other = english()
    login(other, who.email)
    old = post_form(other, "/login/code?recovery=1", {"recovery_code": who.recovery_codes[0]})
    assert old.status_code == 401
    new = post_form(other, "/login/code?recovery=1", {"recovery_code": fresh[0]})
    assert new.headers["Location"] == "/clinician"
