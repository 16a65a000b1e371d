"""Helpers for the second-factor tests: English pages, the secret read off the page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

_SECRET = re.compile(r'<code[^>]* id="secret-key"[^>]*>([A-Z2-7 ]+)</code>')


@pytest.fixture
def english(app: Flask) -> Any:
    """A client that asks for English pages."""

    def make() -> FlaskClient:
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


def secret_on_page(html: str) -> str:
    """The key as the set-up page shows it for typing, without the spaces."""
    match = _SECRET.search(html)
    assert match, "the set-up page shows no key"
    return match.group(1).replace(" ", "")


def recovery_codes_on_page(html: str) -> list[str]:
    return re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", html)
