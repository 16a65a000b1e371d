"""Chart scripts and the stylesheet: partial plotly.js at a hashed URL, gzipped, kept a year."""

from __future__ import annotations

import gzip
import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import plotly.offline
import pytest
from flask import Flask
from flask.testing import FlaskClient

from pgd import assets
from tests.conftest import login

VENDORED = Path(__file__).resolve().parent.parent / "static" / "vendor" / "plotly-basic.min.js"
GZIP = {"Accept-Encoding": "gzip, deflate, br"}
YEAR = 31_536_000
BUDGET = 1_000_000  # issue 10: a first visit to a chart page, all bytes


def _plotly_url() -> str:
    digest = hashlib.sha256(VENDORED.read_bytes()).hexdigest()[:12]
    return f"/assets/plotly-basic.{digest}.js"


@pytest.fixture
def patient_client(client: FlaskClient, create_patient: Callable[..., Any]) -> FlaskClient:
    create_patient()
    login(client, "patient@example.nl")
    return client


def test_chart_page_loads_the_hashed_partial_bundle(patient_client: FlaskClient) -> None:
    html = patient_client.get("/charts/blood-pressure").get_data(as_text=True)
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert scripts[0] == _plotly_url()
    assert re.fullmatch(r"/assets/charts\.[0-9a-f]{12}\.js", scripts[1])
    assert re.search(r'<link rel="stylesheet" href="/assets/pgd\.[0-9a-f]{12}\.css">', html)
    assert "plotly.min.js" not in html


def test_gzip_when_accepted(client: FlaskClient) -> None:
    response = client.get(_plotly_url(), headers=GZIP)
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Content-Type"].startswith("text/javascript")
    assert int(response.headers["Content-Length"]) == len(response.data)
    assert gzip.decompress(response.data) == VENDORED.read_bytes()
    assert len(response.data) < VENDORED.stat().st_size // 2
    assert "Accept-Encoding" in response.headers["Vary"]
    cache = response.cache_control
    assert cache.public
    assert cache.immutable
    assert cache.max_age == YEAR


@pytest.mark.parametrize("accept", [None, "identity", "gzip;q=0, deflate"])
def test_identity_when_gzip_is_not_accepted(client: FlaskClient, accept: str | None) -> None:
    headers = {"Accept-Encoding": accept} if accept else {}
    response = client.get(_plotly_url(), headers=headers)
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert response.data == VENDORED.read_bytes()
    assert int(response.headers["Content-Length"]) == VENDORED.stat().st_size
    assert "Accept-Encoding" in response.headers["Vary"]
    assert response.cache_control.immutable


def test_each_encoding_has_its_own_etag_and_revalidates(client: FlaskClient) -> None:
    zipped = client.get(_plotly_url(), headers=GZIP)
    plain = client.get(_plotly_url())
    assert zipped.headers["ETag"] != plain.headers["ETag"]
    again = client.get(_plotly_url(), headers={**GZIP, "If-None-Match": zipped.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""


@pytest.mark.parametrize(
    "url",
    [
        "/assets/plotly-basic.000000000000.js",
        "/assets/plotly-basic.min.js",
        "/assets/plotly.min.js",  # the old full bundle's address is gone
        "/assets/pgd.css",
    ],
)
def test_unknown_or_old_names_are_not_found(client: FlaskClient, url: str) -> None:
    assert client.get(url, headers=GZIP).status_code == 404


def test_logged_in_visitor_gets_a_cacheable_response_without_cookie(
    patient_client: FlaskClient,
) -> None:
    """The app says no-store to logged-in users; a hashed public asset stays cacheable."""
    page = patient_client.get("/charts/weight")
    assert page.headers["Cache-Control"] == "no-store"
    response = patient_client.get(_plotly_url(), headers=GZIP)
    assert response.cache_control.immutable
    assert response.cache_control.max_age == YEAR
    assert "no-store" not in response.headers["Cache-Control"]
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")


def test_first_chart_visit_fits_the_budget(patient_client: FlaskClient) -> None:
    """The page and everything it links, as sent to a browser that accepts gzip."""
    html = patient_client.get("/charts/blood-pressure", headers=GZIP)
    linked = re.findall(r'(?:src|href)="(/assets/[^"]+)"', html.get_data(as_text=True))
    assert len(linked) == 3  # stylesheet, plotly.js, charts.js
    sizes = [len(patient_client.get(url, headers=GZIP).data) for url in linked]
    assert len(html.data) + sum(sizes) < BUDGET // 2


def test_a_changed_file_gets_a_new_name(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "probe.js"
    script.write_text("console.log(1);\n")
    monkeypatch.setitem(assets.FILES, "probe", script)
    monkeypatch.setattr(assets, "_built", {})
    client = app.test_client()
    with app.test_request_context():
        old = assets.asset_url("probe")
    assert client.get(old).data == b"console.log(1);\n"
    script.write_text("console.log(22);\n")  # another size: a new stamp even on coarse clocks
    with app.test_request_context():
        new = assets.asset_url("probe")
    assert new != old
    assert client.get(new).data == b"console.log(22);\n"
    assert client.get(old).status_code == 404


def test_vendored_bundle_is_the_basic_one_for_this_plotly() -> None:
    """Figures are made by the python plotly; draw them with the same plotly.js major."""
    head = VENDORED.read_text(encoding="utf-8")[:200]
    found = re.search(r"plotly\.js \(basic - minified\) v(\d+)\.(\d+)\.(\d+)", head)
    assert found, "static/vendor/plotly-basic.min.js is not plotly.js-basic-dist-min"
    wanted = plotly.offline.get_plotlyjs_version().split(".")[0]
    assert found.group(1) == wanted, "run `make vendor-plotly` after upgrading plotly"
    assert VENDORED.stat().st_size < 2_000_000  # the full bundle is ~4.8 MB
