"""Registration confirmed from the e-mail (issue 13, security review): the registration
page answers the same for a new and a known address, an unconfirmed account answers at
login like a wrong password, and the mailed link logs in once, with the password."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from pgd import db
from pgd.accounts.models import PasswordReset, User
from pgd.security_log import Events
from tests.conftest import (
    PASSWORD,
    count_rows,
    login,
    mailed_link,
    mails_to,
    post_form,
    register_and_confirm,
    security_events,
)

OTHER_PASSWORD = "een ander lang wachtwoord"
NEW_PASSWORD = "de zon schijnt op het dak"
_CSRF_VALUE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+(")')


def _english(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _register(client: FlaskClient, email: str, password: str = PASSWORD, **kw: Any) -> Any:
    form = {"name": "Jansje Pietersma", "birth_date": "", "email": email}
    form.update(password=password, confirm=password, **kw)
    return post_form(client, "/register", form)


def _path(link: str) -> str:
    return urlsplit(link).path


def _user(app: Flask, email: str) -> User:
    with app.app_context():
        user = db.session().scalar(select(User).where(User.email == email))
        assert user is not None
        db.session().expunge(user)
        return user


def _same_page(html: str, *addresses: str) -> str:
    """A page with its CSRF tokens (and the address the visitor typed) blanked out."""
    html = _CSRF_VALUE.sub(r"\1CSRF\2", html)
    for address in addresses:
        html = html.replace(address, "ADDRESS")
    return html


def test_new_and_known_address_get_the_same_answer_and_the_same_next_page(
    app: Flask, create_patient: Any
) -> None:
    create_patient(email="bekend@example.nl")
    new_client, known_client = _english(app), _english(app)
    new = _register(new_client, "nieuw1@example.nl")
    known = _register(known_client, "bekend@example.nl")

    assert (new.status_code, new.headers["Location"]) == (302, "/register/sent")
    assert (known.status_code, known.headers["Location"]) == (302, "/register/sent")
    assert new.get_data() == known.get_data()  # byte for byte
    headers = {k: v for k, v in new.headers.items() if k != "Set-Cookie"}
    assert headers == {k: v for k, v in known.headers.items() if k != "Set-Cookie"}

    # The next page: "check your e-mail", the same apart from the address and CSRF token.
    new_page = new_client.get("/register/sent")
    known_page = known_client.get("/register/sent")
    assert new_page.status_code == known_page.status_code == 200
    new_html = new_page.get_data(as_text=True)
    assert "We sent a link to nieuw1@example.nl to finish your registration" in new_html
    assert "spam folder" in new_html
    assert _same_page(new_html, "nieuw1@example.nl") == _same_page(
        known_page.get_data(as_text=True), "bekend@example.nl"
    )
    # Neither visitor is logged in.
    for client in (new_client, known_client):
        assert client.get("/home").headers["Location"].startswith("/login")

    # The new address got a link; the known one only the owner's notice, no link.
    assert mailed_link(app, "nieuw1@example.nl").startswith("http://localhost/register/confirm/")
    [notice] = mails_to(app, "bekend@example.nl")
    assert "/register/confirm/" not in notice
    assert "Iemand probeerde een nieuw PGD-account te maken" in notice
    assert count_rows(app, "users") == 2
    assert login(_english(app), "bekend@example.nl").headers["Location"] == "/home"


def test_new_account_is_unconfirmed_and_fixtures_are_confirmed(
    app: Flask, create_patient: Any, create_clinician: Any
) -> None:
    create_patient(email="fixture@example.nl")
    create_clinician(email="poh@praktijk.nl")
    _register(_english(app), "nieuw2@example.nl")
    assert _user(app, "nieuw2@example.nl").email_confirmed_at is None
    assert _user(app, "fixture@example.nl").email_confirmed_at is not None
    assert _user(app, "poh@praktijk.nl").email_confirmed_at is not None


def test_unconfirmed_login_answers_exactly_like_a_wrong_password(app: Flask) -> None:
    _register(_english(app), "nieuw3@example.nl")
    right = login(_english(app), "nieuw3@example.nl", PASSWORD)
    wrong = login(_english(app), "nieuw3@example.nl", OTHER_PASSWORD)
    assert right.status_code == wrong.status_code == 401
    right_html = right.get_data(as_text=True)
    assert _same_page(right_html) == _same_page(wrong.get_data(as_text=True))
    assert "The e-mail address or the password is not right. Try again." in right_html
    assert "Just registered? First open the link in the e-mail we sent you." in right_html
    unknown = login(_english(app), "nieuw3@example.nl".replace("3", "4"), PASSWORD)
    assert _same_page(unknown.get_data(as_text=True), "nieuw4@example.nl") == _same_page(
        right_html, "nieuw3@example.nl"
    )


def test_the_link_needs_the_password_logs_in_with_a_fresh_session_and_works_once(
    app: Flask,
) -> None:
    _register(_english(app), "nieuw5@example.nl")
    [mail] = mails_to(app, "nieuw5@example.nl")
    assert "within 24 hours" in mail
    link = _path(mailed_link(app, "nieuw5@example.nl"))
    with app.app_context():
        row = db.session().scalars(select(PasswordReset)).one()
        assert row.purpose == "confirm"
        assert row.expires_at - row.created_at == timedelta(hours=24)
        assert link.rsplit("/", 1)[1] not in (row.digest, str(row.id))  # only a hash kept

    client = _english(app)
    page = client.get(link)
    assert page.status_code == 200
    assert 'type="password"' in page.get_data(as_text=True)
    # A wrong password: not confirmed, not logged in, the link still works.
    wrong = post_form(client, link, {"password": OTHER_PASSWORD})
    assert wrong.status_code == 400
    assert "This is not the password you chose" in wrong.get_data(as_text=True)
    assert client.get("/home").headers["Location"].startswith("/login")
    assert _user(app, "nieuw5@example.nl").email_confirmed_at is None

    with client.session_transaction() as planted:
        planted["planted"] = "before the login"
    done = post_form(client, link, {"password": PASSWORD})
    assert (done.status_code, done.headers["Location"]) == (302, "/home")
    with client.session_transaction() as current:
        assert "planted" not in current  # a fresh session
    home = client.get("/home").get_data(as_text=True)
    assert "Welcome! Your e-mail address is confirmed and your account is ready." in home
    assert _user(app, "nieuw5@example.nl").email_confirmed_at is not None

    # Used: the link says so and shows the way forward; the password now logs in.
    again = _english(app).get(link)
    assert again.status_code == 404
    assert "works once, for 24 hours" in again.get_data(as_text=True)
    assert login(_english(app), "nieuw5@example.nl").headers["Location"] == "/home"


def test_the_password_on_the_link_counts_on_the_login_limits(
    app: Flask, seclog_stream: io.StringIO
) -> None:
    """Guessing the password behind a leaked link is limited like logging in: over the
    limit even the right password is refused and the account stays unconfirmed."""
    _register(_english(app), "geraden@example.nl")
    link = _path(mailed_link(app, "geraden@example.nl"))
    app.config["LOGIN_LIMIT_ACCOUNT"] = "2 per 15 minutes"
    client = _english(app)
    for _ in range(2):
        assert post_form(client, link, {"password": OTHER_PASSWORD}).status_code == 400
    assert security_events(seclog_stream, Events.LOGIN_LIMITED) == []
    refused = post_form(client, link, {"password": PASSWORD})
    assert refused.status_code == 429
    assert _user(app, "geraden@example.nl").email_confirmed_at is None
    assert client.get("/home").headers["Location"].startswith("/login")
    [line] = security_events(seclog_stream, Events.LOGIN_LIMITED)
    assert (line["outcome"], line["limit"]) == ("limited", ["account"])


def test_an_expired_link_does_not_work(app: Flask) -> None:
    _register(_english(app), "nieuw6@example.nl")
    link = _path(mailed_link(app, "nieuw6@example.nl"))
    with app.app_context(), db.transaction() as sess:
        sess.execute(update(PasswordReset).values(expires_at=db.utcnow() - timedelta(seconds=1)))
    client = _english(app)
    assert client.get(link).status_code == 404
    refused = post_form(client, link, {"password": PASSWORD}, form_url="/register")
    assert refused.status_code == 404
    assert "Create the account again" in refused.get_data(as_text=True)
    assert _user(app, "nieuw6@example.nl").email_confirmed_at is None
    assert login(_english(app), "nieuw6@example.nl").status_code == 401


def test_registering_again_replaces_the_pending_password_and_the_old_link(app: Flask) -> None:
    _register(_english(app), "nieuw7@example.nl", PASSWORD, name="Eerste Naam")
    first = _path(mailed_link(app, "nieuw7@example.nl"))
    again = _register(_english(app), "nieuw7@example.nl", NEW_PASSWORD, name="Tweede Naam")
    assert (again.status_code, again.headers["Location"]) == (302, "/register/sent")
    second = _path(mailed_link(app, "nieuw7@example.nl"))
    assert second != first
    assert len(mails_to(app, "nieuw7@example.nl")) == 2
    assert count_rows(app, "users") == 1

    assert _english(app).get(first).status_code == 404  # the old link stopped working
    client = _english(app)
    assert post_form(client, second, {"password": PASSWORD}).status_code == 400
    done = post_form(client, second, {"password": NEW_PASSWORD})
    assert done.headers["Location"] == "/home"
    assert "Tweede Naam" in client.get("/account/profile").get_data(as_text=True)
    assert login(_english(app), "nieuw7@example.nl", PASSWORD).status_code == 401


def test_registering_a_confirmed_address_again_changes_nothing(app: Flask) -> None:
    register_and_confirm(_english(app), "nieuw8@example.nl")
    again = _register(_english(app), "nieuw8@example.nl", NEW_PASSWORD)
    assert again.headers["Location"] == "/register/sent"
    bodies = mails_to(app, "nieuw8@example.nl")
    assert len(bodies) == 2
    assert "/register/confirm/" not in bodies[-1]  # the owner's notice, no new link
    assert login(_english(app), "nieuw8@example.nl", NEW_PASSWORD).status_code == 401
    assert login(_english(app), "nieuw8@example.nl", PASSWORD).headers["Location"] == "/home"


def test_a_confirmation_link_is_not_a_password_link(app: Flask) -> None:
    _register(_english(app), "nieuw9@example.nl")
    token = mailed_link(app, "nieuw9@example.nl").rsplit("/", 1)[1]
    assert _english(app).get(f"/password/reset/{token}").status_code == 404


def test_a_password_reset_confirms_an_unconfirmed_address(app: Flask) -> None:
    """The reset link was mailed to the address, so it proves the address too."""
    _register(_english(app), "nieuw10@example.nl")
    client = _english(app)
    post_form(client, "/password/forgot", {"email": "nieuw10@example.nl"})
    reset = _path(mailed_link(app, "nieuw10@example.nl", "reset"))
    done = post_form(client, reset, {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.headers["Location"] == "/login"
    assert _user(app, "nieuw10@example.nl").email_confirmed_at is not None
    assert login(_english(app), "nieuw10@example.nl", NEW_PASSWORD).headers["Location"] == "/home"


def test_every_address_costs_one_password_hash(
    app: Flask, create_patient: Any, monkeypatch: Any
) -> None:
    """New, pending and known addresses hash the password exactly once (the hash is the
    slow part: a pending address that hashed twice took twice as long, a timing oracle)."""
    from pgd.accounts import passwords

    create_patient(email="bekend@example.nl")
    _register(_english(app), "pending@example.nl")  # pending from now on
    real = passwords.hash_password
    calls: list[str] = []

    def counting(password: str) -> str:
        calls.append(password)
        return real(password)

    monkeypatch.setattr(passwords, "hash_password", counting)
    for address in ("nieuw3@example.nl", "pending@example.nl", "bekend@example.nl"):
        calls.clear()
        assert _register(_english(app), address, OTHER_PASSWORD).status_code == 302
        assert calls == [OTHER_PASSWORD], address


def test_an_owner_who_confirms_meanwhile_keeps_the_own_password(
    app: Flask, monkeypatch: Any
) -> None:
    """A stranger registers the address again while the owner confirms it: the stranger's
    password never lands on the confirmed account; the owner is told instead."""
    from pgd.accounts import passwords

    client = _english(app)
    _register(client, "eigen@example.nl")
    owner = _user(app, "eigen@example.nl")
    real = passwords.hash_password

    def confirm_meanwhile(password: str) -> str:
        hashed = real(password)
        with app.app_context(), db.transaction() as sess:  # the owner's click, elsewhere
            sess.execute(
                update(User).where(User.id == owner.id).values(email_confirmed_at=db.utcnow())
            )
        return hashed

    monkeypatch.setattr(passwords, "hash_password", confirm_meanwhile)
    before = len(mails_to(app, "eigen@example.nl"))
    assert _register(_english(app), "eigen@example.nl", OTHER_PASSWORD).status_code == 302
    monkeypatch.setattr(passwords, "hash_password", real)
    assert login(_english(app), "eigen@example.nl", OTHER_PASSWORD).status_code != 302
    assert login(_english(app), "eigen@example.nl", PASSWORD).status_code == 302
    after = mails_to(app, "eigen@example.nl")
    assert len(after) == before + 1  # the owner's notice, not a new link
    assert "/register/confirm/" not in after[-1]


def test_registration_mails_for_one_address_are_limited(make_app: Any, create_patient: Any) -> None:
    """REGISTER_LIMIT_ACCOUNT: over it the page answers the same, but no mail goes out
    and the pending registration is not replaced (the owner's link keeps working)."""
    app = make_app(REGISTER_LIMIT_ACCOUNT="2 per hour")
    first = _register(_english(app), "druk@example.nl")
    link = mailed_link(app, "druk@example.nl")
    assert _register(_english(app), "druk@example.nl").status_code == 302  # 2nd: renewed
    renewed = mailed_link(app, "druk@example.nl")
    assert renewed != link
    sent = len(mails_to(app, "druk@example.nl"))
    third = _register(_english(app), "druk@example.nl", OTHER_PASSWORD)
    assert (third.status_code, third.headers["Location"]) == (
        first.status_code,
        first.headers["Location"],
    )
    assert len(mails_to(app, "druk@example.nl")) == sent  # nothing sent
    client = _english(app)
    page = client.get(_path(renewed))
    assert page.status_code == 200  # the link of the second registration still works
    done = post_form(client, _path(renewed), {"password": PASSWORD})
    assert done.status_code == 302  # with the password of then, not the third one's
