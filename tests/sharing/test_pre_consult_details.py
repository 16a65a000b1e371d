"""The richer pre-consult summary (issue 11): dated alarms and hypos with the moment of the
day, pulse, age, BMI, glucose per moment, adherence and the trend line, on the page and
through the API."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import schemathesis
from flask import Flask

from pgd import clinical
from pgd.accounts import tokens
from pgd.measurements import services as measurements
from pgd.measurements import settings
from pgd.measurements.models import Source
from pgd.measurements.values import BloodPressure, Glucose, Weight
from tests.sharing.conftest import enrol

AMS = ZoneInfo("Europe/Amsterdam")
BIRTH = date(1950, 3, 12)


def _local(days_ago: int, hour: int, minute: int) -> datetime:
    day = datetime.now(AMS).date() - timedelta(days=days_ago)
    return datetime.combine(day, time(hour, minute), tzinfo=AMS)


ALARM_AT = _local(5, 7, 30)  # 186/104 in the morning
NIGHT_HYPO_AT = _local(3, 3, 10)  # 3.2 at 03:10, moment "other": a night hypo
DAY_HYPO_AT = _local(8, 12, 15)  # 3.8 before lunch at 12:15
VERY_HIGH_AT = _local(4, 19, 45)  # 16.4 after dinner


def _patient(app: Flask, create_patient: Callable[..., Any]) -> Any:
    patient = create_patient(birth_date=BIRTH)
    items: list[Any] = [
        (BloodPressure(179, 109, 72, None), _local(2, 8, 0), ""),  # just below 180/110
        (BloodPressure(140, 88, None, None), _local(6, 20, 0), ""),  # no pulse
        (BloodPressure(132, 84, 68, None), _local(9, 8, 0), ""),
        (BloodPressure(186, 104, 90, None), ALARM_AT, ""),
        (BloodPressure(150, 80, None, None), _local(120, 8, 0), ""),  # the period before
        (Weight(90.0), _local(30, 8, 0), ""),
        (Weight(88.2), _local(1, 8, 0), ""),
        (Glucose(3.2, "other"), NIGHT_HYPO_AT, ""),
        (Glucose(3.8, "before_lunch"), DAY_HYPO_AT, ""),
        (Glucose(4.0, "fasting"), _local(7, 7, 0), ""),  # 4.0: not a hypo
        (Glucose(15.0, "after_dinner"), _local(6, 19, 45), ""),  # 15.0: not above 15
        (Glucose(16.4, "after_dinner"), VERY_HIGH_AT, ""),
        (Glucose(6.6, "fasting"), _local(2, 7, 0), ""),
    ]
    with app.test_request_context():
        measurements.add_many(patient, patient.id, items, Source.WEB)
        settings.save(patient, patient.id, settings.Settings(height_cm=180))
    return patient


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def _section(page: str, category: str) -> str:
    start = page.index(f'id="sum-{category}"')
    return page[start : page.index("</tr>", start)]


def test_the_page_dates_alarms_and_hypos_and_shows_pulse_age_and_trend_line(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
) -> None:
    patient = _patient(app, create_patient)
    clinician = create_clinician()
    make_grant(patient, clinician, categories=("blood_pressure", "weight", "glucose"))
    web = verified_client(clinician)
    page = web.get(f"/clinician/patients/{patient.id}").get_data(as_text=True)
    age = clinical.age_on(BIRTH, datetime.now(AMS).date())
    assert f"(March 12, 1950, {age} years)" in page

    bp = _section(page, "blood_pressure")
    assert "1 reading of 180/110 or higher." in bp  # 179/109 is not listed
    assert f'<time datetime="{_iso(ALARM_AT)}">' in bp
    assert '07:30</time> morning <span class="value">186/104</span>' in bp
    assert '<span class="value">179/109</span>' not in bp  # only the latest, not listed
    assert "Pulse 77 per minute (mean of 3)" in bp  # (72 + 68 + 90) / 3, the 140/88 had none
    # Means 159.25/96.25 against 150/80 in the three months before.
    assert "Compared with the period before: upper pressure +9 mmHg, lower pressure +16 mmHg" in bp
    assert 'role="img"' in bp
    assert (
        'aria-label="Upper pressure from 132 to 179 and lower pressure from 84 to 109 in the '
        'last 3 months (daily means)."' in bp
    )

    glucose = _section(page, "glucose")
    assert "2 hypos: blood sugar below 4.0 mmol/L. 1 of them at night." in glucose
    assert f'<time datetime="{_iso(NIGHT_HYPO_AT)}">' in glucose
    assert (
        '03:10</time> night <span class="value">3.2</span> · <strong>night hypo</strong>' in glucose
    )
    assert '12:15</time> before lunch <span class="value">3.8</span></li>' in glucose
    assert "1 blood sugar reading above 15 mmol/L." in glucose
    assert '19:45</time> after dinner <span class="value">16.4</span>' in glucose
    assert "15.0</span>" not in glucose
    assert '<span class="value">4.0</span>' not in glucose
    assert "Fasting / before a meal: 4.8 (3 readings)" in glucose  # 3.8, 4.0 and 6.6
    assert "After a meal: 15.7 (2 readings)" in glucose
    assert "on 6 of" in glucose  # six local days with a reading

    weight = _section(page, "weight")
    assert "BMI 27.2: overweight" in weight  # 88.2 kg at 1.80 m
    assert "Weight from 90.0 to 88.2 kg in the last 3 months (daily means)." in weight
    assert "There is no measuring plan with a number of readings" in page
    assert "night 0–6 h, morning 6–12 h, afternoon 12–18 h, evening 18–24 h" in page

    linked = re.search(r'href="(/assets/print\.[0-9a-f]{12}\.css)" media="print"', page)
    assert linked is not None
    print_css = web.get(linked.group(1))
    assert print_css.status_code == 200
    assert "@media print" in print_css.get_data(as_text=True)

    web.environ_base["HTTP_ACCEPT_LANGUAGE"] = "nl"
    dutch = web.get(f"/clinician/patients/{patient.id}").get_data(as_text=True)
    assert f"(12 maart 1950, {age} jaar)" in dutch
    assert "Pols 77 per minuut (gemiddelde van 3)" in dutch
    assert "<strong>nachtelijke hypo</strong>" in dutch
    assert "Daarvan 1 &#39;s nachts." in dutch
    assert "07:30</time> ochtend" in dutch
    assert "Bovendruk van 132 naar 179 en onderdruk van 84 naar 109" in dutch


@pytest.fixture
def clinician_token(app: Flask, create_clinician: Callable[..., Any]) -> tuple[Any, str]:
    clinician = create_clinician()
    enrol(app, clinician)
    with app.test_request_context():
        _info, raw = tokens.create(clinician, "Practice system")
    return clinician, raw


def test_the_api_summary_carries_the_new_figures(
    app: Flask,
    create_patient: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    clinician_token: tuple[Any, str],
) -> None:
    clinician, raw = clinician_token
    patient = _patient(app, create_patient)
    make_grant(patient, clinician, categories=("blood_pressure", "weight", "glucose"))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    got = app.test_client().get(
        f"/api/v1/patients/{patient.id}/summary",
        headers={"Authorization": f"Bearer {raw}", "Accept-Language": "en"},
    )
    assert got.status_code == 200
    schema["/patients/{patient_id}/summary"]["GET"].validate_response(got)
    body = got.get_json()
    assert body["patient"]["age"] == clinical.age_on(BIRTH, datetime.now(AMS).date())
    blocks = {b["category"]: b for b in body["measurements"]}

    bp = blocks["blood_pressure"]
    assert bp["alarms"] == [
        {
            "taken_at": ALARM_AT.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "moment_of_day": "morning",
            "values": {"systolic": 186.0, "diastolic": 104.0},
        }
    ]
    assert bp["alarms_total"] == 1
    assert bp["pulse"] == {"mean": 76.7, "readings": 3}
    assert bp["trends"] == {
        "systolic": {"direction": "up", "delta": 9.25},
        "diastolic": {"direction": "up", "delta": 16.25},
    }
    assert bp["hypos"] is None
    assert bp["adherence"]["readings"] == 4
    assert bp["adherence"]["days_with_readings"] == 4
    assert bp["adherence"]["expected"] is None
    assert bp["adherence"]["last_reading_at"] == bp["latest"]["taken_at"]

    glucose = blocks["glucose"]
    assert [
        (h["values"]["mmol"], h["moment"], h["moment_of_day"], h["night"]) for h in glucose["hypos"]
    ] == [
        (3.2, "other", "night", True),
        (3.8, "before_lunch", "afternoon", False),
    ]
    assert glucose["hypos_total"] == 2
    assert glucose["hypos_at_night"] == 1
    assert [a["values"]["mmol"] for a in glucose["alarms"]] == [16.4]
    assert glucose["by_moment"] == {
        "fasting": {"mean": 4.8, "readings": 3},
        "after_meal": {"mean": 15.7, "readings": 2},
        "general": {"mean": 3.2, "readings": 1},
    }
    assert glucose["pulse"] is None
    assert glucose["trends"] is None

    weight = blocks["weight"]
    assert weight["bmi"] == {"value": 27.2, "category": "overweight"}
    assert weight["weight_goal"] is None  # goals are not shared
    assert weight["alarms"] == []
    assert weight["alarms_total"] == 0
