"""Fixtures: the app on SQLite and on PostgreSQL, a client, and account factories.

Every test that uses `app` runs once per database engine. PostgreSQL runs whenever
one answers on 127.0.0.1:5432 (or at PGD_TEST_DATABASE_URL); under CI=true a missing
PostgreSQL fails the run instead of skipping it.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from pgd import create_app, db
from pgd.db import Base

PG_URL = os.environ.get(
    "PGD_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() == "true"
PASSWORD = "mijn hond loopt graag mee"

FAST_HASHING = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1}


def _postgres_answers() -> str | None:
    try:
        eng = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "not available"
        return str(exc).splitlines()[0]
    return None


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated, empty database for the whole session, one per engine."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "pgd.sqlite3"
        url = f"sqlite:///{path}"
        db.upgrade(url)
        yield url
        return
    problem = _postgres_answers()
    if problem:
        message = f"PostgreSQL is not answering at {PG_URL}: {problem}"
        if IN_CI:
            pytest.fail("CI=true requires the PostgreSQL tests to run. " + message)
        pytest.skip(message)
    name = f"pgd_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    db.upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_tables(url: str) -> None:
    eng = create_engine(url)
    with eng.begin() as conn:
        if eng.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
    eng.dispose()


@pytest.fixture
def make_app(database_url: str, tmp_path: Path) -> Callable[..., Flask]:
    """Build an app on the session's database with its own instance folder (keys)."""
    _empty_tables(database_url)
    instance = tmp_path / "instance"

    def build(**overrides: Any) -> Flask:
        config = {
            "TESTING": True,
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": database_url,
            **FAST_HASHING,
            **overrides,
        }
        return create_app(config)

    return build


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    application = make_app()
    yield application
    application.extensions["pgd.engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, url: str) -> str:
    page = client.get(url)
    match = _CSRF.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url} (status {page.status_code})"
    return match.group(1)


def post_form(
    client: FlaskClient, url: str, data: dict[str, Any], *, form_url: str | None = None, **kw: Any
) -> Any:
    """Post like a browser: fetch the form first for its CSRF token."""
    token = csrf_token(client, form_url or url)
    return client.post(url, data={"csrf_token": token, **data}, **kw)


@pytest.fixture
def create_patient(app: Flask) -> Callable[..., Any]:
    from pgd.accounts import services

    def factory(
        email: str = "patient@example.nl",
        name: str = "Jansje Pietersma",
        password: str = PASSWORD,
        birth_date: Any = None,
    ) -> Any:
        with app.test_request_context():
            return services.register_patient(email, password, name, birth_date)

    return factory


@pytest.fixture
def create_clinician(app: Flask) -> Callable[..., Any]:
    from pgd.accounts import services
    from pgd.accounts.models import Profession

    def factory(
        email: str = "poh@praktijk.nl",
        name: str = "Anna de Vries",
        password: str = PASSWORD,
        profession: str = "poh",
    ) -> Any:
        with app.test_request_context():
            return services.create_clinician(
                email,
                password,
                name,
                Profession(profession),
                "Huisartsenpraktijk De Linde",
                "01234567",
            )

    return factory


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    return post_form(client, "/login", {"email": email, "password": password})


def count_rows(app: Flask, table: str) -> int:
    with app.app_context():
        return int(db.session().execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608
