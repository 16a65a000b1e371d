"""A clinician sets up the second factor in a real browser, then logs in with a code.

The test reads the key off the set-up page as a person would type it into an app, and
computes the codes itself (plain RFC 6238 below, not pgd's implementation).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.browser.conftest import serve
from tests.conftest import rfc6238_code

EMAIL = "a.devries@praktijk.nl"
GIVEN = "mijn hond loopt graag mee"  # what the administrator typed
PASSWORD = "mijn kat slaapt liever thuis"  # what the clinician chooses at the first login


def totp_code(secret_base32: str, step: int) -> str:
    """The code of one 30-second step (tests.conftest.rfc6238_code: RFC 6238 written
    independently of pgd.crypto.totp)."""
    return rfc6238_code(secret_base32, moment=step * 30)


@pytest.fixture(scope="module")
def clinician_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app on a free port, with one clinician made as the administrator would."""
    with serve(tmp_path_factory.mktemp("second-factor-instance")) as (url, app):
        result = app.test_cli_runner().invoke(
            args=[
                "create-clinician",
                "--email",
                EMAIL,
                "--name",
                "Anna de Vries",
                "--profession",
                "poh",
                "--practice",
                "Huisartsenpraktijk De Linde",
            ],
            env={"PGD_NEW_PASSWORD": GIVEN},
        )
        assert result.exit_code == 0, result.output
        yield url


def _log_in_with_password(page: Page, base: str, password: str = PASSWORD) -> None:
    page.goto(base + "/login")
    page.get_by_label("E-mailadres", exact=True).fill(EMAIL)
    page.get_by_label("Wachtwoord", exact=True).fill(password)
    page.get_by_role("main").get_by_role("button", name="Inloggen").click()


@pytest.mark.browser
def test_clinician_sets_up_a_second_factor_and_logs_in_with_a_code(
    page: Page, clinician_server: str
) -> None:
    base = clinician_server
    requested: list[str] = []
    console_errors: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        refused = "status of 401" in msg.text and msg.location.get("url") == base + "/login/code"
        if msg.type == "error" and not refused:  # the reused code below is refused on purpose
            console_errors.append(f"{msg.text} at {msg.location.get('url')}")

    page.context.on("request", lambda req: requested.append(req.url))
    page.on("console", on_console)
    page.on("pageerror", lambda exc: console_errors.append(f"uncaught: {exc}"))
    heading = page.get_by_role("heading", level=1)

    # First login: the given password, then one of their own, then straight to the
    # set-up; no patient page opens.
    _log_in_with_password(page, base, GIVEN)
    expect(page).to_have_url(base + "/password/first")
    expect(heading).to_have_text("Kies uw eigen wachtwoord")
    page.get_by_label("Nieuw wachtwoord", exact=True).fill(PASSWORD)
    page.get_by_label("Nieuw wachtwoord nog een keer", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Nieuw wachtwoord opslaan").click()
    expect(page).to_have_url(base + "/account/second-factor/setup")
    expect(heading).to_have_text("Inloggen met een code instellen")
    page.goto(base + "/clinician")
    expect(page).to_have_url(base + "/account/second-factor/setup")

    # The QR code is an image served by the app itself, and it loaded.
    qr = page.get_by_role("img", name=re.compile("QR-code voor uw authenticator-app"))
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 100")

    # Type the key shown on the page into "the app" (here: the function above).
    shown = page.locator("#secret-key").inner_text()
    assert re.fullmatch(r"([A-Z2-7]{4} ){7}[A-Z2-7]{4}", shown), shown
    step = int(time.time() // 30)
    code = totp_code(shown, step)
    page.get_by_label("Code uit uw app", exact=True).fill(f"{code[:3]} {code[3:]}")
    page.get_by_role("button", name="Controleren en aanzetten").click()

    # Ten recovery codes, shown once, with a print button (made visible by our JS).
    expect(page).to_have_url(base + "/account/second-factor/recovery-codes")
    expect(heading).to_have_text("Uw herstelcodes")
    codes = page.get_by_role("list", name="Herstelcodes").locator("code")
    expect(codes).to_have_count(10)
    assert all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes.all_inner_texts())
    expect(page.get_by_role("button", name="Codes printen")).to_be_visible()
    page.get_by_role("button", name="Verder").click()
    expect(page.get_by_text("Zet een vinkje als u de codes hebt bewaard.").first).to_be_visible()
    page.get_by_label(re.compile("Ik heb deze codes geprint of opgeschreven")).check()
    page.get_by_role("button", name="Verder").click()
    expect(page).to_have_url(base + "/clinician")
    expect(heading).to_have_text("Mijn patiënten")

    # Log out, and in again: password, then a fresh code.
    page.get_by_role("banner").get_by_role("button", name="Uitloggen").click()
    expect(page).to_have_url(re.compile(re.escape(base) + r"/login(\?.*)?$"))
    _log_in_with_password(page, base)
    expect(page).to_have_url(base + "/login/code")
    expect(heading).to_have_text("Inloggen: code")
    page.goto(base + "/clinician")  # typing a URL does not skip the code step
    expect(page).to_have_url(base + "/login/code")

    # The code used for the set-up is spent; a reused one is refused with a clear message.
    page.get_by_label("Code uit uw app", exact=True).fill(code)
    page.get_by_role("main").get_by_role("button", name="Inloggen").click()
    expect(page.get_by_text("Deze code is al gebruikt.").first).to_be_visible()
    next_code = totp_code(shown, max(int(time.time() // 30), step + 1))
    page.get_by_label("Code uit uw app", exact=True).fill(next_code)
    page.get_by_role("main").get_by_role("button", name="Inloggen").click()
    expect(page).to_have_url(base + "/clinician")
    expect(heading).to_have_text("Mijn patiënten")

    elsewhere = [url for url in requested if urlsplit(url).hostname != "127.0.0.1"]
    assert requested, "the request listener recorded nothing"
    assert elsewhere == [], f"requests to other hosts: {elsewhere}"
    assert console_errors == [], f"console errors: {console_errors}"
