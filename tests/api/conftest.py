"""API fixtures: a patient with a bearer token, and a client that speaks JSON in English."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

API = "/api/v1"


@dataclass
class Caller:
    """One patient's API client: every call carries that patient's token."""

    client: FlaskClient
    token: str
    user: Any

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept-Language": "en"}

    def post(self, body: Any, **kw: Any) -> Any:
        return self.client.post(f"{API}/measurements", json=body, headers=self.headers, **kw)

    def get(self, path: str = "/measurements", **kw: Any) -> Any:
        return self.client.get(API + path, headers=self.headers, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.client.delete(API + path, headers=self.headers, **kw)


@pytest.fixture
def make_token(app: Flask) -> Callable[..., str]:
    from pgd.accounts import tokens

    def factory(user: Any, name: str = "Meter app") -> str:
        with app.test_request_context():
            _info, raw = tokens.create(user, name)
        return raw

    return factory


@pytest.fixture
def make_caller(
    app: Flask, create_patient: Callable[..., Any], make_token: Callable[..., str]
) -> Callable[..., Caller]:
    def factory(email: str = "patient@example.nl") -> Caller:
        user = create_patient(email=email)
        return Caller(app.test_client(), make_token(user), user)

    return factory


@pytest.fixture
def caller(make_caller: Callable[..., Caller]) -> Caller:
    return make_caller()
