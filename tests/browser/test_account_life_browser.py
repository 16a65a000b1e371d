"""A patient's account from start to end in a real browser, in Dutch (issue 13):
a password reset by e-mail, "Mijn sessies" with a second device, a read-only API key
with an end date, and deleting the account.

The app runs on a free port of 127.0.0.1 and sends its e-mail to a real SMTP server
(aiosmtpd, the `smtp` fixture of tests/conftest.py); the test opens the link from the
message it received. Every wait is for a state of the page (address, heading, text).
"""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from tests.browser.conftest import follow, register, serve
from tests.conftest import SmtpInbox

EMAIL = "jansje.pietersma@example.nl"
NAME = "Jansje Pietersma"
PASSWORD = "mijn kat slaapt liever thuis"
NEW_PASSWORD = "de zon schijnt op het dak"
KEY_NAME = "Bloeddrukmeter"
KEY_DAYS = 90


@pytest.fixture
def mail_server(smtp: SmtpInbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app on a free port, sending its e-mail to the test SMTP server."""
    with serve(
        tmp_path_factory.mktemp("account-life-instance"),
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        MAIL_USE_TLS=False,
        MAIL_DEFAULT_SENDER="PGD <noreply@pgd.test>",
    ) as (url, _app):
        yield url


@pytest.fixture
def second_context(browser: Browser) -> Iterator[BrowserContext]:
    """Another device of the same patient: its own cookies, also in Dutch."""
    context = browser.new_context(locale="nl-NL", timezone_id="Europe/Amsterdam")
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        context.close()


def _log_in(page: Page, base: str, password: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("E-mailadres", exact=True).fill(EMAIL)
    page.get_by_label("Wachtwoord", exact=True).fill(password)
    page.get_by_role("main").get_by_role("button", name="Inloggen").click()


def _shown_date(moment: datetime) -> str:
    """A date as the key list shows it: "d MMM y", Dutch, in Amsterdam."""
    return format_datetime(moment, "d MMM y", tzinfo=ZoneInfo("Europe/Amsterdam"), locale="nl")


def _api(base: str, key: str, reading: dict[str, object] | None = None) -> int:
    """The status of GET (or, with a reading, POST) /api/v1/measurements with this key."""
    address = urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
    try:
        connection.request(
            "POST" if reading is not None else "GET",
            "/api/v1/measurements",
            body=json.dumps(reading) if reading is not None else None,
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.browser
def test_reset_sessions_api_key_and_deletion(
    page: Page, second_context: BrowserContext, mail_server: str, smtp: SmtpInbox
) -> None:
    base = mail_server
    requested: list[str] = []
    console_errors: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        # The refused login at the end answers 401 on purpose.
        refused = "status of 401" in msg.text and msg.location.get("url") == base + "/login"
        if msg.type == "error" and not refused:
            console_errors.append(f"{msg.text} at {msg.location.get('url')}")

    page.context.on("request", lambda req: requested.append(req.url))
    page.on("console", on_console)
    page.on("pageerror", lambda exc: console_errors.append(f"uncaught: {exc}"))
    header = page.get_by_role("banner")
    main = page.get_by_role("main")
    heading = page.get_by_role("heading", level=1)

    # 1. Register, log out, and ask for a new password from the login page.
    register(page, base, EMAIL, NAME, PASSWORD, "nl", inbox=smtp)  # confirmed from the mail
    header.get_by_role("button", name="Uitloggen").click()
    expect(page).to_have_url(re.compile(re.escape(base) + r"/login(\?.*)?$"))
    expect(header.get_by_role("button", name="Uitloggen")).to_have_count(0)
    follow(page, main.get_by_role("link", name="Wachtwoord vergeten?"))
    expect(heading).to_have_text("Wachtwoord vergeten?")
    page.get_by_label("E-mailadres", exact=True).fill(EMAIL)
    main.get_by_role("button", name="Stuur mij een link").click()
    expect(page).to_have_url(base + "/password/forgot/sent")

    message = smtp.wait(2)[-1]  # the first one held the registration's link
    assert message["To"] == EMAIL
    link = re.search(re.escape(base) + r"/password/reset/[A-Za-z0-9_-]+", smtp.body())
    assert link, smtp.body()
    page.goto(link.group(0))
    expect(heading).to_have_text("Kies een nieuw wachtwoord")
    page.get_by_label("Nieuw wachtwoord", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Nieuw wachtwoord nog een keer", exact=True).fill(NEW_PASSWORD)
    main.get_by_role("button", name="Nieuw wachtwoord opslaan").click()
    expect(page).to_have_url(base + "/login")
    expect(main).to_contain_text("Uw nieuwe wachtwoord is opgeslagen.")

    # The old password no longer works; the new one does.
    _log_in(page, base, PASSWORD)
    expect(main).to_contain_text("Het e-mailadres of het wachtwoord klopt niet.")
    expect(page).to_have_url(base + "/login")
    _log_in(page, base, NEW_PASSWORD)
    expect(page).to_have_url(base + "/home")
    expect(heading).to_have_text(f"Welkom, {NAME}")

    # 2. Log in on a second device; end that session from "Mijn sessies".
    other = second_context.new_page()
    _log_in(other, base, NEW_PASSWORD)
    expect(other).to_have_url(base + "/home")

    page.goto(base + "/account/profile")
    follow(page, main.get_by_role("link", name="Mijn sessies"))
    expect(heading).to_have_text("Mijn sessies")
    rows = main.locator("table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="(dit apparaat)")).to_have_count(1)
    end_buttons = main.get_by_role("button", name=re.compile(r"^Beëindigen"))
    expect(end_buttons).to_have_count(1)
    end_buttons.click()
    expect(main).to_contain_text("Die sessie is beëindigd.")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("(dit apparaat)")
    expect(main).to_contain_text("U bent nergens anders ingelogd.")

    # The second device is sent to the login page at its next step.
    other.goto(base + "/home")
    expect(other).to_have_url(re.compile(re.escape(base) + r"/login\?"))
    expect(other.get_by_role("heading", level=1)).to_have_text("Inloggen")
    # ...and this one is still logged in.
    page.goto(base + "/home")
    expect(page).to_have_url(base + "/home")

    # 3. A read-only API key, valid for 90 days, made with the password.
    menu = page.get_by_role("navigation", name="Hoofdmenu")
    account_menu = menu.locator("summary")
    expect(account_menu).to_have_text("Mijn account")
    account_menu.click()
    follow(page, menu.get_by_role("link", name="API-sleutels", exact=True))
    expect(heading).to_have_text("API-sleutels")
    page.get_by_label("Naam van de sleutel", exact=True).fill(KEY_NAME)
    page.get_by_label(f"{KEY_DAYS} dagen", exact=True).check()
    page.get_by_label("metingen sturen (schrijven)", exact=True).uncheck()
    page.get_by_label("metingen lezen", exact=True).check()
    page.get_by_label("Uw wachtwoord", exact=True).fill(NEW_PASSWORD)
    before = datetime.now(UTC) + timedelta(days=KEY_DAYS)
    main.get_by_role("button", name="Sleutel maken").click()
    expect(heading).to_have_text("Uw nieuwe sleutel")
    after = datetime.now(UTC) + timedelta(days=KEY_DAYS)
    until = {_shown_date(before), _shown_date(after)}
    valid_until = main.get_by_text(re.compile(r"^Geldig tot .+\.$"))
    expect(valid_until).to_have_count(1)
    shown = valid_until.inner_text().removeprefix("Geldig tot ").removesuffix(".")
    assert shown in until, (shown, until)
    raw_key = page.locator("#new-token").input_value()
    assert raw_key.startswith("pgd_")

    # The same address as the page with the new key: the heading tells the list apart.
    main.get_by_role("link", name="Klaar, ik heb de sleutel gekopieerd").click()
    expect(heading).to_have_text("API-sleutels")
    table = main.get_by_role("table")
    expect(table.get_by_role("columnheader", name="Geldig tot")).to_be_visible()
    key_rows = table.locator("tbody tr")
    expect(key_rows).to_have_count(1)
    cells = key_rows.first.get_by_role("cell")
    expect(cells.nth(0)).to_have_text(KEY_NAME)
    expect(cells.nth(4)).to_have_text("metingen lezen")
    expect(cells.nth(5)).to_have_text(shown)

    # The key reads, and may not write (as a meter app would call: no browser cookies).
    assert _api(base, raw_key) == 200
    reading = {"type": "weight", "taken_at": "2026-01-05T08:00:00+01:00", "weight_kg": 80}
    assert _api(base, raw_key, reading) == 403

    # 4. Delete the account: password and the tick; then the goodbye page.
    page.goto(base + "/account/profile")
    follow(page, main.get_by_role("link", name="Mijn account verwijderen"))
    expect(heading).to_have_text("Mijn account verwijderen")
    page.get_by_label("Uw wachtwoord", exact=True).fill(NEW_PASSWORD)
    main.get_by_role("checkbox", name=re.compile(r"Ik begrijp dat mijn account")).check()
    main.get_by_role("button", name="Mijn account en al mijn gegevens verwijderen").click()
    expect(page).to_have_url(base + "/account/deleted")
    expect(heading).to_have_text("Uw account is verwijderd")
    expect(header.get_by_role("button", name="Uitloggen")).to_have_count(0)

    # Logged out, and that address and password no longer log in; the key is gone too.
    _log_in(page, base, NEW_PASSWORD)
    expect(main).to_contain_text("Het e-mailadres of het wachtwoord klopt niet.")
    expect(page).to_have_url(base + "/login")
    assert _api(base, raw_key) == 401

    assert console_errors == []
    foreign = [url for url in requested if not url.startswith(base)]
    assert foreign == [], f"requests to other hosts: {foreign}"
