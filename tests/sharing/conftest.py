"""Sharing fixtures: patients with readings, clinicians, grants in every state."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from pgd import db
from pgd.measurements import services as measurements
from pgd.measurements.models import Source
from pgd.measurements.values import BloodPressure, Glucose, Weight
from pgd.sharing.models import Grant
from tests.api.conftest import caller, make_caller, make_token  # noqa: F401  (API callers)
from tests.conftest import enrol as shared_enrol
from tests.conftest import login, login_clinician

ALL = ("blood_pressure", "weight", "glucose", "goals")


def enrol(app: Flask, user: Any) -> Any:
    """A real, confirmed second factor (tests.conftest.enrol); returns its `Enrolled`."""
    return shared_enrol(app, user)


def lose_second_factor(app: Flask, user: Any) -> None:
    """The worst case: the factor's rows are gone without the usual clean-up (sessions
    ended, API keys revoked), as after a faulty restore. Nothing may open anyway."""
    from sqlalchemy import delete

    from pgd.accounts.models import RecoveryCode, SecondFactor

    with app.app_context(), db.transaction() as sess:
        sess.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        sess.execute(delete(SecondFactor).where(SecondFactor.user_id == user.id))


@pytest.fixture
def verified_client(app: Flask) -> Callable[[Any], FlaskClient]:
    """A browser session of a clinician who set up a second factor and passed it."""
    enrolled: dict[uuid.UUID, Any] = {}

    def factory(user: Any) -> FlaskClient:
        if user.id not in enrolled:
            enrolled[user.id] = shared_enrol(app, user)
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        done = login_clinician(client, enrolled[user.id])
        assert done.status_code == 302, done.status_code
        return client

    return factory


def add_readings(app: Flask, patient: Any, days_ago: tuple[int, ...] = (1, 5, 40)) -> None:
    now = datetime.now(UTC)
    items = []
    for d in days_ago:
        when = now - timedelta(days=d)
        items.append((BloodPressure(150 - d % 7, 92, 70, None), when, "bp note"))
        items.append((Weight(90.0 - d / 10), when, ""))
        items.append((Glucose(3.5 if d == 5 else 7.4, "before_breakfast"), when, ""))
    with app.test_request_context():
        measurements.add_many(patient, patient.id, items, Source.WEB)


@pytest.fixture
def make_grant(app: Flask) -> Callable[..., uuid.UUID]:
    """A grant written directly (the patient pages are tested on their own)."""

    def factory(
        patient: Any,
        clinician: Any,
        categories: tuple[str, ...] = ALL,
        state: str = "active",
        data_from: datetime | None = None,
    ) -> uuid.UUID:
        now = datetime.now(UTC)
        grant = Grant(
            id=uuid.uuid4(),
            patient_id=patient.id,
            clinician_id=clinician.id,
            categories=",".join(categories),
            data_from=data_from,
            expires_at=now + timedelta(days=365),
            created_at=now,
        )
        with app.app_context(), db.transaction() as sess:
            sess.add(grant)
        if state != "active":
            set_state(app, grant.id, state)
        return grant.id

    return factory


def set_state(app: Flask, grant_id: uuid.UUID, state: str, categories: str | None = None) -> None:
    now = datetime.now(UTC)
    values: dict[str, Any] = {}
    if state == "expired":
        values["expires_at"] = now - timedelta(seconds=1)
    elif state == "revoked":
        values["revoked_at"] = now
    if categories is not None:
        values["categories"] = categories
        values["changed_at"] = now
    with app.app_context(), db.transaction() as sess:
        sess.execute(update(Grant).where(Grant.id == grant_id).values(**values))


def logged_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # tests read the English texts
    response = login(client, email)
    assert response.status_code == 302, response.status_code
    return client


def allowed_events(app: Flask, patient_id: uuid.UUID | None = None) -> int:
    """Access-log events of reads and writes that were allowed (refused tries are
    events too, with outcome "refused")."""
    from sqlalchemy import func, select

    from pgd.sharing.models import AccessEvent

    where = [AccessEvent.outcome == "allowed"]
    if patient_id is not None:
        where.append(AccessEvent.patient_id == patient_id)
    with app.app_context():
        return int(
            db.session().scalar(select(func.count()).select_from(AccessEvent).where(*where)) or 0
        )


def access_events(app: Flask, patient_id: uuid.UUID | None = None) -> list[Any]:
    """The access-log events (of one patient, or all), chain after chain (patient id,
    then seq), detached from the session."""
    from sqlalchemy import select

    from pgd.sharing.models import AccessEvent

    with app.app_context():
        sess = db.session()
        query = select(AccessEvent).order_by(AccessEvent.patient_id, AccessEvent.seq)
        if patient_id is not None:
            query = query.where(AccessEvent.patient_id == patient_id)
        found = list(sess.scalars(query))
        sess.expunge_all()
        return found


def refused_events(app: Flask) -> int:
    from sqlalchemy import func, select

    from pgd.sharing.models import AccessEvent

    with app.app_context():
        query = select(func.count()).select_from(AccessEvent)
        return int(db.session().scalar(query.where(AccessEvent.outcome == "refused")) or 0)
