"""The consult report as the clinician downloads it from the dossier (issue 12)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import select

from pgd import db
from pgd.sharing import labels
from pgd.sharing.models import AccessEvent
from tests.reports.conftest import page_count, pdf_text, render_png
from tests.reports.data import BIRTH, dense_year, goals_and_questions, known_history
from tests.sharing.test_week_in_summary import _today, _week


def _events(app: Flask, patient_id: uuid.UUID) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session().execute(
            select(AccessEvent.action, AccessEvent.categories)
            .where(AccessEvent.patient_id == patient_id, AccessEvent.outcome == "allowed")
            .order_by(AccessEvent.seq)
        )
        return [(r.action, r.categories) for r in rows]


def _when(app: Flask, moment: Any) -> str:
    with app.test_request_context(headers={"Accept-Language": "en"}):
        return labels.when(int(moment.timestamp()))


def test_the_report_prints_the_figures_flags_week_goals_on_one_page(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
    tmp_path: Any,
) -> None:
    from datetime import timedelta

    patient = create_patient(name="Zoë Müller-Hénin", birth_date=BIRTH)
    at = known_history(app, patient)
    _week(app, patient, _today() - timedelta(days=9))
    goals_and_questions(app, patient)
    clinician = create_clinician()
    make_grant(patient, clinician)
    web = verified_client(clinician)
    before = _events(app, patient.id)

    response = web.get(f"/clinician/patients/{patient.id}/report.pdf?period=3m")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    data = response.data
    assert page_count(data) == 1
    text = pdf_text(data)
    assert "Zoë Müller-Hénin" in text
    assert "born 14 March 1950" in text
    assert "Period:" in text
    assert "Shared with you: blood pressure, weight, blood sugar and goals" in text
    # Blood pressure: 4 readings of the known history and the 28 of the measuring week.
    assert "Readings: 32" in text
    assert "Measuring week" in text
    assert "Average 144/88 mmHg (24 of 24 readings)" in text
    assert "1 reading of 180/110 or higher." in text
    assert _when(app, at["alarm"]) in text
    assert "186/112" in text
    # Blood sugar: five readings, mean 4.5 (3.0-7.0), three hypos with their dates.
    assert "Readings: 5" in text
    assert "Mean: 4.5 (3.0–7.0)" in text
    assert "Latest: 3.2 mmol/L" in text
    assert "3 hypos: blood sugar below 4.0 mmol/L." in text
    assert _when(app, at["hypo_newest"]) in text
    # Weight: 3 readings, mean 88.1 (86.4-90.0), latest 86.4 kg, 4 % down.
    assert "Mean: 88.1 (86.4–90.0)" in text
    assert "Latest: 86.4 kg" in text
    assert "Weight went down by 4.0%, as the patient's weight goal plans." in text
    assert "Afvallen naar 85 kilo" in text
    assert "Kost de nieuwe meter €50, en is één per dag genoeg?" in text
    assert "Printed on" in text
    assert "Page 1 of 1" in text

    # One event of its own kind for the download, and nothing else.
    after = _events(app, patient.id)
    assert after[: len(before)] == before
    assert after[len(before) :] == [("report_download", "blood_pressure,glucose,goals,weight")]

    png = render_png(data, tmp_path)
    head = png.read_bytes()[:8]
    assert head == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 2000


def test_the_report_in_dutch(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
) -> None:
    patient = create_patient(birth_date=BIRTH)
    known_history(app, patient)
    clinician = create_clinician()
    make_grant(patient, clinician)
    web = verified_client(clinician)
    web.environ_base["HTTP_ACCEPT_LANGUAGE"] = "nl"
    text = pdf_text(web.get(f"/clinician/patients/{patient.id}/report.pdf").data)
    assert "geboren 14 maart 1950" in text
    assert "Gemiddeld: 4,5 (3,0–7,0)" in text
    assert "Afgedrukt op" in text
    assert "Pagina 1 van 1" in text


def test_without_a_grant_404_and_with_blood_pressure_only_nothing_else(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
) -> None:
    patient = create_patient(birth_date=BIRTH)
    known_history(app, patient)
    goals_and_questions(app, patient)
    stranger = create_clinician(email="ander@praktijk.nl")
    assert (
        verified_client(stranger).get(f"/clinician/patients/{patient.id}/report.pdf").status_code
        == 404
    )
    assert _events(app, patient.id) == []

    clinician = create_clinician()
    make_grant(patient, clinician, categories=("blood_pressure",))
    text = pdf_text(
        verified_client(clinician).get(f"/clinician/patients/{patient.id}/report.pdf").data
    )
    assert "Blood pressure" in text
    assert "186/112" in text
    for absent in (
        "Weight",
        "weight",
        "86.4",
        "Blood sugar",
        "hypo",
        "Goals",
        "Afvallen",
        "Kost de",
    ):
        assert absent not in text, absent
    assert _events(app, patient.id) == [("report_download", "blood_pressure")]


def test_a_dense_year_with_many_goals_and_questions_stays_on_one_page(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
    tmp_path: Any,
) -> None:
    patient = create_patient(birth_date=BIRTH)
    dense_year(app, patient)
    goals_and_questions(app, patient, goals=15, asked=25)
    clinician = create_clinician()
    make_grant(patient, clinician)
    data = (
        verified_client(clinician)
        .get(f"/clinician/patients/{patient.id}/report.pdf?period=1y")
        .data
    )
    assert page_count(data) == 1
    text = pdf_text(data)
    assert "Readings: 1095" in text
    assert "Readings: 1460" in text
    assert "Readings: 365" in text
    assert "and 9 more" in text or "more" in text  # capped lists
    assert "and 9 more" in text  # 15 goals, 6 shown
    assert "and 19 more" in text  # 25 questions, 6 shown
    assert "Page 1 of 1" in text
    assert render_png(data, tmp_path, "dense").stat().st_size > 2000


def test_the_dossier_links_the_pdf_of_its_period(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
) -> None:
    patient = create_patient()
    clinician = create_clinician()
    make_grant(patient, clinician)
    page = verified_client(clinician).get(f"/clinician/patients/{patient.id}?period=6m")
    assert f"/clinician/patients/{patient.id}/report.pdf?period=6m" in page.get_data(as_text=True)
