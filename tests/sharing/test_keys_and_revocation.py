"""Key separation and revocation immediacy: the grant in the database decides, now."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask_login import login_user
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from pgd import crypto, db
from pgd.accounts import second_factor, services
from pgd.measurements import services as measurements
from pgd.measurements.models import Kind, Measurement
from tests.conftest import post_form
from tests.sharing.conftest import add_readings, enrol, logged_in, set_state


def _as_verified_clinician(app: Flask, clinician: Any) -> Any:
    """A request context of a clinician who passed the second factor in this session."""
    ctx = app.test_request_context()
    ctx.push()
    user = services.user_by_id(clinician.id)
    login_user(user)
    second_factor.mark_verified(user.id)
    crypto.limit_keys_to(user.id)  # what every request of a logged-in user starts with
    return ctx, user


def test_weight_only_grant_cannot_open_glucose(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
) -> None:
    patient = create_patient()
    clinician = create_clinician()
    add_readings(app, patient)
    make_grant(patient, clinician, categories=("weight",))
    other = create_patient(email="ander@example.nl", name="Ander")
    add_readings(app, other)
    enrol(app, clinician)
    ctx, user = _as_verified_clinician(app, clinician)
    try:
        weights = measurements.series(user, patient.id, Kind.WEIGHT)
        assert weights.n == 3
        with pytest.raises(NotFound):
            measurements.series(user, patient.id, Kind.GLUCOSE)
        # A query that "forgot" the policy: it finds the sealed rows, but the key stays shut.
        rows = (
            db.session()
            .execute(
                select(Measurement.id, Measurement.payload_sealed).where(
                    Measurement.patient_id == patient.id, Measurement.kind == "glucose"
                )
            )
            .all()
        )
        assert len(rows) == 3
        with pytest.raises(crypto.KeyNotPermitted):
            crypto.cipher_for(patient.id, crypto.Category.GLUCOSE)
        with pytest.raises(crypto.KeyNotPermitted):
            crypto.preload([patient.id], crypto.Category.BLOOD_PRESSURE)
        assert all(b"7.4" not in blob and b"3.5" not in blob for _id, blob in rows)
        # Another patient's keys are shut as well, whatever the category.
        with pytest.raises(crypto.KeyNotPermitted):
            crypto.cipher_for(other.id, crypto.Category.WEIGHT)
    finally:
        ctx.pop()


def test_without_a_verified_session_nothing_opens(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
) -> None:
    patient = create_patient()
    clinician = create_clinician()
    add_readings(app, patient)
    make_grant(patient, clinician)
    enrol(app, clinician)
    with app.test_request_context():
        user = services.user_by_id(clinician.id)
        login_user(user)  # logged in, but the code step was not passed in this session
        crypto.limit_keys_to(user.id)
        with pytest.raises(NotFound):
            measurements.series(user, patient.id, Kind.WEIGHT)
        with pytest.raises(crypto.KeyNotPermitted):
            crypto.cipher_for(patient.id, crypto.Category.WEIGHT)


def test_the_data_period_limits_what_the_services_return(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
) -> None:
    from datetime import UTC, datetime, timedelta

    patient = create_patient()
    clinician = create_clinician()
    add_readings(app, patient, days_ago=(1, 5, 40, 400))
    make_grant(patient, clinician, data_from=datetime.now(UTC) - timedelta(days=10))
    enrol(app, clinician)
    ctx, user = _as_verified_clinician(app, clinician)
    try:
        assert measurements.series(user, patient.id, Kind.WEIGHT).n == 2
        assert (
            measurements.series(
                user, patient.id, Kind.WEIGHT, start=datetime(2000, 1, 1, tzinfo=UTC)
            ).n
            == 2
        )
        page = measurements.page(user, patient.id, (Kind.GLUCOSE,), limit=100)
        assert page.total == 2
        assert len(page.readings) == 2
        with app.app_context():
            old = (
                db.session()
                .scalars(
                    select(Measurement.id)
                    .where(Measurement.patient_id == patient.id)
                    .order_by(Measurement.taken_at)
                    .limit(1)
                )
                .one()
            )
        with pytest.raises(measurements.NotFound):
            measurements.get(user, patient.id, old)
    finally:
        ctx.pop()


@pytest.mark.parametrize("how", ["revoke", "expire", "narrow"])
def test_the_next_request_after_a_change_answers_404(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
    how: str,
) -> None:
    patient = create_patient()
    clinician = create_clinician()
    add_readings(app, patient)
    grant_id = make_grant(patient, clinician, categories=("weight", "glucose"))
    web = verified_client(clinician)
    dossier_url = f"/clinician/patients/{patient.id}"
    chart_url = f"{dossier_url}/charts/weight"
    assert web.get(dossier_url).status_code == 200
    assert web.get(chart_url).status_code == 200
    if how == "revoke":
        own = logged_in(app, "patient@example.nl")
        assert post_form(own, f"/sharing/{grant_id}/stop", {}).status_code == 302
    elif how == "expire":
        set_state(app, grant_id, "expired")
    else:
        own = logged_in(app, "patient@example.nl")
        narrowed = post_form(
            own, f"/sharing/{grant_id}", {"categories": ["glucose"], "expiry": "keep"}
        )
        assert narrowed.status_code == 302
    assert web.get(chart_url).status_code == 404  # the very next request
    dossier = web.get(dossier_url)
    if how == "narrow":
        assert dossier.status_code == 200
        assert 'id="sum-weight"' not in dossier.get_data(as_text=True)
        assert 'id="sum-glucose"' in dossier.get_data(as_text=True)
    else:
        assert dossier.status_code == 404
        assert "Jansje" not in web.get("/clinician").get_data(as_text=True)
