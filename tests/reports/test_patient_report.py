"""The patient's own "My overview for the GP" over a period they choose (issue 12)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from pgd.sharing.summary_lists import LOCAL
from tests.reports.conftest import page_count, pdf_text, render_png
from tests.reports.data import BIRTH, dense_year, goals_and_questions, known_history
from tests.sharing.conftest import logged_in


def _dmy(days_ago: int) -> str:
    return (datetime.now(LOCAL).date() - timedelta(days=days_ago)).strftime("%d-%m-%Y")


def test_the_page_offers_the_last_3_months_and_the_pdf_covers_the_chosen_period(
    app: Flask, create_patient: Callable[..., Any], tmp_path: Any
) -> None:
    patient = create_patient(name="Jansje Pietersma", birth_date=BIRTH)
    known_history(app, patient)
    goals_and_questions(app, patient)
    web = logged_in(app, patient.email)

    page = web.get("/my-overview").get_data(as_text=True)
    assert "My overview for the GP" in page
    assert f'value="{_dmy(91)}"' in page
    assert f'value="{_dmy(0)}"' in page
    listing = web.get("/measurements").get_data(as_text=True)
    assert "/my-overview" in listing

    # 25 to 5 days ago: blood pressure 150/95 and 140/90 (the alarm is 30 days ago).
    response = web.get(f"/my-overview.pdf?start={_dmy(25)}&end={_dmy(5)}")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    data = response.data
    assert page_count(data) == 1
    text = pdf_text(data)
    assert "My overview for the GP" in text
    assert "Jansje Pietersma" in text
    assert "born 14 March 1950" in text
    first = (datetime.now(LOCAL).date() - timedelta(days=25)).strftime("%-d %B %Y")
    assert f"Period: {first} to" in text
    assert "Readings: 2 " in text
    assert "Latest: 150/95 mmHg" in text
    assert "Upper pressure: 145 (140–150)" in text
    assert "186/112" not in text
    assert "Shared with you" not in text
    assert "Afvallen naar 85 kilo" in text
    assert "Page 1 of 1" in text
    assert render_png(data, tmp_path).read_bytes()[:4] == b"\x89PNG"


def test_five_years_of_dense_data_on_one_page(
    app: Flask, create_patient: Callable[..., Any]
) -> None:
    patient = create_patient(birth_date=BIRTH)
    dense_year(app, patient)
    goals_and_questions(app, patient, goals=12, asked=30)
    web = logged_in(app, patient.email)
    data = web.get(f"/my-overview.pdf?start={_dmy(5 * 366 - 1)}&end={_dmy(0)}").data
    assert page_count(data) == 1
    assert "Readings: 1095" in pdf_text(data)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start={a}&end={b}", "The first day must be on or before the last day."),
        ("start={b}&end={future}", "The last day can be today at the latest"),
        ("start={long_ago}&end={b}", "Choose at most 5 years."),
        ("start=31-02-2026&end={b}", "Write the date as day-month-year"),
        ("start=&end=", "Fill in the first day."),
        ("start=01-01-1950&end=02-01-1950", "The first day can be 01-01-1970 at the earliest."),
        ("start=0001-01-01&end=0001-01-02", "Check the year: use a year from 1900 to 2100."),
    ],
)
def test_a_bad_period_gets_a_message_and_no_pdf(
    app: Flask, create_patient: Callable[..., Any], query: str, message: str
) -> None:
    patient = create_patient()
    web = logged_in(app, patient.email)
    today = datetime.now(UTC).astimezone(LOCAL).date()
    filled = query.format(
        a=_dmy(3),
        b=_dmy(10),
        future=(today + timedelta(days=2)).strftime("%d-%m-%Y"),
        long_ago=_dmy(6 * 365),
    )
    response = web.get(f"/my-overview.pdf?{filled}")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert message in response.get_data(as_text=True)


def test_only_the_patient_reads_their_overview(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    verified_client: Callable[[Any], Any],
) -> None:
    clinician = create_clinician()
    assert verified_client(clinician).get("/my-overview.pdf").status_code == 404
    assert app.test_client().get("/my-overview.pdf").status_code in (302, 401)
    assert app.test_client().get("/my-overview.pdf").headers["Location"].startswith("/login")
