"""The measuring-week result where the POH reads it: the pre-consult summary (page and
API) and the clinician's blood pressure chart (issue 11)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Flask

from pgd.accounts import tokens
from pgd.measurements import services, week
from pgd.measurements.models import Source
from pgd.measurements.validation import LOCAL
from pgd.measurements.values import BloodPressure


def _today() -> date:
    return datetime.now(UTC).astimezone(LOCAL).date()


def _week(app: Flask, patient: Any, first: date, per_moment: int = 2) -> None:
    """A back-dated week: 144/88 on every counted moment, day 1 much higher (not counted)."""
    with app.test_request_context():
        week.start(patient, patient.id, first)
    items = []
    for day in range(7):
        on = first + timedelta(days=day)
        value = (170, 100) if day == 0 else (144, 88)
        for hour in (7, 20):
            for minute in range(per_moment):
                when = datetime.combine(on, time(hour, 30 + minute), tzinfo=LOCAL)
                items.append((BloodPressure(*value, 70, None), when, ""))
    with app.test_request_context():
        services.add_many(patient, patient.id, items, Source.WEB)


def test_the_week_result_in_the_summary_the_api_and_the_chart(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
) -> None:
    patient = create_patient(birth_date=date(1960, 1, 1))
    first = _today() - timedelta(days=9)
    _week(app, patient, first)
    clinician = create_clinician()
    make_grant(patient, clinician, categories=("blood_pressure",))
    web = verified_client(clinician)
    page = web.get(f"/clinician/patients/{patient.id}").get_data(as_text=True)
    row = page.split('id="sum-blood_pressure"', 1)[1].split("</tr>", 1)[0]
    last = (first + timedelta(days=6)).strftime("%-d %B")
    assert f"Measuring week to {last}: 144/88 mmHg, 24 of 24 readings." in row
    assert "Measuring week 144/88: not below 135/85." in row  # a flag: above target
    assert "Average 144/88 mmHg (24 of 24 readings): at or above the target." in page
    chart = web.get(f"/clinician/patients/{patient.id}/charts/blood-pressure")
    assert "is marked; day 1 does not count." in chart.get_data(as_text=True)

    with app.test_request_context():
        _info, raw = tokens.create(clinician, "Practice system")
    body = (
        app.test_client()
        .get(
            f"/api/v1/patients/{patient.id}/summary",
            headers={"Authorization": f"Bearer {raw}"},
        )
        .get_json()
    )
    (bp,) = body["measurements"]
    assert bp["week"] == {
        "start_day": first.isoformat(),
        "end_day": (first + timedelta(days=6)).isoformat(),
        "finished": True,
        "mean": {"systolic": 144, "diastolic": 88},
        "readings_used": 24,
        "readings_expected": 24,
        "usable": True,
        "verdict": {"level": "high", "code": "bp_mean_high"},
        "missing": [],
    }


def test_an_incomplete_week_says_what_is_missing_and_is_not_judged(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
) -> None:
    patient = create_patient(birth_date=date(1960, 1, 1))
    first = _today() - timedelta(days=9)
    with app.test_request_context():
        week.start(patient, patient.id, first)
    items = [  # days 2 and 3, mornings only: 4 readings, fewer than the 12 needed
        (BloodPressure(150, 95, None, None), datetime.combine(day, time(7, m), tzinfo=LOCAL), "")
        for day in (first + timedelta(days=1), first + timedelta(days=2))
        for m in (30, 31)
    ]
    with app.test_request_context():
        services.add_many(patient, patient.id, items, Source.WEB)
    clinician = create_clinician()
    make_grant(patient, clinician, categories=("blood_pressure",))
    page = verified_client(clinician).get(f"/clinician/patients/{patient.id}")
    text = page.get_data(as_text=True)
    assert "Average 150/95 mmHg (4 of 24 readings): too few readings to judge" in text
    assert "Missing: " in text


def test_a_running_week_lists_only_moments_gone_by_as_missing(
    app: Flask, create_patient: Callable[..., Any]
) -> None:
    """Started yesterday with nothing entered: day 1 is not counted, nothing of days 2-7
    has gone by yet in the morning of day 2, so nothing is 'missing' and there is no
    advice to measure another week."""
    patient = create_patient()
    first = _today() - timedelta(days=1)
    with app.test_request_context():
        week.start(patient, patient.id, first)
        morning = datetime.combine(_today(), time(9, 0), tzinfo=LOCAL)
        evening = datetime.combine(_today(), time(21, 0), tzinfo=LOCAL)
        early = week.latest_result(patient, patient.id, morning)
        late = week.latest_result(patient, patient.id, evening)
    assert early is not None
    assert late is not None
    assert early.result.missing == ()
    assert late.result.missing == ((2, "morning", 2),)  # day 2's morning has gone by
