"""The security log (issue 13): one JSON line per event kind, driven through the real
flows, and never a value, password, code, token or name in any line."""

from __future__ import annotations

import io
import json
import logging
import re
import socket
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pgd import security_log
from pgd.security_log import Events
from tests.accounts.conftest import secret_on_page
from tests.conftest import (
    PASSWORD,
    enrol,
    login,
    login_clinician,
    mailed_link,
    post_form,
    rfc6238_code,
)

PATIENT_NAME = "Jansje Pietersma"
PATIENT_EMAIL = "patient@example.nl"
WRONG_PASSWORD = "dit is echt niet mijn wachtwoord"
NOTE = "duizelig na het fietsen"
WEIGHT = 87.3  # seconds in a timestamp never reach 87: "87.3" cannot appear by chance
TOKEN = re.compile(r"pgd_[A-Za-z0-9_-]{43}")


class Captured:
    """The lines the real JSON formatter writes, as text and parsed."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line["event"] == kind]

    def one(self, kind: str) -> dict[str, Any]:
        found = self.of(kind)
        assert len(found) == 1, (kind, self.text)
        return found[0]

    def clean(self, *secrets: object) -> None:
        """No password, code, token, name, address or value anywhere in the log."""
        for secret in (PASSWORD, WRONG_PASSWORD, PATIENT_NAME, NOTE, str(WEIGHT), *secrets):
            assert str(secret) not in self.text, (secret, self.text)
        assert not TOKEN.search(self.text), self.text
        assert "@" not in self.text, self.text  # no e-mail address, in any form


@pytest.fixture
def seclog(app: Flask) -> Iterator[Captured]:
    captured = Captured()
    handler = logging.StreamHandler(captured.stream)
    handler.setFormatter(security_log.JsonFormatter())
    logger = logging.getLogger(security_log.LOGGER_NAME)
    logger.addHandler(handler)
    yield captured
    logger.removeHandler(handler)


def _common(line: dict[str, Any], kind: str, outcome: str) -> None:
    assert line["event"] == kind
    assert line["outcome"] == outcome
    moment = datetime.fromisoformat(line["time"])
    assert moment.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - moment) < timedelta(minutes=5)


def _client(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.environ_base["HTTP_USER_AGENT"] = "TestBrowser/1.0 " + "x" * 300
    return client


# -- logins ---------------------------------------------------------------------------------


def test_login_success(app: Flask, create_patient: Any, seclog: Captured) -> None:
    patient = create_patient()
    assert login(_client(app), PATIENT_EMAIL).status_code == 302
    line = seclog.one(Events.LOGIN_SUCCEEDED)
    _common(line, Events.LOGIN_SUCCEEDED, "success")
    assert line["user_id"] == str(patient.id)
    assert line["role"] == "patient"
    assert line["second_factor"] == "none"
    assert line["ip"] == "127.0.0.1"
    assert line["path"] == "/login"
    assert line["method"] == "POST"
    assert line["user_agent"].startswith("TestBrowser/1.0")
    assert len(line["user_agent"]) == security_log.USER_AGENT_MAX
    seclog.clean()


def test_login_failure_logs_a_keyed_hash_of_the_address(
    app: Flask, create_patient: Any, seclog: Captured
) -> None:
    create_patient()
    client = _client(app)
    assert login(client, PATIENT_EMAIL, WRONG_PASSWORD).status_code == 401
    assert login(client, " Patient@Example.nl", WRONG_PASSWORD).status_code == 401
    assert login(client, "nobody@example.nl", WRONG_PASSWORD).status_code == 401
    first, second, unknown = seclog.of(Events.LOGIN_FAILED)
    _common(first, Events.LOGIN_FAILED, "failure")
    assert "user_id" not in first  # nobody is logged in; the address is not an id
    assert first["account_ref"] == second["account_ref"]  # one address, one ref
    assert re.fullmatch(r"acct_[0-9a-f]{16}", first["account_ref"])
    assert unknown["account_ref"] != first["account_ref"]
    with app.app_context():
        assert security_log.account_ref(PATIENT_EMAIL) == first["account_ref"]
    seclog.clean("patient", "example.nl", "nobody")


def test_login_limited(app: Flask, create_patient: Any, seclog: Captured) -> None:
    create_patient(email="grens@example.nl")
    app.config["LOGIN_LIMIT_ACCOUNT"] = "2 per 15 minutes"
    client = _client(app)
    for _ in range(2):
        assert login(client, "grens@example.nl", WRONG_PASSWORD).status_code == 401
    assert login(client, "grens@example.nl", PASSWORD).status_code == 429
    line = seclog.one(Events.LOGIN_LIMITED)
    _common(line, Events.LOGIN_LIMITED, "limited")
    assert line["limit"] == ["account"]
    with app.app_context():
        assert line["account_ref"] == security_log.account_ref("grens@example.nl")
    assert seclog.of(Events.LOGIN_SUCCEEDED) == []
    seclog.clean("grens")


def test_password_recheck_limited(app: Flask, create_patient: Any, seclog: Captured) -> None:
    """A logged-in user's password asked again (here: the export) over the login limits:
    its own event naming the step, not login.limited."""
    patient = create_patient()
    client = _client(app)
    assert login(client, PATIENT_EMAIL).status_code == 302
    app.config["LOGIN_LIMIT_ACCOUNT"] = "1 per 15 minutes"
    assert post_form(client, "/account/export", {"password": WRONG_PASSWORD}).status_code == 400
    assert post_form(client, "/account/export", {"password": PASSWORD}).status_code == 429
    line = seclog.one(Events.PASSWORD_RECHECK_LIMITED)
    _common(line, Events.PASSWORD_RECHECK_LIMITED, "limited")
    assert line["what"] == "export"
    assert line["limit"] == ["account"]
    assert line["user_id"] == str(patient.id)
    assert line["path"] == "/account/export"
    assert seclog.of(Events.LOGIN_LIMITED) == []
    seclog.clean()


def test_registration_with_an_address_that_has_an_account(
    app: Flask, create_patient: Any, seclog: Captured
) -> None:
    patient = create_patient()
    form = {
        "name": "Iemand Anders",
        "email": PATIENT_EMAIL,
        "birth_date": "14-03-1950",
        "password": WRONG_PASSWORD,
        "confirm": WRONG_PASSWORD,
    }
    assert post_form(_client(app), "/register", form).status_code == 302
    line = seclog.one(Events.REGISTRATION_EXISTING_ADDRESS)
    _common(line, Events.REGISTRATION_EXISTING_ADDRESS, "refused")
    assert line["user_id"] == str(patient.id)  # the owner's id: the visitor is nobody yet
    seclog.clean("Iemand Anders", "1950")


def test_registration_limited(make_app: Any, seclog: Captured) -> None:
    app = make_app(REGISTER_LIMIT_ACCOUNT="1 per hour")
    form = {
        "name": "Iemand Anders",
        "email": "vol@example.nl",
        "birth_date": "14-03-1950",
        "password": WRONG_PASSWORD,
        "confirm": WRONG_PASSWORD,
    }
    for _ in range(2):
        assert post_form(_client(app), "/register", form).status_code == 302
    line = seclog.one(Events.REGISTRATION_LIMITED)
    _common(line, Events.REGISTRATION_LIMITED, "limited")
    assert "vol@example.nl" not in seclog.text
    seclog.clean("Iemand Anders", "1950")


def test_registration_link_sent_confirmed_and_refused(app: Flask, seclog: Captured) -> None:
    """A new address: the link sent; at login "unconfirmed" (the page says nothing of it);
    the link with a wrong password, then the right one; then a used link. Only user ids."""
    form = {
        "name": PATIENT_NAME,
        "email": PATIENT_EMAIL,
        "birth_date": "14-03-1950",
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    assert post_form(_client(app), "/register", form).status_code == 302
    sent = seclog.one(Events.REGISTRATION_LINK_SENT)
    _common(sent, Events.REGISTRATION_LINK_SENT, "success")
    assert sent["registration"] == "new"
    user_id = sent["user_id"]
    assert uuid.UUID(user_id)

    assert login(_client(app), PATIENT_EMAIL).status_code == 401
    [unconfirmed] = [
        line for line in seclog.of(Events.LOGIN_FAILED) if line.get("reason") == "unconfirmed"
    ]
    assert unconfirmed["user_id"] == user_id

    link = mailed_link(app, PATIENT_EMAIL).split("localhost", 1)[1]
    client = _client(app)
    assert post_form(client, link, {"password": WRONG_PASSWORD}).status_code == 400
    failed = seclog.one(Events.REGISTRATION_CONFIRM_FAILED)
    _common(failed, Events.REGISTRATION_CONFIRM_FAILED, "failure")
    assert (failed["user_id"], failed["reason"]) == (user_id, "wrong_password")
    assert post_form(client, link, {"password": PASSWORD}).status_code == 302
    confirmed = seclog.one(Events.REGISTRATION_CONFIRMED)
    _common(confirmed, Events.REGISTRATION_CONFIRMED, "success")
    assert confirmed["user_id"] == user_id
    assert confirmed["path"] == "/register/confirm/<token>"  # the token is not logged
    assert (
        post_form(_client(app), link, {"password": PASSWORD}, form_url="/register").status_code
        == 404
    )
    used = [
        line
        for line in seclog.of(Events.REGISTRATION_CONFIRM_FAILED)
        if line.get("reason") == "link"
    ]
    assert len(used) == 1
    assert "user_id" not in used[0] or used[0]["user_id"] is None
    seclog.clean("1950", link.rsplit("/", 1)[1])


# -- second factor ----------------------------------------------------------------------------


def test_second_factor_set_up_success_failure_and_removal(
    app: Flask, create_patient: Any, seclog: Captured
) -> None:
    patient = create_patient()
    client = _client(app)
    login(client, PATIENT_EMAIL)
    setup = "/account/second-factor/setup"
    secret = secret_on_page(client.get(setup).get_data(as_text=True))
    good = rfc6238_code(secret)
    wrong = "000000" if good != "000000" else "111111"
    assert post_form(client, setup, {"code": wrong}).status_code == 400
    assert post_form(client, setup, {"code": good}).status_code == 302

    failed = seclog.one(Events.SECOND_FACTOR_FAILED)
    _common(failed, Events.SECOND_FACTOR_FAILED, "failure")
    assert failed["step"] == "set_up"
    assert failed["reason"] == "wrong"
    assert failed["user_id"] == str(patient.id)
    set_up = seclog.one(Events.SECOND_FACTOR_SET_UP)
    _common(set_up, Events.SECOND_FACTOR_SET_UP, "success")
    assert set_up["user_id"] == str(patient.id)

    # The code step of the next login: a wrong code, then a right one.
    later = _client(app)
    assert login(later, PATIENT_EMAIL).headers["Location"] == "/login/code"
    pending = seclog.of(Events.LOGIN_SUCCEEDED)[-1]
    assert pending["second_factor"] == "required"
    next_code = rfc6238_code(secret, step_offset=1)
    other = "000000" if next_code != "000000" else "111111"
    assert post_form(later, "/login/code", {"code": other}).status_code == 401
    assert post_form(later, "/login/code", {"code": next_code}).status_code == 302
    login_failed = seclog.of(Events.SECOND_FACTOR_FAILED)[-1]
    assert login_failed["step"] == "login"
    assert login_failed["method"] == "app"
    assert login_failed["user_id"] == str(patient.id)  # the waiting user, not yet logged in
    ok = seclog.one(Events.SECOND_FACTOR_SUCCEEDED)
    _common(ok, Events.SECOND_FACTOR_SUCCEEDED, "success")
    assert ok["user_id"] == str(patient.id)
    assert ok["method"] == "app"

    # Switched off by the patient, with the password.
    done = post_form(later, "/account/second-factor/off", {"password": PASSWORD})
    assert done.status_code == 302
    removed = seclog.one(Events.SECOND_FACTOR_REMOVED)
    _common(removed, Events.SECOND_FACTOR_REMOVED, "success")
    assert removed["user_id"] == str(patient.id)
    assert seclog.of(Events.SECOND_FACTOR_RESET) == []
    seclog.clean(secret, good, next_code)


def test_second_factor_limited(
    app: Flask, create_enrolled_clinician: Any, seclog: Captured
) -> None:
    who = create_enrolled_clinician()
    app.config["SECOND_FACTOR_LIMIT_ACCOUNT"] = "1 per 15 minutes"
    client = _client(app)
    login(client, who.email)
    right = who.code()
    wrong = "000000" if right != "000000" else "111111"
    assert post_form(client, "/login/code", {"code": wrong}).status_code == 401
    assert post_form(client, "/login/code", {"code": right}).status_code == 429
    line = seclog.one(Events.SECOND_FACTOR_LIMITED)
    _common(line, Events.SECOND_FACTOR_LIMITED, "limited")
    assert line["user_id"] == str(who.user.id)
    assert line["role"] == "clinician"
    assert seclog.of(Events.SECOND_FACTOR_SUCCEEDED) == []
    seclog.clean(who.secret, right)


def test_second_factor_reset_by_the_administrator(
    app: Flask, create_enrolled_clinician: Any, seclog: Captured
) -> None:
    who = create_enrolled_clinician()
    result = app.test_cli_runner().invoke(args=["reset-second-factor", who.email])
    assert result.exit_code == 0, result.output
    line = seclog.one(Events.SECOND_FACTOR_RESET)
    _common(line, Events.SECOND_FACTOR_RESET, "success")
    assert line["user_id"] == str(who.user.id)
    assert line["via"] == "command_line"
    seclog.clean(who.secret)


# -- password ---------------------------------------------------------------------------------


def test_password_change(app: Flask, create_patient: Any, seclog: Captured) -> None:
    patient = create_patient()
    client = _client(app)
    login(client, PATIENT_EMAIL)
    new = "een heel ander nieuw wachtwoord"
    url = "/account/password"
    wrong = post_form(
        client,
        url,
        {"current_password": WRONG_PASSWORD, "new_password": new, "confirm": new},
    )
    assert wrong.status_code == 200
    done = post_form(
        client, url, {"current_password": PASSWORD, "new_password": new, "confirm": new}
    )
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    failed = seclog.one(Events.PASSWORD_CHANGE_FAILED)
    assert failed["user_id"] == str(patient.id)
    line = seclog.one(Events.PASSWORD_CHANGED)
    _common(line, Events.PASSWORD_CHANGED, "success")
    assert line["user_id"] == str(patient.id)
    assert line["role"] == "patient"
    assert line["path"] == url
    seclog.clean(new)


def test_password_reset_requested_and_done(
    app: Flask, create_patient: Any, seclog: Captured
) -> None:
    from datetime import timedelta as td

    from pgd.accounts import reset, services

    patient = create_patient()
    client = _client(app)
    asked = post_form(client, "/password/forgot", {"email": PATIENT_EMAIL})
    assert asked.status_code == 302
    requested = seclog.one(Events.PASSWORD_RESET_REQUESTED)
    _common(requested, Events.PASSWORD_RESET_REQUESTED, "success")
    assert requested["user_id"] == str(patient.id)
    with app.test_request_context():
        raw = reset.issue_link(services.user_by_email(PATIENT_EMAIL), "reset", td(minutes=30))
    new = "een heel ander nieuw wachtwoord"
    url = f"/password/reset/{raw}"
    done = post_form(client, url, {"new_password": new, "confirm": new})
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    line = seclog.one(Events.PASSWORD_RESET)
    _common(line, Events.PASSWORD_RESET, "success")
    assert line["user_id"] == str(patient.id)
    assert line["purpose"] == "reset"
    assert line["path"] == "/password/reset/<token>"  # the link's token never in the log
    seclog.clean(raw, new)


# -- API keys ---------------------------------------------------------------------------------


def test_api_key_created_and_revoked(app: Flask, create_patient: Any, seclog: Captured) -> None:
    patient = create_patient()
    client = _client(app)
    login(client, PATIENT_EMAIL)
    data = {"name": "Bloeddrukmeter", "password": PASSWORD, "scope": ["read", "write"]}
    page = post_form(client, "/settings/api-keys", data)
    raw = TOKEN.search(page.get_data(as_text=True))
    assert raw is not None
    created = seclog.one(Events.API_KEY_CREATED)
    _common(created, Events.API_KEY_CREATED, "success")
    assert created["user_id"] == str(patient.id)
    key_id = created["key_id"]
    uuid.UUID(key_id)

    wrong = app.test_client().get(
        "/api/v1/measurements", headers={"Authorization": "Bearer pgd_" + "A" * 43}
    )
    assert wrong.status_code == 401
    refused = seclog.one(Events.API_KEY_REFUSED)
    assert refused["reason"] == "unknown"
    assert "user_id" not in refused

    revoke = f"/settings/api-keys/{key_id}/revoke"
    assert post_form(client, revoke, {}).status_code == 302
    revoked = seclog.one(Events.API_KEY_REVOKED)
    _common(revoked, Events.API_KEY_REVOKED, "success")
    assert revoked["user_id"] == str(patient.id)
    assert revoked["key_id"] == key_id
    seclog.clean(raw.group(0), raw.group(0)[4:12], "Bloeddrukmeter", "A" * 43)


# -- shares -----------------------------------------------------------------------------------


def _grant_id(client: FlaskClient) -> str:
    found = re.search(r"/sharing/([0-9a-f-]{36})", client.get("/sharing").get_data(as_text=True))
    assert found is not None
    return found.group(1)


def test_share_created_extended_narrowed_stopped(
    app: Flask, create_patient: Any, create_clinician: Any, seclog: Captured
) -> None:
    patient = create_patient()
    clinician = create_clinician()
    client = _client(app)
    login(client, PATIENT_EMAIL)
    done = post_form(
        client,
        "/sharing/confirm",
        {
            "code": "",
            "email": clinician.email,
            "categories": ["blood_pressure", "weight"],
            "period": "all",
            "expiry": "3m",
        },
        form_url="/sharing/new",
    )
    assert done.status_code == 302
    grant_id = _grant_id(client)
    created = seclog.one(Events.SHARE_CREATED)
    _common(created, Events.SHARE_CREATED, "success")
    assert created["user_id"] == str(patient.id)
    assert created["grant_id"] == grant_id
    assert created["clinician_id"] == str(clinician.id)
    assert created["categories"] == ["blood_pressure", "weight"]
    assert created["via"] == "email_address"

    url = f"/sharing/{grant_id}"
    wider = post_form(
        client,
        url,
        {
            "categories": ["blood_pressure", "weight", "glucose"],
            "expiry": "keep",
            "confirmed": "yes",
        },
    )
    assert wider.status_code == 302
    extended = seclog.one(Events.SHARE_EXTENDED)
    _common(extended, Events.SHARE_EXTENDED, "success")
    assert extended["grant_id"] == grant_id
    assert extended["categories_added"] == ["glucose"]
    assert extended["categories_removed"] == []

    soon = (datetime.now(UTC) + timedelta(days=10)).strftime("%d-%m-%Y")
    less = post_form(client, url, {"categories": ["weight"], "expiry": "date", "until": soon})
    assert less.status_code == 302
    narrowed = seclog.one(Events.SHARE_NARROWED)
    _common(narrowed, Events.SHARE_NARROWED, "success")
    assert narrowed["categories_removed"] == ["blood_pressure", "glucose"]
    assert datetime.fromisoformat(narrowed["expires_after"]) < datetime.fromisoformat(
        narrowed["expires_before"]
    )

    assert post_form(client, f"{url}/stop", {}).status_code == 302
    stopped = seclog.one(Events.SHARE_STOPPED)
    _common(stopped, Events.SHARE_STOPPED, "success")
    assert stopped["grant_id"] == grant_id
    assert stopped["clinician_id"] == str(clinician.id)
    seclog.clean("Anna de Vries", "praktijk")


# -- refused access (the 404 of the consent door) ----------------------------------------------


@pytest.fixture
def unshared(app: Flask, create_patient: Any) -> Any:
    """A patient with a reading and a note, who shares nothing."""
    from pgd.measurements import services as measurements
    from pgd.measurements.models import Source
    from pgd.measurements.values import Weight

    patient = create_patient()
    with app.test_request_context():
        measurements.add_many(
            patient, patient.id, [(Weight(WEIGHT), datetime.now(UTC), NOTE)], Source.WEB
        )
    return patient


def _refusal(seclog: Captured, clinician: Any, patient: Any, path: str) -> dict[str, Any]:
    line = seclog.one(Events.ACCESS_REFUSED)
    _common(line, Events.ACCESS_REFUSED, "refused")
    assert line["user_id"] == str(clinician.id)
    assert line["role"] == "clinician"
    assert line["patient_id"] == str(patient.id)
    assert line["path"] == path
    assert line["object"].startswith(f"patient/{patient.id}/")
    return line


def test_refused_access_on_the_web(
    app: Flask, create_enrolled_clinician: Any, unshared: Any, seclog: Captured
) -> None:
    who = create_enrolled_clinician()
    client = _client(app)
    login_clinician(client, who)
    path = f"/clinician/patients/{unshared.id}"
    assert client.get(path).status_code == 404
    line = _refusal(seclog, who.user, unshared, path)
    assert line["category"] == "profile"
    assert line["action"] == "read"
    seclog.clean(who.secret)


def _clinician_token(app: Flask, create_clinician: Callable[..., Any]) -> tuple[Any, str]:
    from pgd.accounts import tokens

    clinician = create_clinician()
    enrol(app, clinician)
    with app.test_request_context():
        _info, raw = tokens.create(clinician, "Practice system")
    return clinician, raw


def test_refused_access_on_the_api(
    app: Flask, create_clinician: Any, unshared: Any, seclog: Captured
) -> None:
    clinician, raw = _clinician_token(app, create_clinician)
    path = f"/api/v1/patients/{unshared.id}/measurements"
    answer = app.test_client().get(path, headers={"Authorization": f"Bearer {raw}"})
    assert answer.status_code == 404
    line = _refusal(seclog, clinician, unshared, path)
    uuid.UUID(line["api_key_id"])
    seclog.clean(raw)


def test_refused_access_on_fhir(
    app: Flask, create_clinician: Any, unshared: Any, seclog: Captured
) -> None:
    clinician, raw = _clinician_token(app, create_clinician)
    headers = {"Authorization": f"Bearer {raw}"}
    client = app.test_client()
    path = f"/fhir/Patient/{unshared.id}"
    assert client.get(path, headers=headers).status_code == 404
    _refusal(seclog, clinician, unshared, path)
    observations = client.get(f"/fhir/Observation?patient={unshared.id}", headers=headers)
    assert observations.status_code == 404
    first, second = seclog.of(Events.ACCESS_REFUSED)  # one line per refused request
    assert second["user_id"] == str(clinician.id)
    assert second["path"] == "/fhir/Observation"
    assert second["patient_id"] == str(unshared.id)
    seclog.clean(raw)


# -- key rotation -----------------------------------------------------------------------------


def test_master_key_rotation_via_the_command(app: Flask, unshared: Any, seclog: Captured) -> None:
    result = app.test_cli_runner().invoke(args=["rotate-master-key"])
    assert result.exit_code == 0, result.output
    line = seclog.one(Events.MASTER_KEY_ROTATED)
    _common(line, Events.MASTER_KEY_ROTATED, "success")
    assert line["via"] == "command_line"
    assert line["new_key"] is True
    assert line["rewrapped"] >= 1
    ring = json.loads((Path(app.instance_path) / "master_keys.json").read_text())
    assert line["key_id"] in json.dumps(ring)
    for text in _strings(ring):  # no key material, only the key id
        if text != line["key_id"] and len(text) >= 16:
            assert text not in seclog.text
    seclog.clean()


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


# -- the module itself and its destinations ---------------------------------------------------


def test_every_event_kind_is_a_distinct_dotted_name() -> None:
    kinds = Events.all()
    assert len(kinds) == len([n for n in vars(Events) if n.isupper()])
    assert all(re.fullmatch(r"[a-z_]+\.[a-z_]+", kind) for kind in kinds)
    needed = (
        "LOGIN_SUCCEEDED LOGIN_FAILED LOGIN_LIMITED PASSWORD_RECHECK_LIMITED "
        "SECOND_FACTOR_SUCCEEDED "
        "SECOND_FACTOR_FAILED SECOND_FACTOR_SET_UP SECOND_FACTOR_REMOVED SECOND_FACTOR_RESET "
        "PASSWORD_CHANGED PASSWORD_RESET API_KEY_CREATED API_KEY_REVOKED API_KEY_EXPIRED "
        "ACCOUNT_DELETED ACCOUNT_DISABLED SHARE_CREATED SHARE_EXTENDED SHARE_NARROWED "
        "SHARE_STOPPED ACCESS_REFUSED MASTER_KEY_ROTATED"
    )
    for name in needed.split():
        assert getattr(Events, name) in kinds


def test_fields_that_could_carry_secrets_are_dropped(app: Flask, seclog: Captured) -> None:
    with app.test_request_context("/x"):
        security_log.event(
            Events.ACCOUNT_DISABLED,
            user_id=uuid.uuid4(),
            password="geheim-1",
            totp_code="123987",
            raw_token="pgd_x",
            name="Kees",
            email="kees@example.nl",
            outcome="success",
        )
    line = seclog.one(Events.ACCOUNT_DISABLED)
    assert set(line) >= {"time", "event", "user_id", "ip", "path", "outcome"}
    for secret in ("geheim-1", "123987", "pgd_x", "Kees"):
        assert secret not in seclog.text
    seclog.clean()


def _drop_destination_handlers() -> None:
    logger = logging.getLogger(security_log.LOGGER_NAME)
    for handler in list(logger.handlers):
        kind = getattr(handler, "pgd_destination", ("stderr", None))[0]
        if kind in ("file", "syslog"):
            logger.removeHandler(handler)
            handler.close()


def test_the_file_handler_writes_json_lines(make_app: Callable[..., Flask], tmp_path: Path) -> None:
    from pgd.accounts import services

    target = tmp_path / "security.jsonl"
    app = make_app(SECURITY_LOG_FILE=str(target))
    try:
        with app.test_request_context():
            services.register_patient(PATIENT_EMAIL, PASSWORD, PATIENT_NAME, None)
        client = _client(app)
        assert login(client, PATIENT_EMAIL, WRONG_PASSWORD).status_code == 401
        assert login(client, PATIENT_EMAIL).status_code == 302
    finally:
        _drop_destination_handlers()
        app.extensions["pgd.engine"].dispose()
    assert target.stat().st_mode & 0o777 == 0o600
    text = target.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines()]
    assert [line["event"] for line in lines] == [Events.LOGIN_FAILED, Events.LOGIN_SUCCEEDED]
    for secret in (PASSWORD, WRONG_PASSWORD, PATIENT_NAME, PATIENT_EMAIL):
        assert secret not in text


def test_the_syslog_handler_sends_json(make_app: Callable[..., Flask]) -> None:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    port = receiver.getsockname()[1]
    app = make_app(SECURITY_LOG_SYSLOG=f"127.0.0.1:{port}")
    try:
        with app.test_request_context("/login", method="POST"):
            security_log.event(Events.LOGIN_FAILED, outcome="failure", account_ref="acct_x")
        data = receiver.recv(65536).decode()
    finally:
        _drop_destination_handlers()
        receiver.close()
        app.extensions["pgd.engine"].dispose()
    match = re.fullmatch(r"<(\d+)>(\{.*\})\x00?", data)
    assert match, data
    assert int(match.group(1)) // 8 == logging.handlers.SysLogHandler.LOG_AUTH
    assert json.loads(match.group(2))["event"] == Events.LOGIN_FAILED
