"""Issue 14: a reading's kind and source are stored as pinned 2-byte codes, and the
primary key (patient_id, kind, taken_at, id) is the measurements table's only index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import inspect, select, text
from sqlalchemy.dialects import sqlite

from pgd import db
from pgd.measurements import imports
from pgd.measurements import services as measurements
from pgd.measurements import values as v
from pgd.measurements.models import KIND_CODES, SOURCE_CODES, Kind, KindCode, Measurement, Source

WHEN = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_the_codes_are_pinned_and_cover_every_member() -> None:
    # Stored in every reading: a change here would change what saved rows mean.
    assert KIND_CODES == {"blood_pressure": 1, "weight": 2, "glucose": 3}
    assert SOURCE_CODES == {"web": 1, "csv": 2, "api": 3, "demo": 4}
    assert set(KIND_CODES) == {k.value for k in Kind}
    assert set(SOURCE_CODES) == {s.value for s in Source}
    # A checked file kept for confirmation stores its kinds by place (pgd.measurements.imports).
    assert imports._KINDS == ("blood_pressure", "weight", "glucose")
    assert set(imports._KINDS) == {k.value for k in Kind}


def test_an_unknown_kind_is_refused_before_it_reaches_the_database() -> None:
    with pytest.raises(ValueError, match="oxygen"):
        KindCode().process_bind_param("oxygen", sqlite.dialect())


def test_the_table_holds_codes_and_the_app_reads_names(app: Flask, create_patient: Any) -> None:
    user = create_patient()
    with app.test_request_context():
        bp = measurements.add(user, user.id, v.BloodPressure(131, 84, 70, None), WHEN)
        measurements.add(user, user.id, v.Weight(80.5), WHEN, source=Source.API)
        measurements.add_many(
            user,
            user.id,
            [(v.Glucose(6.1, v.Moment.FASTING.value), WHEN + timedelta(hours=1), "")],
            Source.CSV,
        )
    with app.app_context():
        sess = db.session()
        raw = sess.execute(text("SELECT kind, source FROM measurements ORDER BY kind")).all()
        assert [tuple(r) for r in raw] == [(1, 1), (2, 3), (3, 2)]
        named = sess.execute(select(Measurement.kind, Measurement.source)).all()
        assert sorted(tuple(r) for r in named) == [
            ("blood_pressure", "web"),
            ("glucose", "csv"),
            ("weight", "api"),
        ]
        inspector = inspect(sess.get_bind())
        assert inspector.get_pk_constraint("measurements")["constrained_columns"] == [
            "patient_id",
            "kind",
            "taken_at",
            "id",
        ]
        assert inspector.get_indexes("measurements") == []
    with app.test_request_context():
        got = measurements.get(user, user.id, bp.id)
        assert got.kind == Kind.BLOOD_PRESSURE
        assert got.value == v.BloodPressure(131, 84, 70, None)


def test_changing_the_time_moves_the_reading_within_its_key(
    app: Flask, create_patient: Any
) -> None:
    """taken_at is part of the key: an edit that changes it updates the row in place
    (same id), and the list shows it at its new time."""
    user = create_patient()
    with app.test_request_context():
        saved = measurements.add(user, user.id, v.Weight(80.5), WHEN)
        later = WHEN + timedelta(days=2)
        measurements.update(user, user.id, saved.id, v.Weight(79.9), later, "na de vakantie")
        page = measurements.page(user, user.id)
    assert [(r.id, r.taken_at, r.value) for r in page.readings] == [
        (saved.id, later, v.Weight(79.9))
    ]
    with app.test_request_context():
        measurements.remove(user, user.id, saved.id)
        assert measurements.page(user, user.id).readings == []
