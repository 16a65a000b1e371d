"""Import limits (issue 13): rows per file, one import at a time per patient, a rate per
user; on the web page and through the FHIR $import."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pgd.extensions import limiter
from pgd.measurements import imports
from tests.conftest import count_rows
from tests.fhir_interop.conftest import fhir_patient  # noqa: F401  (fixture re-used here)
from tests.fhir_interop.test_import import good
from tests.fhir_interop.test_import_api import imported, saved, texts
from tests.measurements.test_csv_routes import GOOD, _client, confirm, pending_id, upload

BUSY = "An import is already running. Wait until it has finished."


@pytest.fixture
def build(make_app: Callable[..., Flask], create_patient: Any) -> Callable[..., Any]:
    """An app with the given settings, a patient in it and that patient's logged-in client."""
    made: list[Flask] = []

    def factory(**settings: Any) -> tuple[Flask, FlaskClient, Any]:
        app = make_app(**settings)
        made.append(app)
        from pgd.accounts import services

        with app.test_request_context():
            user = services.register_patient(
                "patient@example.nl", "mijn hond loopt graag mee", "Jansje Pietersma", None
            )
        return app, _client(app, "patient@example.nl"), user

    yield factory
    for app in made:
        app.extensions["pgd.engine"].dispose()


def _hold(app: Flask, patient_id: Any) -> str:
    """Another worker's import of this patient is running (its mark in the shared storage)."""
    key = imports._lock_key(patient_id)
    with app.app_context():
        assert limiter.storage.incr(key, imports.LOCK_SECONDS) == 1
    return key


def test_more_rows_than_the_maximum_is_refused_and_nothing_kept(build: Any) -> None:
    app, client, _user = build(IMPORT_MAX_ROWS=3)
    response = upload(client, GOOD)  # four readings
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert "This file holds more than 3 measurements. We import at most 3 at a time." in body
    assert "/confirm" not in body
    assert count_rows(app, "pending_imports") == 0
    assert count_rows(app, "measurements") == 0


def test_the_maximum_itself_is_accepted(build: Any) -> None:
    app, client, _user = build(IMPORT_MAX_ROWS=4)
    response = upload(client, GOOD)
    assert response.status_code == 200
    assert pending_id(response.get_data(as_text=True))


def test_a_fhir_file_over_the_maximum_is_refused_too(build: Any) -> None:
    app, client, _user = build(IMPORT_MAX_ROWS=2)
    response = upload(client, good(), "export.json")
    assert response.status_code == 413
    assert "more than 2 measurements" in response.get_data(as_text=True)
    assert count_rows(app, "pending_imports") == 0


def test_over_the_rate_per_user_is_refused_with_a_message(build: Any) -> None:
    app, client, _user = build(IMPORT_RATE_LIMIT="2 per hour")
    assert upload(client, GOOD).status_code == 200
    assert upload(client, GOOD).status_code == 200
    response = upload(client, GOOD)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "imported many files in a short time" in response.get_data(as_text=True)
    assert count_rows(app, "pending_imports") == 2


def test_a_second_import_while_one_runs_is_refused(build: Any) -> None:
    app, client, user = build()
    first = pending_id(upload(client, GOOD).get_data(as_text=True))
    key = _hold(app, user.id)
    response = upload(client, GOOD)
    assert response.status_code == 409
    assert BUSY in response.get_data(as_text=True)
    assert count_rows(app, "pending_imports") == 1  # only the first
    # Confirming meanwhile waits too: nothing is saved, the preview stays.
    response = confirm(client, first)
    assert response.status_code == 409
    assert BUSY in response.get_data(as_text=True)
    assert count_rows(app, "measurements") == 0
    with app.app_context():
        limiter.storage.clear(key)  # the other import has finished
    assert confirm(client, first).status_code == 302
    assert count_rows(app, "measurements") == 4
    # Our own import released its mark: the next upload runs.
    assert upload(client, GOOD).status_code == 200


def test_the_dutch_message(build: Any) -> None:
    app, client, user = build()
    _hold(app, user.id)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "nl"
    response = upload(client, GOOD)
    assert response.status_code == 409
    assert "Er loopt al een import. Wacht tot die klaar is." in response.get_data(as_text=True)


def test_the_api_import_keeps_the_same_limits(
    app: Flask,
    fhir_patient: Any,  # noqa: F811
) -> None:
    app.config["IMPORT_RATE_LIMIT"] = "2 per hour"
    key = _hold(app, fhir_patient.user.id)
    issues = imported(fhir_patient, good(), 409)  # refused while busy: not counted
    assert texts(issues) == [BUSY]
    assert saved(app, fhir_patient.user) == []
    with app.app_context():
        limiter.storage.clear(key)
    app.config["IMPORT_MAX_ROWS"] = 2
    issues = imported(fhir_patient, good(), 413)  # counted: the file was read
    assert "more than 2 measurements" in texts(issues)[0]
    app.config["IMPORT_MAX_ROWS"] = 100
    imported(fhir_patient, good(), 200)
    issues = imported(fhir_patient, good(), 429)
    assert "imported many files" in texts(issues)[0]
