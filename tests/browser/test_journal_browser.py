"""The journal text's "Kopieer" button, with the keyboard only (issue 12): the POH tabs from
the read-only text to the button, presses Enter, hears "Gekopieerd", and the clipboard
holds the text. Every step waits for the state it causes, never for a moment."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import follow, serve
from tests.browser.test_sharing_browser import _log_in, _people


@pytest.fixture
def journal_server(tmp_path: Any) -> Iterator[tuple[str, Any]]:
    with serve(tmp_path) as served:
        yield served


def _share(app: Any, categories: str) -> None:
    from sqlalchemy import select

    from pgd import db
    from pgd.accounts.models import User
    from pgd.sharing.models import Grant

    now = datetime.now(UTC)
    with app.test_request_context():
        patient = db.session().scalar(select(User).where(User.email == "jansje@example.nl"))
        poh = db.session().scalar(select(User).where(User.email == "poh@praktijk.nl"))
        assert patient is not None
        assert poh is not None
        with db.transaction() as sess:
            sess.add(
                Grant(
                    id=uuid.uuid4(),
                    patient_id=patient.id,
                    clinician_id=poh.id,
                    categories=categories,
                    expires_at=now + timedelta(days=30),
                    created_at=now,
                )
            )


@pytest.mark.browser
def test_the_copy_button_works_with_the_keyboard(
    browser: Browser, journal_server: tuple[str, Any]
) -> None:
    from pgd.crypto import totp

    url, app = journal_server
    secret = _people(app)
    _share(app, "blood_pressure,weight")
    context = browser.new_context(locale="nl-NL", timezone_id="Europe/Amsterdam")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    context.set_default_timeout(10_000)
    try:
        poh = context.new_page()
        _log_in(poh, url, "poh@praktijk.nl", "/login/code")
        poh.locator("input[name=code]").fill(totp.code_at_step(secret, totp.step_at()))
        poh.locator("main form button[type=submit]").first.click()
        expect(poh.get_by_role("heading", name="Mijn patiënten")).to_be_visible()
        follow(poh, poh.get_by_role("link", name="Jansje Pietersma"))

        text = poh.get_by_label("S- en O-regels voor het HIS", exact=False)
        expect(text).to_have_js_property("readOnly", True)
        expect(text).to_contain_text("S: thuismeting bloeddruk")
        button = poh.get_by_role("button", name="Kopieer", exact=True)
        expect(button).to_be_visible()  # the script showed it

        # The keyboard only: into the text, Tab to the button, Enter.
        text.focus()
        expect(text).to_be_focused()
        poh.keyboard.press("Tab")
        expect(button).to_be_focused()
        poh.keyboard.press("Enter")
        expect(poh.locator("#journal-status")).to_have_text("Gekopieerd")

        copied = poh.evaluate("navigator.clipboard.readText()")
        assert copied == text.input_value()
        assert "S: weegt thuis" in copied
        assert "glucose" not in copied  # not shared
    finally:
        context.close()
