"""Fixtures: the app on SQLite and on PostgreSQL, a client, and account factories.

Every test that uses `app` runs once per database engine. PostgreSQL runs whenever
one answers on 127.0.0.1:5432 (or at PGD_TEST_DATABASE_URL); under CI=true a missing
PostgreSQL fails the run instead of skipping it.
"""

from __future__ import annotations

import io
import json
import logging
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


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, unmigrated database of each engine, for a migration test to take to a
    revision, fill and migrate further; PostgreSQL's is dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data.sqlite3'}"
        return
    problem = _postgres_answers()
    if problem:
        if IN_CI:
            pytest.fail(f"CI=true requires PostgreSQL: {problem}")
        pytest.skip(problem)
    name = f"pgd_mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_URL.rsplit("/", 1)[0] + "/" + name
    finally:
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
            # The access log is append-only (triggers); a test database starts empty.
            triggers = conn.execute(
                text(
                    "SELECT name, sql FROM sqlite_master "
                    "WHERE type = 'trigger' AND tbl_name = 'access_events'"
                )
            ).all()
            for name, _sql in triggers:
                conn.execute(text(f'DROP TRIGGER "{name}"'))
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
            for _name, sql in triggers:
                conn.execute(text(sql))
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


# -- registration through the page, confirmed from the e-mail (issue 13) ---------------

MAIL_LINKS = {
    "confirm": re.compile(r"https?://\S+?/register/confirm/[A-Za-z0-9_-]+"),
    "reset": re.compile(r"https?://\S+?/password/reset/[A-Za-z0-9_-]+"),
}


def wait_for_mail() -> None:
    """Wait until every e-mail the app sends from a thread (pgd.mail.send_later) is out."""
    import threading

    for thread in threading.enumerate():
        if thread.name == "pgd-mail" and thread is not threading.current_thread():
            thread.join(timeout=10)
            assert not thread.is_alive(), "an e-mail thread did not finish"


def mails_to(app: Flask, email: str, inbox: SmtpInbox | None = None) -> list[str]:
    """The bodies of the e-mails sent to this address, oldest first: from the test SMTP
    server, or from instance/mail/*.eml, where the app writes them without MAIL_SERVER."""
    from email import message_from_bytes
    from email import policy as email_policy

    wait_for_mail()
    if inbox is not None or app.config.get("MAIL_SERVER"):
        assert inbox is not None, "the app sends to an SMTP server: pass its inbox"
        messages = list(inbox.messages)
    else:
        folder = Path(app.instance_path) / "mail"
        files = sorted(
            folder.glob("*.eml") if folder.exists() else [],
            key=lambda f: (f.stem.split("-")[0], int(f.stem.split("-")[1])),
        )
        messages = [message_from_bytes(f.read_bytes(), policy=email_policy.default) for f in files]
    return [
        str(m.get_body(preferencelist=("plain",)).get_content())
        for m in messages
        if str(m["To"]).strip().lower() == email.strip().lower()
    ]


def mailed_link(
    app: Flask, email: str, kind: str = "confirm", inbox: SmtpInbox | None = None
) -> str:
    """The newest link of this kind ("confirm" or "reset") mailed to this address."""
    found = [
        link for body in mails_to(app, email, inbox) for link in MAIL_LINKS[kind].findall(body)
    ]
    assert found, f"no {kind} link was mailed to {email}"
    return str(found[-1])


REGISTRATION = {"name": "Jansje Pietersma", "birth_date": "", "password": PASSWORD}


def register_and_confirm(
    client: FlaskClient,
    email: str = "patient@example.nl",
    *,
    inbox: SmtpInbox | None = None,
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> Any:
    """Register through /register like a patient, then open the confirmation link from
    the e-mail and type the password: the client ends logged in. Returns the last
    response (the redirect to the dashboard)."""
    from urllib.parse import urlsplit

    form = {**REGISTRATION, "email": email, **fields}
    form.setdefault("confirm", form["password"])
    sent = post_form(client, "/register", form, headers=headers)
    assert sent.status_code == 302, sent.status_code
    assert sent.headers["Location"] == "/register/sent", sent.headers["Location"]
    path = urlsplit(mailed_link(client.application, email, "confirm", inbox)).path
    done = post_form(client, path, {"password": form["password"]}, headers=headers)
    assert done.status_code == 302, done.status_code
    assert done.headers["Location"] == "/home", done.headers["Location"]
    return done


# -- second factor -------------------------------------------------------------------
# The codes are computed here with a separate RFC 6238 implementation (not pgd's own),
# so a mistake in pgd.crypto.totp cannot hide behind a test that shares it.


def rfc6238_code(secret_base32: str, moment: float | None = None, step_offset: int = 0) -> str:
    """A 6-digit TOTP code (SHA-1, 30 s) for the given time (RFC 6238, RFC 4226 5.3)."""
    import base64
    import hashlib
    import hmac
    import struct
    import time

    cleaned = secret_base32.replace(" ", "").upper()
    key = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    counter = int((time.time() if moment is None else moment) // 30) + step_offset
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[19] & 0xF
    value = (
        (digest[offset] & 0x7F) << 24
        | digest[offset + 1] << 16
        | digest[offset + 2] << 8
        | digest[offset + 3]
    )
    return f"{value % 1_000_000:06d}"


def current_step() -> int:
    import time

    return int(time.time() // 30)


class Enrolled:
    """A user with a confirmed second factor, and what a test needs to pass the code step.

    Each app code works once, so next_code() hands out unused time steps (the server
    accepts one step either side of now) and then the recovery codes.
    """

    def __init__(self, user: Any, secret: str, recovery_codes: list[str], used_step: int):
        self.user = user
        self.email: str = user.email
        self.secret = secret
        self.recovery_codes = list(recovery_codes)
        self.used_step = used_step

    def code(self, step_offset: int = 0) -> str:
        return rfc6238_code(self.secret, step_offset=step_offset)

    def next_code(self) -> tuple[str, bool]:
        """(code, is_recovery_code): an app code not used yet, else a recovery code."""
        now = current_step()
        for step in (now - 1, now, now + 1):
            if step > self.used_step:
                self.used_step = step
                return rfc6238_code(self.secret, step_offset=step - now), False
        return self.recovery_codes.pop(), True


def enrol(app: Flask, user: Any) -> Enrolled:
    """Set up and confirm a second factor through the real services (user or e-mail)."""
    from pgd.accounts import second_factor, services

    email = user if isinstance(user, str) else user.email
    with app.test_request_context():
        fresh = services.user_by_email(email)
        secret = second_factor.start_enrolment(fresh).secret_text.replace(" ", "")
        step = current_step() - 1  # leave the current and the next step for logins
        try:
            codes = second_factor.confirm_enrolment(fresh, rfc6238_code(secret, step_offset=-1))
        except second_factor.SecondFactorError:  # a 30-second boundary passed just now
            step = current_step()
            codes = second_factor.confirm_enrolment(fresh, rfc6238_code(secret))
        enrolled = Enrolled(fresh, secret, codes, step)
    app.extensions.setdefault("pgd.test_enrolled", {})[enrolled.email] = enrolled
    return enrolled


@pytest.fixture
def create_enrolled_clinician(
    app: Flask, create_clinician: Callable[..., Any]
) -> Callable[..., Any]:
    """Like create_clinician, with a confirmed second factor. Returns an `Enrolled`:
    .user, .email, .secret, .code(), .next_code(), .recovery_codes."""

    def factory(**kwargs: Any) -> Enrolled:
        return enrol(app, create_clinician(**kwargs))

    return factory


def login_clinician(client: FlaskClient, who: Enrolled | str, password: str = PASSWORD) -> Any:
    """Password, then the code step: the client ends fully logged in (returns the last
    response, a redirect to the clinician's home page). Works for any enrolled user."""
    # Not isinstance(): pytest's "conftest" and an imported "tests.conftest" are two modules.
    enrolled = (
        client.application.extensions["pgd.test_enrolled"][who] if isinstance(who, str) else who
    )
    first = login(client, enrolled.email, password)
    assert first.status_code == 302, first.status_code
    assert first.headers["Location"] == "/login/code", first.headers["Location"]
    code, is_recovery = enrolled.next_code()
    if is_recovery:
        return post_form(client, "/login/code?recovery=1", {"recovery_code": code})
    return post_form(client, "/login/code", {"code": code})


def count_rows(app: Flask, table: str) -> int:
    with app.app_context():
        return int(db.session().execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608


def acting_as_clinician(app: Flask, clinician: Any) -> Any:
    """A request context in which an enrolled clinician is logged in and passed the second
    factor, with the keys limited to them (as pgd.sharing does for a real request). Use
    as `with acting_as_clinician(app, user):` and call services with `user`."""
    from contextlib import contextmanager

    from flask_login import login_user

    from pgd import crypto
    from pgd.accounts import second_factor

    @contextmanager
    def scope() -> Iterator[None]:
        with app.test_request_context():
            login_user(clinician)
            second_factor.mark_verified(clinician.id)
            crypto.limit_keys_to(clinician.id)
            yield

    return scope()


def agree_target(
    app: Flask,
    patient: Any,
    target: tuple[int, int],
    day: Any,
    note: str = "",
    clinician_email: str = "afspraak@praktijk.nl",
) -> Any:
    """An agreed blood pressure target as a care provider records it at the consult: an
    enrolled POH "Anna de Vries" with an active blood pressure grant, through the service."""
    from datetime import UTC, datetime, timedelta

    from pgd.accounts import services as accounts
    from pgd.accounts.models import Profession
    from pgd.measurements import targets
    from pgd.sharing.models import Grant

    with app.test_request_context():
        clinician = accounts.create_clinician(
            clinician_email, PASSWORD, "Anna de Vries", Profession("poh"), "De Linde", "01234567"
        )
    enrol(app, clinician)
    now = datetime.now(UTC)
    with app.app_context(), db.transaction() as sess:
        sess.add(
            Grant(
                patient_id=patient.id,
                clinician_id=clinician.id,
                categories="blood_pressure",
                expires_at=now + timedelta(days=30),
                created_at=now,
            )
        )
    with acting_as_clinician(app, clinician):
        targets.agree_blood_pressure(clinician, patient.id, target, note, today=day)
    return clinician


# -- e-mail (issue 13): a real SMTP server on 127.0.0.1 -------------------------------


class SmtpInbox:
    """What the aiosmtpd server received; wait() blocks until messages arrive (no sleeps)."""

    def __init__(self, port: int) -> None:
        import threading

        self.port = port
        self.messages: list[Any] = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        from email import message_from_bytes, policy

        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait(self, count: int = 1, timeout: float = 10.0) -> list[Any]:
        with self._arrived:
            assert self._arrived.wait_for(lambda: len(self.messages) >= count, timeout), (
                f"expected {count} message(s), the SMTP server received {len(self.messages)}"
            )
            return list(self.messages)

    def body(self, index: int = -1) -> str:
        return str(self.messages[index].get_content())


@pytest.fixture
def smtp() -> Iterator[SmtpInbox]:
    """An aiosmtpd server on a free port of 127.0.0.1; its inbox is the fixture."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = SmtpInbox(port)
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def mail_app(make_app: Callable[..., Flask], smtp: SmtpInbox) -> Iterator[Flask]:
    """The app sending its e-mail to the test SMTP server."""
    application = make_app(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        MAIL_USE_TLS=False,
        MAIL_DEFAULT_SENDER="PGD <noreply@pgd.test>",
    )
    yield application
    application.extensions["pgd.engine"].dispose()


# -- the security log, as tests read it --------------------------------------------------


@pytest.fixture
def seclog_stream(app: Flask) -> Iterator[io.StringIO]:
    """The security log's JSON lines written while the test runs (the real formatter)."""
    from pgd import security_log

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(security_log.JsonFormatter())
    logger = logging.getLogger(security_log.LOGGER_NAME)
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


def security_events(stream: io.StringIO, kind: str) -> list[dict[str, Any]]:
    """The parsed lines of one event kind, oldest first."""
    lines = [json.loads(x) for x in stream.getvalue().splitlines() if x.strip()]
    return [line for line in lines if line["event"] == kind]
