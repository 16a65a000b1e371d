"""Issue 14: migration 0020 (keys for a distributed database) runs on a database that holds
a patient's goals, shares, targets and access log, on every engine, keeps every row, and
leaves the keys the models describe; downgrade brings back those of 0019, rows intact.
On SQLite the access log stays append-only through both table rebuilds."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, exc, inspect, text
from sqlalchemy.engine import Engine

from pgd import db

BEFORE = "0019_measurements_key"
AFTER = "0020_distribution_keys"
CHANGED = (
    "goals",
    "goal_checkins",
    "consult_questions",
    "agreed_targets",
    "measuring_weeks",
    "pending_imports",
    "grants",
    "grant_changes",
    "access_events",
    "data_keys",
)
OWNER = {table: "patient_id" for table in CHANGED} | {"data_keys": "owner_id"}


class Rows:
    """Inserts with ids as each engine stores them (SQLite: 32 hex characters)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.pg = engine.dialect.name == "postgresql"

    def id(self, value: uuid.UUID) -> Any:
        return value if self.pg else value.hex

    def add(self, table: str, **values: Any) -> None:
        values = {k: self.id(v) if isinstance(v, uuid.UUID) else v for k, v in values.items()}
        columns = ", ".join(values)
        marks = ", ".join(f":{k}" for k in values)
        with self.engine.begin() as conn:
            conn.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({marks})"), values)  # noqa: S608


def _user(rows: Rows, user_id: uuid.UUID, email: str, role: str) -> None:
    now = datetime.now(UTC)
    rows.add(
        "users",
        id=user_id,
        email=email,
        role=role,
        password_hash="x",
        session_version=1,
        created_at=now,
        must_change_password=False,
    )


def _fill(rows: Rows) -> dict[str, uuid.UUID]:
    """A patient with a share (and a change to it), a goal with a check-in, a question, a
    target by the clinician, a week the clinician asked for, an upload waiting, a data key
    and an access event; a second patient with a goal of their own."""
    ids = {name: uuid.uuid4() for name in ("patient", "other", "clinician", "goal", "grant")}
    now = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
    _user(rows, ids["patient"], "p@example.nl", "patient")
    _user(rows, ids["other"], "q@example.nl", "patient")
    _user(rows, ids["clinician"], "poh@example.nl", "clinician")
    for owner, goal in ((ids["patient"], ids["goal"]), (ids["other"], uuid.uuid4())):
        rows.add("goals", id=goal, patient_id=owner, payload_sealed=b"g" * 40, created_at=now)
    rows.add(
        "goal_checkins",
        id=uuid.uuid4(),
        patient_id=ids["patient"],
        goal_id=ids["goal"],
        day=date(2026, 11, 1),
        payload_sealed=b"c" * 30,
        created_at=now,
    )
    rows.add(
        "consult_questions",
        id=uuid.uuid4(),
        patient_id=ids["patient"],
        payload_sealed=b"q" * 30,
        created_at=now,
    )
    rows.add(
        "agreed_targets",
        id=uuid.uuid4(),
        patient_id=ids["patient"],
        kind="blood_pressure",
        author_id=ids["clinician"],
        payload_sealed=b"t" * 30,
        created_at=now,
    )
    rows.add(
        "measuring_weeks",
        id=uuid.uuid4(),
        patient_id=ids["patient"],
        requested_by=ids["clinician"],
        requested_at=now,
        created_at=now,
    )
    rows.add(
        "pending_imports",
        id=uuid.uuid4(),
        patient_id=ids["patient"],
        created_at=now,
        payload_sealed=b"i" * 30,
    )
    rows.add(
        "grants",
        id=ids["grant"],
        patient_id=ids["patient"],
        clinician_id=ids["clinician"],
        categories="blood_pressure,weight",
        expires_at=datetime(2027, 11, 1, tzinfo=UTC),
        created_at=now,
    )
    rows.add(
        "grant_changes",
        id=uuid.uuid4(),
        grant_id=ids["grant"],
        patient_id=ids["patient"],
        changed_at=now,
        categories_before="blood_pressure",
        categories_after="blood_pressure,weight",
        expires_before=datetime(2027, 5, 1, tzinfo=UTC),
        expires_after=datetime(2027, 11, 1, tzinfo=UTC),
    )
    rows.add(
        "data_keys",
        id=uuid.uuid4(),
        owner_id=ids["patient"],
        category="goals",
        kek_id="k1",
        wrapped=b"w" * 60,
        created_at=now,
    )
    rows.add(
        "access_events",
        id=uuid.uuid4(),
        chain=2,
        seq=1,
        occurred_at=now,
        actor_id=ids["clinician"],
        actor_name="A. de Vries",
        actor_profession="poh",
        patient_id=ids["patient"],
        categories="weight",
        action="view",
        outcome="allowed",
        address="127.0.0.1",
        prev_hash="0" * 64,
        hash="a" * 64,
    )
    return ids


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def _snapshot(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    out = {}
    with engine.connect() as conn:
        for table in CHANGED:
            rows = conn.execute(text(f"SELECT * FROM {table} ORDER BY id"))  # noqa: S608
            out[table] = [{k: _plain(v) for k, v in r._mapping.items()} for r in rows]
    return out


def _foreign_keys(engine: Engine, table: str) -> set[tuple[tuple[str, ...], str, tuple[str, ...]]]:
    return {
        (tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]))
        for fk in inspect(engine).get_foreign_keys(table)
    }


def _append_only(engine: Engine) -> None:
    for sql in ("UPDATE access_events SET action = 'x'", "DELETE FROM access_events"):
        with pytest.raises(exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(sql))


def test_the_keys_change_and_every_row_stays(empty_url: str) -> None:
    cfg = db.alembic_config(empty_url)
    command.upgrade(cfg, BEFORE)
    engine = db.make_engine(empty_url)  # SQLite: foreign keys enforced, as the app runs
    rows = Rows(engine)
    ids = _fill(rows)
    before = _snapshot(engine)
    assert all(before[table] for table in CHANGED)

    command.upgrade(cfg, AFTER)
    assert _snapshot(engine) == before
    inspector = inspect(engine)
    for table in CHANGED:
        pk = inspector.get_pk_constraint(table)
        assert pk["constrained_columns"] == [OWNER[table], "id"], table
        assert pk["name"] == f"pk_{table}"
    assert _foreign_keys(engine, "goal_checkins") == {
        (("patient_id",), "users", ("id",)),
        (("patient_id", "goal_id"), "goals", ("patient_id", "id")),
    }
    assert _foreign_keys(engine, "grant_changes") == {
        (("patient_id",), "users", ("id",)),
        (("patient_id", "grant_id"), "grants", ("patient_id", "id")),
    }
    for table in ("grants", "agreed_targets", "measuring_weeks"):
        assert _foreign_keys(engine, table) == {(("patient_id",), "users", ("id",))}, table
    uniques = {
        u["name"]: u["column_names"] for u in inspector.get_unique_constraints("goal_checkins")
    }
    assert uniques == {"uq_goal_checkins_patient_goal_day": ["patient_id", "goal_id", "day"]}
    indexes = {t: {i["name"] for i in inspector.get_indexes(t)} for t in CHANGED}
    assert "ix_pending_imports_patient_id" not in indexes["pending_imports"]
    assert "ix_data_keys_owner_id" not in indexes["data_keys"]
    assert "ix_goal_checkins_patient_goal_day" not in indexes["goal_checkins"]
    assert {"uq_access_events_patient_seq", "ix_access_events_chain_seq"} <= indexes[
        "access_events"
    ]
    _append_only(engine)

    # The composite foreign keys hold: a check-in under another patient's goal is refused;
    # removing a goal removes its check-ins, and nothing of the other patient.
    with pytest.raises(exc.IntegrityError):
        rows.add(
            "goal_checkins",
            id=uuid.uuid4(),
            patient_id=ids["other"],
            goal_id=ids["goal"],
            day=date(2026, 11, 2),
            payload_sealed=b"c",
            created_at=datetime.now(UTC),
        )
    after = _snapshot(engine)
    assert after == before

    command.downgrade(cfg, BEFORE)
    assert _snapshot(engine) == before
    inspector = inspect(engine)
    for table in CHANGED:
        assert inspector.get_pk_constraint(table)["constrained_columns"] == ["id"], table
    assert _foreign_keys(engine, "goal_checkins") == {
        (("patient_id",), "users", ("id",)),
        (("goal_id",), "goals", ("id",)),
    }
    assert _foreign_keys(engine, "grants") == {
        (("patient_id",), "users", ("id",)),
        (("clinician_id",), "users", ("id",)),
    }
    assert _foreign_keys(engine, "agreed_targets") == {
        (("patient_id",), "users", ("id",)),
        (("author_id",), "users", ("id",)),
    }
    uniques = {
        u["name"]: u["column_names"] for u in inspector.get_unique_constraints("goal_checkins")
    }
    assert uniques == {"uq_goal_checkins_goal_day": ["goal_id", "day"]}
    assert "ix_pending_imports_patient_id" in {
        i["name"] for i in inspector.get_indexes("pending_imports")
    }
    _append_only(engine)

    command.upgrade(cfg, AFTER)  # and up once more: the round trip repeats
    assert _snapshot(engine) == before
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM goals WHERE id = :g"), {"g": rows.id(ids["goal"])})
    left = _snapshot(engine)
    assert left["goal_checkins"] == []
    assert len(left["goals"]) == 1
    engine.dispose()


def test_a_check_in_under_another_patients_goal_stops_the_upgrade(empty_url: str) -> None:
    cfg = db.alembic_config(empty_url)
    command.upgrade(cfg, BEFORE)
    engine = create_engine(empty_url)
    rows = Rows(engine)
    ids = _fill(rows)
    with engine.begin() as conn:
        conn.execute(text("UPDATE goal_checkins SET patient_id = :o"), {"o": rows.id(ids["other"])})
    with pytest.raises(RuntimeError, match="1 goal check-ins name another patient"):
        command.upgrade(cfg, AFTER)
    parent = ScriptDirectory.from_config(cfg).get_revision(AFTER).down_revision
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == parent
    assert inspect(engine).get_pk_constraint("goals")["constrained_columns"] == ["id"]
    engine.dispose()
