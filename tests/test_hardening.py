"""Attacks and failure modes: HTTPS forms, stolen cookies, idle sessions, parallel
password guessing, registration floods, key rotation under running workers."""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from pgd import crypto, db
from pgd.accounts import services
from pgd.crypto.core import KeyRing
from tests.conftest import PASSWORD, count_rows, csrf_token, login, post_form


def test_login_over_https_as_a_browser_sends_it(app: Flask, create_patient: Any) -> None:
    """Flask-WTF checks the Referer on https; our Referrer-Policy must let it through."""
    create_patient()
    client = app.test_client()
    page = client.get("/login", base_url="https://pgd.example")
    assert page.headers["Referrer-Policy"] == "same-origin"
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    assert token
    response = client.post(
        "/login",
        base_url="https://pgd.example",
        data={"csrf_token": token.group(1), "email": "patient@example.nl", "password": PASSWORD},
        headers={"Referer": "https://pgd.example/login"},
    )
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]


def test_a_copied_cookie_is_worthless_after_logout(app: Flask, create_patient: Any) -> None:
    create_patient()
    client = app.test_client()
    login(client, "patient@example.nl")
    stolen = client.get_cookie("pgd_session")
    assert stolen is not None
    post_form(client, "/logout", {}, form_url="/home")
    thief = app.test_client()
    thief.set_cookie("pgd_session", stolen.value)
    assert thief.get("/account/profile").status_code == 302  # sent to the login page


def test_idle_session_ends(app: Flask, create_patient: Any) -> None:
    create_patient()
    client = app.test_client()
    login(client, "patient@example.nl")
    assert client.get("/home").status_code == 200
    with app.app_context():
        past = datetime.now(UTC) - timedelta(minutes=31)
        db.session().execute(text("UPDATE login_sessions SET last_seen_at = :t"), {"t": past})
        db.session().commit()
    assert client.get("/home").status_code == 302


def test_session_has_a_maximum_age(app: Flask, create_patient: Any) -> None:
    create_patient()
    client = app.test_client()
    login(client, "patient@example.nl")
    with app.app_context():
        past = datetime.now(UTC) - timedelta(hours=13)
        db.session().execute(text("UPDATE login_sessions SET created_at = :t"), {"t": past})
        db.session().commit()
    assert client.get("/home").status_code == 302


def test_parallel_guesses_cannot_pass_the_limit(app: Flask, create_patient: Any) -> None:
    create_patient()
    clients = []
    for _ in range(30):
        c = app.test_client()
        clients.append((c, csrf_token(c, "/login")))

    def guess(pair: tuple[Any, str]) -> int:
        c, token = pair
        data = {"csrf_token": token, "email": "patient@example.nl", "password": "wrong guess 12345"}
        return int(c.post("/login", data=data).status_code)

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(guess, clients))
    assert statuses.count(401) <= 10  # at most ten passwords were really tried
    assert statuses.count(429) >= 20


def test_registration_is_limited_per_address(app: Flask) -> None:
    statuses = []
    for i in range(22):
        client = app.test_client()  # a new visitor each time, from the same address
        response = post_form(
            client,
            "/register",
            {
                "name": f"P {i}",
                "email": f"p{i}@example.nl",
                "birth_date": "",
                "password": PASSWORD,
                "confirm": PASSWORD,
            },
        )
        statuses.append(response.status_code)
    assert statuses[:20] == [302] * 20
    assert statuses[20:] == [429, 429]
    assert count_rows(app, "users") == 20


def test_guessing_the_current_password_is_limited(app: Flask, create_patient: Any) -> None:
    create_patient()
    client = app.test_client()
    login(client, "patient@example.nl")
    new = "een heel ander nieuw wachtwoord"
    codes = [
        post_form(
            client,
            "/account/password",
            {"current_password": f"guess number {i}", "new_password": new, "confirm": new},
        ).status_code
        for i in range(11)
    ]
    assert codes[:9] == [200] * 9  # the login itself used and refunded one attempt
    assert 429 in codes[9:]


def test_running_worker_follows_a_rotation_and_a_retirement(
    app: Flask, make_app: Callable[..., Flask], create_patient: Any
) -> None:
    """Worker A keeps running while the administrator rotates and retires keys (B)."""
    user = create_patient()
    admin = make_app()
    old = KeyRing.load(Path(app.instance_path) / "master_keys.json").current
    runner = admin.test_cli_runner()
    assert runner.invoke(args=["rotate-master-key"]).exit_code == 0
    assert runner.invoke(args=["retire-master-key", old]).exit_code == 0
    with app.test_request_context():  # worker A: reads and writes with the new ring
        assert services.profile_of(user.id).name == "Jansje Pietersma"
        crypto.cipher_for(user.id, crypto.Category.WEIGHT, create=True)
        db.session().commit()
    restarted = make_app()  # and a restart still finds every data key's master key
    with restarted.test_request_context():
        assert services.profile_of(user.id).name == "Jansje Pietersma"


def test_a_rolled_back_data_key_is_not_reused(app: Flask, create_patient: Any) -> None:
    user = create_patient()
    with app.test_request_context():

        def fail_after_making_the_key() -> None:
            with db.transaction():
                crypto.cipher_for(user.id, crypto.Category.WEIGHT, create=True)
                raise RuntimeError("something failed after the key was made")

        with pytest.raises(RuntimeError):
            fail_after_making_the_key()
        with db.transaction():
            crypto.cipher_for(user.id, crypto.Category.WEIGHT, create=True)
    with app.app_context():
        keys = (
            db.session()
            .execute(text("SELECT count(*) FROM data_keys WHERE category = 'weight'"))
            .scalar()
        )
    assert keys == 1
