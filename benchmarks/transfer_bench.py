"""Bytes a first visit to each chart page transfers, measured in Chromium (issue 10).

Goal: a chart page opened with an empty cache receives at most 1,000,000 bytes (1 MB,
decimal) in all: the page, its stylesheet, its scripts, everything it loads, response
headers included. Counted as Chromium counts "transferred" in DevTools: the CDP
Network.loadingFinished encodedDataLength of every response (compressed bytes on the
wire). Each chart page is opened once in a fresh browser context (logged in, empty cache);
then a second chart page in the same context shows what a return visit costs.

    .venv/bin/python benchmarks/transfer_bench.py               # a year of readings
    .venv/bin/python benchmarks/transfer_bench.py --days 1825   # five years
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import plotly
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

from pgd import create_app, db
from pgd.measurements import demo, settings
from pgd.measurements import services as measurements
from pgd.measurements.models import Source

GOAL = 1_000_000  # bytes
PASSWORD = "mijn hond loopt graag mee"
EMAIL = "transfer@example.nl"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGES = [
    "/charts/blood-pressure",
    "/charts/weight",
    "/charts/glucose?view=day",
    "/charts/glucose?view=moments",
    "/charts/glucose?view=range",
    "/charts/blood-pressure?period=all",  # the largest page: every reading in the island
]
FULL_BUNDLE = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=365, help="days of demo readings")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing: apt-get install chromium (never `playwright install`)")
    with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp), args.days) as base:
        ok = measure(base, args.days)
    sys.exit(0 if ok else 1)


@contextmanager
def serve(instance: Path, days: int) -> Iterator[str]:
    """The real app on a free port of 127.0.0.1, with one patient and demo readings."""
    url = f"sqlite:///{instance / 'pgd.sqlite3'}"
    db.upgrade(url)
    fast = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1}
    app = create_app({"INSTANCE_PATH": str(instance), "DATABASE_URL": url, **fast})
    from pgd.accounts import services as accounts

    with app.test_request_context():
        user = accounts.register_patient(EMAIL, PASSWORD, "Transfer Bench", None)
        # An own target too: its lines, labels and legend entries are on the chart.
        own = settings.Settings(height_cm=176, bp_target_systolic=135, bp_target_diastolic=85)
        settings.save(user, user.id, own)
        end = date.today()
        items = demo.generate(end - timedelta(days=days - 1), end, random.Random(10))
        measurements.add_many(user, user.id, items, Source.DEMO)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.extensions["pgd.engine"].dispose()


class Transfers:
    """Every response a page received, with the bytes Chromium counted for it."""

    def __init__(self, page: Page) -> None:
        self.urls: dict[str, str] = {}
        self.encodings: dict[str, str] = {}
        self.cached: set[str] = set()
        self.bytes: dict[str, int] = {}
        self.cdp = cdp = page.context.new_cdp_session(page)
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.requestServedFromCache", lambda e: self.cached.add(e["requestId"]))
        cdp.on("Network.loadingFinished", self._finished)
        cdp.send("Network.enable")

    def _response(self, event: dict[str, Any]) -> None:
        response = event["response"]
        self.urls[event["requestId"]] = response["url"]
        headers = {k.lower(): v for k, v in response.get("headers", {}).items()}
        self.encodings[event["requestId"]] = headers.get("content-encoding", "-")
        if response.get("fromDiskCache") or response.get("fromPrefetchCache"):
            self.cached.add(event["requestId"])

    def _finished(self, event: dict[str, Any]) -> None:
        self.bytes[event["requestId"]] = int(event["encodedDataLength"])

    def rows(self) -> list[tuple[str, int, str]]:
        return [
            (
                self.urls.get(rid, "?"),
                0 if rid in self.cached else size,
                "cache" if rid in self.cached else self.encodings.get(rid, "-"),
            )
            for rid, size in self.bytes.items()
        ]

    def total(self) -> int:
        return sum(size for _url, size, _how in self.rows())


def open_chart(page: Page, base: str, path: str) -> Transfers:
    transfers = Transfers(page)
    page.goto(base + path)
    page.locator(".chart[data-drawn=true] .main-svg").first.wait_for()
    page.wait_for_load_state("networkidle")
    transfers.cdp.detach()  # counts this page only
    return transfers


def _print_rows(transfers: Transfers, base: str) -> None:
    for url, size, how in transfers.rows():
        print(f"  {size:>10,}  {how:6}  {url.removeprefix(base)}")
    print(f"  {transfers.total():>10,}  total")


def logged_in_state(browser: Browser, base: str) -> Any:
    context = browser.new_context(locale="nl-NL", timezone_id="Europe/Amsterdam")
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("main").get_by_role("button").first.click()
    page.wait_for_url(base + "/home")
    state = context.storage_state()
    context.close()
    return state


def measure(base: str, days: int) -> bool:
    full = FULL_BUNDLE.stat().st_size
    print(f"{days} days of demo readings; goal: first visit to a chart page <= {GOAL:,} bytes")
    print(f"before: plotly.min.js alone (full bundle, sent uncompressed) was {full:,} bytes")
    worst = 0
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            state = logged_in_state(browser, base)
            for i, path in enumerate(PAGES):
                # Fresh context: its own empty cache, only the login cookie carried over.
                context = browser.new_context(
                    storage_state=state, locale="nl-NL", timezone_id="Europe/Amsterdam"
                )
                page = context.new_page()
                first = open_chart(page, base, path)
                worst = max(worst, first.total())
                if i == 0:
                    print(f"\nfirst visit to {path}, per resource (bytes received):")
                    _print_rows(first, base)
                    again = open_chart(page, base, PAGES[1])
                    print(f"then {PAGES[1]} in the same browser (a return visit):")
                    _print_rows(again, base)
                    print()
                print(f"first visit {path:32} {first.total():>10,} bytes")
                context.close()
        finally:
            browser.close()
    verdict = "meets" if worst <= GOAL else "MISSES"
    print(f"\nlargest first visit: {worst:,} bytes ({verdict} the goal of <= {GOAL:,})")
    print("reproduce: .venv/bin/python benchmarks/transfer_bench.py [--days 1825]")
    return worst <= GOAL


if __name__ == "__main__":
    main()
