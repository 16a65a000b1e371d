"""The home page says what the numbers mean: the colour follows the words, the target is
the NHG home target for the patient's age (or agreed, or the patient's own if stricter),
and an alarming latest reading is never shown as good."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from pgd.measurements import services, settings, targets
from pgd.measurements.values import BloodPressure, Glucose, Weight
from tests.conftest import agree_target, login, post_form


def _age(years: int) -> date:
    today = datetime.now(UTC).date()
    return date(today.year - years, 1, 1) if today.month > 1 else date(today.year - years - 1, 1, 1)


def _add(app: Flask, user: Any, values: list[Any], days_ago: float = 0.0) -> None:
    now = datetime.now(UTC)
    with app.test_request_context():
        for i, value in enumerate(values):
            when = now - timedelta(days=days_ago + i * 0.5, minutes=5)
            services.add(user, user.id, value, when)


def _card(body: str, kind: str) -> str:
    match = re.search(
        rf'<section class="card card-(\w+)" aria-labelledby="card-{kind}">(.*?)</section>',
        body,
        re.S,
    )
    assert match, kind
    return match.group(1) + " " + re.sub(r"\s+", " ", match.group(2))


def _home(client: FlaskClient, lang: str = "nl") -> str:
    return client.get("/home", headers={"Accept-Language": lang}).get_data(as_text=True)


def test_a_very_high_latest_reading_is_never_green_and_says_why(
    app: Flask, client: FlaskClient, create_patient: Callable[..., Any]
) -> None:
    user = create_patient(birth_date=_age(60))
    # Earlier readings average far lower; the latest is 190/115.
    _add(app, user, [BloodPressure(150, 90)] * 4, days_ago=1)
    _add(app, user, [BloodPressure(190, 115)])
    login(client, "patient@example.nl")
    card = _card(_home(client), "blood_pressure")
    assert card.startswith("alarm ")
    assert "Uw laatste meting was erg hoog." in card
    assert "190/115 is 180/110 of hoger." in card
    assert "Bel vandaag uw huisartsenpraktijk" in card
    assert "Streefwaarde: onder 135/85 (NHG-streefwaarde voor thuismeting)." in card
    english = _card(_home(client, "en"), "blood_pressure")
    assert "Your last reading was very high." in english
    assert 'href="https://www.thuisarts.nl/hoge-bloeddruk"' in english


def test_a_home_mean_of_137_86_is_high_for_a_60_year_old(
    app: Flask, client: FlaskClient, create_patient: Callable[..., Any]
) -> None:
    user = create_patient(birth_date=_age(60))
    _add(app, user, [BloodPressure(137, 86)] * 6)
    login(client, "patient@example.nl")
    card = _card(_home(client), "blood_pressure")
    assert card.startswith("attention ")
    assert "Uw gemiddelde bloeddruk thuis is te hoog." in card
    assert "Uw gemiddelde bloeddruk thuis was 137/86. Dat is hoger dan 135/85." in card
    assert "Meet nog een week en bespreek het met uw praktijkondersteuner." in card


def test_145_80_is_acceptable_for_a_75_year_old_but_not_for_a_69_year_old(
    app: Flask, client: FlaskClient, create_patient: Callable[..., Any]
) -> None:
    user = create_patient(birth_date=_age(75))
    _add(app, user, [BloodPressure(145, 80)] * 6)
    younger = create_patient(email="jonger@example.nl", birth_date=_age(69))
    _add(app, younger, [BloodPressure(145, 80)] * 6)
    login(client, "patient@example.nl")
    card = _card(_home(client), "blood_pressure")
    assert card.startswith("good ")
    assert "Uw gemiddelde bloeddruk thuis is goed." in card
    assert "NHG-streefwaarde voor thuismeting, 70 jaar en ouder" in card
    assert "onder 150/85" in card
    other = FlaskClient(app, app.response_class)
    login(other, "jonger@example.nl")
    assert _card(_home(other), "blood_pressure").startswith("attention ")


def test_a_looser_own_target_never_makes_a_high_mean_look_good(
    app: Flask, client: FlaskClient, create_patient: Callable[..., Any]
) -> None:
    user = create_patient(birth_date=_age(60))
    _add(app, user, [BloodPressure(150, 95)] * 6)
    login(client, "patient@example.nl")
    saved = post_form(
        client,
        "/settings",
        {
            "height": "",
            "bp_target_systolic": "160",
            "bp_target_diastolic": "100",
            "glucose_unit": "mmol",
        },
    )
    assert saved.status_code == 302
    card = _card(_home(client), "blood_pressure")
    assert card.startswith("attention ")
    assert "onder 135/85" in card
    page = client.get("/settings").get_data(as_text=True)
    assert "Uw eigen streefwaarde 160/100 is hoger dan 135/85" in page
    # A stricter own target is used, and named as the patient's own.
    post_form(
        client,
        "/settings",
        {
            "height": "",
            "bp_target_systolic": "130",
            "bp_target_diastolic": "80",
            "glucose_unit": "mmol",
        },
    )
    assert "onder 130/80 (zelf ingesteld)" in _card(_home(client), "blood_pressure")
    # Half a target is a clear error, and nothing is saved.
    half = post_form(
        client,
        "/settings",
        {"bp_target_systolic": "130", "bp_target_diastolic": "", "glucose_unit": "mmol"},
    )
    assert half.status_code == 200
    assert "Vul beide getallen van uw eigen streefwaarde in" in half.get_data(as_text=True)
    with app.test_request_context():
        assert settings.get(user, user.id).bp_target == (130, 80)


def test_an_agreed_target_is_named_with_who_and_when(
    app: Flask, client: FlaskClient, create_patient: Callable[..., Any]
) -> None:
    user = create_patient(birth_date=_age(82))
    _add(app, user, [BloodPressure(145, 80)] * 6)
    agree_target(app, user, (140, 90), date(2026, 3, 12))
    with app.test_request_context():
        assert targets.resolve(user, user.id).blood_pressure.pair == (140, 90)
    login(client, "patient@example.nl")
    card = _card(_home(client), "blood_pressure")
    assert "onder 140/90 (afgesproken met A. de Vries (POH) op 12 maart 2026)" in card
    assert card.startswith("attention ")  # 145 is not below the agreed 140


def test_glucose_hypo_leads_the_card_and_weight_with_bmi(
    app: Flask, client: FlaskClient, create_patient: Callable[..., Any]
) -> None:
    user = create_patient()
    _add(app, user, [Glucose(6.0, "fasting")] * 5, days_ago=1)
    _add(app, user, [Glucose(2.9, "before_lunch")])
    _add(app, user, [Weight(92.0)])
    login(client, "patient@example.nl")
    post_form(client, "/settings", {"height": "175", "glucose_unit": "mmol"})
    body = _home(client)
    glucose = _card(body, "glucose")
    assert glucose.startswith("alarm ")
    assert "Uw bloedsuiker was te laag (een hypo)." in glucose
    assert "2,9 mmol/L is onder 4" in glucose
    assert "1 meting was onder 4 (een hypo)." in glucose
    weight = _card(body, "weight")
    assert "Uw BMI is 30,0: obesitas (ernstig overgewicht)." in weight
    assert weight.startswith("attention ")


def test_the_list_marks_hypos_and_alarming_readings_in_words(
    app: Flask, client: FlaskClient, create_patient: Callable[..., Any]
) -> None:
    user = create_patient(birth_date=_age(60))
    _add(app, user, [BloodPressure(190, 115), BloodPressure(120, 80), BloodPressure(140, 80)])
    _add(app, user, [Glucose(3.5, "fasting"), Glucose(6.0, "fasting"), Glucose(16.0, "other")])
    login(client, "patient@example.nl")
    body = client.get("/measurements", headers={"Accept-Language": "nl"}).get_data(as_text=True)
    rows = re.findall(r'<td class="value"[^>]*>(.*?)</td>', body, re.S)
    text = {re.sub(r"<[^>]+>|\s+", " ", r).split(" mm")[0].strip(): r for r in rows}
    assert 'mark-alarm">' in text["190/115"]
    assert "erg hoog (180/110 of hoger)" in text["190/115"]
    assert "mark-attention" in text["140/80"]  # not below 135/85
    assert "mark" not in text["120/80"]
    assert "hypo (onder 4)" in text["3,5"]
    assert "mark-alarm" in text["3,5"]
    assert "erg hoog (boven 15)" in text["16,0"]
    assert "mark" not in text["6,0"]
