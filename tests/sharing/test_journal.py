"""The "copy for the journal" text on the dossier (issue 12): the S/O lines a POH pastes
into the GP system, holding only what the share covers and logging nothing extra."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Flask
from flask_babel import force_locale

from pgd.measurements import services, week
from pgd.measurements.models import Source
from pgd.measurements.validation import LOCAL
from pgd.measurements.values import BloodPressure, Glucose, Weight
from pgd.sharing import dossier, journal
from tests.conftest import acting_as_clinician, agree_target, count_rows, enrol


def _today() -> date:
    return datetime.now(UTC).astimezone(LOCAL).date()


def _dm(d: date) -> str:
    return f"{d.day}-{d.month}"


def _record(app: Flask, patient: Any) -> tuple[date, list[date]]:
    """A finished measuring week of 144/88 (24 readings), two alarming readings before
    it, weights and blood sugars with a hypo; returns (week start, alarm days)."""
    first = _today() - timedelta(days=12)
    with app.test_request_context():
        week.start(patient, patient.id, first)
    items: list[tuple[Any, datetime, str]] = []
    for day in range(7):
        on = first + timedelta(days=day)
        for hour in (7, 20):
            for minute in range(2):
                when = datetime.combine(on, time(hour, 30 + minute), tzinfo=LOCAL)
                items.append((BloodPressure(144, 88, 70, None), when, ""))
    alarm_days = [_today() - timedelta(days=20), _today() - timedelta(days=16)]
    for on in alarm_days:
        items.append(
            (BloodPressure(186, 112, 80, None), datetime.combine(on, time(9), tzinfo=LOCAL), "")
        )
    for n, kg in enumerate((91.0, 90.2, 89.4)):
        on = _today() - timedelta(days=30 - 10 * n)
        items.append((Weight(kg), datetime.combine(on, time(8), tzinfo=LOCAL), ""))
    hypo_day = _today() - timedelta(days=4)
    items.append(
        (Glucose(3.4, "before_breakfast"), datetime.combine(hypo_day, time(7), tzinfo=LOCAL), "")
    )
    items.append(
        (Glucose(6.8, "before_breakfast"), datetime.combine(hypo_day, time(8), tzinfo=LOCAL), "")
    )
    with app.test_request_context():
        services.add_many(patient, patient.id, items, Source.WEB)
    return first, alarm_days


def _viewer(app: Flask, create_clinician: Callable[..., Any]) -> Any:
    clinician = create_clinician()
    enrol(app, clinician)
    return clinician


def test_the_text_holds_the_week_the_alarms_the_agreed_target_and_the_rest(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
) -> None:
    patient = create_patient(birth_date=date(1960, 1, 1))
    agreed_on = _today() - timedelta(days=25)
    agree_target(app, patient, (130, 80), agreed_on)
    first, alarm_days = _record(app, patient)
    clinician = _viewer(app, create_clinician)
    make_grant(patient, clinician)
    with acting_as_clinician(app, clinician):
        found = dossier.pre_consult(clinician, patient.id)
        with force_locale("nl"):
            text = journal.journal_text(found)
    lines = text.splitlines()
    last = first + timedelta(days=6)
    assert lines[0] == (
        f"S: thuismeting bloeddruk, meetweek {first.day}-{first.month}-{first.year} "
        f"t/m {last.day}-{last.month}-{last.year}"
    )
    assert "O: meetweek gem. 144/88 mmHg (24 van 24 metingen)" in lines
    period_line = next(line for line in lines if line.startswith("O: bloeddruk "))
    assert "30 metingen" in period_line  # 28 of the week (day 1 too), 2 alarms
    assert f"2x ≥180/110 ({_dm(alarm_days[0])}, {_dm(alarm_days[1])})" in period_line
    target_line = next(line for line in lines if line.startswith("O: streefwaarde"))
    assert target_line.startswith("O: streefwaarde <130/80 mmHg (afgesproken met A. de Vries (POH)")
    assert "S: thuismeting glucose" in lines
    glucose_line = next(line for line in lines if line.startswith("O: glucose "))
    assert "2 metingen" in glucose_line
    assert "1x hypo <4,0" in glucose_line
    weight_line = next(line for line in lines if line.startswith("O: gewicht "))
    assert "gewicht 89,4 kg" in weight_line
    assert "verandering −1,6 kg" in weight_line
    assert "3 metingen" in weight_line
    assert "BMI" not in weight_line  # no height known: no BMI made up


def test_with_only_blood_pressure_shared_nothing_else_is_in_the_text(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
) -> None:
    from pgd.goals import services as goals
    from pgd.goals.data import GoalData, GoalKind

    patient = create_patient()
    _record(app, patient)
    with app.test_request_context():
        goals.create_goal(
            patient,
            patient.id,
            GoalData(
                kind=GoalKind.MEASUREMENT,
                text="Afvallen naar 83,5 kilo",
                why="Gezonder",
                start=_today() - timedelta(days=10),
                metric="weight",
                target=83.5,
            ),
        )
    clinician = _viewer(app, create_clinician)
    make_grant(patient, clinician, categories=("blood_pressure",))
    with acting_as_clinician(app, clinician):
        found = dossier.pre_consult(clinician, patient.id)
        with force_locale("nl"):
            text = journal.journal_text(found)
    assert "bloeddruk" in text
    for word in ("gewicht", "glucose", "hypo", "BMI", "doel", "Afvallen", "kg", "mmol"):
        assert word not in text, word
    for number in ("91", "90,2", "89,4", "3,4", "6,8", "83,5"):
        assert number not in text, number


def test_the_text_adds_no_access_log_event_and_the_page_shows_it_labelled(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
) -> None:
    patient = create_patient()
    _record(app, patient)
    clinician = create_clinician()
    make_grant(patient, clinician)
    web = verified_client(clinician)
    before = count_rows(app, "access_events")
    page = web.get(f"/clinician/patients/{patient.id}")
    assert page.status_code == 200
    assert count_rows(app, "access_events") == before + 1  # the summary's own event only
    html = page.get_data(as_text=True)
    assert re.search(r'<label for="journal-text">[^<]+</label>', html)
    area = re.search(r'<textarea id="journal-text"[^>]*\breadonly\b[^>]*>([^<]*)</textarea>', html)
    assert area, "a read-only textarea with the text"
    assert "S: home blood pressure measurement" in area.group(1)
    assert re.search(r'<button type="button"[^>]*id="journal-copy"[^>]*>Copy</button>', html)
    assert 'id="journal-status"' in html
    assert 'aria-live="polite"' in html
    assert "/static/js/journal.js" in html
    assert "<script>" not in html  # the CSP allows no inline script
    with acting_as_clinician(app, clinician):
        found = dossier.pre_consult(clinician, patient.id)
        after_summary = count_rows(app, "access_events")
        journal.journal_text(found)
        assert count_rows(app, "access_events") == after_summary
