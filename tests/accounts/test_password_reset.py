"""Password reset by e-mail, set-password links, first login, registration of a taken
address (issue 13). The messages go to a real SMTP server on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from pgd import db
from pgd.accounts.models import ApiToken, PasswordReset, User
from tests.conftest import PASSWORD, SmtpInbox, count_rows, enrol, login, post_form

NEW_PASSWORD = "de zon schijnt op het dak"
_LINK = re.compile(r"http://localhost(/password/reset/[A-Za-z0-9_-]+)")


def _english(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _patient(app: Flask, email: str = "jansje@example.nl") -> Any:
    from pgd.accounts import services

    with app.test_request_context():
        return services.register_patient(email, PASSWORD, "Jansje Pietersma", None)


def _clinician(app: Flask, email: str = "poh@praktijk.nl", **kw: Any) -> Any:
    from pgd.accounts import services
    from pgd.accounts.models import Profession

    with app.test_request_context():
        return services.create_clinician(
            email, PASSWORD, "Anna de Vries", Profession("poh"), "De Linde", "01234567", **kw
        )


def _forgot(client: FlaskClient, email: str) -> Any:
    return post_form(client, "/password/forgot", {"email": email})


def _link_in(smtp: SmtpInbox, index: int = -1) -> str:
    match = _LINK.search(smtp.body(index))
    assert match, smtp.body(index)
    return match.group(1)


def _set(client: FlaskClient, path: str, password: str = NEW_PASSWORD) -> Any:
    return post_form(client, path, {"new_password": password, "confirm": password})


def test_login_page_offers_forgot_password(mail_app: Flask) -> None:
    body = _english(mail_app).get("/login").get_data(as_text=True)
    assert 'href="/password/forgot"' in body


def test_reset_end_to_end_link_works_once(mail_app: Flask, smtp: SmtpInbox) -> None:
    _patient(mail_app)
    client = _english(mail_app)
    response = _forgot(client, "  Jansje@Example.nl ")
    assert response.headers["Location"] == "/password/forgot/sent"
    [message] = smtp.wait(1)
    assert message["To"] == "jansje@example.nl"
    path = _link_in(smtp)
    with mail_app.app_context():
        # Only a keyed hash is stored, never the token of the link.
        stored = db.session().scalars(select(PasswordReset.digest)).all()
    assert len(stored) == 1
    assert path.rsplit("/", 1)[1] not in stored[0]
    assert client.get(path).status_code == 200
    response = _set(client, path)
    assert response.headers["Location"] == "/login"
    # Not logged in by the link: the new password is needed.
    assert client.get("/home").status_code == 302
    assert login(_english(mail_app), "jansje@example.nl", PASSWORD).status_code == 401
    assert login(_english(mail_app), "jansje@example.nl", NEW_PASSWORD).status_code == 302
    # A second use is refused.
    again = _english(mail_app)
    assert again.get(path).status_code == 404
    with mail_app.test_request_context():
        from pgd.accounts import reset

        assert reset.use_link(path.rsplit("/", 1)[1], "nog een ander wachtwoord hier") is None


def test_new_password_follows_the_registration_rules(mail_app: Flask, smtp: SmtpInbox) -> None:
    _patient(mail_app)
    client = _english(mail_app)
    _forgot(client, "jansje@example.nl")
    smtp.wait(1)
    path = _link_in(smtp)
    response = _set(client, path, "kort")
    assert response.status_code == 200
    assert "at least 10" in response.get_data(as_text=True)
    assert login(_english(mail_app), "jansje@example.nl", PASSWORD).status_code == 302


def test_link_expires_after_30_minutes(mail_app: Flask, smtp: SmtpInbox) -> None:
    _patient(mail_app)
    client = _english(mail_app)
    _forgot(client, "jansje@example.nl")
    smtp.wait(1)
    path = _link_in(smtp)
    with mail_app.app_context(), db.transaction() as sess:
        row = sess.scalars(select(PasswordReset)).one()
        assert row.expires_at - row.created_at == timedelta(minutes=30)
        sess.execute(
            update(PasswordReset).values(
                created_at=db.utcnow() - timedelta(minutes=31),
                expires_at=db.utcnow() - timedelta(minutes=1),
            )
        )
    assert client.get(path).status_code == 404
    assert _set(client, path).status_code == 404
    assert login(_english(mail_app), "jansje@example.nl", PASSWORD).status_code == 302


def test_reset_ends_other_sessions_and_revokes_api_keys(mail_app: Flask, smtp: SmtpInbox) -> None:
    patient = _patient(mail_app)
    elsewhere = _english(mail_app)
    assert login(elsewhere, "jansje@example.nl").status_code == 302
    assert elsewhere.get("/home").status_code == 200
    with mail_app.test_request_context():
        from pgd.accounts import tokens

        _info, raw = tokens.create(patient, "Meter")
    api = mail_app.test_client()
    auth = {"Authorization": f"Bearer {raw}"}
    assert api.get("/api/v1/measurements", headers=auth).status_code == 200
    client = _english(mail_app)
    _forgot(client, "jansje@example.nl")
    smtp.wait(1)
    assert _set(client, _link_in(smtp)).status_code == 302
    assert elsewhere.get("/home").status_code == 302  # logged out there
    assert api.get("/api/v1/measurements", headers=auth).status_code == 401
    with mail_app.app_context():
        revoked = db.session().scalars(select(ApiToken.revoked_at)).all()
    assert revoked
    assert all(r is not None for r in revoked)


def test_clinician_still_needs_second_factor_after_reset(mail_app: Flask, smtp: SmtpInbox) -> None:
    _clinician(mail_app)
    enrol(mail_app, "poh@praktijk.nl")
    client = _english(mail_app)
    _forgot(client, "poh@praktijk.nl")
    smtp.wait(1)
    assert _set(client, _link_in(smtp)).headers["Location"] == "/login"
    assert client.get("/clinician").status_code == 302
    assert client.get("/clinician").headers["Location"].startswith("/login")
    response = login(client, "poh@praktijk.nl", NEW_PASSWORD)
    assert response.headers["Location"] == "/login/code"
    assert client.get("/clinician").headers["Location"] == "/login/code"


def test_unknown_address_gets_the_same_answer_and_no_mail(mail_app: Flask, smtp: SmtpInbox) -> None:
    _patient(mail_app)
    unknown = _forgot(_english(mail_app), "niemand@example.nl")
    known = _forgot(_english(mail_app), "jansje@example.nl")
    assert (unknown.status_code, unknown.headers["Location"]) == (
        known.status_code,
        known.headers["Location"],
    )
    smtp.wait(1)
    sent = _english(mail_app).get("/password/forgot/sent").get_data(as_text=True)
    assert "If this address is known to us" in sent
    assert [m["To"] for m in smtp.messages] == ["jansje@example.nl"]
    assert count_rows(mail_app, "password_resets") == 1


def test_reset_requests_are_limited_per_account_and_per_address(
    make_app: Any, smtp: SmtpInbox
) -> None:
    app = make_app(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        MAIL_USE_TLS=False,
        RESET_LIMIT_ACCOUNT="2 per hour",
        RESET_LIMIT_IP="7 per hour",
    )
    _patient(app)
    statuses = [_forgot(_english(app), "jansje@example.nl").status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    # Unknown addresses count the same way (the limit does not tell them apart).
    statuses = [_forgot(_english(app), "niemand@example.nl").status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    # Per client address: seven requests in all from 127.0.0.1 (refused ones count too).
    assert _forgot(_english(app), "derde@example.nl").status_code == 302
    assert _forgot(_english(app), "vierde@example.nl").status_code == 429
    other = _english(app)
    other.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert _forgot(other, "vierde@example.nl").status_code == 302
    smtp.wait(2)
    assert len(smtp.messages) == 2
    app.extensions["pgd.engine"].dispose()


def test_cli_clinician_chooses_a_new_password_before_second_factor_setup(app: Flask) -> None:
    args = [
        "create-clinician",
        "--email",
        "a.devries@praktijk.nl",
        "--name",
        "Anna de Vries",
        "--profession",
        "poh",
    ]
    result = app.test_cli_runner().invoke(args=args, env={"PGD_NEW_PASSWORD": PASSWORD})
    assert result.exit_code == 0, result.output
    client = _english(app)
    response = login(client, "a.devries@praktijk.nl")
    assert response.headers["Location"] == "/password/first"
    # Not logged in: no clinician page, not even the second-factor set-up.
    assert client.get("/clinician").headers["Location"].startswith("/login")
    assert client.get("/account/second-factor/setup").headers["Location"].startswith("/login")
    # The given password cannot be kept.
    same = _set(client, "/password/first", PASSWORD)
    assert "other than the one you were given" in same.get_data(as_text=True)
    response = _set(client, "/password/first")
    assert response.headers["Location"] == "/clinician"
    assert client.get("/clinician").headers["Location"] == "/account/second-factor/setup"
    with app.app_context():
        user = db.session().scalar(select(User).where(User.email == "a.devries@praktijk.nl"))
        assert user is not None
        assert not user.must_change_password
    assert login(_english(app), "a.devries@praktijk.nl", PASSWORD).status_code == 401
    assert login(_english(app), "a.devries@praktijk.nl", NEW_PASSWORD).headers["Location"] == (
        "/clinician"
    )


def test_send_password_link_command(mail_app: Flask, smtp: SmtpInbox) -> None:
    _clinician(mail_app, must_change_password=True)
    result = mail_app.test_cli_runner().invoke(args=["send-password-link", "poh@praktijk.nl"])
    assert result.exit_code == 0, result.output
    assert "72 hours" in result.output
    [message] = smtp.wait(1)
    assert message["To"] == "poh@praktijk.nl"
    match = re.search(r"http://127\.0\.0\.1:5000(/password/reset/\S+)", smtp.body())
    assert match, smtp.body()
    with mail_app.app_context():
        row = db.session().scalars(select(PasswordReset)).one()
        assert row.purpose == "set"
        assert row.expires_at - row.created_at == timedelta(hours=72)
    client = _english(mail_app)
    assert _set(client, match.group(1)).headers["Location"] == "/login"
    # The link replaced the given password: no first-login step, straight to set-up.
    response = login(client, "poh@praktijk.nl", NEW_PASSWORD)
    assert response.headers["Location"] == "/clinician"
    assert client.get("/clinician").headers["Location"] == "/account/second-factor/setup"
    unknown = mail_app.test_cli_runner().invoke(args=["send-password-link", "x@example.nl"])
    assert unknown.exit_code != 0
    assert "no account" in unknown.output


def test_registration_with_a_taken_address_answers_the_same_and_mails_the_owner(
    mail_app: Flask, smtp: SmtpInbox
) -> None:
    _patient(mail_app)  # no language chosen: the owner hears it in Dutch, the site's own
    form = {
        "name": "Iemand Anders",
        "birth_date": "",
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    }
    new = post_form(_english(mail_app), "/register", {**form, "email": "nieuw@example.nl"})
    taken = post_form(_english(mail_app), "/register", {**form, "email": "Jansje@example.nl"})
    assert (taken.status_code, taken.headers["Location"]) == (
        new.status_code,
        new.headers["Location"],
    )
    assert "already" not in taken.get_data(as_text=True)
    messages = smtp.wait(2)
    [owner] = [m for m in messages if m["To"] == "jansje@example.nl"]
    [newcomer] = [m for m in messages if m["To"] == "nieuw@example.nl"]
    # The owner's notice, in the owner's language (not the visitor's English), and only it.
    assert owner["Subject"] == "Iemand probeerde een PGD-account te maken met uw e-mailadres"
    notice = str(owner.get_content())
    assert (
        "Iemand probeerde een nieuw PGD-account te maken met uw e-mailadres. U heeft al een "
        "account. Er is dus niets veranderd." in notice
    )
    assert "/register/confirm/" not in notice
    # The new address got the confirmation link instead, in the page's language.
    assert newcomer["Subject"] == "Confirm your e-mail address for PGD"
    assert "/register/confirm/" in str(newcomer.get_content())
    assert count_rows(mail_app, "users") == 2  # jansje and nieuw, nothing else
    # The owner's password is untouched.
    assert login(_english(mail_app), "jansje@example.nl", PASSWORD).status_code == 302


def test_without_mail_server_messages_go_to_instance_mail(app: Flask) -> None:
    _patient(app)
    assert _forgot(_english(app), "jansje@example.nl").status_code == 302
    folder = Path(app.instance_path) / "mail"
    from pgd.mail import send

    with app.app_context():
        send("iemand@example.nl", "Test", "Hallo")  # synchronous: the folder exists now
    import time

    deadline = time.monotonic() + 10
    while len(list(folder.glob("*.eml"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # the reset mail is written from a thread; wait for the file
    files = sorted(folder.glob("*.eml"))
    assert len(files) == 2
    texts = [f.read_text(encoding="utf-8") for f in files]
    assert any("/password/reset/" in t and "jansje@example.nl" in t for t in texts)
    assert all(re.fullmatch(r"\d{8}T\d{6}\d+Z-\d+\.eml", f.name) for f in files)
    assert all(f.stat().st_mode & 0o077 == 0 for f in files)


def test_a_switched_off_account_gets_no_reset_link(mail_app: Flask, smtp: SmtpInbox) -> None:
    """disable-user means no way back in: the answer is the usual one, but no link is made
    or sent (the administrator's enable-user and send-password-link are the way back)."""
    _patient(mail_app)
    result = mail_app.test_cli_runner().invoke(args=["disable-user", "jansje@example.nl"])
    assert result.exit_code == 0, result.output
    answer = _forgot(_english(mail_app), "jansje@example.nl")
    assert answer.status_code == 302
    assert count_rows(mail_app, "password_resets") == 0
    # Mail goes out from a thread: a reset for an account that works is the marker that
    # the sender had its chance; only that one arrives.
    _patient(mail_app, "marker@example.nl")
    _forgot(_english(mail_app), "marker@example.nl")
    smtp.wait(1)
    assert count_rows(mail_app, "password_resets") == 1
    assert [m["To"] for m in smtp.messages] == ["marker@example.nl"]
