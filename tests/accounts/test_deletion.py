"""A patient deletes the own account (issue 13): everything of the patient goes, the data
keys are destroyed (crypto-shredding), the access log stays and still verifies."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, select, text

from pgd import crypto, db, security_log
from pgd.crypto.models import DataKey
from pgd.measurements.models import Measurement
from pgd.sharing.models import AccessEvent
from tests.conftest import PASSWORD, count_rows, enrol, login, post_form, register_and_confirm
from tests.fhir_interop.helpers import add_goals
from tests.sharing.conftest import add_readings

DELETE = "/account/delete"
OWNER_COLUMNS = ("patient_id", "user_id", "owner_id")


def _english(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _logged_in(app: Flask, email: str = "patient@example.nl") -> FlaskClient:
    client = _english(app)
    assert login(client, email).status_code == 302
    return client


def _rows_of(app: Flask, user_id: uuid.UUID) -> dict[str, int]:
    """Per table of the database (not the models: what is really there), the rows that
    carry this id in an owner column."""
    out: dict[str, int] = {}
    with app.app_context():
        sess = db.session()
        tables = inspect(sess.connection()).get_table_names()
        for table in tables:
            columns = {c["name"] for c in inspect(sess.connection()).get_columns(table)}
            owners = [c for c in OWNER_COLUMNS if c in columns]
            if table == "users":
                owners = ["id"]
            if not owners:
                continue
            where = " OR ".join(f"{c} = :id" for c in owners)
            out[table] = int(
                sess.execute(
                    text(f"SELECT count(*) FROM {table} WHERE {where}"),  # noqa: S608
                    {"id": user_id if db.engine().dialect.name == "postgresql" else user_id.hex},
                ).scalar_one()
            )
    return out


def _question(app: Flask, patient: Any) -> None:
    from pgd.goals.questions import add_question

    with app.test_request_context():
        add_question(patient, patient.id, "Mag ik minder zout eten?")


def _api_key(app: Flask, user: Any) -> str:
    from pgd.accounts import tokens

    with app.test_request_context():
        _info, raw = tokens.create(user, "Meter app")
    return raw


def _full_patient(
    app: Flask, create_patient: Callable[..., Any], create_clinician: Callable[..., Any]
) -> tuple[Any, Any]:
    from tests.sharing.conftest import ALL

    patient = create_patient()
    clinician = create_clinician()
    add_readings(app, patient)
    add_goals(app, patient)
    _question(app, patient)
    with app.app_context(), db.transaction() as sess:
        from datetime import UTC, datetime, timedelta

        from pgd.sharing.models import Grant

        sess.add(
            Grant(
                id=uuid.uuid4(),
                patient_id=patient.id,
                clinician_id=clinician.id,
                categories=",".join(ALL),
                expires_at=datetime.now(UTC) + timedelta(days=365),
                created_at=datetime.now(UTC),
            )
        )
    return patient, clinician


def test_wrong_password_or_no_tick_deletes_nothing(
    app: Flask, create_patient: Callable[..., Any], create_clinician: Callable[..., Any]
) -> None:
    patient, _clinician = _full_patient(app, create_patient, create_clinician)
    web = _logged_in(app)
    before = _rows_of(app, patient.id)
    page = web.get(DELETE).get_data(as_text=True)
    assert "All your measurements" in page
    assert "which care provider looked at your data" in page
    assert 'name="code"' not in page  # no second factor: no code field

    wrong = post_form(web, DELETE, {"password": "not my password", "confirm": "y"})
    assert wrong.status_code == 400
    assert "Your password is not right. Nothing was deleted." in wrong.get_data(as_text=True)

    unticked = post_form(web, DELETE, {"password": PASSWORD})
    assert unticked.status_code == 400
    assert "Tick the box" in unticked.get_data(as_text=True)

    assert _rows_of(app, patient.id) == before
    assert web.get("/account/profile").status_code == 200  # still logged in


def test_second_factor_is_required_when_on(app: Flask, create_patient: Callable[..., Any]) -> None:
    patient = create_patient()
    add_readings(app, patient)
    enrolled = enrol(app, patient)
    web = _english(app)
    assert login(web, patient.email).headers["Location"] == "/login/code"
    code, _recovery = enrolled.next_code()
    assert post_form(web, "/login/code", {"code": code}).status_code == 302
    page = web.get(DELETE).get_data(as_text=True)
    assert 'name="code"' in page

    missing = post_form(web, DELETE, {"password": PASSWORD, "confirm": "y"})
    assert missing.status_code == 400
    assert "Fill in the code that your app shows now" in missing.get_data(as_text=True)
    assert "Nothing was deleted." not in missing.get_data(as_text=True)
    wrong = post_form(web, DELETE, {"password": PASSWORD, "confirm": "y", "code": "000000"})
    assert wrong.status_code == 400
    # The words of every code step (pgd.accounts.throttle.code_refused_text), and that
    # nothing happened, next to the code field.
    code_errors = wrong.get_data(as_text=True).split('id="code-error"', 1)[1][:600]
    assert "This code is not right, or it has expired." in code_errors
    assert "Nothing was deleted." in code_errors
    assert _rows_of(app, patient.id)["measurements"] == 9

    code, _recovery = enrolled.next_code()
    done = post_form(web, DELETE, {"password": PASSWORD, "confirm": "y", "code": code})
    assert done.status_code == 302
    assert set(_rows_of(app, patient.id).values()) == {0}


def test_deletion_removes_everything_and_keeps_the_access_log(
    app: Flask,
    runner: Any,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from tests.sharing.conftest import enrol as enrol_clinician
    from tests.sharing.conftest import login_clinician

    patient, clinician = _full_patient(app, create_patient, create_clinician)
    raw_key = _api_key(app, patient)
    doctor = _english(app)
    assert login_clinician(doctor, enrol_clinician(app, clinician)).status_code == 302
    assert doctor.get(f"/clinician/patients/{patient.id}").status_code == 200
    with app.app_context():
        sess = db.session()
        events_before = sess.scalar(select(text("count(*)")).select_from(AccessEvent))
        assert events_before
        # A copy of sealed bytes, as in a backup made before the deletion.
        copied = sess.execute(
            select(Measurement.id, Measurement.kind, Measurement.payload_sealed).where(
                Measurement.patient_id == patient.id
            )
        ).first()
        assert copied is not None
    with app.test_request_context():  # opens now, with the patient's key
        crypto.cipher_for(patient.id, crypto.Category(copied.kind)).open(
            "measurements", copied.id, copied.payload_sealed
        )
    assert _rows_of(app, patient.id)["data_keys"] >= 5

    web = _logged_in(app)
    caplog.set_level(logging.INFO, logger=security_log.LOGGER_NAME)
    done = post_form(web, DELETE, {"password": PASSWORD, "confirm": "y"})
    assert done.status_code == 302
    assert done.headers["Location"] == "/account/deleted"
    goodbye = web.get("/account/deleted")
    assert "Your account has been deleted" in goodbye.get_data(as_text=True)

    # No row of the patient remains, except the access log; the data keys are gone.
    left = _rows_of(app, patient.id)
    events_after = left.pop("access_events")
    assert left.pop("access_log_heads") == 1  # the head of the patient's chain stays too
    assert events_after >= 1
    assert left == dict.fromkeys(left, 0), left
    assert {"measurements", "data_keys", "grants", "goals", "profiles"} <= set(left)
    with app.app_context():
        sess = db.session()
        assert sess.scalar(select(text("count(*)")).select_from(AccessEvent)) == events_before
        assert not sess.scalars(select(DataKey).where(DataKey.owner_id == patient.id)).all()
        # No event holds the patient's name (only the clinician's).
        names = set(sess.scalars(select(AccessEvent.actor_name)))
        assert names == {"Anna de Vries"}

    # The chain still verifies.
    verified = runner.invoke(args=["verify-access-log"])
    assert verified.exit_code == 0, verified.output

    # The copied sealed bytes cannot be opened any more.
    with app.test_request_context(), pytest.raises(crypto.DecryptionError):
        crypto.cipher_for(patient.id, crypto.Category(copied.kind)).open(
            "measurements", copied.id, copied.payload_sealed
        )

    # The clinician sees nothing of this patient; the session and the API key have ended.
    assert doctor.get(f"/clinician/patients/{patient.id}").status_code == 404
    assert str(patient.id) not in doctor.get("/clinician").get_data(as_text=True)
    assert web.get("/account/profile").status_code in (302, 401)
    assert web.get("/account/profile").headers["Location"].startswith("/login")
    api = app.test_client().get(
        "/api/v1/measurements", headers={"Authorization": f"Bearer {raw_key}"}
    )
    assert api.status_code == 401

    # The security log names the deletion and the stopped share: ids and counts only.
    lines = [r.pgd_security for r in caplog.records if hasattr(r, "pgd_security")]
    deleted = [line for line in lines if line["event"] == security_log.Events.ACCOUNT_DELETED]
    assert len(deleted) == 1
    assert deleted[0]["user_id"] == str(patient.id)
    assert deleted[0]["shares_stopped"] == 1
    assert deleted[0]["keys_destroyed"] >= 5
    stopped = [line for line in lines if line["event"] == security_log.Events.SHARE_STOPPED]
    assert [s["clinician_id"] for s in stopped] == [str(clinician.id)]
    text_of_lines = repr(lines)
    assert "patient@example.nl" not in text_of_lines
    assert "Jansje" not in text_of_lines
    assert PASSWORD not in text_of_lines


def test_the_address_can_register_again_as_a_new_empty_account(
    app: Flask, create_patient: Callable[..., Any], create_clinician: Callable[..., Any]
) -> None:
    patient, _clinician = _full_patient(app, create_patient, create_clinician)
    web = _logged_in(app)
    assert post_form(web, DELETE, {"password": PASSWORD, "confirm": "y"}).status_code == 302

    fresh = _english(app)
    # Through the page and the link in the e-mail: the client ends logged in.
    register_and_confirm(fresh, "patient@example.nl", name="Jansje Pietersma")
    with app.app_context():
        from pgd.accounts.models import User

        new = db.session().scalar(select(User).where(User.email == "patient@example.nl"))
        assert new is not None
        new_id = new.id
    assert new_id != patient.id
    counts = _rows_of(app, new_id)
    assert counts["users"] == 1
    assert counts["profiles"] == 1
    assert counts["measurements"] == 0
    assert counts["goals"] == 0
    assert counts["grants"] == 0
    assert counts["access_events"] == 0  # the old account's trail is not the new one's
    assert "Jansje Pietersma" in fresh.get("/account/profile").get_data(as_text=True)


def test_a_clinician_cannot_use_it(app: Flask, create_clinician: Callable[..., Any]) -> None:
    from tests.sharing.conftest import enrol as enrol_clinician
    from tests.sharing.conftest import login_clinician

    clinician = create_clinician()
    doctor = _english(app)
    assert login_clinician(doctor, enrol_clinician(app, clinician)).status_code == 302
    assert doctor.get(DELETE).status_code == 404
    refused = post_form(
        doctor,
        DELETE,
        {"password": PASSWORD, "confirm": "y"},
        form_url="/clinician/account/password",  # a valid CSRF token: the policy answers
    )
    assert refused.status_code == 404
    assert count_rows(app, "users") == 1


def test_destroy_patient_keys_forgets_the_unwrapped_keys_of_this_request(
    app: Flask, create_patient: Callable[..., Any]
) -> None:
    patient = create_patient()
    other = create_patient(email="other@example.nl")
    with app.test_request_context():
        crypto.cipher_for(patient.id, crypto.Category.PROFILE)
        crypto.cipher_for(other.id, crypto.Category.PROFILE)
        with db.transaction():
            assert crypto.destroy_patient_keys(patient.id) == 1
        with pytest.raises(crypto.DecryptionError):
            crypto.cipher_for(patient.id, crypto.Category.PROFILE)
        crypto.cipher_for(other.id, crypto.Category.PROFILE)  # others' keys stay


def test_a_backup_from_before_the_deletion_is_noise_once_the_master_key_is_retired(
    app: Flask, runner: Any, create_patient: Callable[..., Any]
) -> None:
    """The README's promise: rows and wrapped data keys copied before the deletion (a
    backup) cannot be opened after rotate-master-key and retire-master-key."""
    patient = create_patient()
    add_readings(app, patient)
    with app.app_context():
        sess = db.session()
        backup_key = sess.execute(
            select(DataKey.kek_id, DataKey.category, DataKey.wrapped).where(
                DataKey.owner_id == patient.id, DataKey.category == "weight"
            )
        ).one()
    web = _logged_in(app)
    assert post_form(web, DELETE, {"password": PASSWORD, "confirm": "y"}).status_code == 302
    with app.app_context():
        # Before the rotation the backup's key still unwraps: the master key is the same.
        crypto.ring().unwrap(backup_key.kek_id, backup_key.wrapped, patient.id, "weight")
    assert runner.invoke(args=["rotate-master-key"]).exit_code == 0
    retired = runner.invoke(args=["retire-master-key", backup_key.kek_id])
    assert retired.exit_code == 0, retired.output
    with app.app_context(), pytest.raises(crypto.MasterKeyError):
        crypto.ring().unwrap(backup_key.kek_id, backup_key.wrapped, patient.id, "weight")
