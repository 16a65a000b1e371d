"""A new patient, in a real browser: register, confirm from the e-mail, log out, log in,
switch to English.

Driven as a person would: by the visible Dutch labels and buttons, not by field names.
Along the way the page must not load anything from another host and must not log a
console error (a Content-Security-Policy violation shows up as one).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.browser.served import SERVED
from tests.conftest import mailed_link

NAME = "Jansje Pietersma"
EMAIL = "jansje@example.nl"
PASSWORD = "mijn hond loopt graag mee"


@pytest.mark.browser
def test_register_logout_login_and_switch_to_english(page: Page, live_server: str) -> None:
    requested: list[str] = []
    console_errors: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        # The used link at the end answers 404 on purpose.
        used_link = "status of 404" in msg.text and "/register/confirm/" in str(
            msg.location.get("url")
        )
        if msg.type == "error" and not used_link:
            console_errors.append(f"{msg.text} at {msg.location.get('url')}")

    page.context.on("request", lambda req: requested.append(req.url))
    page.on("console", on_console)
    page.on("pageerror", lambda exc: console_errors.append(f"uncaught: {exc}"))
    header = page.get_by_role("banner")
    html = page.locator("html")

    # A Dutch browser gets the Dutch site.
    page.goto(live_server + "/")
    expect(html).to_have_attribute("lang", "nl")

    # Register by the labels a person reads.
    page.get_by_role("link", name="Account aanmaken").first.click()
    expect(page).to_have_url(live_server + "/register")
    page.get_by_label("Uw naam", exact=True).fill(NAME)
    page.get_by_label("E-mailadres", exact=True).fill(EMAIL)
    page.get_by_label("Geboortedatum (niet verplicht)", exact=True).fill("14-03-1950")
    page.get_by_label("Wachtwoord", exact=True).fill(PASSWORD)
    page.get_by_label("Wachtwoord nog een keer", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Account aanmaken").click()

    # Not logged in yet: the page says where the link went (issue 13).
    expect(page).to_have_url(live_server + "/register/sent")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kijk in uw e-mail")
    expect(page.get_by_role("main")).to_contain_text(f"Wij stuurden een link naar {EMAIL}")
    expect(header.get_by_role("button", name="Uitloggen")).to_have_count(0)

    # The real link from the e-mail (instance/mail/*.eml: no MAIL_SERVER), then the
    # password once more.
    link = mailed_link(SERVED[live_server], EMAIL, "confirm")
    assert link.startswith(live_server + "/register/confirm/"), link
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Uw aanmelding afmaken")
    page.get_by_label("Uw wachtwoord", exact=True).fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Bevestigen en inloggen").click()

    expect(page).to_have_url(live_server + "/home")
    expect(html).to_have_attribute("lang", "nl")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welkom, {NAME}")
    expect(
        page.get_by_text("Welkom! Uw e-mailadres is bevestigd en uw account is klaar.")
    ).to_be_visible()

    # The link worked once.
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Deze link werkt niet (meer)")
    page.goto(live_server + "/home")

    # Log out with the button in the header (a POST form).
    header.get_by_role("button", name="Uitloggen").click()
    expect(page).to_have_url(re.compile(re.escape(live_server) + r"/login(\?.*)?$"))
    expect(header.get_by_role("button", name="Uitloggen")).to_have_count(0)
    page.goto(live_server + "/home")
    expect(page).to_have_url(re.compile(re.escape(live_server) + r"/login\?"))

    # Log in again with the same e-mail address and password.
    page.goto(live_server + "/login")
    page.get_by_label("E-mailadres", exact=True).fill(EMAIL)
    page.get_by_label("Wachtwoord", exact=True).fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Inloggen").click()
    expect(page).to_have_url(live_server + "/home")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welkom, {NAME}")

    # Switch to English; the choice sticks across a reload.
    # The form posts and comes back to the same address: wait for the language, which
    # only the new page has, before anything the old page would pass too.
    header.get_by_role("button", name="English").click()
    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_url(live_server + "/home")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {NAME}")
    expect(header.get_by_role("button", name="Nederlands")).to_be_visible()
    page.reload()
    expect(html).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {NAME}")

    elsewhere = [url for url in requested if urlsplit(url).hostname != "127.0.0.1"]
    assert requested, "the request listener recorded nothing"
    assert elsewhere == [], f"requests to other hosts: {elsewhere}"
    assert console_errors == [], f"console errors: {console_errors}"
