"""Query-count guards (issue 14): the number of SQL statements of the busiest requests is
asserted, so a later change cannot add round trips unnoticed. Counted on the second of
three identical requests (the steady state of a running worker: its caches are warm).

When a change really needs another statement, raise the number here and say why in the
commit; when one saves a statement, lower it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from pgd import db
from tests.api.conftest import Caller
from tests.conftest import login
from tests.sharing.conftest import add_readings

# The steady-state statement counts (SQL statements; on PostgreSQL BEGIN and COMMIT come
# on top). Every logged-in page starts with 1: the user with the cookie's login session
# and whether a second factor is set up (3 statements before pgd.accounts.sessions.load_user).
# The home page: settings, name (age), agreed target, the three kinds' recent readings,
# goals, measuring weeks.
DASHBOARD = 9
# The blood-pressure chart: readings, weeks, settings, name, agreed target.
CHART_BP = 6
# A later page of the list: the page (one statement for all kinds), settings, name,
# agreed target (the marks). No count.
READINGS_LIST_NEXT_PAGE = 5
# The pre-consult summary: grant, names, settings, target, readings per kind, goals,
# questions, the clinician's details and name, the access-log event (the patient's chain
# head locked and read: one SELECT … FOR UPDATE on PostgreSQL, an UPDATE and a SELECT on
# SQLite; the head written; the event), weeks again after that write.
SUMMARY = {"postgresql": 17, "sqlite": 18}
# An API create: the key, then the reading with its triage mark (one statement on
# PostgreSQL, a WITH; two on SQLite). The data key comes from the worker's cache; the
# triage row of "my patients" is rewritten after the response (pgd.sharing.triage).
API_CREATE = {"postgresql": 2, "sqlite": 3}


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    seen: list[str] = []

    def before(_conn: Any, _cur: Any, statement: str, *_rest: Any) -> None:
        seen.append(" ".join(statement.split())[:120])

    with app.app_context():
        engine = db.engine()
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _second(app: Flask, call: Callable[[], Any], status: int = 200) -> list[str]:
    for _warm in range(2):  # the first request may make a data key; the next caches it
        first = call()
        assert first.status_code == status, first.status_code
    with statements(app) as seen:
        again = call()
    assert again.status_code == status, again.status_code
    return seen


def _explain(seen: list[str]) -> str:
    return "\n".join(f"{i + 1:2}. {s}" for i, s in enumerate(seen))


@pytest.fixture
def patient_client(app: Flask, create_patient: Callable[..., Any]) -> tuple[FlaskClient, Any]:
    patient = create_patient()
    add_readings(app, patient, days_ago=tuple(range(1, 60)))
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert login(client, "patient@example.nl").status_code == 302
    return client, patient


def test_dashboard(app: Flask, patient_client: tuple[FlaskClient, Any]) -> None:
    client, _patient = patient_client
    seen = _second(app, lambda: client.get("/home"))
    print(_explain(seen))
    assert len(seen) == DASHBOARD, _explain(seen)


def test_blood_pressure_chart_page(app: Flask, patient_client: tuple[FlaskClient, Any]) -> None:
    client, _patient = patient_client
    seen = _second(app, lambda: client.get("/charts/blood-pressure?period=5y"))
    print(_explain(seen))
    assert len(seen) == CHART_BP, _explain(seen)


def test_readings_list_next_page(app: Flask, patient_client: tuple[FlaskClient, Any]) -> None:
    """A later page of the list: no count of the whole history."""
    client, _patient = patient_client
    first = client.get("/measurements")
    after = first.get_data(as_text=True).split("after=", 1)[1].split('"', 1)[0]
    seen = _second(app, lambda: client.get(f"/measurements?after={after}"))
    print(_explain(seen))
    assert not any("count(" in s.lower() for s in seen), _explain(seen)
    assert len(seen) == READINGS_LIST_NEXT_PAGE, _explain(seen)


def test_pre_consult_summary(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., Any],
    verified_client: Callable[[Any], FlaskClient],
) -> None:
    patient = create_patient()
    add_readings(app, patient, days_ago=tuple(range(1, 60)))
    clinician = create_clinician()
    make_grant(patient, clinician)
    client = verified_client(clinician)
    seen = _second(app, lambda: client.get(f"/clinician/patients/{patient.id}"))
    print(_explain(seen))
    with app.app_context():
        engine = db.engine().dialect.name
    assert len(seen) == SUMMARY[engine], _explain(seen)


def test_api_create(app: Flask, caller: Caller) -> None:
    moments = iter(f"2026-11-0{d}T08:00:00Z" for d in range(1, 10))

    def create() -> Any:
        return caller.post(
            {"type": "blood_pressure", "taken_at": next(moments), "systolic": 128, "diastolic": 82}
        )

    seen = _second(app, create, 201)
    print(_explain(seen))
    with app.app_context():
        engine = db.engine().dialect.name
    assert len(seen) == API_CREATE[engine], _explain(seen)


@contextmanager
def round_trips(app: Flask) -> Iterator[Callable[[], int]]:
    """PostgreSQL: the client-server round trips of the block, read from libpq's own
    protocol trace (every exchange ends in one ReadyForQuery): BEGIN, COMMIT and the
    pool's pre-ping count too, not only the statements SQLAlchemy sees."""
    import tempfile

    import psycopg

    trace = tempfile.TemporaryFile()  # noqa: SIM115 (closed below)
    connections: list[Any] = []

    def follow(pgconn: Any) -> None:
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)

    def traced(dbapi_connection: Any, _record: Any) -> None:
        connections.append(dbapi_connection.pgconn)
        follow(dbapi_connection.pgconn)

    def flushed() -> None:
        """libpq buffers its trace; untrace() flushes it, then tracing goes on."""
        for pgconn in connections:
            pgconn.untrace()
            follow(pgconn)

    with app.app_context():
        engine = db.engine()
    event.listen(engine, "connect", traced)
    engine.dispose()  # every connection from now on is a traced one
    start = [0]

    def count() -> int:
        flushed()
        trace.seek(0)
        text = trace.read().decode(errors="replace")
        return text.count("ReadyForQuery") - start[0]

    try:
        yield lambda: count()
    finally:
        event.remove(engine, "connect", traced)
        engine.dispose()
        trace.close()


def test_api_create_round_trips_on_postgresql(app: Flask, caller: Caller) -> None:
    """Issue 14: at most 3 round trips per create (pool pre-ping, the key, the reading
    with its triage mark), and the reading is committed before the 201."""
    with app.app_context():
        if db.engine().dialect.name != "postgresql":
            pytest.skip("round trips over the network: PostgreSQL only")
    moments = iter(f"2026-10-{d:02}T08:00:00Z" for d in range(1, 20))

    def create() -> Any:
        return caller.post(
            {"type": "blood_pressure", "taken_at": next(moments), "systolic": 128, "diastolic": 82}
        )

    for _warm in range(2):
        assert create().status_code == 201
    with round_trips(app) as count:
        before = count()
        made = create()
        assert made.status_code == 201
        during = count() - before
    assert during <= 3, during
    with app.app_context():  # committed: another session sees it
        from sqlalchemy import text

        found = db.session().execute(
            text("SELECT count(*) FROM measurements WHERE id = :id"),
            {"id": made.get_json()["id"]},
        )
        assert found.scalar_one() == 1
