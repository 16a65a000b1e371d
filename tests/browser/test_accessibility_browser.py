"""The patient's home and chart pages meet WCAG 2.2 A and AA, in Dutch and in English, as far
as axe-core can tell: with readings in every chart, warnings included (an alarming blood
pressure, a low blood sugar), and every chart drawn before the audit."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Axe, register

pytestmark = pytest.mark.browser

PASSWORD = "de zon schijnt op het terras"
SAVE = {"nl": "Opslaan", "en": "Save"}
SAVE_DAY_CURVE = {"nl": "Dagcurve opslaan", "en": "Save day curve"}


def _save(page: Page, base: str, form: str, fields: dict[str, str], button: str) -> None:
    """Fill in a measurement form and wait for the chart page that saving leads to."""
    page.goto(base + form)
    for selector, value in fields.items():
        page.locator(selector).fill(value)
    page.get_by_role("main").get_by_role("button", name=button, exact=True).click()
    page.wait_for_url(lambda url: urlsplit(url).path.startswith("/charts/"))


def _audit(
    page: Page, axe: Axe, found: dict[str, list[dict[str, object]]], what: str, *, chart: bool
) -> None:
    """Wait until the page's chart is drawn, then record what axe-core finds."""
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    if chart:  # every chart page here has readings: an error page has no chart
        expect(page.locator(".chart[data-drawn='true'] .main-svg").first).to_be_visible()
    expect(page.locator("[data-figure]:not([data-drawn='true'])")).to_have_count(0)
    violations = axe.violations(page)
    if violations:
        found[f"{what} ({page.url})"] = violations


def _report(found: dict[str, list[dict[str, object]]]) -> str:
    lines = []
    for where, violations in found.items():
        lines.append(where)
        for v in violations:
            lines.append(f"  {v['id']} [{v['impact']}]: {v['help']}")
            lines.extend(f"    at {target}" for target in cast(list[str], v["targets"]))
            lines.append("    " + str(v["summary"]).replace("\n", "\n    "))
    return "\n".join(lines)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_home_and_chart_pages_have_no_wcag_violations(
    lang: str, request: pytest.FixtureRequest, live_server: str, axe: Axe
) -> None:
    page: Page = request.getfixturevalue("page" if lang == "nl" else "english_page")
    base = live_server
    register(page, base, f"toegankelijk.{lang}@example.nl", "Fenna Kuipers", PASSWORD, lang)
    found: dict[str, list[dict[str, object]]] = {}
    now = datetime.now(ZoneInfo("Europe/Amsterdam"))

    def day(days_ago: int) -> str:
        return (now - timedelta(days=days_ago)).strftime("%d-%m-%Y")

    # Blood pressure over two weeks, the latest alarming (190/115): the chart page shows
    # the urgent advice right after saving.
    for days_ago, upper, lower in ((12, 138, 86), (6, 146, 92), (0, 190, 115)):
        fields = {"#systolic": str(upper), "#diastolic": str(lower), "#pulse": "72"}
        fields |= {"#date": day(days_ago), "#time": "08:15"} if days_ago else {}
        _save(page, base, "/measurements/blood-pressure/new", fields, SAVE[lang])
    expect(page.locator(".notice").first).to_be_visible()
    _audit(page, axe, found, "blood pressure chart with the advice for 190/115", chart=True)

    for days_ago, kg in ((14, "84,2"), (0, "83,6")):
        fields = {"#weight": kg} | ({"#date": day(days_ago), "#time": "07:30"} if days_ago else {})
        _save(page, base, "/measurements/weight/new", fields, SAVE[lang])

    # Two day curves, then a low blood sugar (2,9) now: its warning shows after saving.
    for days_ago in (2, 1):
        _save(
            page,
            base,
            "/measurements/day-curve/new",
            {
                "#date": day(days_ago),
                "#value_before_breakfast": "6,4",
                "#value_after_breakfast": "9,1",
                "#value_after_lunch": "9,9",
                "#value_bedtime": "7,1",
            },
            SAVE_DAY_CURVE[lang],
        )
    _save(page, base, "/measurements/glucose/new", {"#glucose": "2,9"}, SAVE[lang])
    expect(page.locator(".notice").first).to_be_visible()
    _audit(page, axe, found, "glucose chart with the warning for 2,9", chart=True)

    # The home page: every card shows its latest value and verdict.
    _open(page, base + "/home")
    expect(page.locator(".card-latest")).to_have_count(3)
    _audit(page, axe, found, "home", chart=False)

    # Every chart page, and every view of the glucose chart its tabs offer.
    for path in ("/charts/blood-pressure", "/charts/weight", "/charts/glucose"):
        _open(page, base + path)
        _audit(page, axe, found, path, chart=True)
    tabs = [urljoin(page.url, href or "") for href in _hrefs(page, "nav.tabs a")]
    assert len(tabs) >= 2, "the glucose chart offers no views to choose from"
    for tab in tabs:
        _open(page, tab)
        expect(page.locator("nav.tabs a[aria-current=page]")).to_have_count(1)
        _audit(page, axe, found, "glucose view", chart=True)

    assert not found, "WCAG 2.2 A/AA violations found by axe-core:\n" + _report(found)


def _open(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None
    assert response.ok, f"{url} answered {response.status}"


def _hrefs(page: Page, selector: str) -> list[str | None]:
    return [link.get_attribute("href") for link in page.locator(selector).all()]
