"""Dutch by default, English on request; every user-facing string is translated."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import login, post_form

ROOT = Path(__file__).resolve().parent.parent
NL_PO = ROOT / "pgd" / "translations" / "nl" / "LC_MESSAGES" / "messages.po"


def _lang(body: str) -> str:
    match = re.search(r'<html lang="([a-z]+)"', body)
    assert match
    return match.group(1)


def test_dutch_is_the_default(client: FlaskClient) -> None:
    body = client.get("/login").get_data(as_text=True)
    assert _lang(body) == "nl"
    assert "Inloggen" in body
    assert "E-mailadres" in body


def test_browser_language_is_followed(client: FlaskClient) -> None:
    body = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(
        as_text=True
    )
    assert _lang(body) == "en"
    assert "Log in" in body
    other = client.get("/login", headers={"Accept-Language": "de-DE"}).get_data(as_text=True)
    assert _lang(other) == "nl"  # a language we do not offer: the default


def test_switch_overrides_the_browser_and_sticks_to_the_account(
    app: Flask, create_patient: Any
) -> None:
    create_patient()
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "nl-NL"
    login(client, "patient@example.nl")
    assert "Welkom" in client.get("/home").get_data(as_text=True)
    response = post_form(client, "/language", {"lang": "en", "next": "/home"}, form_url="/home")
    assert response.status_code == 302
    assert response.headers["Location"] == "/home"
    assert "Welcome" in client.get("/home").get_data(as_text=True)
    # Another device, with a Dutch browser: the account remembers English.
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "nl-NL"
    login(other, "patient@example.nl")
    assert _lang(other.get("/home").get_data(as_text=True)) == "en"


def test_switch_rejects_unknown_language_and_foreign_next(client: FlaskClient) -> None:
    response = post_form(client, "/language", {"lang": "xx", "next": "//evil.example/"})
    assert response.headers["Location"] == "/"
    assert _lang(client.get("/login").get_data(as_text=True)) == "nl"
    assert client.post("/language", data={"lang": "en"}).status_code == 400  # no CSRF token


def test_form_errors_are_in_the_chosen_language(client: FlaskClient) -> None:
    body = post_form(client, "/register", {"email": "x"}).get_data(as_text=True)
    assert "Vul uw naam in." in body
    assert "Fill in your name" not in body


def test_dutch_catalogue_is_complete_and_current(tmp_path: Path) -> None:
    """Extract the strings from the code now: each must have a Dutch translation."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    wanted = {m.id for m in read_po(pot.open("rb")) if m.id}
    catalogue = read_po(NL_PO.open("rb"))
    translated = {m.id: m.string for m in catalogue if m.id}
    missing = sorted(str(i) for i in wanted if not translated.get(i))
    assert missing == [], f"untranslated (run `make messages`, then translate): {missing}"
    placeholder = re.compile(r"%\(\w+\)[sd]")
    for msgid, msgstr in translated.items():
        assert sorted(placeholder.findall(str(msgid))) == sorted(
            placeholder.findall(str(msgstr))
        ), msgid
        assert not any("fuzzy" in m.flags for m in catalogue if m.id == msgid), msgid


def test_one_request_switches_language_when_told(app: Flask) -> None:
    """The translations are kept per request (pgd.extensions): a switch of locale within
    the request (an e-mail in the recipient's language, force_locale) still switches the
    strings of Python code and of templates, and switches back after it."""
    from flask import render_template_string
    from flask_babel import force_locale, gettext, refresh

    english = "Your password has been changed. You are logged out everywhere else."
    dutch = "Uw wachtwoord is veranderd. Op alle andere apparaten bent u nu uitgelogd."
    template = "{{ _('Your password has been changed. You are logged out everywhere else.') }}"
    with app.test_request_context(headers={"Accept-Language": "nl"}):
        assert gettext(english) == dutch
        assert render_template_string(template) == dutch
        with force_locale("en"):
            assert gettext(english) == english
            assert render_template_string(template) == english
        assert gettext(english) == dutch
        assert render_template_string(template) == dutch
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert gettext(english) == english  # nothing kept from the request before
        refresh()
        assert render_template_string(template) == english
