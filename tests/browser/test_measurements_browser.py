"""As a patient would: log a blood pressure reading and a day curve, see both charted."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Watch, follow, register

pytestmark = pytest.mark.browser

PASSWORD = "mijn fiets staat in de schuur"


def _register(page: Page, base: str, email: str) -> None:
    register(page, base, email, "Gerrit Bakker", PASSWORD, "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Gerrit Bakker")


def test_log_blood_pressure_and_day_curve_and_see_charts(
    english_page: Page, live_server: str
) -> None:
    page = english_page
    watch = Watch(page, live_server)
    problems, foreign = watch.problems, watch.foreign
    _register(page, live_server, "gerrit@example.nl")

    # Blood pressure, with a Dutch-style comma nowhere needed; time defaults to now.
    follow(page, page.get_by_role("link", name="Add blood pressure").first)
    page.get_by_label("Upper value (systolic)").fill("146")
    page.get_by_label("Lower value (diastolic)").fill("92")
    page.get_by_label("Pulse (optional)").fill("71")
    page.get_by_role("main").get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/charts/blood-pressure"))
    expect(page.get_by_role("status").first).to_contain_text("Saved")
    chart = page.locator(".chart[data-drawn=true]")
    expect(chart).to_have_count(1)
    expect(chart.locator(".main-svg").first).to_be_visible()
    expect(page.locator("figcaption")).to_contain_text("above the target")
    # Dragging across the chart does not zoom away from the period the text describes.
    shown = "n => n._fullLayout.xaxis.range.join(' ')"
    before = chart.evaluate(shown)
    box = chart.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.6, steps=5)
    page.mouse.up()
    assert chart.evaluate(shown) == before
    page.get_by_text("Show the numbers as a table").click()
    expect(page.locator(".chart-table table")).to_be_visible()  # hidden until opened
    expect(page.locator(".chart-table table")).to_contain_text("146")

    # A day curve of yesterday: three of the seven moments, one with a comma.
    yesterday = datetime.now(ZoneInfo("Europe/Amsterdam")) - timedelta(days=1)
    page.goto(live_server + "/measurements/day-curve/new")
    page.get_by_label("Date of the day curve").fill(yesterday.strftime("%d-%m-%Y"))
    page.get_by_label("Fasting / before breakfast", exact=True).fill("6,4")
    page.get_by_label("After lunch", exact=True).fill("9,9")
    page.get_by_label("At bedtime", exact=True).fill("7,1")
    page.get_by_role("button", name="Save day curve").click()
    expect(page).to_have_url(re.compile(r"/charts/glucose"))
    expect(page.get_by_role("status").first).to_contain_text("3 readings")
    expect(page.locator(".chart[data-drawn=true] .main-svg").first).to_be_visible()
    page.get_by_text("Show the numbers as a table").click()
    table = page.locator(".chart-table table")
    expect(table).to_be_visible()
    expect(table).to_contain_text("6.4")
    expect(table).to_contain_text("9.9")

    # Time in range for the same readings (the day curves' caption counts them too:
    # wait for the other view's page before reading it).
    follow(page, page.locator("nav.tabs a[href*='view=range']"))  # its label may change
    expect(page.locator("figcaption")).to_contain_text("3 readings")

    assert foreign == [], f"requests to other hosts: {foreign}"
    assert problems == [], f"console errors: {problems}"


def test_bad_value_is_explained_next_to_the_field(english_page: Page, live_server: str) -> None:
    page = english_page
    _register(page, live_server, "bad.value@example.nl")
    page.goto(live_server + "/measurements/blood-pressure/new")
    page.get_by_label("Upper value (systolic)").fill("80")
    page.get_by_label("Lower value (diastolic)").fill("120")
    page.get_by_role("main").get_by_role("button", name="Save").click()
    field_error = page.locator("#diastolic-error")
    expect(field_error).to_contain_text("must be below the upper value")
    expect(page.get_by_label("Upper value (systolic)")).to_have_value("80")  # nothing lost


def test_import_csv_with_one_bad_row_reports_it_and_saves_nothing(
    english_page: Page, live_server: str, tmp_path: Path
) -> None:
    page = english_page
    _register(page, live_server, "csv.import@example.nl")
    csv_file = tmp_path / "metingen.csv"
    # Dutch Excel style: semicolons, decimal commas; line 3 holds an impossible systolic value.
    csv_file.write_text(
        "type;date;time;systolic;diastolic;weight_kg\n"
        "blood_pressure;02-03-2026;08:15;142;88;\n"
        "blood_pressure;02-03-2026;20:40;420;90;\n"
        "weight;03-03-2026;07:30;;;82,5\n",
        encoding="utf-8",
    )
    page.goto(live_server + "/measurements/import")
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Check the file").click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("1 row in metingen.csv has a problem")
    expect(alert).to_contain_text("Nothing has been saved")
    problems = page.get_by_role("table", name="Problems in your file")
    row = problems.get_by_role("row").filter(has_text="300")
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell").first).to_have_text("3")  # the line number in the file

    # Nothing was imported: the list is still empty.
    page.goto(live_server + "/measurements")
    expect(page.get_by_role("main")).not_to_contain_text("142")

    # Fixed file: the preview shows the counts, then everything is saved at once.
    csv_file.write_text(
        csv_file.read_text(encoding="utf-8").replace(";420;", ";142;").replace("20:40", "20:45"),
        encoding="utf-8",
    )
    page.goto(live_server + "/measurements/import")
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("main")).to_contain_text("holds 3 correct measurements")
    page.get_by_role("button", name="Save 3 measurements").click()
    expect(page.get_by_role("status").first).to_contain_text("Imported 3 measurements")


# --- on a phone (390x844), in Dutch ------------------------------------------------------

PHONE = {"width": 390, "height": 844}
# "15 nov", or "nov 2026" on an axis over months (the chart shows the whole period).
DUTCH_DAY_MONTH = re.compile(r"^(\d{1,2} )?(jan|feb|mrt|apr|mei|jun|jul|aug|sep|okt|nov|dec)")


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="nl-NL", timezone_id="Europe/Amsterdam", viewport=PHONE)
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _register_dutch(page: Page, base: str, email: str) -> None:
    register(page, base, email, "Truus de Wit", PASSWORD, "nl")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welkom, Truus de Wit")


def _fits(page: Page) -> None:
    """Nothing makes the page scroll sideways."""
    width, screen = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= screen, f"{page.url} is {width} px wide on a {screen} px screen"


def _chart_ticks(page: Page) -> list[dict[str, object]]:
    """The x axis labels of the drawn chart: text, box and whether they are turned."""
    result: list[dict[str, object]] = page.evaluate(
        """() => Array.from(document.querySelectorAll('.chart .xtick text')).map(t => {
            const r = t.getBoundingClientRect();
            return {text: t.textContent, left: r.left, right: r.right, top: r.top,
                    turned: /rotate\\((?!0[,)])/.test(t.getAttribute('transform') || '')};
        })"""
    )
    return result


def test_measurements_fit_a_phone_screen(phone: Page, live_server: str, tmp_path: Path) -> None:
    page = phone
    _register_dutch(page, live_server, "truus.phone@example.nl")
    now = datetime.now(ZoneInfo("Europe/Amsterdam"))

    # Three blood pressure readings over three weeks, with pulse and a note.
    for days, (upper, lower) in ((20, (146, 92)), (10, (138, 86)), (1, (151, 94))):
        when = now - timedelta(days=days)
        page.goto(live_server + "/measurements/blood-pressure/new")
        _fits(page)
        page.fill("#systolic", str(upper))
        page.fill("#diastolic", str(lower))
        page.fill("#pulse", "72")
        page.fill("#date", when.strftime("%d-%m-%Y"))
        page.fill("#time", "08:15")
        page.fill("#note", "Gemeten na het ontbijt, linkerarm, rustig gezeten")
        page.get_by_role("main").get_by_role("button", name="Opslaan").click()
        expect(page).to_have_url(re.compile(r"/charts/blood-pressure"))

    # The list: no sideways scrolling, "Wijzigen" and "Verwijderen" on screen.
    page.goto(live_server + "/measurements")
    _fits(page)
    for name in ("Wijzigen", "Verwijderen"):
        link = page.get_by_role("link", name=re.compile(f"^{name}")).first
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= PHONE["width"]

    # The chart: no toolbar, no title cut off inside it, level Dutch dates ("15 nov").
    page.goto(live_server + "/charts/blood-pressure")
    expect(page.locator(".chart[data-drawn=true] .main-svg").first).to_be_visible()
    _fits(page)
    expect(page.locator(".modebar")).to_have_count(0)
    expect(page.locator(".chart .gtitle")).to_have_count(0)
    # No birth date: the home threshold for everyone (DESIGN.md: 135/85 at home).
    expect(page.locator(".chart .legend")).to_contain_text("streefwaarde bovendruk 135")
    ticks = _chart_ticks(page)
    assert ticks
    assert all(DUTCH_DAY_MONTH.match(str(t["text"])) for t in ticks), ticks
    assert not any(t["turned"] for t in ticks), ticks
    # The table of numbers scrolls inside its own box, not the page.
    page.get_by_text("Toon de getallen in een tabel").click()
    expect(page.locator(".chart-table table")).to_be_visible()  # hidden until opened
    expect(page.locator(".chart-table table")).to_contain_text("151")
    _fits(page)
    box = page.locator(".chart-table .scroll-box")
    assert box.evaluate("e => getComputedStyle(e).overflowX") == "auto"

    # The day curve form: time fields show all of "22:30".
    page.goto(live_server + "/measurements/day-curve/new")
    _fits(page)
    times = page.locator("table.day-curve .input-time")
    expect(times).to_have_count(7)
    expect(times.last).to_have_value("22:30")
    for i in range(7):
        clock = times.nth(i)
        width, content = clock.evaluate("e => [e.clientWidth, e.scrollWidth]")
        assert content <= width, f"time field {i} cuts its text off ({content} > {width})"
        assert width >= 60

    # A day curve of yesterday, charted: hour labels level, below the legend, not cut off.
    yesterday = now - timedelta(days=1)
    page.get_by_label("Datum van de dagcurve").fill(yesterday.strftime("%d-%m-%Y"))
    page.get_by_label("Nuchter / voor het ontbijt", exact=True).fill("6,4")
    page.get_by_label("Na de lunch", exact=True).fill("9,9")
    page.get_by_label("Voor het slapen", exact=True).fill("7,1")
    page.get_by_role("button", name="Dagcurve opslaan").click()
    expect(page).to_have_url(re.compile(r"/charts/glucose"))
    chart = page.locator(".chart[data-drawn=true]")
    expect(chart.locator(".main-svg").first).to_be_visible()
    assert chart.get_attribute("data-narrow") == "true"
    _fits(page)
    ticks = _chart_ticks(page)
    assert [t["text"] for t in ticks][:4] == ["00:00", "06:00", "12:00", "18:00"]
    assert not any(t["turned"] for t in ticks), ticks
    chart_box = chart.bounding_box()
    legend_box = page.locator(".chart .legend").bounding_box()
    assert chart_box is not None
    assert legend_box is not None
    for tick in ticks:
        assert float(str(tick["left"])) >= chart_box["x"] - 1, tick
        assert float(str(tick["right"])) <= chart_box["x"] + chart_box["width"] + 1, tick
        assert float(str(tick["top"])) >= legend_box["y"] + legend_box["height"], tick

    # Blood sugar by moment of the day, in plain words.
    # The day curves' chart is drawn too: wait for the new page before its chart.
    follow(page, page.get_by_role("link", name="Per moment van de dag"))
    expect(page.locator(".chart[data-drawn=true] .main-svg").first).to_be_visible()
    _fits(page)
    expect(page.locator(".chart .legend")).to_contain_text("middelste waarde")
    expect(page.locator("figcaption")).not_to_contain_text("ediaan")

    # The import page, with its table of problems: the page itself stays 390 px wide.
    csv_file = tmp_path / "metingen.csv"
    csv_file.write_text(
        "type;date;time;systolic;diastolic;weight_kg;glucose\n"
        "blood_pressure;02-03-2026;08:15;142;88;;\n"
        "glucose;02-03-2026;20:40;;;;45\n",
        encoding="utf-8",
    )
    page.goto(live_server + "/measurements/import")
    _fits(page)
    page.get_by_label("CSV-bestand").set_input_files(str(csv_file))
    page.get_by_role("button", name="Bestand controleren").click()
    expect(page.get_by_role("alert")).to_contain_text("metingen.csv")
    expect(page.get_by_role("table", name="Problemen in uw bestand")).to_contain_text(
        "0,5 tot en met 40"
    )
    _fits(page)
