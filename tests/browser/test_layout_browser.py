"""The menu in a real browser: on a phone (390 px) one "Menu" button that opens every
destination, by keyboard too; on a laptop the full bar, with the account pages under
"Mijn account". No JavaScript is involved (details/summary)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import follow, register

pytestmark = pytest.mark.browser

PASSWORD = "de kat slaapt op de bank"
MAIN = ["Home", "Mijn metingen", "Mijn doelen", "Delen", "Wie keek er mee", "Instellingen"]
ACCOUNT = ["Mijn gegevens", "Wachtwoord veranderen", "Inlogcode", "API-sleutels"]


def _page(browser: Browser, width: int, height: int) -> Iterator[Page]:
    context = browser.new_context(
        locale="nl-NL",
        timezone_id="Europe/Amsterdam",
        viewport={"width": width, "height": height},
        java_script_enabled=False,  # the menu must work without it
    )
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    yield from _page(browser, 390, 844)


@pytest.fixture
def laptop(browser: Browser) -> Iterator[Page]:
    yield from _page(browser, 1366, 768)


def _register(page: Page, base: str, email: str) -> None:
    register(page, base, email, "Gerrit Bakker", PASSWORD, "nl")
    expect(page).to_have_url(base + "/home")


def _header_height(page: Page) -> float:
    page.wait_for_load_state()  # the style sheet is in
    box = page.get_by_role("banner").bounding_box()
    assert box is not None
    return box["height"]


def test_phone_menu_is_one_button_that_opens_everything(phone: Page, live_server: str) -> None:
    page = phone
    _register(page, live_server, "gerrit.phone@example.nl")
    # Walk-through: nine links over four lines (~200 px) on every page.
    assert _header_height(page) < 130
    menu = page.get_by_role("navigation", name="Hoofdmenu")
    expect(menu).to_have_count(1)
    expect(menu.locator("summary")).to_have_text("Menu")
    expect(menu.get_by_role("link")).to_have_count(0)  # closed: nothing in the way

    # Keyboard: the skip link comes first, then the Menu button opens with Enter.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Ga direct naar de inhoud")).to_be_focused()
    button = menu.locator("summary")
    expect(button).to_have_text("Menu")
    for _ in range(6):
        page.keyboard.press("Tab")
        if button.evaluate("el => el === document.activeElement"):
            break
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    for name in MAIN + ACCOUNT:
        expect(menu.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(menu.get_by_role("link", name="Home", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    page.keyboard.press("Tab")
    expect(menu.get_by_role("link", name="Home", exact=True)).to_be_focused()
    button.click()  # and closed again with the same button
    expect(menu.get_by_role("link")).to_have_count(0)

    # Every destination is reachable from the menu, and is then marked as current. Each
    # step waits for the page the link leads to: until it has loaded, the old page (with
    # its own heading and menu) would pass every check below.
    for name in MAIN[1:] + ACCOUNT:
        menu.locator("summary").click()
        link = menu.get_by_role("link", name=name, exact=True)
        expect(link).to_be_visible()
        follow(page, link)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(menu.get_by_role("link")).to_have_count(0)  # the new page: menu closed
        menu.locator("summary").click()
        expect(link).to_be_visible()
        expect(link).to_have_attribute("aria-current", "page")
        menu.locator("summary").click()  # closed again
        expect(menu.get_by_role("link")).to_have_count(0)
        assert _header_height(page) < 130, name

    # Log out from the menu.
    menu.locator("summary").click()
    menu.get_by_role("button", name="Uitloggen").click()
    expect(page).to_have_url(re.compile(r"/login"))


def test_laptop_keeps_the_bar_with_the_account_pages_under_my_account(
    laptop: Page, live_server: str
) -> None:
    page = laptop
    _register(page, live_server, "gerrit.laptop@example.nl")
    assert _header_height(page) < 130
    header = page.get_by_role("banner")
    menu = page.get_by_role("navigation", name="Hoofdmenu")
    expect(menu).to_have_count(1)
    expect(header.get_by_text("Menu", exact=True)).to_be_hidden()
    for name in MAIN:
        expect(menu.get_by_role("link", name=name, exact=True)).to_be_visible()
    for name in ACCOUNT:
        expect(menu.get_by_role("link", name=name, exact=True)).to_have_count(0)
    expect(header.get_by_role("button", name="Uitloggen")).to_be_visible()

    account = menu.locator("summary")
    expect(account).to_have_text("Mijn account")
    account.click()
    for name in ACCOUNT:
        expect(menu.get_by_role("link", name=name, exact=True)).to_be_visible()
    password = menu.get_by_role("link", name="Wachtwoord veranderen", exact=True)
    assert follow(page, password) == live_server + "/account/password"
    expect(account).to_have_class("is-current")
    expect(password).to_be_hidden()  # the new page: "Mijn account" closed
    account.click()
    expect(password).to_be_visible()
    expect(password).to_have_attribute("aria-current", "page")
    assert follow(page, menu.get_by_role("link", name="Mijn doelen", exact=True)) == (
        live_server + "/goals"
    )
    expect(menu.get_by_role("link", name="Mijn doelen", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
