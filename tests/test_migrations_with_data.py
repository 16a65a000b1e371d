"""Issue 14: the index and column changes run on a database that holds readings, on every
engine, and keep every reading as it was (migration 0018 drops the fingerprint column and
its index; 0017 adds triage_stale; 0019 makes (patient_id, kind, taken_at, id) the only
index and stores kind and source as codes)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

from pgd import db

BEFORE = "0016_access_log_per_patient"


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
    command.upgrade(cfg, "0018_no_fingerprint")
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


def _uid(engine: Any, value: uuid.UUID) -> Any:
    return value if engine.dialect.name == "postgresql" else value.hex


def _patient(engine: Any, email: str) -> uuid.UUID:
    patient = uuid.uuid4()
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, email, role, password_hash, session_version, "
                "created_at, must_change_password) "
                "VALUES (:id, :e, 'patient', 'x', 1, CURRENT_TIMESTAMP, :f)"
            ),
            {"id": _uid(engine, patient), "e": email, "f": False},
        )
    return patient


def _add_text_readings(engine: Any, patient: uuid.UUID, n: int, kinds: tuple[str, ...]) -> None:
    sources = ("web", "csv", "api", "demo")
    with engine.begin() as conn:
        for i in range(n):
            conn.execute(
                text(
                    "INSERT INTO measurements (id, patient_id, kind, taken_at, payload_sealed, "
                    "source, created_at) VALUES (:id, :p, :k, :t, :b, :s, CURRENT_TIMESTAMP)"
                ),
                {
                    "id": _uid(engine, uuid.uuid4()),
                    "p": _uid(engine, patient),
                    "k": kinds[i % len(kinds)],
                    "t": 1_700_000_000 + (i // 2) * 60,  # two readings share each minute
                    "b": bytes([2, i % 256]) * 10,
                    "s": sources[i % len(sources)],
                },
            )


def test_the_readings_key_keeps_every_reading_and_goes_back(empty_url: str) -> None:
    """0019: every reading kept with its kind and source (as codes), one index (the key in
    the patient's order), and the downgrade gives the text columns and both indexes back."""
    cfg = db.alembic_config(empty_url)
    command.upgrade(cfg, "0018_no_fingerprint")
    engine = create_engine(empty_url)
    kinds = ("blood_pressure", "weight", "glucose")
    for email in ("a@example.nl", "b@example.nl"):
        _add_text_readings(engine, _patient(engine, email), 120, kinds)
    before = _readings(engine)
    command.upgrade(cfg, "0019_measurements_key")
    inspector = inspect(engine)
    assert inspector.get_pk_constraint("measurements")["constrained_columns"] == [
        "patient_id",
        "kind",
        "taken_at",
        "id",
    ]
    assert inspector.get_indexes("measurements") == []
    names = dict(enumerate(kinds, start=1))
    sources = {1: "web", 2: "csv", 3: "api", 4: "demo"}
    coded = _readings(engine)
    assert sorted((r[0], r[1], names[r[2]], r[3], r[4], sources[r[5]]) for r in coded) == sorted(
        before
    )
    command.downgrade(cfg, "0018_no_fingerprint")
    assert _readings(engine) == before
    inspector = inspect(engine)
    assert inspector.get_pk_constraint("measurements")["constrained_columns"] == ["id"]
    assert {i["name"] for i in inspector.get_indexes("measurements")} == {
        "ix_measurements_patient_kind_time"
    }
    engine.dispose()


def test_an_unknown_kind_stops_the_migration_instead_of_losing_the_reading(
    empty_url: str,
) -> None:
    cfg = db.alembic_config(empty_url)
    command.upgrade(cfg, "0018_no_fingerprint")
    engine = create_engine(empty_url)
    _add_text_readings(engine, _patient(engine, "c@example.nl"), 3, ("weight", "oxygen"))
    with pytest.raises(Exception, match="(?i)null"):
        command.upgrade(cfg, "0019_measurements_key")
    engine.dispose()
    engine = create_engine(empty_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM measurements")).scalar() == 3
    inspector = inspect(engine)  # nothing half-done: the step rolled back as a whole
    assert "measurements_new" not in inspector.get_table_names()
    assert {i["name"] for i in inspector.get_indexes("measurements")} == {
        "ix_measurements_patient_kind_time"
    }
    engine.dispose()
