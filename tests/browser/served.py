"""The app behind each address that tests/browser/conftest.py serves, so a test can read
the e-mail it sent. Its own module: pytest loads conftest.py under a second name
("conftest" and "tests.browser.conftest"), and both must see the same dictionary."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

SERVED: dict[str, Flask] = {}
