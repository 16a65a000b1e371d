"""Readings saved through the API rewrite their triage row after the response (issue 14):
the save is one statement, the row follows after the response or, at the latest, when
"my patients" is read. The list never shows a row older than the readings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from pgd import db
from pgd.sharing import triage
from pgd.sharing.models import TriageStale
from tests.api.conftest import Caller
from tests.conftest import acting_as_clinician, enrol
from tests.sharing.test_worklist import _codes, _triage


def _marks(app: Flask) -> list[tuple[Any, str]]:
    with app.app_context():
        return [
            (r.patient_id, r.category)
            for r in db.session().execute(select(TriageStale.patient_id, TriageStale.category))
        ]


def _high(caller: Caller, when: datetime) -> Any:
    return caller.post(
        {
            "type": "blood_pressure",
            "taken_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "systolic": 190,
            "diastolic": 115,
        }
    )


@pytest.fixture(autouse=True)
def _fresh_coalescing() -> None:
    triage._refreshed.clear()


def test_the_row_follows_once_the_response_is_closed(app: Flask, caller: Caller) -> None:
    made = _high(caller, datetime.now(UTC) - timedelta(hours=1))
    assert made.status_code == 201
    assert _marks(app) == [(caller.user.id, "blood_pressure")]  # saved, row not yet rewritten
    assert _triage(app, caller.user, "blood_pressure") is None
    made.close()  # what the WSGI server does once the response went out
    assert _marks(app) == []
    _last, payload = _triage(app, caller.user, "blood_pressure")  # type: ignore[misc]
    assert "bp_very_high" in _codes(payload)


def test_a_burst_rewrites_once_and_the_list_settles_the_rest(
    app: Flask,
    caller: Caller,
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    real = triage.refresh

    def counting(principal: Any, patient_id: Any, kind: Any, *rest: Any) -> None:
        calls.append(str(kind))
        real(principal, patient_id, kind, *rest)

    monkeypatch.setattr(triage, "refresh", counting)
    now = datetime.now(UTC)
    for hours in (5, 4, 3):
        response = _high(caller, now - timedelta(hours=hours))
        assert response.status_code == 201
        response.close()
    assert len(calls) == 1  # once for the burst (REFRESH_AFTER_SECONDS), not per reading
    assert _marks(app) == [(caller.user.id, "blood_pressure")]  # the last ones still marked
    clinician = create_clinician()
    make_grant(caller.user, clinician)
    enrol(app, clinician)
    with acting_as_clinician(app, clinician):
        from pgd.sharing import worklist

        rows = worklist.my_patients(clinician).rows
    assert len(calls) == 2  # the list rewrote the marked row before reading it
    assert _marks(app) == []
    last, _payload = _triage(app, caller.user, "blood_pressure")  # type: ignore[misc]
    assert last == int((now - timedelta(hours=3)).timestamp())  # the newest reading
    assert rows[0].last_reading_at == datetime.fromtimestamp(last, UTC)
    assert rows[0].level == triage.ALARM


@pytest.mark.parametrize("clock", [-60, 5])
def test_a_reading_saved_meanwhile_stays_marked(
    app: Flask, caller: Caller, monkeypatch: pytest.MonkeyPatch, clock: int
) -> None:
    """A rewrite removes the mark before it computes: a save that marks again while the
    rewrite runs stays marked for the next rewrite, also when its clock read earlier
    (two uploads in parallel: marked_at follows the clock, not the commit order)."""
    made = _high(caller, datetime.now(UTC) - timedelta(hours=2))
    real = triage.refresh

    def saved_meanwhile(principal: Any, patient_id: Any, kind: Any, *rest: Any) -> None:
        real(principal, patient_id, kind, *rest)
        conn = db.session().connection()
        conn.execute(
            triage.mark_stale_statement(conn.dialect.name),
            {
                "patient_id": patient_id,
                "category": "blood_pressure",
                "marked_at": datetime.now(UTC) + timedelta(seconds=clock),
            },
        )

    monkeypatch.setattr(triage, "refresh", saved_meanwhile)
    made.close()
    assert _marks(app) == [(caller.user.id, "blood_pressure")]
    monkeypatch.setattr(triage, "refresh", real)
    with app.test_request_context():
        triage._refresh_marked(caller.user.id, "blood_pressure")
    assert _marks(app) == []


def test_the_web_form_and_imports_still_rewrite_at_once(
    app: Flask, create_patient: Callable[..., Any]
) -> None:
    from pgd.measurements import services as measurements
    from pgd.measurements.models import Source
    from pgd.measurements.values import BloodPressure

    patient = create_patient()
    with app.test_request_context():
        measurements.add(
            patient,
            patient.id,
            BloodPressure(190, 115, None, None),
            datetime.now(UTC) - timedelta(hours=1),
            "",
            Source.WEB,
        )
    assert _marks(app) == []
    _last, payload = _triage(app, patient, "blood_pressure")  # type: ignore[misc]
    assert "bp_very_high" in _codes(payload)
