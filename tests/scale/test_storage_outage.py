"""When the shared limit storage (Redis) cannot be reached, PGD fails closed for the steps
that count attempts, and only for those (config.example.py, RATELIMIT_STORAGE).

A login then gets a 503 "try again in a few minutes" (Retry-After, and a security-log
event) without its password being checked (never a login
that nobody counted); pages that count nothing, and sessions that already exist, keep
working. Needs no Redis server: the storage points at a port where nothing listens.
"""

from __future__ import annotations

import io
import json
import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from pgd import create_app, db
from tests.conftest import FAST_HASHING, IN_CI, PASSWORD, post_form


@contextmanager
def _security_lines() -> Iterator[list[dict[str, Any]]]:
    """The security log's JSON lines written while the block runs."""
    from pgd import security_log

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(security_log.JsonFormatter())
    logger = logging.getLogger(security_log.LOGGER_NAME)
    logger.addHandler(handler)
    lines: list[dict[str, Any]] = []
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        lines.extend(json.loads(line) for line in stream.getvalue().splitlines() if line)


def _needs_the_redis_extra() -> None:
    try:
        import redis  # noqa: F401  - the `redis` extra (pyproject.toml)
    except ImportError:
        if IN_CI:
            pytest.fail("CI=true: the redis extra must be installed (make test installs it)")
        pytest.skip("the redis extra is not installed: pip install -e '.[redis]'")


def _login_is_refused_for_now(browser: Any) -> None:
    """A login's password is not even checked: 503, Retry-After, one security event."""
    with _security_lines() as lines:
        refused = post_form(
            browser, "/login", {"email": "patient@example.nl", "password": PASSWORD}
        )
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "60"
    assert "Try again in a few minutes" in refused.get_data(as_text=True)
    assert [line["event"] for line in lines] == ["limits.unavailable"]
    assert lines[0]["outcome"] == "refused"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when this returns


def test_an_unreachable_limit_storage_refuses_logins_and_nothing_else(tmp_path: Path) -> None:
    _needs_the_redis_extra()
    url = f"sqlite:///{tmp_path / 'pgd.sqlite3'}"
    db.upgrade(url)
    common = {"INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": url, **FAST_HASHING}
    working = create_app({**common, "TESTING": True})
    from pgd.accounts import services

    with working.test_request_context():
        services.register_patient("patient@example.nl", PASSWORD, "Jansje Pietersma", None)
    before = working.test_client()
    assert (
        post_form(
            before, "/login", {"email": "patient@example.nl", "password": PASSWORD}
        ).status_code
        == 302
    )
    cookie = before.get_cookie("pgd_session")
    assert cookie is not None

    # The same installation, its limit storage gone (not TESTING: errors become pages).
    dead = f"redis://127.0.0.1:{_closed_port()}/0"
    outage = create_app({**common, "RATELIMIT_STORAGE": dead})
    try:
        browser = outage.test_client()
        browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        assert browser.get("/login").status_code == 200  # counts nothing: still served
        _login_is_refused_for_now(browser)
        assert browser.get("/home").status_code == 302  # not logged in: sent to the login page

        # A session made before the outage goes on working.
        logged_in = outage.test_client()
        logged_in.set_cookie("pgd_session", cookie.value)
        assert logged_in.get("/home").status_code == 200
    finally:
        outage.extensions["pgd.engine"].dispose()
        working.extensions["pgd.engine"].dispose()


@contextmanager
def _refusing_redis() -> Iterator[int]:
    """A server that speaks Redis's protocol and answers every command with the error a
    read-only replica gives: the client connects, then each count fails with a
    ResponseError (not a ConnectionError)."""
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def answer(conn: socket.socket) -> None:
        with conn:
            while not stop.is_set():
                try:
                    if not conn.recv(65536):
                        return
                    conn.sendall(b"-READONLY You can't write against a read only replica.\r\n")
                except OSError:
                    return

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _addr = server.accept()
            except OSError:
                return
            threading.Thread(target=answer, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(server.getsockname()[1])
    finally:
        stop.set()
        server.close()
        thread.join(timeout=5)


def test_a_limit_storage_that_refuses_to_count_is_an_outage_too(tmp_path: Path) -> None:
    """A Redis that answers but will not count (read-only replica, out of memory) refuses
    the login the same way as one that is down: 503 and Retry-After, logged; it was a 500."""
    _needs_the_redis_extra()
    url = f"sqlite:///{tmp_path / 'pgd.sqlite3'}"
    db.upgrade(url)
    common = {"INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": url, **FAST_HASHING}
    with _refusing_redis() as port:
        app = create_app({**common, "RATELIMIT_STORAGE": f"redis://127.0.0.1:{port}/0"})
        try:
            browser = app.test_client()
            browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
            _login_is_refused_for_now(browser)
        finally:
            app.extensions["pgd.engine"].dispose()


def test_only_the_limit_storage_503_speaks_of_logging_in(app: Any) -> None:
    """The page of a 503 names the limit storage only when that is the cause."""
    from werkzeug.exceptions import ServiceUnavailable

    from pgd import web

    with app.test_request_context(headers={"Accept-Language": "en"}):
        other, code = web._error_page(ServiceUnavailable())
        limits, limits_code = web._error_page(web.LimitsUnavailable())
    assert code == limits_code == 503
    assert "Try again later" in other
    assert "Logging in" not in other
    assert "Logging in, codes and imports are not possible for a moment" in limits
