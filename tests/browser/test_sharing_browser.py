"""Sharing in two real browsers at once: a patient grants by share code, the POH opens
the dossier, the patient stops sharing, and the POH's very next request is refused.

Driven by the visible Dutch labels and buttons, as a person would.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import follow, serve

PASSWORD = "mijn hond loopt graag mee"


@pytest.fixture
def sharing_server(tmp_path: Any) -> Iterator[tuple[str, Any]]:
    """Its own live app, so the test can make a clinician with a second factor."""
    with serve(tmp_path) as served:
        yield served


def _people(app: Any) -> bytes:
    """A patient with readings and a POH with a second factor; returns the TOTP secret."""
    from pgd.accounts import second_factor, services
    from pgd.accounts.models import Profession
    from pgd.crypto import totp
    from tests.sharing.conftest import add_readings

    with app.test_request_context():
        patient = services.register_patient("jansje@example.nl", PASSWORD, "Jansje Pietersma", None)
        poh = services.create_clinician(
            "poh@praktijk.nl", PASSWORD, "Anna de Vries", Profession.POH, "De Linde"
        )
    add_readings(app, patient)
    with app.test_request_context():
        poh = services.user_by_id(poh.id)
        secret = totp.from_base32(second_factor.start_enrolment(poh).secret_text)
        # The previous step's code: the current one stays unused for logging in.
        second_factor.confirm_enrolment(poh, totp.code_at_step(secret, totp.step_at() - 1))
    return secret


def _log_in(page: Page, url: str, email: str, lands_on: str) -> None:
    """Log in with the password; waits for the page it leads to (`lands_on`, a path)."""
    page.goto(url + "/login")
    page.get_by_label("E-mailadres", exact=True).fill(email)
    page.get_by_label("Wachtwoord", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(url + lands_on)


@pytest.mark.browser
def test_grant_open_revoke_and_the_next_request_is_refused(
    browser: Browser, sharing_server: tuple[str, Any]
) -> None:
    from pgd.crypto import totp

    url, app = sharing_server
    secret = _people(app)
    contexts = [
        browser.new_context(locale="nl-NL", timezone_id="Europe/Amsterdam") for _ in range(2)
    ]
    try:
        for context in contexts:
            context.set_default_timeout(10_000)
        poh, patient = (context.new_page() for context in contexts)

        # The POH logs in with the code from the app and shows a share code.
        _log_in(poh, url, "poh@praktijk.nl", "/login/code")
        poh.locator("input[name=code]").fill(totp.code_at_step(secret, totp.step_at()))
        poh.locator("main form button[type=submit]").first.click()
        expect(poh.get_by_role("heading", name="Mijn patiënten")).to_be_visible()
        follow(poh, poh.get_by_role("link", name="Deelcode tonen"))
        poh.get_by_role("button", name="Code tonen").click()
        code = poh.locator(".share-code").inner_text().strip()
        assert len(code) == 9  # KX7P-2M9Q

        # The patient types it, sees who it is, chooses blood pressure only, confirms.
        _log_in(patient, url, "jansje@example.nl", "/home")
        follow(patient, patient.get_by_role("link", name="Delen", exact=True))
        follow(patient, patient.get_by_role("link", name="Delen met een zorgverlener"))
        patient.get_by_label("Deelcode", exact=True).fill(code.lower())
        patient.get_by_role("button", name="Zoeken").click()
        expect(patient.get_by_role("heading", name="Anna de Vries")).to_be_visible()
        patient.get_by_label("bloeddruk", exact=True).check()
        patient.get_by_role("button", name="Ja, dit delen").click()
        expect(
            patient.get_by_text("Klaar. Anna de Vries kan nu uw bloeddruk zien.")
        ).to_be_visible()

        # The POH sees the patient and opens the dossier: blood pressure, nothing else.
        follow(poh, poh.get_by_role("link", name="Mijn patiënten", exact=True))
        follow(poh, poh.get_by_role("link", name="Jansje Pietersma"))
        expect(poh.get_by_role("rowheader", name="Bloeddruk")).to_be_visible()
        expect(poh.get_by_role("rowheader", name="Gewicht")).to_have_count(0)
        dossier_url = poh.url

        # The patient stops sharing: one button, one confirmation. (Confirming the share
        # led back to the overview under "Delen", where the button is.)
        expect(patient).to_have_url(url + "/sharing")
        follow(patient, patient.get_by_role("link", name="Stoppen met delen"))
        patient.get_by_role("button", name="Ja, stoppen met delen").click()
        expect(patient.get_by_text("Gestopt.")).to_be_visible()

        # The POH's very next request (the page already open, reloaded) is refused.
        response = poh.reload()
        assert response is not None
        assert response.status == 404
        response = poh.goto(dossier_url)
        assert response is not None
        assert response.status == 404
        expect(poh.get_by_text("Patiënten kunnen op elk moment stoppen met delen.")).to_be_visible()
        # The list, not the refusal page still shown, must lack her (wait for it first).
        follow(poh, poh.get_by_role("link", name="Mijn patiënten", exact=True))
        expect(poh.get_by_role("heading", level=1)).to_have_text("Mijn patiënten")
        expect(poh.get_by_text("Jansje Pietersma")).to_have_count(0)

        # The patient reads who looked, in plain language.
        follow(patient, patient.get_by_role("link", name="Wie keek er mee").first)
        # Three lines: the POH's list showed how her blood pressure goes, then the summary,
        # then the two refused tries after she stopped sharing (NEN 7513: refusals too).
        expect(patient.get_by_text("A. de Vries")).to_have_count(3)
        expect(patient.get_by_text("heeft uw bloeddruk bekeken")).to_have_count(1)
        expect(
            patient.get_by_text("zag in de lijst van patiënten hoe het met uw bloeddruk gaat")
        ).to_have_count(1)
        expect(patient.get_by_text("probeerde", exact=False)).to_have_count(1)
        expect(patient.get_by_text("Daarom zag die niets.", exact=False)).to_have_count(1)
    finally:
        for context in contexts:
            context.close()


@pytest.mark.browser
def test_the_pre_consult_summary_fits_on_one_screen(
    browser: Browser, sharing_server: tuple[str, Any]
) -> None:
    """Everything shared, goals and questions too: on a 1920×1080 practice screen the
    summary of every category and the goals and questions are visible without scrolling
    (the page itself may scroll a little for the footer)."""
    import uuid
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select

    from pgd import db
    from pgd.accounts.models import User
    from pgd.crypto import totp
    from pgd.goals import questions
    from pgd.goals import services as goals
    from pgd.goals.data import GoalData, GoalKind
    from pgd.sharing.models import Grant

    url, app = sharing_server
    secret = _people(app)
    today = datetime.now(UTC).date()
    with app.test_request_context():
        patient = db.session().scalar(select(User).where(User.email == "jansje@example.nl"))
        assert patient is not None
        who = (patient, patient.id)
        for text, metric, target in (
            ("Afvallen naar 85 kilo", "weight", 85.0),
            ("Bovendruk onder 140", "blood_pressure", 140.0),
        ):
            goals.create_goal(
                *who,
                GoalData(
                    kind=GoalKind.MEASUREMENT,
                    text=text,
                    why="Gezonder",
                    start=today - timedelta(days=30),
                    metric=metric,
                    target=target,
                ),
            )
        goals.create_goal(
            *who,
            GoalData(
                kind=GoalKind.ACTIVITY,
                text="30 minuten wandelen",
                why="Conditie",
                start=today - timedelta(days=30),
                per_week=5,
            ),
        )
        questions.add_question(*who, "Mag ik mijn metformine bij het ontbijt nemen?")
        questions.add_question(*who, "Moet ik vaker prikken als ik ziek ben?")
        poh = db.session().scalar(select(User).where(User.email == "poh@praktijk.nl"))
        assert poh is not None
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
        patient_id = patient.id
    context = browser.new_context(
        locale="nl-NL", timezone_id="Europe/Amsterdam", viewport={"width": 1920, "height": 1080}
    )
    try:
        context.set_default_timeout(10_000)
        page = context.new_page()
        _log_in(page, url, "poh@praktijk.nl", "/login/code")
        page.locator("input[name=code]").fill(totp.code_at_step(secret, totp.step_at()))
        page.locator("main form button[type=submit]").first.click()
        expect(page.get_by_role("heading", name="Mijn patiënten")).to_be_visible()
        page.goto(f"{url}/clinician/patients/{patient_id}")
        for heading in ("Bloeddruk", "Gewicht", "Bloedsuiker"):
            expect(page.get_by_role("rowheader", name=heading)).to_be_visible()
        expect(page.get_by_role("heading", name="Doelen")).to_be_visible()
        bottom = page.evaluate(
            "Math.max(...[...document.querySelectorAll('.summary-table, .goals-and-questions')]"
            ".map(e => e.getBoundingClientRect().bottom))"
        )
        assert bottom <= 1080, f"the summary ends at {bottom:.0f} px, below a 1080 px screen"
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not overflow  # no sideways scrolling either
    finally:
        context.close()
