"""Every clinician page needs a second factor that this session passed (walks url_map)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from pgd import policy
from pgd.accounts import second_factor
from tests.conftest import csrf_token, login, login_clinician

SETUP = "/account/second-factor/setup"
CODE = "/login/code"
SECOND_FACTOR_PAGES = {
    "accounts.second_factor",
    "accounts.second_factor_setup",
    "accounts.second_factor_qr",
    "accounts.second_factor_recovery_codes",
    "accounts.second_factor_new_codes",
}


def _url(app: Flask, rule: Rule) -> str:
    values: dict[str, Any] = {}
    for name, converter in rule._converters.items():
        kind = type(converter).__name__
        values[name] = uuid.uuid4() if kind == "UUIDConverter" else 1 if "Integer" in kind else "x"
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def _clinician_rules(app: Flask) -> list[Rule]:
    rules = [
        r for r in app.url_map.iter_rules() if policy.policy_of(app, r.endpoint) == "clinician"
    ]
    assert len(rules) >= 3  # the walk really finds the clinician pages
    return rules


def _each_request(app: Flask, client: FlaskClient, token: str) -> list[tuple[str, str, Any]]:
    out = []
    for rule in _clinician_rules(app):
        url = _url(app, rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if method == "GET":
                out.append((method, url, client.get(url)))
            else:
                out.append(
                    (method, url, client.open(url, method=method, data={"csrf_token": token}))
                )
    return out


def test_second_factor_pages_are_declared_enrolling(app: Flask) -> None:
    declared = {
        r.endpoint
        for r in app.url_map.iter_rules()
        if policy.policy_of(app, r.endpoint) == "enrolling"
    }
    assert declared == SECOND_FACTOR_PAGES
    assert policy.policy_of(app, "accounts.second_factor_code") == "public"
    assert policy.policy_of(app, "accounts.second_factor_off") == "patient"
    assert policy.policy_of(app, "accounts.logout") == "public"


def test_a_clinician_without_a_second_factor_is_sent_to_set_up_from_every_page(
    app: Flask, create_clinician: Any
) -> None:
    create_clinician()
    client = app.test_client()
    login(client, "poh@praktijk.nl")
    token = csrf_token(client, SETUP)
    for method, url, response in _each_request(app, client, token):
        assert response.status_code == 302, (method, url)
        assert response.headers["Location"] == SETUP, (method, url)
    for endpoint in ("accounts.second_factor", "accounts.second_factor_setup"):
        with app.test_request_context():
            from flask import url_for

            url = url_for(endpoint)
        assert client.get(url).status_code == 200, endpoint


def test_an_enrolled_clinician_whose_session_skipped_the_code_is_sent_to_it(
    app: Flask, create_enrolled_clinician: Any
) -> None:
    who = create_enrolled_clinician()
    client = app.test_client()
    login_clinician(client, who)
    token = csrf_token(client, "/clinician/account/password")
    with client.session_transaction() as session:
        session.pop("sf_verified")
    for method, url, response in _each_request(app, client, token):
        assert response.status_code == 302, (method, url)
        assert response.headers["Location"] == CODE, (method, url)
    # The second-factor pages also want the code first (they could make new recovery codes).
    assert client.get("/account/second-factor").headers["Location"] == CODE


def test_a_verified_clinician_passes_and_a_forged_flag_for_another_user_does_not(
    app: Flask, create_enrolled_clinician: Any
) -> None:
    who = create_enrolled_clinician()
    client = app.test_client()
    login_clinician(client, who)
    assert client.get("/clinician").status_code == 200
    with client.session_transaction() as session:
        session["sf_verified"] = str(uuid.uuid4())
    assert client.get("/clinician").headers["Location"] == CODE


def test_a_patient_gets_404_not_a_detour_on_clinician_pages(
    app: Flask, create_patient: Any
) -> None:
    create_patient()
    client = app.test_client()
    login(client, "patient@example.nl")
    token = csrf_token(client, "/account/profile")
    for method, url, response in _each_request(app, client, token):
        assert response.status_code == 404, (method, url)


def test_anonymous_visitors_are_sent_to_login(app: Flask) -> None:
    client = app.test_client()
    for rule in _clinician_rules(app):
        if "GET" in (rule.methods or set()):
            response = client.get(_url(app, rule))
            assert response.headers["Location"].startswith("/login"), rule.endpoint


@pytest.mark.parametrize("enrolled", [False, True])
def test_interface_for_sharing(
    app: Flask, create_clinician: Any, create_enrolled_clinician: Any, enrolled: bool
) -> None:
    """is_enrolled() and session_verified(), as pgd.sharing calls them."""
    if enrolled:
        who = create_enrolled_clinician()
        user_id = who.user.id
    else:
        user_id = create_clinician().id
    client = app.test_client()
    seen: dict[str, bool] = {}

    @app.get("/__probe")
    @policy.public
    def probe() -> str:
        seen["enrolled"] = second_factor.is_enrolled(user_id)
        seen["verified"] = second_factor.session_verified()
        return "ok"

    client.get("/__probe")
    assert seen == {"enrolled": enrolled, "verified": False}
    if enrolled:
        login_clinician(client, who)
    else:
        login(client, "poh@praktijk.nl")
    client.get("/__probe")
    assert seen == {"enrolled": enrolled, "verified": enrolled}
    with app.app_context():
        assert second_factor.is_enrolled(user_id) is enrolled
