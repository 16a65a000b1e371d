"""Every chart draws with the partial plotly.js bundle, fetched gzipped once and then cached."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Watch, serve

pytestmark = pytest.mark.browser

EMAIL = "grafiek@example.nl"
PASSWORD = "de zon schijnt op het dak"
PAGES = [
    "/charts/blood-pressure",
    "/charts/weight",
    "/charts/glucose?view=day",
    "/charts/glucose?view=modal",
    "/charts/glucose?view=range",
]
PLOTLY = re.compile(r"/assets/plotly-basic\.[0-9a-f]{12}\.js$")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A patient with four months of readings and an own blood pressure target."""
    with serve(tmp_path_factory.mktemp("chart-assets")) as (url, app):
        from pgd.accounts import services as accounts
        from pgd.measurements import demo, settings
        from pgd.measurements import services as measurements
        from pgd.measurements.models import Source

        with app.test_request_context():
            user = accounts.register_patient(EMAIL, PASSWORD, "Grietje Graaf", None)
            own = settings.Settings(height_cm=170, bp_target_systolic=135, bp_target_diastolic=85)
            settings.save(user, user.id, own)
            end = date.today()
            items = demo.generate(end - timedelta(days=120), end, random.Random(7))
            measurements.add_many(user, user.id, items, Source.DEMO)
        yield url


@pytest.fixture
def chart_page(browser: Browser, seeded: str) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Amsterdam")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(seeded + "/login")
    page.locator("input[name=email]").fill(EMAIL)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page).to_have_url(seeded + "/home")
    try:
        yield page
    finally:
        context.close()


class Network:
    """What Chromium fetched: from the server (and how it was encoded) or from its cache."""

    def __init__(self, page: Page) -> None:
        self.responses: dict[str, tuple[str, str]] = {}  # request id: (url, content-encoding)
        self.from_cache: set[str] = set()
        cdp = page.context.new_cdp_session(page)
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.requestServedFromCache", lambda e: self.from_cache.add(e["requestId"]))
        cdp.send("Network.enable")

    def _response(self, event: dict[str, Any]) -> None:
        response = event["response"]
        headers = {k.lower(): v for k, v in response["headers"].items()}
        self.responses[event["requestId"]] = (response["url"], headers.get("content-encoding", ""))
        if response.get("fromDiskCache"):
            self.from_cache.add(event["requestId"])

    def fetched(self, pattern: re.Pattern[str]) -> list[str]:
        """Content-encodings of the responses the server sent for matching URLs."""
        return [
            enc
            for rid, (url, enc) in self.responses.items()
            if pattern.search(url) and rid not in self.from_cache
        ]

    def cached(self, pattern: re.Pattern[str]) -> int:
        return sum(
            1
            for rid, (url, _enc) in self.responses.items()
            if pattern.search(url) and rid in self.from_cache
        )


def _legend_entries(figure: dict[str, Any]) -> int:
    traces = [t for t in figure["data"] if t.get("showlegend", True) is not False]
    shapes = [s for s in figure["layout"].get("shapes", []) if s.get("showlegend")]
    entries = len(traces) + len(shapes)
    shown = figure["layout"].get("showlegend", entries > 1)  # plotly's default
    return entries if shown else 0


def test_every_chart_draws_with_the_partial_bundle(chart_page: Page, seeded: str) -> None:
    page = chart_page
    watch = Watch(page, seeded)
    network = Network(page)
    drawn_shape_labels: list[str] = []
    for path in PAGES:
        page.goto(seeded + path)
        chart = page.locator(".chart[data-drawn=true]")
        expect(chart.locator(".main-svg").first).to_be_visible()
        figure = json.loads(page.locator("#chart-data").text_content() or "{}")
        # Legend entries of traces and of shapes (target lines, the target range).
        expect(chart.locator(".legend .traces")).to_have_count(_legend_entries(figure))
        for shape in figure["layout"].get("shapes", []):
            if shape.get("label", {}).get("text"):
                label = shape["label"]["text"]
                expect(chart.locator(".shapelayer text", has_text=label)).to_have_count(1)
                drawn_shape_labels.append(label)
    assert drawn_shape_labels, "no chart had a labelled shape: the check above proved nothing"

    # Unified hover on the blood pressure chart: one box naming both values.
    page.goto(seeded + PAGES[0])
    plot = page.locator(".chart[data-drawn=true] .nsewdrag").first
    box = plot.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.8, box["y"] + box["height"] / 2)
    expect(page.locator(".chart .hoverlayer .legend")).to_contain_text("Systolic")

    # Fetched once, gzipped; every later chart page took it from the browser's cache.
    assert network.fetched(PLOTLY) == ["gzip"]
    assert network.cached(PLOTLY) == len(PAGES)
    assert watch.foreign == [], f"requests to other hosts: {watch.foreign}"
    assert watch.problems == [], f"console errors: {watch.problems}"


def test_plotly_bundle_is_the_vendored_basic_one(chart_page: Page, seeded: str) -> None:
    page = chart_page
    page.goto(seeded + PAGES[1])
    expect(page.locator(".chart[data-drawn=true] .main-svg").first).to_be_visible()
    vendored = Path(__file__).resolve().parents[2] / "static" / "vendor" / "plotly-basic.min.js"
    version = re.search(r"v(\d+\.\d+\.\d+)", vendored.read_text(encoding="utf-8")[:200])
    assert version
    assert page.evaluate("() => window.Plotly.version") == version.group(1)
    # Only the trace types the bundle was chosen for: a full bundle would also know these.
    assert page.evaluate("() => Object.keys(window.Plotly.PlotSchema.get().traces).sort()") == [
        "bar",
        "pie",
        "scatter",
    ]
