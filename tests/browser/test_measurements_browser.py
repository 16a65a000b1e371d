"""As a patient would: log a blood pressure reading and a day curve, see both charted."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, Request, expect

pytestmark = pytest.mark.browser

PASSWORD = "mijn fiets staat in de schuur"


@pytest.fixture
def english_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Amsterdam")
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _register(page: Page, base: str, email: str) -> None:
    page.goto(base + "/register")
    page.get_by_label("Your name", exact=True).fill("Gerrit Bakker")
    page.get_by_label("E-mail address", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again", exact=True).fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Create an account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Gerrit Bakker")


def test_log_blood_pressure_and_day_curve_and_see_charts(
    english_page: Page, live_server: str
) -> None:
    page = english_page
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    foreign: list[str] = []

    def on_request(request: Request) -> None:
        if not request.url.startswith(live_server) and not request.url.startswith("data:"):
            foreign.append(request.url)

    page.on("request", on_request)
    _register(page, live_server, "gerrit@example.nl")

    # Blood pressure, with a Dutch-style comma nowhere needed; time defaults to now.
    page.get_by_role("link", name="Add blood pressure").first.click()
    page.get_by_label("Upper value (systolic)").fill("146")
    page.get_by_label("Lower value (diastolic)").fill("92")
    page.get_by_label("Pulse (optional)").fill("71")
    page.get_by_role("main").get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/charts/blood-pressure"))
    expect(page.get_by_role("status").first).to_contain_text("Saved")
    chart = page.locator(".chart[data-drawn=true]")
    expect(chart).to_have_count(1)
    expect(chart.locator(".main-svg").first).to_be_visible()
    expect(page.locator("figcaption")).to_contain_text("above your target")
    page.get_by_text("Show the numbers as a table").click()
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
    expect(table).to_contain_text("6.4")
    expect(table).to_contain_text("9.9")

    # Time in range for the same readings.
    page.get_by_role("link", name="Time in range").click()
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
