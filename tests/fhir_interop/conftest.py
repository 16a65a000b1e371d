"""FHIR fixtures: token callers for a patient and a clinician, and R4 validation of answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from flask import Flask
from flask.testing import FlaskClient

from pgd.accounts import tokens
from tests.sharing.conftest import enrol, make_grant  # noqa: F401  (fixture re-used here)

FHIR = "/fhir"


def validate(body: dict[str, Any]) -> dict[str, Any]:
    """Validate a resource (and every entry of a Bundle) with the fhir.resources models.

    fhir.resources 8.3 has no 4.0.1 package; its R4B models have the same structure for
    Patient, Observation, Goal, Bundle, OperationOutcome and CapabilityStatement."""
    kind = body["resourceType"]
    get_fhir_model_class(kind).model_validate(body)
    if kind == "Bundle":
        for entry in body.get("entry", []):
            resource = entry["resource"]
            get_fhir_model_class(resource["resourceType"]).model_validate(resource)
            assert entry["fullUrl"].endswith(f"/{resource['resourceType']}/{resource['id']}")
    return body


@dataclass
class FhirCaller:
    client: FlaskClient
    token: str
    user: Any

    def get(self, path: str, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}", "Accept-Language": "en"}
        return self.client.get(FHIR + path, headers=headers, **kw)

    def read(self, path: str, status: int = 200) -> dict[str, Any]:
        """GET, check status and content type, validate, return the JSON."""
        response = self.get(path)
        assert response.status_code == status, (response.status_code, response.data[:500])
        assert response.mimetype == "application/fhir+json"
        return validate(response.get_json())


def _token(app: Flask, user: Any) -> str:
    with app.test_request_context():
        _info, raw = tokens.create(user, "GP system")
    return raw


@pytest.fixture
def fhir_patient(app: Flask, create_patient: Callable[..., Any]) -> FhirCaller:
    import datetime as dt

    user = create_patient(birth_date=dt.date(1956, 4, 12))
    return FhirCaller(app.test_client(), _token(app, user), user)


@pytest.fixture
def fhir_clinician(app: Flask, create_clinician: Callable[..., Any]) -> FhirCaller:
    user = create_clinician()
    enrol(app, user)
    return FhirCaller(app.test_client(), _token(app, user), user)
