"""The password asked again before a weighty step (an API key, deleting the account,
switching the second factor off, the export): one limit, one answer, one log event
(pgd.accounts.throttle.recheck_password); deleting also re-checks the code on the code
step's limits (recheck_code)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pgd.security_log import Events
from tests.conftest import PASSWORD, count_rows, enrol, login_clinician, post_form, security_events

WRONG = "dit is echt niet mijn wachtwoord"
TOO_MANY = "Too many attempts. For your safety you have to wait 15 minutes before you try again."
TOO_MANY_CODES = (
    "Too many wrong codes. For your safety you have to wait 15 minutes before you try again."
)

# (what the log calls it, the page, the rest of its form)
STEPS = [
    ("api_key", "/settings/api-keys", {"name": "Meter", "scope": ["read", "write"]}),
    ("account_deletion", "/account/delete", {"confirm": "y"}),
    ("second_factor_off", "/account/second-factor/off", {}),
    ("export", "/account/export", {}),
]


def _enrolled_patient(app: Flask, create_patient: Callable[..., Any]) -> tuple[Any, FlaskClient]:
    """A patient with a second factor (so every one of the four pages is open), logged in."""
    enrolled = enrol(app, create_patient())
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert login_clinician(client, enrolled).status_code == 302
    return enrolled, client


@pytest.mark.parametrize(("what", "url", "form"), STEPS, ids=[s[0] for s in STEPS])
def test_every_password_recheck_is_limited_the_same_way(
    app: Flask,
    create_patient: Callable[..., Any],
    seclog_stream: io.StringIO,
    what: str,
    url: str,
    form: dict[str, Any],
) -> None:
    enrolled, client = _enrolled_patient(app, create_patient)
    # The login's own attempt was given back; two more wrong passwords are over the limit.
    app.config["LOGIN_LIMIT_ACCOUNT"] = "2 per 15 minutes"
    for _ in range(2):
        wrong = post_form(client, url, {**form, "password": WRONG})
        assert wrong.status_code == 400
        assert "password is not right" in wrong.get_data(as_text=True)
        assert TOO_MANY not in wrong.get_data(as_text=True)
    # Over the limit: the same answer on every page, also for the right password, which
    # is not even checked: the form again with the words next to the password field.
    for password in (WRONG, PASSWORD):
        limited = post_form(client, url, {**form, "password": password})
        assert limited.status_code == 429
        assert limited.mimetype == "text/html"
        page = limited.get_data(as_text=True)
        assert TOO_MANY in page
        assert 'name="password"' in page
        assert "password is not right" not in page
    assert count_rows(app, "api_tokens") == 0
    assert count_rows(app, "second_factors") == 1
    assert count_rows(app, "users") == 1

    lines = security_events(seclog_stream, Events.PASSWORD_RECHECK_LIMITED)
    assert [(line["what"], line["limit"], line["outcome"]) for line in lines] == [
        (what, ["account"], "limited")
    ] * 2
    assert {line["user_id"] for line in lines} == {str(enrolled.user.id)}
    assert security_events(seclog_stream, Events.LOGIN_LIMITED) == []  # nobody was logging in


def test_deleting_checks_the_code_on_the_code_steps_limits(
    app: Flask, create_patient: Callable[..., Any], seclog_stream: io.StringIO
) -> None:
    enrolled, client = _enrolled_patient(app, create_patient)
    # The login's code was given back; two wrong codes are over the limit.
    app.config["SECOND_FACTOR_LIMIT_ACCOUNT"] = "2 per 15 minutes"
    # The password limit as low: the third right password only gets through to the code
    # check because each right password before it gave its count back.
    app.config["LOGIN_LIMIT_ACCOUNT"] = "2 per 15 minutes"
    form = {"password": PASSWORD, "confirm": "y"}
    for _ in range(2):
        wrong = post_form(client, "/account/delete", {**form, "code": "000000"})
        assert wrong.status_code == 400
        assert "This code is not right, or it has expired." in wrong.get_data(as_text=True)
    code, _recovery = enrolled.next_code()
    limited = post_form(client, "/account/delete", {**form, "code": code})
    assert limited.status_code == 429
    page = limited.get_data(as_text=True)
    assert TOO_MANY_CODES in page
    assert "This code is not right" not in page
    assert count_rows(app, "users") == 1  # the right code did not get through either

    failed = security_events(seclog_stream, Events.SECOND_FACTOR_FAILED)
    assert [(line["step"], line["reason"]) for line in failed] == [
        ("account_deletion", "wrong")
    ] * 2
    [line] = security_events(seclog_stream, Events.SECOND_FACTOR_LIMITED)
    assert (line["step"], line["user_id"]) == ("account_deletion", str(enrolled.user.id))
    # The right password each time gave its count back: no password limit was touched.
    assert security_events(seclog_stream, Events.PASSWORD_RECHECK_LIMITED) == []


def test_changing_the_password_is_a_recheck_with_the_same_limit(
    app: Flask, create_patient: Callable[..., Any], seclog_stream: io.StringIO
) -> None:
    """The current password on the change-password page counts on the same limits, and
    over them the page shows the form with the words next to the field (it was a bare
    429 error page logged as a login)."""
    enrolled, client = _enrolled_patient(app, create_patient)
    app.config["LOGIN_LIMIT_ACCOUNT"] = "2 per 15 minutes"
    new = "een heel ander nieuw wachtwoord"
    url = "/account/password"
    for _ in range(2):
        wrong = post_form(
            client, url, {"current_password": WRONG, "new_password": new, "confirm": new}
        )
        assert wrong.status_code == 200
        assert "current password is not right" in wrong.get_data(as_text=True)
    for password in (WRONG, PASSWORD):
        limited = post_form(
            client, url, {"current_password": password, "new_password": new, "confirm": new}
        )
        assert limited.status_code == 429
        page = limited.get_data(as_text=True)
        assert TOO_MANY in page.split('id="current_password-error"', 1)[1][:400]
        assert 'name="new_password"' in page
    lines = security_events(seclog_stream, Events.PASSWORD_RECHECK_LIMITED)
    assert [(line["what"], line["outcome"]) for line in lines] == [
        ("password_change", "limited")
    ] * 2
    assert security_events(seclog_stream, Events.LOGIN_LIMITED) == []
    assert security_events(seclog_stream, Events.PASSWORD_CHANGED) == []
    # A right password, once the limit allows it, changes it and gives its count back.
    # With room for one attempt: the wrong one after it (the old password) is still
    # checked, not limited, only because the right one's count was given back.
    app.config["LOGIN_LIMIT_ACCOUNT"] = "1 per 15 minutes"
    done = post_form(
        client, url, {"current_password": PASSWORD, "new_password": new, "confirm": new}
    )
    assert done.status_code == 302
    assert len(security_events(seclog_stream, Events.PASSWORD_CHANGED)) == 1
    old = post_form(
        client, url, {"current_password": PASSWORD, "new_password": WRONG, "confirm": WRONG}
    )
    assert old.status_code == 200
    assert "current password is not right" in old.get_data(as_text=True)
    assert len(security_events(seclog_stream, Events.PASSWORD_RECHECK_LIMITED)) == 2
