"""Issue 14: the index and column changes run on a database that holds readings, on every
engine, and keep every reading as it was (migration 0018 drops the fingerprint column and
its index; 0017 adds triage_stale)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

from pgd import db
from tests.conftest import IN_CI, PG_URL, _postgres_answers

BEFORE = "0016_access_log_per_patient"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
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


def _readings(engine: Any) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, patient_id, kind, taken_at, payload_sealed, source "
                "FROM measurements ORDER BY taken_at, id"
            )
        )
        return [(str(r[0]), str(r[1]), r[2], r[3], bytes(r[4]), r[5]) for r in rows]


def test_dropping_the_fingerprint_keeps_every_reading(empty_url: str) -> None:
    cfg = db.alembic_config(empty_url)
    command.upgrade(cfg, BEFORE)
    engine = create_engine(empty_url)
    patient = uuid.uuid4()
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, email, role, password_hash, session_version, "
                "created_at, must_change_password) "
                "VALUES (:id, 'p@example.nl', 'patient', 'x', 1, CURRENT_TIMESTAMP, :f)"
            ),
            {"id": patient if engine.dialect.name == "postgresql" else patient.hex, "f": False},
        )
        for n in range(300):
            row_id = uuid.uuid4()
            conn.execute(
                text(
                    "INSERT INTO measurements (id, patient_id, kind, taken_at, payload_sealed, "
                    "fingerprint, source, created_at) VALUES (:id, :p, :k, :t, :b, :f, 'csv', "
                    "CURRENT_TIMESTAMP)"
                ),
                {
                    "id": row_id if engine.dialect.name == "postgresql" else row_id.hex,
                    "p": patient if engine.dialect.name == "postgresql" else patient.hex,
                    "k": ("blood_pressure", "weight", "glucose")[n % 3],
                    "t": 1_700_000_000 + n * 3600,
                    "b": bytes([1, n % 256]) * 20,
                    "f": f"{n:064x}",
                },
            )
    before = _readings(engine)
    command.upgrade(cfg, "head")
    after = _readings(engine)
    assert len(after) == 300
    assert after == before
    columns = {c["name"] for c in inspect(engine).get_columns("measurements")}
    indexes = {i["name"] for i in inspect(engine).get_indexes("measurements")}
    assert "fingerprint" not in columns
    assert indexes == {"ix_measurements_patient_kind_time"}
    assert "triage_stale" in inspect(engine).get_table_names()
    command.downgrade(cfg, BEFORE)  # and back: the column returns empty, readings stay
    assert _readings(engine) == before
    inspector = inspect(engine)
    assert "fingerprint" in {c["name"] for c in inspector.get_columns("measurements")}
    assert "triage_stale" not in inspector.get_table_names()
    engine.dispose()
