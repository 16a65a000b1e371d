"""As a patient would: a walking goal from an example, a check-in, and a weight goal
whose line shows in the weight chart."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Watch, confirm_from_mail, follow, register

pytestmark = pytest.mark.browser

PASSWORD = "mijn fiets staat in de schuur"


def _register(page: Page, base: str, email: str) -> None:
    register(page, base, email, "Wim Visser", PASSWORD, "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Wim Visser")


def test_walking_goal_check_in_and_weight_goal_line(english_page: Page, live_server: str) -> None:
    page = english_page
    watch = Watch(page, live_server)
    problems, foreign = watch.problems, watch.foreign
    _register(page, live_server, "wim@example.nl")

    # A walking goal from the ready-made example, changed a little before saving.
    # Each link click waits for the page it opens: the form without an example has the
    # same fields, so filling in too early would fill the page that is being left.
    follow(
        page, page.get_by_role("navigation", name="Main menu").get_by_role("link", name="My goals")
    )
    follow(page, page.get_by_role("link", name="Walking"))
    goal_text = page.get_by_label("My goal, in my own words")
    expect(goal_text).to_have_value("Walk 30 minutes, 5 times a week")
    # the form shows only the fields for this kind of goal
    expect(page.get_by_label("Target value")).to_be_hidden()
    goal_text.fill("Walk 30 minutes with the dog, 5 times a week")
    page.get_by_role("button", name="Save goal").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Walk 30 minutes with the dog, 5 times a week"
    )
    expect(page.get_by_role("status").first).to_contain_text("Your goal has been saved")
    expect(page.locator(".steps")).to_contain_text("Buy good walking shoes")

    # Check in on the overview with one tap; the week count goes from 0 to 1.
    follow(page, page.get_by_role("link", name="All my goals"))
    card = page.locator(".goal-card", has_text="with the dog")
    expect(card.locator(".week-count")).to_have_text("This week: 0 of 5")
    card.get_by_role("button", name="Done today").click()
    card = page.locator(".goal-card", has_text="with the dog")
    expect(card.locator(".week-count")).to_have_text("This week: 1 of 5")
    expect(card).to_contain_text("Checked in for today")
    expect(card.get_by_role("img")).to_have_attribute("aria-label", re.compile(r", 1\. Target: 5"))

    # A weight reading, then a weight goal from the example with its own target.
    page.goto(live_server + "/measurements/weight/new")
    page.get_by_label("Weight in kg").fill("92,4")
    page.get_by_role("main").get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/charts/weight"))
    page.goto(live_server + "/goals/new")
    follow(page, page.get_by_role("link", name="Weight"))
    page.get_by_label("Target value").fill("86,5")
    page.get_by_role("button", name="Save goal").click()
    expect(page.locator(".figures")).to_contain_text("92.4 kg")
    assert "/charts/weight" in follow(page, page.get_by_role("link", name="See the chart"))
    chart = page.locator(".chart[data-drawn=true]")
    expect(chart).to_have_count(1)
    expect(chart).to_contain_text("goal 86.5 kg")  # on the line or in the legend
    expect(page.locator("figcaption")).to_contain_text("Goal: 86.5 kg.")

    assert foreign == []
    assert problems == []


def test_check_in_for_another_day_on_a_phone_without_javascript(
    browser: Browser, live_server: str
) -> None:
    """Walk-through: an empty date said "already checked in", in a banner at the top, with
    the section closed and the typed date gone. Now: the message next to the field, the
    section open and in view, what was typed kept; the hint names the days that can."""
    from datetime import date, timedelta

    context = browser.new_context(
        locale="nl-NL",
        timezone_id="Europe/Amsterdam",
        viewport={"width": 390, "height": 844},
        java_script_enabled=False,
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(live_server + "/register")
        page.get_by_label("Uw naam", exact=True).fill("Truus Smit")
        page.get_by_label("E-mailadres", exact=True).fill("truus@example.nl")
        page.get_by_label("Wachtwoord", exact=True).fill(PASSWORD)
        page.get_by_label("Wachtwoord nog een keer", exact=True).fill(PASSWORD)
        page.get_by_role("main").get_by_role("button", name="Account aanmaken").click()
        expect(page).to_have_url(live_server + "/register/sent")
        confirm_from_mail(page, live_server, "truus@example.nl", PASSWORD, "nl")
        expect(page).to_have_url(live_server + "/home")

        # From the example the goal starts today: no other day is offered, and it says so.
        page.goto(live_server + "/goals/new?example=walking")
        page.get_by_role("button", name="Doel opslaan").click()
        expect(page.get_by_text("Uw doel begint vandaag.")).to_be_visible()
        expect(page.get_by_text("Een andere dag afvinken")).to_have_count(0)
        goal_page = page.url.split("#", 1)[0]

        # Started three days ago (the Netherlands' date, as the server counts).
        follow(page, page.get_by_role("link", name="Startdatum veranderen"))
        today = date.fromisoformat(_amsterdam_today())
        start, yesterday = today - timedelta(days=3), today - timedelta(days=1)
        page.get_by_label("Startdatum").fill(start.strftime("%d-%m-%Y"))
        page.get_by_role("button", name="Doel opslaan").click()
        page.wait_for_url(lambda url: url.split("#", 1)[0] == goal_page)  # saved: the goal again

        page.get_by_text("Een andere dag afvinken").click()
        day = page.get_by_label("Dag", exact=True)
        expect(page.locator("#day-hint")).to_have_text(
            f"Dag-maand-jaar, bijvoorbeeld {yesterday:%d-%m-%Y} (gisteren). "
            f"U kunt een dag kiezen vanaf {start:%d-%m-%Y} tot en met vandaag."
        )
        page.get_by_role("button", name="Afvinken", exact=True).click()
        expect(page.locator("#day-error")).to_have_text("Vul de datum in.")
        expect(day).to_be_visible()  # the section is still open
        expect(day).to_be_in_viewport()  # and the page shows it, not the top
        expect(page.locator(".notice-error")).to_have_count(0)

        day.fill("1-1-2020")
        page.get_by_role("button", name="Afvinken", exact=True).click()
        expect(page.locator("#day-error")).to_have_text(
            f"Deze dag ligt voor de start van uw doel. U kunt afvinken vanaf {start:%d-%m-%Y}."
        )
        expect(day).to_have_value("1-1-2020")

        day.fill(yesterday.strftime("%d-%m-%Y"))
        page.get_by_role("button", name="Afvinken", exact=True).click()
        expect(page.get_by_role("status").first).to_have_text(
            f"Afgevinkt voor {yesterday:%d-%m-%Y}."
        )
        expect(page.get_by_role("status").first).to_be_in_viewport()
    finally:
        context.close()


def _amsterdam_today() -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Europe/Amsterdam")).date().isoformat()
