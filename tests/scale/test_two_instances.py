"""Two instances of one installation behind one PostgreSQL and one Redis (issue 14).

Two gunicorn masters (one worker each) on two 127.0.0.1 ports share the instance folder
(master key file and session signing key), a scratch PostgreSQL database and a Redis
database of their own (PGD_RATELIMIT_STORAGE=redis://...). Driven over plain HTTP, they
must act as one: the login limit and the share-code limit count over both, a share
stopped on one is refused on the other at the next request, and a session from one
works on the other.

Skipped when PostgreSQL or Redis does not answer; under CI=true that fails instead (as
for the PostgreSQL tests in tests/conftest.py), so CI cannot pass without running it.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import create_engine, text

from pgd import create_app, db
from tests.conftest import FAST_HASHING, IN_CI, PASSWORD, PG_URL, Enrolled, enrol

ROOT = Path(__file__).resolve().parent.parent.parent
HOST = "127.0.0.1"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
# This test's own Redis database (0 is the README's example): flushed before and after.
REDIS_DB = 11
REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"

# Small limits, so each story takes a handful of requests. The per-address limits stay
# generous: every request here comes from 127.0.0.1, and the per-account (per-patient)
# limits are the ones under test.
LOGIN_LIMIT = 4
SHARE_LOOKUP_LIMIT = 3
SETTINGS = {
    "PGD_LOGIN_LIMIT_ACCOUNT": f"{LOGIN_LIMIT} per 15 minutes",
    "PGD_LOGIN_LIMIT_IP": "1000 per 15 minutes",
    "PGD_SHARE_LOOKUP_LIMIT": f"{SHARE_LOOKUP_LIMIT} per 15 minutes",
    "PGD_SHARE_LOOKUP_LIMIT_IP": "1000 per 15 minutes",
    "PGD_RATELIMIT_STORAGE": REDIS_URL,
    **{f"PGD_{name}": str(value) for name, value in FAST_HASHING.items()},
}

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
BAD_CODE = "This code does not work"
TOO_OFTEN = "You tried too often"


def _unavailable(what: str, problem: str) -> None:
    message = f"{what} is not answering: {problem}"
    if IN_CI:
        pytest.fail("CI=true requires the two-instance test to run. " + message)
    pytest.skip(message)


def _postgres_problem() -> str | None:
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "not available"
        return f"{PG_URL}: {str(exc).splitlines()[0]}"
    return None


def _redis_problem() -> str | None:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=3) as sock:
            sock.sendall(b"PING\r\n")
            answer = sock.recv(64)
    except OSError as exc:
        return f"{REDIS_HOST}:{REDIS_PORT}: {exc}"
    if not answer.startswith(b"+PONG"):
        return f"{REDIS_HOST}:{REDIS_PORT} answered {answer!r} to PING"
    return None


def _flush_redis() -> None:
    import redis  # the `redis` extra (pyproject.toml), which make test installs

    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB)
    try:
        client.flushdb()
    finally:
        client.close()


# -- the servers ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection(HOST, port, timeout=2)
        conn.request("GET", "/login")
        status = conn.getresponse().status
        conn.close()
    except OSError:
        return False
    return status == 200


def _wait_until_serving(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    """Poll until the instance answers (or its process dies, or 60 s pass)."""
    deadline = time.monotonic() + 60
    while not _answers(port):
        if process.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-3000:]
            raise AssertionError(f"gunicorn on port {port} did not start:\n{tail}")
        time.sleep(0.05)  # the next poll; nothing waits for a fixed time


def _stop(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextlib.contextmanager
def _instances(env: dict[str, str], logs: Path, count: int) -> Iterator[list[str]]:
    """Start `count` gunicorn masters (1 worker each); always stop every one started."""
    started: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    try:
        for number in range(count):
            port = _free_port()
            log = logs / f"instance-{number + 1}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "--workers",
                        "1",
                        "--bind",
                        f"{HOST}:{port}",
                        "--chdir",
                        str(ROOT),
                        "pgd:create_app()",
                    ],
                    env={**os.environ, **env},
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            started.append(process)
            urls.append(f"http://{HOST}:{port}")
            _wait_until_serving(process, port, log)
        yield urls
    finally:
        for process in started:
            _stop(process)


@dataclass
class Cluster:
    one: str
    two: str
    setup_app: Flask


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    problem = _postgres_problem()
    if problem:
        _unavailable("PostgreSQL", problem)
    problem = _redis_problem()
    if problem:
        _unavailable("Redis", problem)
    try:
        import redis  # noqa: F401  - the `redis` extra: PGD's limiter needs it for redis://
    except ImportError:
        _unavailable("The redis extra", "not installed (pip install -e '.[redis]')")
    _flush_redis()
    folder = tmp_path_factory.mktemp("two_instances")
    instance = folder / "instance"  # one installation: one key file, one secret key
    name = f"pgd_scale_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    setup_app: Flask | None = None
    try:
        db.upgrade(url)
        # Accounts are made in this process through the services, in the same instance
        # folder (so with the same master key) and database the servers use.
        setup_app = create_app(
            {"TESTING": True, "INSTANCE_PATH": str(instance), "DATABASE_URL": url, **FAST_HASHING}
        )
        env = {**SETTINGS, "PGD_INSTANCE_PATH": str(instance), "PGD_DATABASE_URL": url}
        with _instances(env, folder, 2) as (one, two):
            yield Cluster(one, two, setup_app)
    finally:
        if setup_app is not None:
            setup_app.extensions["pgd.engine"].dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        _flush_redis()


# -- a browser: a cookie jar, forms with their CSRF token --------------------------------


class Browser:
    """One browser talking to one instance (its own cookie jar, English pages)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.http.headers["Accept-Language"] = "en"

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.base + path, allow_redirects=False, timeout=30)

    def post_form(
        self, path: str, data: dict[str, Any], *, form_path: str | None = None
    ) -> requests.Response:
        """Post like a browser: fetch the form first for its CSRF token."""
        page = self.get(form_path or path)
        match = _CSRF.search(page.text)
        assert match, f"no CSRF token on {form_path or path} (status {page.status_code})"
        return self.http.post(
            self.base + path,
            data={"csrf_token": match.group(1), **data},
            allow_redirects=False,
            timeout=30,
        )

    def login(self, email: str, password: str = PASSWORD) -> requests.Response:
        return self.post_form("/login", {"email": email, "password": password})

    def login_clinician(self, who: Enrolled) -> None:
        first = self.login(who.email)
        assert first.status_code == 302, first.status_code
        assert first.headers["Location"].endswith("/login/code"), first.headers["Location"]
        code, is_recovery = who.next_code()
        if is_recovery:
            done = self.post_form("/login/code?recovery=1", {"recovery_code": code})
        else:
            done = self.post_form("/login/code", {"code": code})
        assert done.status_code == 302, done.status_code

    def session_cookie(self) -> str:
        value = self.http.cookies.get("pgd_session")
        assert value, "no session cookie"
        return value


def _patient(cluster: Cluster, email: str) -> Any:
    from pgd.accounts import services

    with cluster.setup_app.test_request_context():
        return services.register_patient(email, PASSWORD, "Jansje Pietersma", None)


def _clinician(cluster: Cluster, email: str) -> Enrolled:
    from pgd.accounts import services
    from pgd.accounts.models import Profession

    with cluster.setup_app.test_request_context():
        user = services.create_clinician(
            email,
            PASSWORD,
            "Anna de Vries",
            Profession("poh"),
            "Huisartsenpraktijk De Linde",
            "01234567",
        )
    return enrol(cluster.setup_app, user)


def _alternating(cluster: Cluster, make: Callable[[str], Browser]) -> Iterator[Browser]:
    """Browsers on instance 1, 2, 1, 2, ... without end."""
    browsers = (make(cluster.one), make(cluster.two))
    number = 0
    while True:
        yield browsers[number % 2]
        number += 1


# -- the stories ------------------------------------------------------------------------


def test_the_login_limit_counts_over_both_instances(cluster: Cluster) -> None:
    email = f"limit-{uuid.uuid4().hex[:8]}@example.nl"
    _patient(cluster, email)
    browsers = _alternating(cluster, Browser)
    statuses = [next(browsers).login(email, "not the password").status_code for _ in range(6)]
    # LOGIN_LIMIT wrong passwords in all are answered; the next is refused, whichever
    # instance it reaches. Counted per instance, 2 * LOGIN_LIMIT would be answered.
    assert statuses == [401] * LOGIN_LIMIT + [429] * (6 - LOGIN_LIMIT)
    # The limit now also holds for the right password, on either instance.
    assert Browser(cluster.one).login(email).status_code == 429
    assert Browser(cluster.two).login(email).status_code == 429


def test_the_share_code_limit_counts_over_both_instances(cluster: Cluster) -> None:
    email = f"codes-{uuid.uuid4().hex[:8]}@example.nl"
    _patient(cluster, email)

    def logged_in(base: str) -> Browser:
        browser = Browser(base)
        assert browser.login(email).status_code == 302
        return browser

    browsers = _alternating(cluster, logged_in)
    wrong_codes = ["KX7P2M9Q", "ABCD2345", "HJKM6789", "QRST2345", "WXYZ6789", "MNPQ2345"]
    answers = []
    for code in wrong_codes:
        page = next(browsers).post_form("/sharing/new", {"how": "code", "code": code})
        assert page.status_code == 200, page.status_code
        answers.append(
            "too_many" if TOO_OFTEN in page.text else "bad" if BAD_CODE in page.text else "?"
        )
    # Counted per instance, each would answer "bad" SHARE_LOOKUP_LIMIT times.
    assert answers == ["bad"] * SHARE_LOOKUP_LIMIT + ["too_many"] * (
        len(wrong_codes) - SHARE_LOOKUP_LIMIT
    )


def test_a_share_stopped_on_one_instance_is_refused_on_the_other(cluster: Cluster) -> None:
    tag = uuid.uuid4().hex[:8]
    patient = _patient(cluster, f"share-{tag}@example.nl")
    clinician = _clinician(cluster, f"poh-{tag}@praktijk.nl")
    on_one = Browser(cluster.one)
    assert on_one.login(patient.email).status_code == 302
    on_two = Browser(cluster.two)
    on_two.login_clinician(clinician)
    dossier = f"/clinician/patients/{patient.id}"
    assert on_two.get(dossier).status_code == 404  # nothing shared yet

    # The clinician shows a code on instance 2; the patient types it on instance 1.
    shown = on_two.post_form("/clinician/share-code", {})
    assert shown.status_code == 200
    code = re.search(r'class="share-code"[^>]*>\s*([0-9A-Z]{4}-[0-9A-Z]{4})', shown.text)
    assert code, "no share code on the page"
    card = on_one.post_form("/sharing/new", {"how": "code", "code": code.group(1)})
    assert card.status_code == 200
    assert "Anna de Vries" in card.text
    shared = on_one.post_form(
        "/sharing/confirm",
        {
            "code": code.group(1).replace("-", ""),
            "email": "",
            "categories": ["blood_pressure"],
            "period": "all",
            "expiry": "1y",
        },
        form_path="/sharing/new",
    )
    assert shared.status_code == 302
    assert shared.headers["Location"].endswith("/sharing")

    opened = on_two.get(dossier)
    assert opened.status_code == 200
    assert "Jansje Pietersma" in opened.text

    grant = re.search(r"/sharing/([0-9a-f-]{36})/stop", on_one.get("/sharing").text)
    assert grant, "no stop link on the patient's overview"
    stopped = on_one.post_form(f"/sharing/{grant.group(1)}/stop", {})
    assert stopped.status_code == 302

    # The very next request on the other instance: refused, as if it never existed.
    assert on_two.get(dossier).status_code == 404


def test_a_session_from_one_instance_works_on_the_other(cluster: Cluster) -> None:
    email = f"session-{uuid.uuid4().hex[:8]}@example.nl"
    _patient(cluster, email)
    on_one = Browser(cluster.one)
    assert on_one.login(email).status_code == 302
    assert on_one.get("/home").status_code == 200

    on_two = Browser(cluster.two)
    assert on_two.get("/home").status_code == 302  # no cookie: sent to the login page
    on_two.http.cookies.set("pgd_session", on_one.session_cookie())
    page = on_two.get("/home")
    assert page.status_code == 200, page.status_code
    assert "Jansje Pietersma" in page.text

    # Logging out on instance 2 ends the session on instance 1 too.
    assert on_two.post_form("/logout", {}, form_path="/home").status_code == 302
    assert on_one.get("/home").status_code == 302
