"""Patients switch the second factor on and off; the administrator resets a clinician's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import text

from pgd import db
from pgd.crypto import totp
from tests.accounts.conftest import recovery_codes_on_page, secret_on_page
from tests.conftest import count_rows, enrol, login, login_clinician, post_form, rfc6238_code

SETUP = "/account/second-factor/setup"
STATUS = "/account/second-factor"
OFF = "/account/second-factor/off"


def test_a_patient_switches_it_on_and_then_needs_a_code(
    app: Flask, create_patient: Any, english: Any
) -> None:
    create_patient()
    client = english()
    login(client, "patient@example.nl")
    assert client.get("/home").status_code == 200  # optional: nothing forces a patient
    status = client.get(STATUS).get_data(as_text=True)
    assert "Set up logging in with a code" in status
    assert "As a care provider" not in status
    secret = secret_on_page(client.get(SETUP).get_data(as_text=True))
    assert post_form(client, SETUP, {"code": rfc6238_code(secret)}).status_code == 302
    codes = recovery_codes_on_page(
        client.get("/account/second-factor/recovery-codes").get_data(as_text=True)
    )
    assert len(codes) == 10
    assert (
        post_form(client, "/account/second-factor/recovery-codes", {"saved": "y"}).headers[
            "Location"
        ]
        == "/home"
    )

    later = english()
    assert login(later, "patient@example.nl").headers["Location"] == "/login/code"
    assert later.get("/home").headers["Location"] == "/login/code"
    done = post_form(later, "/login/code", {"code": rfc6238_code(secret, step_offset=1)})
    assert done.headers["Location"] == "/home"
    assert later.get("/home").status_code == 200


def test_a_patient_switches_it_off_with_the_password(
    app: Flask, create_patient: Any, english: Any
) -> None:
    create_patient()
    who = enrol(app, "patient@example.nl")
    client, elsewhere = english(), english()
    login_clinician(client, who)
    login_clinician(elsewhere, who)
    assert elsewhere.get("/home").status_code == 200

    wrong = post_form(client, OFF, {"password": "not my password at all"})
    assert wrong.status_code == 400
    assert "Your password is not right." in wrong.get_data(as_text=True)
    assert count_rows(app, "second_factors") == 1
    assert count_rows(app, "recovery_codes") == 10

    done = post_form(client, OFF, {"password": "mijn hond loopt graag mee"})
    assert done.headers["Location"] == STATUS
    assert count_rows(app, "second_factors") == 0
    assert count_rows(app, "recovery_codes") == 0
    assert "Logging in with a code is now off" in client.get(STATUS).get_data(as_text=True)
    assert client.get("/home").status_code == 200  # this session goes on
    assert elsewhere.get("/home").headers["Location"].startswith("/login")  # others ended
    again = english()
    assert login(again, "patient@example.nl").headers["Location"] == "/home"


def test_clinicians_cannot_switch_it_off_themselves(
    app: Flask, create_enrolled_clinician: Any, english: Any
) -> None:
    who = create_enrolled_clinician()
    client = english()
    login_clinician(client, who)
    assert client.get(OFF).status_code == 404
    status = client.get(STATUS).get_data(as_text=True)
    assert "Ask the administrator of your practice" in status
    assert OFF not in status


def test_reset_second_factor_command(
    app: Flask, create_enrolled_clinician: Any, english: Any
) -> None:
    who = create_enrolled_clinician()
    client = english()
    login_clinician(client, who)
    assert client.get("/clinician").status_code == 200
    runner = app.test_cli_runner()

    result = runner.invoke(args=["reset-second-factor", "POH@praktijk.nl "])
    assert result.exit_code == 0, result.output
    assert "Second factor removed for poh@praktijk.nl" in result.output
    assert "must set up a new one" in result.output
    assert count_rows(app, "second_factors") == 0
    assert count_rows(app, "recovery_codes") == 0
    with app.app_context():
        open_sessions = db.session().execute(
            text("SELECT count(*) FROM login_sessions WHERE ended_at IS NULL")
        )
        assert open_sessions.scalar_one() == 0
    again = runner.invoke(args=["reset-second-factor", "poh@praktijk.nl"])
    assert again.exit_code != 0
    assert "has no second factor; nothing changed" in again.output
    # The running session has ended; the next login goes straight to set-up.
    assert client.get("/clinician").headers["Location"].startswith("/login")
    fresh = english()
    assert login(fresh, who.email).headers["Location"] == "/clinician"
    assert fresh.get("/clinician").headers["Location"] == SETUP
    assert (
        fresh.get("/clinician/patients/00000000-0000-0000-0000-000000000001").headers["Location"]
        == SETUP
    )
    # The old app and recovery codes are worthless now.
    assert who.secret not in fresh.get(SETUP).get_data(as_text=True).replace(" ", "")

    unknown = runner.invoke(args=["reset-second-factor", "nobody@praktijk.nl"])
    assert unknown.exit_code != 0
    assert "There is no account with e-mail nobody@praktijk.nl" in unknown.output


def test_the_secret_is_not_stored_in_plain_text(app: Flask, create_enrolled_clinician: Any) -> None:
    who = create_enrolled_clinician()
    url = app.config["DATABASE_URL"]
    with app.app_context():
        blob = bytes(
            db.session().execute(text("SELECT secret_sealed FROM second_factors")).scalar_one()
        )
    raw = totp.from_base32(who.secret)
    assert raw not in blob
    assert who.secret.encode() not in blob
    if url.startswith("sqlite:///"):
        with app.app_context():
            db.session().execute(text("PRAGMA wal_checkpoint(FULL)"))
        path = Path(url.removeprefix("sqlite:///"))
        files = [path, Path(f"{path}-wal")]
        data = b"".join(p.read_bytes() for p in files if p.exists())
        assert len(data) > 0
        assert who.secret.encode() not in data
        assert totp.grouped(who.secret).encode() not in data
        assert raw not in data
        for code in who.recovery_codes:
            assert code.encode() not in data
            assert code.replace("-", "").encode() not in data


def test_a_reset_revokes_the_clinicians_api_keys_for_good(
    app: Flask, create_enrolled_clinician: Any, create_patient: Any
) -> None:
    from pgd.accounts import tokens

    who = create_enrolled_clinician()
    patient = create_patient()
    with app.test_request_context():
        _info, clinician_key = tokens.create(who.user, "Practice system")
        _info, meter_key = tokens.create(patient, "Meter")
    api = app.test_client()

    def status(key: str) -> int:
        headers = {"Authorization": f"Bearer {key}"}
        return api.get("/api/v1/patients", headers=headers).status_code

    assert status(clinician_key) == 200
    result = app.test_cli_runner().invoke(args=["reset-second-factor", "poh@praktijk.nl"])
    assert result.exit_code == 0, result.output
    assert status(clinician_key) == 401
    # A new second factor does not bring the old key back.
    enrol(app, who.user)
    assert status(clinician_key) == 401
    with app.app_context():
        assert tokens.active(who.user.id) == []
        assert len(tokens.active(patient.id)) == 1  # other people's keys are untouched
