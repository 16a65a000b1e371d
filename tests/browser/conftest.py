"""Browser fixtures: the app served on 127.0.0.1 and Debian's Chromium driven by Playwright.

Chromium comes from the system (/usr/bin/chromium), never from `playwright install`.
Without it the browser tests skip; under CI=true they fail instead, so a CI image that
lost its browser cannot pass silently.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.served import SERVED

if TYPE_CHECKING:
    from flask import Flask
    from playwright.sync_api import Browser, Locator, Page

    from tests.conftest import SmtpInbox

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IN_CI = os.environ.get("CI", "").lower() == "true"
FAST_HASHING = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1}


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)."
    if IN_CI:
        pytest.fail("CI=true requires the browser tests to run. " + message)
    pytest.skip(message)


@contextmanager
def serve(instance: Path, **config: object) -> Iterator[tuple[str, Flask]]:
    """The real app, migrated SQLite in `instance`, served on a free local port.

    `config` overrides settings (for example MAIL_SERVER and MAIL_PORT of a test SMTP server).
    """
    from werkzeug.serving import make_server

    from pgd import create_app, db

    # Migrate first: create_app() checks the master key ring against the database.
    db.upgrade(f"sqlite:///{instance / 'pgd.sqlite3'}")
    app = create_app({"INSTANCE_PATH": str(instance), **FAST_HASHING, **config})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="pgd-live-server", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    SERVED[url] = app
    try:
        yield url, app
    finally:
        SERVED.pop(url, None)
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.extensions["pgd.engine"].dispose()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One app for the whole session (tests use their own accounts in it)."""
    with serve(tmp_path_factory.mktemp("browser-instance")) as (url, _app):
        yield url


REGISTER_LABELS = {
    "en": ("Your name", "E-mail address", "Password", "Password again", "Create an account"),
    "nl": ("Uw naam", "E-mailadres", "Wachtwoord", "Wachtwoord nog een keer", "Account aanmaken"),
}
CONFIRM_LABELS = {
    "en": ("Your password", "Confirm and log in"),
    "nl": ("Uw wachtwoord", "Bevestigen en inloggen"),
}


def confirm_from_mail(
    page: Page, base: str, email: str, password: str, lang: str, inbox: SmtpInbox | None = None
) -> None:
    """Open the link from the registration e-mail and type the password: logged in."""
    from tests.conftest import mailed_link

    link = mailed_link(SERVED[base], email, "confirm", inbox)
    assert link.startswith(base + "/register/confirm/"), link
    password_label, button = CONFIRM_LABELS[lang]
    page.goto(link)
    page.get_by_label(password_label, exact=True).fill(password)
    page.get_by_role("main").get_by_role("button", name=button).click()
    page.wait_for_url(base + "/home")


def register(
    page: Page,
    base: str,
    email: str,
    name: str,
    password: str,
    lang: str,
    inbox: SmtpInbox | None = None,
) -> None:
    """Make a patient account through the form, as a person would, and confirm it from
    the e-mail (`inbox` when the app sends to a test SMTP server); ends on the home page."""
    name_label, email_label, password_label, again_label, button = REGISTER_LABELS[lang]
    page.goto(base + "/register")
    page.get_by_label(name_label, exact=True).fill(name)
    page.get_by_label(email_label, exact=True).fill(email)
    page.get_by_label(password_label, exact=True).fill(password)
    page.get_by_label(again_label, exact=True).fill(password)
    page.get_by_role("main").get_by_role("button", name=button).click()
    page.wait_for_url(base + "/register/sent")
    confirm_from_mail(page, base, email, password, lang, inbox)


def follow(page: Page, link: Locator) -> str:
    """Click a link and wait until the page it leads to has loaded; returns its URL.

    A check made straight after a click may still see the old page (its heading, its
    chart) while the new one loads. Waiting for the link's own address rules that out.
    A link to the page already shown cannot be told apart by its address: check a state
    the new page shows instead (for example that a one-time message is gone).
    """
    from urllib.parse import urljoin

    href = link.get_attribute("href")
    assert href, f"{link} has no href"
    target = urljoin(page.url, href).split("#", 1)[0]
    assert target != page.url.split("#", 1)[0], f"{target} is the page already shown"
    link.click()
    # The address (fragment aside), then the load event of that page.
    page.wait_for_url(lambda url: url.split("#", 1)[0] == target)
    return target


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh context (no cookies) per test, in Dutch like most of our users' browsers."""
    context = browser.new_context(locale="nl-NL", timezone_id="Europe/Amsterdam")
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def english_page(browser: Browser) -> Iterator[Page]:
    """A fresh context in English, for tests that read the English texts."""
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Amsterdam")
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


class Watch:
    """What a page did that it must not: console errors, uncaught exceptions, and
    requests to any other host than the app (no CDN, fonts or analytics)."""

    def __init__(self, page: Page, base: str) -> None:
        self.problems: list[str] = []
        self.foreign: list[str] = []
        page.on("console", lambda m: self.problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.problems.append(str(e)))
        page.on("request", lambda r: self._request(r.url, base))

    def _request(self, url: str, base: str) -> None:
        if not url.startswith(base) and not url.startswith("data:"):
            self.foreign.append(url)


# --- axe-core: the accessibility audit ----------------------------------------------------

AXE_JS = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
# Served to the page by Playwright under the app's own address (the app's CSP allows
# scripts from 'self' only, so an inline script tag would be refused); never by the app.
AXE_PATH = "/__browser-tests__/axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core as pinned in tests/browser/package-lock.json (`make test` runs npm ci)."""
    if not AXE_JS.exists():
        message = f"axe-core is not installed at {AXE_JS} (npm ci --prefix tests/browser)."
        if IN_CI:
            pytest.fail("CI=true requires the accessibility test to run. " + message)
        pytest.skip(message)
    return AXE_JS.read_text(encoding="utf-8")


class Axe:
    """Runs axe-core on the page as it is now and returns its WCAG 2.2 A/AA violations."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._routed: set[int] = set()

    def violations(self, page: Page) -> list[dict[str, object]]:
        from urllib.parse import urlsplit

        origin = "{0.scheme}://{0.netloc}".format(urlsplit(page.url))
        if id(page) not in self._routed:
            page.route(
                f"{origin}{AXE_PATH}",
                lambda route: route.fulfill(body=self.source, content_type="text/javascript"),
            )
            self._routed.add(id(page))
        page.add_script_tag(url=origin + AXE_PATH)
        result: list[dict[str, object]] = page.evaluate(
            """async (tags) => {
                const results = await axe.run(document, {runOnly: {type: "tag", values: tags}});
                return results.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help,
                    targets: v.nodes.map(n => n.target.join(" ")),
                    summary: v.nodes.length ? v.nodes[0].failureSummary : "",
                }));
            }""",
            WCAG_22_AA,
        )
        return result


@pytest.fixture
def axe(axe_source: str) -> Axe:
    return Axe(axe_source)
