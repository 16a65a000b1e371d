"""The page frame: the menu (a bar on wide screens, one "Menu" button on phones, both
without JavaScript), the skip link, and the error summary's wording."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from flask_wtf import FlaskForm
from wtforms import StringField

from tests.conftest import login, login_clinician

PATIENT_MAIN = ["/home", "/measurements", "/goals", "/sharing", "/sharing/who-looked", "/settings"]
PATIENT_ACCOUNT = [
    "/account/profile",
    "/account/password",
    "/account/second-factor",
    "/settings/api-keys",
]
CLINICIAN_MAIN = ["/clinician", "/clinician/share-code"]
CLINICIAN_ACCOUNT = ["/clinician/api-keys", "/clinician/account/password", "/account/second-factor"]


class _Header(HTMLParser):
    """Links per menu ("wide": the bar, "account": its "My account" group, "phone"),
    which one is marked as the current page, and the order of the first elements."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, set[str]]] = []
        self.links: dict[str, list[str]] = {"wide": [], "account": [], "phone": []}
        self.current: dict[str, list[str]] = {"wide": [], "account": [], "phone": []}
        self.summaries: dict[str, str] = {}
        self.logout_buttons = 0
        self.first_link: str | None = None
        self._summary: str | None = None

    def _inside(self, cls: str) -> bool:
        return any(cls in classes for _tag, classes in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = set((a.get("class") or "").split())
        if tag not in ("input", "br", "meta", "link", "img"):
            self.stack.append((tag, classes))
        if tag == "a" and self.first_link is None:
            self.first_link = a.get("href")
        if tag == "summary":
            self._summary = "phone" if self._inside("nav-phone") else "account"
            self.summaries[self._summary] = ""
        if tag == "form" and a.get("action") == "/logout":
            self.logout_buttons += 1
        if tag != "a":
            return
        href = str(a.get("href"))
        for menu, where in (("phone", "nav-phone"), ("account", "account-menu")):
            if self._inside(where):
                self.links[menu].append(href)
                if a.get("aria-current") == "page":
                    self.current[menu].append(href)
                return
        if self._inside("nav-wide"):
            self.links["wide"].append(href)
            if a.get("aria-current") == "page":
                self.current["wide"].append(href)

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            open_tag, _classes = self.stack.pop()
            if open_tag == tag:
                break
        if tag == "summary":
            self._summary = None

    def handle_data(self, data: str) -> None:
        if self._summary:
            self.summaries[self._summary] += data.strip()


def _header(client: FlaskClient, url: str) -> _Header:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    parsed = _Header()
    parsed.feed(response.get_data(as_text=True))
    return parsed


def _walk(client: FlaskClient, main: list[str], account: list[str]) -> None:
    """From every page in the menu, every other page in the menu answers 200, and each
    menu marks only the page itself as the current one."""
    everything = main + account
    for url in everything:
        h = _header(client, url)
        assert h.links["wide"] == main, url
        assert h.links["account"] == account, url
        assert h.links["phone"] == everything, url  # the phone menu holds all of them
        mark = "wide" if url in main else "account"
        assert h.current[mark] == [url], url
        assert h.current["phone"] == [url], url
        other = "account" if mark == "wide" else "wide"
        assert h.current[other] == [], url
        assert h.summaries == {"account": "Mijn account", "phone": "Menu"}, url
        assert h.logout_buttons == 2, url  # in the header (wide) and in the phone menu
        for href in h.links["phone"]:
            assert client.get(href).status_code == 200, (url, href)


def test_every_patient_page_reaches_every_menu_destination(app: Flask, create_patient: Any) -> None:
    create_patient()
    client = app.test_client()
    login(client, "patient@example.nl")
    _walk(client, PATIENT_MAIN, PATIENT_ACCOUNT)
    # A page outside the menu (a goal form) still has the whole menu, nothing current.
    h = _header(client, "/goals/new")
    assert h.links["phone"] == PATIENT_MAIN + PATIENT_ACCOUNT
    assert h.current["wide"] == ["/goals"]  # it belongs to "My goals"


def test_every_clinician_page_reaches_every_menu_destination(
    app: Flask, create_enrolled_clinician: Any
) -> None:
    clinician = create_enrolled_clinician()
    client = app.test_client()
    login_clinician(client, clinician)
    _walk(client, CLINICIAN_MAIN, CLINICIAN_ACCOUNT)


def test_skip_link_first_and_no_menu_before_logging_in(app: Flask, create_patient: Any) -> None:
    anonymous = _header(app.test_client(), "/login")
    assert anonymous.first_link == "#main"
    assert anonymous.links == {"wide": [], "account": [], "phone": []}
    create_patient()
    client = app.test_client()
    login(client, "patient@example.nl")
    h = _header(client, "/home")
    assert h.first_link == "#main"
    body = client.get("/home").get_data(as_text=True)
    assert '<main id="main"' in body
    # two navs named the same; the style sheet shows one of them (no JavaScript), and
    # before it has loaded (or without it) the phone menu is hidden: never both at once
    assert body.count('aria-label="Hoofdmenu"') == 2
    assert '<nav class="nav-phone" aria-label="Hoofdmenu" hidden>' in body
    assert "<script" not in body


def test_the_style_sheet_shows_the_phone_menu_only_on_narrow_screens(client: FlaskClient) -> None:
    css = client.get("/static/css/pgd.css").get_data(as_text=True)
    section = css[css.index("/* navigation and goals (walk-through fixes) */") :]
    assert ".nav-phone { display: none; }" in section
    narrow = section[section.index("@media (max-width: 40em)") :]
    assert ".nav-wide, .logout-wide { display: none; }" in narrow
    assert ".nav-phone { display: block; }" in narrow


class _Questions(FlaskForm):
    day = StringField("Dag")
    see = StringField("Wat mag uw zorgverlener zien?")
    note = StringField("Let op:")


def test_error_summary_puts_a_colon_only_where_the_label_has_no_mark(app: Flask) -> None:
    """Walk-through: "zien?:" in the summary at the top of a form."""
    with app.test_request_context("/"):
        form = _Questions(meta={"csrf": False})
        form.day.errors = ["Vul de datum in."]
        form.see.errors = ["Kies wat uw zorgverlener mag zien."]
        form.note.errors = ["Te lang."]
        template = app.jinja_env.from_string(
            '{% from "_forms.html" import error_summary %}{{ error_summary(form) }}'
        )
        html = template.render(form=form)
    assert '<a href="#day">Dag: Vul de datum in.</a>' in html
    assert (
        '<a href="#see">Wat mag uw zorgverlener zien? Kies wat uw zorgverlener mag zien.</a>'
        in html
    )
    assert '<a href="#note">Let op: Te lang.</a>' in html
    assert "?:" not in html
    assert "::" not in html
