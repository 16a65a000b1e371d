"""The patient's home and chart pages meet WCAG 2.2 A and AA, in Dutch and in English, as far
as axe-core can tell: with readings in every chart, warnings included (an alarming blood
pressure, a low blood sugar), and every chart drawn before the audit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, cast
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, FilePayload, Page, expect

from tests.browser.conftest import Axe, follow, register, serve

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


# --- Every other page issue 10 touches ------------------------------------------------------
#
# Each scenario registers its own patient in the shared live app, brings a page into the
# state worth auditing (warnings and errors shown), waits for that state, then audits it.

SUBMIT = "main form.form button[type=submit]"


def _day(days_ago: int) -> str:
    now = datetime.now(ZoneInfo("Europe/Amsterdam"))
    return (now - timedelta(days=days_ago)).strftime("%d-%m-%Y")


def _fill(page: Page, fields: dict[str, str]) -> None:
    for selector, value in fields.items():
        page.locator(selector).fill(value)


def _submit(page: Page) -> None:
    page.locator(SUBMIT).first.click()


def _measurements_list(
    page: Page, base: str, axe: Axe, found: dict[str, list[dict[str, object]]], lang: str
) -> None:
    """The list of readings with an alarming blood pressure and a hypo marked in it."""
    _save(
        page,
        base,
        "/measurements/blood-pressure/new",
        {"#systolic": "190", "#diastolic": "115", "#pulse": "72"},
        SAVE[lang],
    )
    _save(page, base, "/measurements/weight/new", {"#weight": "83,6"}, SAVE[lang])
    _save(page, base, "/measurements/glucose/new", {"#glucose": "2,9"}, SAVE[lang])
    _open(page, base + "/measurements")
    expect(page.locator(".reading-list .mark-alarm")).to_have_count(2)
    _audit(page, axe, found, "measurements list with a hypo and an alarming reading", chart=False)


def _entry_forms(
    page: Page, base: str, axe: Axe, found: dict[str, list[dict[str, object]]], lang: str
) -> None:
    """The blood-pressure form warning about a duplicate, then showing errors; the day curve."""
    reading = {
        "#systolic": "138",
        "#diastolic": "86",
        "#pulse": "70",
        "#date": _day(1),
        "#time": "08:15",
    }
    _save(page, base, "/measurements/blood-pressure/new", reading, SAVE[lang])
    _open(page, base + "/measurements/blood-pressure/new")
    _fill(page, reading)
    _submit(page)
    expect(page.locator("#same-reading")).to_be_visible()
    _audit(page, axe, found, "blood pressure form warning about the same reading", chart=False)

    _open(page, base + "/measurements/blood-pressure/new")
    _fill(page, {"#systolic": "abc", "#diastolic": "400", "#date": "31-02-2026", "#time": "25:00"})
    _submit(page)
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator(".field-error").first).to_be_visible()
    _audit(page, axe, found, "blood pressure form with errors", chart=False)

    _open(page, base + "/measurements/day-curve/new")
    expect(page.locator("#value_before_breakfast")).to_be_visible()
    _audit(page, axe, found, "day curve form", chart=False)


def _csv_import(
    page: Page, base: str, axe: Axe, found: dict[str, list[dict[str, object]]], lang: str
) -> None:
    """The import page, the problems found in a file, and the preview of a correct file."""
    _open(page, base + "/measurements/import")
    expect(page.locator("#file")).to_be_visible()
    _audit(page, axe, found, "import page", chart=False)

    header = "type;date;time;systolic;diastolic;pulse;arm;weight_kg;glucose;unit;moment;note"
    good = [
        f"blood_pressure;{_day(3)};08:15;138;86;72;left;;;;;",
        f"blood_pressure;{_day(3)};08:15;138;86;72;left;;;;;",  # the duplicate
        f"weight;{_day(2)};07:30;;;;;83,6;;;;",
        f"glucose;{_day(2)};07:31;;;;;;6,8;mmol;fasting;",
    ]
    bad = f"glucose;{_day(1)};07:31;;;;;;veel;mmol;fasting;"
    for name, rows, shown in (
        # the bad row is the only problem, listed in the first table (the file's rules follow)
        ("problems.csv", [*good, bad], ".error-summary ~ .scroll-box >> nth=0 >> tbody tr"),
        # a correct file: the preview counts the duplicate it will skip
        ("week.csv", good, ".duplicates"),
    ):
        _open(page, base + "/measurements/import")
        csv = "\n".join([header, *rows]) + "\n"
        upload: FilePayload = {"name": name, "mimeType": "text/csv", "buffer": csv.encode()}
        page.locator("#file").set_input_files(files=upload)
        _submit(page)
        expect(page.locator(shown)).to_have_count(1)
        expect(page.locator(shown)).to_be_visible()
        _audit(page, axe, found, f"import of {name}", chart=False)


def _settings_goals_week(
    page: Page, base: str, axe: Axe, found: dict[str, list[dict[str, object]]], lang: str
) -> None:
    """Settings, a goal and the goals page, a measuring week with its first readings."""
    _open(page, base + "/settings")
    expect(page.locator("#height")).to_be_visible()
    _audit(page, axe, found, "settings", chart=False)

    _open(page, base + "/goals/new?example=walking")
    expect(page.locator("#text")).not_to_have_value("")
    page.locator("main form.goal-form button[type=submit]").click()
    page.wait_for_url(
        lambda url: (
            urlsplit(url).path.startswith("/goals/") and not url.endswith("/new?example=walking")
        )
    )
    expect(page.locator(".steps")).to_be_visible()
    _audit(page, axe, found, "goal", chart=False)
    _open(page, base + "/goals")
    expect(page.locator(".goal-card")).to_have_count(1)
    _audit(page, axe, found, "goals page with a goal", chart=False)

    _open(page, base + "/measurements/week/start")
    page.locator("#start_day").fill(_day(2))
    _submit(page)
    page.wait_for_url(base + "/measurements/week")
    _open(page, base + "/measurements/week/readings?day=1&moment=morning")
    _fill(
        page,
        {"#systolic_1": "146", "#diastolic_1": "89", "#systolic_2": "142", "#diastolic_2": "87"},
    )
    _audit(page, axe, found, "measuring week readings form", chart=False)
    _submit(page)
    page.wait_for_url(lambda url: urlsplit(url).path == "/measurements/week")
    expect(page.locator(".mweek-table")).to_be_visible()
    _audit(page, axe, found, "measuring week", chart=False)


SCENARIOS = {
    "measurements-list": _measurements_list,
    "entry-forms": _entry_forms,
    "csv-import": _csv_import,
    "settings-goals-week": _settings_goals_week,
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_patient_pages_have_no_wcag_violations(
    lang: str, scenario: str, request: pytest.FixtureRequest, live_server: str, axe: Axe
) -> None:
    page: Page = request.getfixturevalue("page" if lang == "nl" else "english_page")
    register(
        page, live_server, f"a11y.{scenario}.{lang}@example.nl", "Fenna Kuipers", PASSWORD, lang
    )
    expect(page.locator("html")).to_have_attribute("lang", lang)
    found: dict[str, list[dict[str, object]]] = {}
    SCENARIOS[scenario](page, live_server, axe, found, lang)
    assert not found, "WCAG 2.2 A/AA violations found by axe-core:\n" + _report(found)


@pytest.fixture
def own_server(tmp_path: Any) -> Iterator[tuple[str, Any]]:
    """Its own live app, so the test can make a clinician with a second factor."""
    with serve(tmp_path) as served:
        yield served


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_pre_consult_summary_has_no_wcag_violations(
    lang: str, browser: Browser, own_server: tuple[str, Any], axe: Axe
) -> None:
    """The POH's summary of a patient who shares everything, with a year of readings full
    of alarms and hypos, goals and a question."""
    from pgd.crypto import totp
    from tests.browser.test_consult_browser import _share_everything
    from tests.browser.test_sharing_browser import PASSWORD as POH_PASSWORD
    from tests.browser.test_sharing_browser import _people

    url, app = own_server
    secret = _people(app)
    _share_everything(app)
    context = browser.new_context(
        locale="nl-NL" if lang == "nl" else "en-GB", timezone_id="Europe/Amsterdam"
    )
    context.set_default_timeout(15_000)
    found: dict[str, list[dict[str, object]]] = {}
    try:
        page = context.new_page()
        page.goto(url + "/login")
        page.locator("#email").fill("poh@praktijk.nl")
        page.locator("#password").fill(POH_PASSWORD)
        _submit(page)
        page.wait_for_url(url + "/login/code")
        page.locator("input[name=code]").fill(totp.code_at_step(secret, totp.step_at()))
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_url(url + "/clinician")
        follow(page, page.get_by_role("link", name="Jansje Pietersma"))
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page.locator(".summary-top table")).to_be_visible()
        _audit(page, axe, found, "pre-consult summary", chart=False)
        # Asking for a measuring week: the same summary with the message that says so.
        page.locator(".mweek-panel form button[type=submit]").click()
        expect(page.locator(".notice[role=status]")).to_be_visible()
        expect(page.locator(".summary-top table")).to_be_visible()
        _audit(page, axe, found, "pre-consult summary after asking for a week", chart=False)
    finally:
        context.close()
    assert not found, "WCAG 2.2 A/AA violations found by axe-core:\n" + _report(found)
