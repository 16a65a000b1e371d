"""Two requests making the same data key at once: both succeed and share one key.

The first reading of a kind creates the patient's data key for it. Two workers saving a
first glucose reading at the same moment both find no key; the database keeps one (the
unique (owner, category) constraint) and the other request must use it, not fail.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from pgd import crypto, db
from pgd.crypto.models import DataKey
from pgd.measurements import services as measurements
from pgd.measurements.models import Kind, Source
from pgd.measurements.values import Glucose


def _glucose_keys(app: Flask, patient: Any) -> int:
    with app.app_context():
        return int(
            db.session().scalar(
                select(func.count()).where(
                    DataKey.owner_id == patient.id, DataKey.category == "glucose"
                )
            )
        )


def _add(app: Flask, patient: Any, mmol: float, minutes_ago: int) -> None:
    with app.test_request_context():
        measurements.add(
            patient,
            patient.id,
            Glucose(mmol, "fasting"),
            datetime.now(UTC) - timedelta(minutes=minutes_ago),
            "",
            Source.API,
        )


def _values(app: Flask, patient: Any) -> list[float]:
    with app.test_request_context():
        series = measurements.series(patient, patient.id, Kind.GLUCOSE)
        return sorted(float(x) for x in series.values["mmol"])


def test_a_request_that_lost_the_race_uses_the_winners_key(
    app: Flask, create_patient: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    patient = create_patient()
    _add(app, patient, 5.5, 30)  # the "other" request won: its key is stored
    real = crypto._stored_key
    seen = {"misses": 0}

    def stale_first_look(*args: Any) -> Any:
        if seen["misses"] == 0:  # this request looked just before the winner committed
            seen["misses"] += 1
            return None
        return real(*args)

    monkeypatch.setattr(crypto, "_stored_key", stale_first_look)
    _add(app, patient, 6.6, 10)
    assert seen["misses"] == 1
    monkeypatch.undo()
    assert _glucose_keys(app, patient) == 1
    assert _values(app, patient) == [5.5, 6.6]  # both sealed under the one stored key


def test_two_threads_saving_a_first_reading_at_once(app: Flask, create_patient: Any) -> None:
    patient = create_patient()
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def save(mmol: float, minutes_ago: int) -> None:
        try:
            start.wait(timeout=10)
            _add(app, patient, mmol, minutes_ago)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(m, i)) for i, m in ((20, 7.1), (25, 8.2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert _glucose_keys(app, patient) == 1
    assert _values(app, patient) == [7.1, 8.2]
