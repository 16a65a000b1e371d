"""Issue 14: the readings list reads each kind in the order of the measurements key,
backwards from the newest, and stops after a page: PostgreSQL's plan for a page has no
sort over a patient's history (only over the few rows of the page, to merge the kinds),
on the first page and on a later one."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from pgd import db
from pgd.measurements import services as measurements
from pgd.measurements import values as v
from pgd.measurements.models import Kind, Measurement, Source

START = datetime(2024, 1, 1, 7, 0, tzinfo=UTC)
LIMIT = 25


def _nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    out = [node]
    for child in node.get("Plans", []):
        out.extend(_nodes(child))
    return out


def _sort_over_history(node: dict[str, Any], under_sort: bool = False) -> list[str]:
    """Scans of measurements that a Sort reads without a Limit in between."""
    found = []
    kind = node["Node Type"]
    if kind == "Limit":
        under_sort = False
    elif kind in ("Sort", "Incremental Sort"):
        under_sort = True
    if node.get("Relation Name") == "measurements" and under_sort:
        found.append(kind)
    for child in node.get("Plans", []):
        found.extend(_sort_over_history(child, under_sort))
    return found


def _plan(where: list[Any]) -> dict[str, Any]:
    statement = measurements._newest_first(where, [k.value for k in Kind], LIMIT + 1)
    sql = str(
        statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    )
    rows = db.session().execute(text("EXPLAIN (FORMAT JSON) " + sql)).scalar_one()
    plan = rows if isinstance(rows, list) else json.loads(rows)
    return plan[0]["Plan"]  # type: ignore[no-any-return]


def test_a_page_of_readings_is_read_in_the_keys_order(app: Flask, create_patient: Any) -> None:
    with app.app_context():
        if db.engine().dialect.name != "postgresql":
            pytest.skip("a PostgreSQL plan")
    user = create_patient()
    items: list[tuple[v.Value, datetime, str]] = []
    for n in range(1500):  # three kinds, about two years of readings
        when = START + timedelta(hours=11 * n)
        items.append((v.BloodPressure(130 + n % 20, 80, 70, None), when, ""))
        items.append((v.Weight(80 + n % 10 / 10), when + timedelta(minutes=1), ""))
        items.append((v.Glucose(6.0 + n % 10 / 10, "fasting"), when + timedelta(minutes=2), ""))
    with app.test_request_context():
        measurements.add_many(user, user.id, items, Source.CSV)
    with app.app_context():
        db.session().execute(text("ANALYZE measurements"))
        first = [Measurement.patient_id == user.id]
        later = [
            *first,
            Measurement.taken_at < int((START + timedelta(days=300)).timestamp()),
        ]
        for where in (first, later):
            plan = _plan(where)
            scans = [n for n in _nodes(plan) if n.get("Relation Name") == "measurements"]
            assert len(scans) == 3, plan  # one per kind
            for scan in scans:
                assert scan["Node Type"] in ("Index Scan", "Index Only Scan"), plan
                assert scan["Index Name"] == "pk_measurements"
                assert scan["Scan Direction"] == "Backward"
            assert _sort_over_history(plan) == [], plan
