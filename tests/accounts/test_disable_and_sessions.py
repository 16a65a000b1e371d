"""Switching an account off and on (disable-user / enable-user) and "My sessions" (issue 13)."""

from __future__ import annotations

import io
import json
import logging
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from pgd import db, security_log
from pgd.accounts import sessions, tokens
from pgd.accounts.models import LoginSession
from pgd.sharing import dossier, policy
from pgd.sharing.models import Grant, ShareCode
from tests.conftest import PASSWORD, login, login_clinician, post_form
from tests.sharing.conftest import add_readings, enrol, logged_in

CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
EDGE_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"
)
SWITCHED_OFF = "This account has been switched off. Contact your practice."
NOT_FOUND_EMAIL = "We cannot find a care provider with this e-mail address"
BAD_CODE = "This code does not work"


class Lines:
    def __init__(self) -> None:
        self.stream = io.StringIO()

    def of(self, kind: str) -> list[dict[str, Any]]:
        found = [json.loads(x) for x in self.stream.getvalue().splitlines() if x.strip()]
        return [line for line in found if line["event"] == kind]


@pytest.fixture
def seclog(app: Flask) -> Iterator[Lines]:
    lines = Lines()
    handler = logging.StreamHandler(lines.stream)
    handler.setFormatter(security_log.JsonFormatter())
    logger = logging.getLogger(security_log.LOGGER_NAME)
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


def _client(app: Flask, agent: str = CHROME_ANDROID) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.environ_base["HTTP_USER_AGENT"] = agent
    return client


def _cli(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=list(args))


def _api(client: FlaskClient, path: str, raw: str) -> Any:
    return client.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {raw}"})


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (CHROME_ANDROID, "Chrome;Android"),
        (FIREFOX_WINDOWS, "Firefox;Windows"),
        (SAFARI_IPHONE, "Safari;iPhone"),
        (EDGE_WINDOWS, "Edge;Windows"),
        ("curl/8.5.0", None),
        ("", None),
    ],
)
def test_the_device_is_a_browser_and_a_system(agent: str, expected: str | None) -> None:
    assert sessions.describe_agent(agent) == expected


def _grant(app: Flask, patient: Any, clinician: Any) -> uuid.UUID:
    now = datetime.now(UTC)
    grant = Grant(
        id=uuid.uuid4(),
        patient_id=patient.id,
        clinician_id=clinician.id,
        categories="blood_pressure,weight,glucose,goals",
        expires_at=now + timedelta(days=365),
        created_at=now,
    )
    with app.app_context(), db.transaction() as sess:
        sess.add(grant)
    return grant.id


# -- disable-user / enable-user --------------------------------------------------------


def test_a_disabled_patient_is_logged_out_has_no_keys_and_cannot_log_in(
    app: Flask, create_patient: Callable[..., Any], seclog: Lines
) -> None:
    patient = create_patient()
    browser = _client(app)
    assert login(browser, patient.email).status_code == 302
    assert browser.get("/home").status_code == 200
    with app.test_request_context():
        _info, raw = tokens.create(patient, "Meter")
    api = app.test_client()
    assert _api(api, "/measurements", raw).status_code == 200

    done = _cli(app, "disable-user", patient.email)
    assert done.exit_code == 0, done.output
    assert "switched off: 1 session(s) ended, 1 API key(s) revoked" in done.output

    # The running session is logged out at its next request; the key answers 401.
    nxt = browser.get("/home")
    assert nxt.status_code == 302
    assert nxt.headers["Location"].startswith("/login")
    assert _api(api, "/measurements", raw).status_code == 401
    # The right password gets a clear answer; a wrong one the usual one (nothing revealed).
    refused = login(_client(app), patient.email)
    assert refused.status_code == 403
    assert SWITCHED_OFF in refused.get_data(as_text=True)
    wrong = login(_client(app), patient.email, "not the password at all")
    assert wrong.status_code == 401
    assert SWITCHED_OFF not in wrong.get_data(as_text=True)

    line = seclog.of(security_log.Events.ACCOUNT_DISABLED)[0]
    assert line["user_id"] == str(patient.id)
    assert line["outcome"] == "success"
    assert line["via"] == "command_line"
    assert (line["sessions_ended"], line["api_keys_revoked"]) == (1, 1)
    failed = seclog.of(security_log.Events.LOGIN_FAILED)
    assert any(x.get("reason") == "disabled" and x["outcome"] == "refused" for x in failed)
    assert PASSWORD not in seclog.stream.getvalue()
    assert patient.email not in seclog.stream.getvalue()

    again = _cli(app, "disable-user", patient.email)
    assert again.exit_code != 0
    assert "already switched off" in again.output


def test_enable_user_lets_them_log_in_again_but_keys_stay_revoked(
    app: Flask, create_patient: Callable[..., Any], seclog: Lines
) -> None:
    patient = create_patient()
    with app.test_request_context():
        _info, raw = tokens.create(patient, "Meter")
    assert _cli(app, "disable-user", patient.email).exit_code == 0
    done = _cli(app, "enable-user", patient.email.upper())
    assert done.exit_code == 0, done.output
    assert "can log in again" in done.output
    browser = _client(app)
    assert login(browser, patient.email).status_code == 302
    assert browser.get("/home").status_code == 200
    assert _api(app.test_client(), "/measurements", raw).status_code == 401
    line = seclog.of(security_log.Events.ACCOUNT_ENABLED)[0]
    assert (line["user_id"], line["outcome"]) == (str(patient.id), "success")
    assert _cli(app, "enable-user", patient.email).exit_code != 0
    missing = _cli(app, "disable-user", "nobody@example.nl")
    assert missing.exit_code != 0
    assert "There is no account" in missing.output


def test_a_disabled_clinician_loses_every_patient_and_disappears_from_choices(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    seclog: Lines,
) -> None:
    patient = create_patient()
    add_readings(app, patient)
    clinician = create_clinician()
    enrolled = enrol(app, clinician)
    grant_id = _grant(app, patient, clinician)
    with app.test_request_context():
        code, _expires = dossier.new_share_code(clinician)
        _info, raw = tokens.create(clinician, "Practice system")
    web = _client(app, FIREFOX_WINDOWS)
    assert login_clinician(web, enrolled).status_code == 302
    page = f"/clinician/patients/{patient.id}"
    assert web.get(page).status_code == 200
    api = app.test_client()
    assert _api(api, f"/patients/{patient.id}/measurements", raw).status_code == 200

    done = _cli(app, "disable-user", clinician.email)
    assert done.exit_code == 0, done.output
    assert "1 unused share code(s) deleted, 1 share(s) stopped" in done.output

    # The next request: the browser is logged out, the key is refused, the grant stopped.
    assert web.get(page).headers["Location"].startswith("/login")
    assert _api(api, f"/patients/{patient.id}/measurements", raw).status_code == 401
    with app.app_context():
        assert db.session().scalar(select(ShareCode)) is None
        grant = db.session().get(Grant, (patient.id, grant_id))
        assert grant is not None
        assert grant.revoked_at is not None
        assert policy.active_grant(clinician.id, patient.id) is None
    # A patient finds the clinician neither by e-mail nor by the (deleted) code.
    patient_client = logged_in(app, patient.email)
    by_mail = post_form(patient_client, "/sharing/new", {"how": "email", "email": clinician.email})
    assert NOT_FOUND_EMAIL in by_mail.get_data(as_text=True)
    by_code = post_form(patient_client, "/sharing/new", {"how": "code", "code": code})
    assert BAD_CODE in by_code.get_data(as_text=True)

    stopped = seclog.of(security_log.Events.SHARE_STOPPED)
    assert [(x["grant_id"], x["reason"]) for x in stopped] == [
        (str(grant_id), "clinician_disabled")
    ]
    line = seclog.of(security_log.Events.ACCOUNT_DISABLED)[0]
    assert line["role"] == "clinician"
    assert line["grant_ids"] == [str(grant_id)]
    assert line["share_codes_deleted"] == 1

    # Switched on again: logging in works, the stopped share does not come back (404).
    assert _cli(app, "enable-user", clinician.email).exit_code == 0
    back = _client(app)
    assert login_clinician(back, enrolled).status_code == 302
    assert back.get(page).status_code == 404
    by_mail = post_form(patient_client, "/sharing/new", {"how": "email", "email": clinician.email})
    assert NOT_FOUND_EMAIL not in by_mail.get_data(as_text=True)


# -- "My sessions" ------------------------------------------------------------------------


def _handles(html: str) -> list[str]:
    return re.findall(r'action="/account/sessions/([0-9a-f]+)/end"', html)


def test_my_sessions_lists_both_devices_and_ends_the_other(
    app: Flask, create_patient: Callable[..., Any], seclog: Lines
) -> None:
    patient = create_patient()
    phone, laptop = _client(app, CHROME_ANDROID), _client(app, FIREFOX_WINDOWS)
    assert login(phone, patient.email).status_code == 302
    assert login(laptop, patient.email).status_code == 302
    page = laptop.get("/account/sessions")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Chrome on Android" in html
    assert "Firefox on Windows (this device)" in re.sub(r"<[^>]+>", "", html)
    handles = _handles(html)
    assert len(handles) == 1  # no "End" button for this device
    with app.app_context():
        ids = list(db.session().scalars(select(LoginSession.id)))
    for row_id in ids:  # the page never shows what is stored
        assert row_id not in html

    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token is not None
    no_csrf = laptop.post(f"/account/sessions/{handles[0]}/end")
    assert no_csrf.status_code == 400
    assert phone.get("/home").status_code == 200
    ended = laptop.post(f"/account/sessions/{handles[0]}/end", data={"csrf_token": token.group(1)})
    assert ended.status_code == 302
    assert phone.get("/home").headers["Location"].startswith("/login")
    assert laptop.get("/home").status_code == 200
    again = laptop.post(f"/account/sessions/{handles[0]}/end", data={"csrf_token": token.group(1)})
    assert again.status_code == 404
    line = seclog.of(security_log.Events.SESSION_ENDED)[0]
    assert (line["user_id"], line["scope"], line["ended"]) == (str(patient.id), "one", 1)


def test_log_out_on_all_other_devices(
    app: Flask, create_patient: Callable[..., Any], seclog: Lines
) -> None:
    patient = create_patient()
    others = [_client(app, agent) for agent in (CHROME_ANDROID, SAFARI_IPHONE)]
    for other in others:
        assert login(other, patient.email).status_code == 302
    me = _client(app, EDGE_WINDOWS)
    assert login(me, patient.email).status_code == 302
    assert len(_handles(me.get("/account/sessions").get_data(as_text=True))) == 2
    done = post_form(me, "/account/sessions/end-others", {}, form_url="/account/sessions")
    assert done.status_code == 302
    for other in others:
        assert other.get("/home").headers["Location"].startswith("/login")
    after = me.get("/account/sessions").get_data(as_text=True)
    assert _handles(after) == []
    assert "You are not logged in anywhere else." in after
    line = seclog.of(security_log.Events.SESSION_ENDED)[0]
    assert (line["scope"], line["ended"]) == ("others", 2)


def test_nobody_ends_another_users_session(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
) -> None:
    alice = create_patient()
    bob = create_patient(email="bob@example.nl", name="Bob")
    alice_phone, alice_laptop = _client(app), _client(app, FIREFOX_WINDOWS)
    assert login(alice_phone, alice.email).status_code == 302
    assert login(alice_laptop, alice.email).status_code == 302
    handle = _handles(alice_laptop.get("/account/sessions").get_data(as_text=True))[0]
    bob_client = _client(app)
    assert login(bob_client, bob.email).status_code == 302
    tried = post_form(
        bob_client, f"/account/sessions/{handle}/end", {}, form_url="/account/sessions"
    )
    assert tried.status_code == 404
    assert alice_phone.get("/home").status_code == 200
    # Not logged in: the login page, nothing ended.
    stranger = _client(app)
    assert stranger.get("/account/sessions").headers["Location"].startswith("/login")
    # A clinician has the page under their own pages (behind the second factor).
    clinician = create_clinician()
    enrolled = enrol(app, clinician)
    web, other = _client(app), _client(app, SAFARI_IPHONE)
    assert login_clinician(web, enrolled).status_code == 302
    assert login_clinician(other, enrolled).status_code == 302
    assert web.get("/account/sessions").status_code == 404
    html = web.get("/clinician/account/sessions").get_data(as_text=True)
    assert "(this device)" in html
    assert "Safari on iPhone" in html
    [theirs] = re.findall(r'action="/clinician/account/sessions/([0-9a-f]+)/end"', html)
    assert (
        post_form(
            bob_client, f"/account/sessions/{theirs}/end", {}, form_url="/account/sessions"
        ).status_code
        == 404
    )
    done = post_form(
        web,
        "/clinician/account/sessions/end-others",
        {},
        form_url="/clinician/account/password",
    )
    assert done.headers["Location"] == "/clinician/account/sessions"
    assert other.get("/clinician").headers["Location"].startswith("/login")
    assert web.get("/clinician").status_code == 200
    link = web.get("/clinician/account/password").get_data(as_text=True)
    assert 'href="/clinician/account/sessions"' in link
