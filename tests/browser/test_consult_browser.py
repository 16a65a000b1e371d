"""The POH's consult in two real browsers (issue 11): the POH asks for a measuring week,
the patient enters a week measured on paper (dated back), the POH sees the result in the
pre-consult summary; that summary's top table fits a 1366×768 laptop screen without
scrolling, and printing it gives one A4 page.

Driven by the visible Dutch labels and buttons, as a person would; every step waits for
the state it causes, never for a moment.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import follow, serve
from tests.browser.test_sharing_browser import _log_in, _people


@pytest.fixture
def consult_server(tmp_path: Any) -> Iterator[tuple[str, Any]]:
    with serve(tmp_path) as served:
        yield served


def _share_everything(app: Any) -> None:
    """The patient shares everything with the POH and wrote goals and questions down; a
    year of realistic readings with many alarms and hypos (night ones too), so that the
    summary is as full as it gets."""
    import random
    import uuid
    from datetime import time

    from sqlalchemy import select

    from pgd import db
    from pgd.accounts.models import User
    from pgd.goals import questions
    from pgd.goals import services as goals
    from pgd.goals.data import GoalData, GoalKind
    from pgd.measurements import demo, services
    from pgd.measurements.models import Source
    from pgd.measurements.validation import LOCAL
    from pgd.measurements.values import BloodPressure, Glucose
    from pgd.sharing.models import Grant

    today = datetime.now(UTC).date()
    with app.test_request_context():
        patient = db.session().scalar(select(User).where(User.email == "jansje@example.nl"))
        poh = db.session().scalar(select(User).where(User.email == "poh@praktijk.nl"))
        assert patient is not None
        assert poh is not None
        who = (patient, patient.id)
        end = datetime.now(UTC).date() - timedelta(days=10)  # before the measuring week
        items = demo.generate(end - timedelta(days=365), end, random.Random(11))
        for n in range(12):
            on = end - timedelta(days=3 + 6 * n)
            when = datetime.combine(on, time(7 + n % 3, 15), tzinfo=LOCAL)
            items.append((BloodPressure(184 + n, 112, 88, None), when, ""))
            night = datetime.combine(on, time(3, 20), tzinfo=LOCAL)
            items.append((Glucose(3.1, "night"), night, ""))
            items.append((Glucose(3.6, "before_lunch"), when + timedelta(hours=4), ""))
            items.append((Glucose(16.2, "after_dinner"), when + timedelta(hours=12), ""))
        services.add_many(*who, items, Source.DEMO)
        goals.create_goal(
            *who,
            GoalData(
                kind=GoalKind.MEASUREMENT,
                text="Afvallen naar 85 kilo",
                why="Gezonder",
                start=today - timedelta(days=30),
                metric="weight",
                target=85.0,
            ),
        )
        questions.add_question(*who, "Mag ik mijn metformine bij het ontbijt nemen?")
        now = datetime.now(UTC)
        with db.transaction() as sess:
            sess.add(
                Grant(
                    id=uuid.uuid4(),
                    patient_id=patient.id,
                    clinician_id=poh.id,
                    categories="blood_pressure,weight,glucose,goals",
                    expires_at=now + timedelta(days=365),
                    created_at=now,
                )
            )


def _pages_in(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


@pytest.mark.browser
def test_poh_asks_for_a_week_the_patient_enters_it_the_poh_reads_the_result(
    browser: Browser, consult_server: tuple[str, Any]
) -> None:
    from pgd.crypto import totp

    url, app = consult_server
    secret = _people(app)
    _share_everything(app)
    poh_context = browser.new_context(
        locale="nl-NL", timezone_id="Europe/Amsterdam", viewport={"width": 1366, "height": 768}
    )
    patient_context = browser.new_context(locale="nl-NL", timezone_id="Europe/Amsterdam")
    try:
        for context in (poh_context, patient_context):
            context.set_default_timeout(10_000)
        poh: Page = poh_context.new_page()
        patient: Page = patient_context.new_page()

        # The POH opens the summary and asks for a measuring week.
        _log_in(poh, url, "poh@praktijk.nl", "/login/code")
        poh.locator("input[name=code]").fill(totp.code_at_step(secret, totp.step_at()))
        poh.locator("main form button[type=submit]").first.click()
        expect(poh.get_by_role("heading", name="Mijn patiënten")).to_be_visible()
        follow(poh, poh.get_by_role("link", name="Jansje Pietersma"))
        dossier_url = poh.url
        poh.get_by_role("button", name="Vraag om een meetweek").click()
        expect(poh.get_by_text("De patiënt is gevraagd een meetweek te doen.")).to_be_visible()

        # The patient sees the request at home and enters a week measured on paper.
        _log_in(patient, url, "jansje@example.nl", "/home")
        expect(patient.get_by_text("A. de Vries (POH) vraagt u")).to_be_visible()
        follow(patient, patient.get_by_role("link", name="Begin de meetweek").first)
        first = datetime.now(UTC).date() - timedelta(days=8)
        patient.get_by_label("Eerste dag van de week").fill(first.strftime("%d-%m-%Y"))
        patient.get_by_role("button", name="Begin de meetweek").click()
        patient.wait_for_url(re.compile(r".*/measurements/week$"))
        for day in range(1, 8):
            for moment in ("morning", "evening"):
                patient.goto(f"{url}/measurements/week/readings?day={day}&moment={moment}")
                patient.get_by_label("Eerste meting: bovendruk").fill("146")
                patient.get_by_label("Eerste meting: onderdruk").fill("89")
                patient.get_by_label("Tweede meting: bovendruk").fill("142")
                patient.get_by_label("Tweede meting: onderdruk").fill("87")
                patient.get_by_role("button", name="Opslaan").click()
                patient.wait_for_url(re.compile(r".*/measurements/week(#.*)?$"))
        expect(patient.get_by_text("24 van de 24 metingen")).to_be_visible()

        # The POH reloads the summary: the week's mean of days 2-7 (144/88) with its meaning.
        poh.goto(dossier_url)
        row = poh.locator("tr", has=poh.locator("#sum-blood_pressure"))
        expect(row).to_contain_text("144/88 mmHg, 24 van 24 metingen")
        expect(poh.locator(".mweek-panel")).to_contain_text(
            "Gemiddelde 144/88 mmHg (24 van 24 metingen)"
        )

        # The top table fits the 1366×768 screen as it opens, without scrolling.
        assert poh.evaluate("window.scrollY") == 0
        box = poh.locator(".summary-top table").bounding_box()
        assert box is not None
        assert box["y"] + box["height"] <= 768, box
        expect(poh.get_by_role("heading", name="Doelen")).to_be_visible()

        # Printing the summary: one A4 page, with the print stylesheet's margins; also for
        # a whole year, the fullest summary there is.
        pdf = poh.pdf(format="A4", prefer_css_page_size=True)
        assert _pages_in(pdf) == 1
        poh.goto(dossier_url + "?period=1y")
        expect(poh.get_by_role("radio", name="het laatste jaar")).to_be_checked()
        assert _pages_in(poh.pdf(format="A4", prefer_css_page_size=True)) == 1
    finally:
        poh_context.close()
        patient_context.close()
