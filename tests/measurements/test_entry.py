"""Entering, listing, editing and deleting own measurements through the web forms."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pgd.measurements.validation import LOCAL
from tests.conftest import count_rows, login, post_form


@pytest.fixture
def patient(app: Flask, create_patient: Any) -> FlaskClient:
    create_patient()
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(client, "patient@example.nl")
    return client


def _when(delta: timedelta = timedelta(hours=-1)) -> dict[str, str]:
    moment = datetime.now(LOCAL) + delta
    return {"date": moment.strftime("%d-%m-%Y"), "time": moment.strftime("%H:%M")}


BP_OK = {"systolic": "135", "diastolic": "85", "pulse": "72", "arm": "left", "note": ""}


def _errors(body: str, field: str) -> str:
    match = re.search(rf'id="{field}-error">(.*?)</ul>', body, re.S)
    return match.group(1) if match else ""


def test_blood_pressure_saved_and_listed(patient: FlaskClient, app: Flask) -> None:
    response = post_form(patient, "/measurements/blood-pressure/new", {**BP_OK, **_when()})
    assert response.status_code == 302
    assert response.headers["Location"] == "/charts/blood-pressure"
    body = patient.get("/measurements").get_data(as_text=True)
    assert "135/85 mmHg" in body
    assert count_rows(app, "measurements") == 1


BAD_BP = [
    ({"systolic": "59"}, "systolic", "Allowed: 60 to 300 mmHg"),
    ({"systolic": "301"}, "systolic", "Allowed: 60 to 300 mmHg"),
    ({"diastolic": "29"}, "diastolic", "Allowed: 30 to 200 mmHg"),
    ({"diastolic": "201", "systolic": "250"}, "diastolic", "Allowed: 30 to 200 mmHg"),
    ({"diastolic": "140", "systolic": "130"}, "diastolic", "must be below the upper value"),
    ({"pulse": "24"}, "pulse", "Allowed: 25 to 250"),
    ({"pulse": "251"}, "pulse", "Allowed: 25 to 250"),
    ({"systolic": "abc"}, "systolic", "whole number"),
    ({"systolic": "135,5"}, "systolic", "whole number"),
    ({"systolic": ""}, "systolic", "Fill in this value"),
    ({"arm": "both"}, "arm", "left arm, right arm"),
    ({"note": "x" * 501}, "note", "at most 500"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_BP)
def test_blood_pressure_bad_input(
    patient: FlaskClient, app: Flask, change: dict[str, str], field: str, message: str
) -> None:
    response = post_form(
        patient, "/measurements/blood-pressure/new", {**BP_OK, **_when(), **change}
    )
    assert response.status_code == 200
    assert message in _errors(response.get_data(as_text=True), field)
    assert count_rows(app, "measurements") == 0


def test_time_more_than_ten_minutes_ahead_is_refused(patient: FlaskClient, app: Flask) -> None:
    ahead = post_form(
        patient, "/measurements/blood-pressure/new", {**BP_OK, **_when(timedelta(minutes=30))}
    )
    assert "in the future" in _errors(ahead.get_data(as_text=True), "date")
    assert count_rows(app, "measurements") == 0
    slightly = post_form(
        patient, "/measurements/blood-pressure/new", {**BP_OK, **_when(timedelta(minutes=5))}
    )
    assert slightly.status_code == 302  # clocks differ a little: forgiven


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"date": "31-02-2026"}, "date", "day-month-year"),
        ({"time": "25:00"}, "time", "hours:minutes"),
        ({"date": ""}, "date", "Fill in the date"),
    ],
)
def test_bad_date_or_time(
    patient: FlaskClient, app: Flask, change: dict[str, str], field: str, message: str
) -> None:
    response = post_form(
        patient, "/measurements/blood-pressure/new", {**BP_OK, **_when(), **change}
    )
    assert message in _errors(response.get_data(as_text=True), field)
    assert count_rows(app, "measurements") == 0


def test_empty_form_reports_every_missing_field(patient: FlaskClient, app: Flask) -> None:
    response = post_form(
        patient,
        "/measurements/blood-pressure/new",
        {"systolic": "", "diastolic": "", "date": "", "time": ""},
    )
    body = response.get_data(as_text=True)
    for field in ("systolic", "diastolic", "date", "time"):
        assert _errors(body, field), field
    assert count_rows(app, "measurements") == 0


def test_alarming_blood_pressure_is_saved_with_advice(patient: FlaskClient, app: Flask) -> None:
    response = post_form(
        patient,
        "/measurements/blood-pressure/new",
        {**BP_OK, "systolic": "187", "diastolic": "113", **_when()},
        follow_redirects=True,
    )
    body = response.get_data(as_text=True)
    assert "Your last reading was very high." in body
    assert "Call your GP practice today" in body
    assert count_rows(app, "measurements") == 1


@pytest.mark.parametrize(
    ("raw", "expected"), [("82,5", "82.5 kg"), ("82.5", "82.5 kg"), (" 90 ", "90.0 kg")]
)
def test_weight_accepts_comma_and_point(patient: FlaskClient, raw: str, expected: str) -> None:
    response = post_form(patient, "/measurements/weight/new", {"weight": raw, **_when()})
    assert response.status_code == 302
    assert expected in patient.get("/measurements").get_data(as_text=True)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("19,9", "Allowed: 20 to 400 kg"),
        ("401", "Allowed: 20 to 400 kg"),
        ("1.234,5", "Fill in a number"),
    ],
)
def test_weight_bad_input(patient: FlaskClient, app: Flask, raw: str, message: str) -> None:
    response = post_form(patient, "/measurements/weight/new", {"weight": raw, **_when()})
    assert message in _errors(response.get_data(as_text=True), "weight")
    assert count_rows(app, "measurements") == 0


def test_glucose_mgdl_is_converted(patient: FlaskClient) -> None:
    response = post_form(
        patient,
        "/measurements/glucose/new",
        {"glucose": "133", "unit": "mg", "moment": "fasting", **_when()},
    )
    assert response.status_code == 302
    assert "7.4 mmol/L" in patient.get("/measurements").get_data(as_text=True)  # 133 / 18.016


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"glucose": "0,4"}, "Allowed: 0.5 to 40 mmol/L"),
        ({"glucose": "40,1"}, "Allowed: 0.5 to 40"),
        ({"glucose": "800", "unit": "mg"}, "Allowed: 9 to 721 mg/dL"),
        ({"glucose": "zeven"}, "number"),
    ],
)
def test_glucose_bad_input(
    patient: FlaskClient, app: Flask, data: dict[str, str], message: str
) -> None:
    form = {"unit": "mmol", "moment": "other", **_when(), **data}
    response = post_form(patient, "/measurements/glucose/new", form)
    assert message in _errors(response.get_data(as_text=True), "glucose")
    assert count_rows(app, "measurements") == 0


@pytest.mark.parametrize(("value", "advice"), [("3,2", "hypo"), ("16", "Contact your GP practice")])
def test_alarming_glucose_gets_advice(
    patient: FlaskClient, app: Flask, value: str, advice: str
) -> None:
    body = post_form(
        patient,
        "/measurements/glucose/new",
        {"glucose": value, "unit": "mmol", "moment": "other", **_when()},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert advice in body
    assert count_rows(app, "measurements") == 1


def _day_curve(**values: str) -> dict[str, str]:
    data = {"date": (datetime.now(LOCAL) - timedelta(days=1)).strftime("%d-%m-%Y"), "unit": "mmol"}
    defaults = {
        "before_breakfast": "07:30",
        "after_breakfast": "09:30",
        "before_lunch": "12:00",
        "after_lunch": "14:00",
        "before_dinner": "17:30",
        "after_dinner": "19:30",
        "bedtime": "22:30",
    }
    for slot, clock in defaults.items():
        data[f"time_{slot}"] = clock
        data[f"value_{slot}"] = values.get(slot, "")
    return data


def test_day_curve_saves_the_filled_slots(patient: FlaskClient, app: Flask) -> None:
    response = post_form(
        patient,
        "/measurements/day-curve/new",
        _day_curve(before_breakfast="6,1", after_lunch="9,8", bedtime="7,0"),
    )
    assert response.status_code == 302
    assert count_rows(app, "measurements") == 3
    body = patient.get("/measurements?kind=glucose").get_data(as_text=True)
    assert "after lunch" in body


def test_day_curve_with_one_bad_slot_saves_nothing(patient: FlaskClient, app: Flask) -> None:
    response = post_form(
        patient, "/measurements/day-curve/new", _day_curve(before_breakfast="6,1", after_lunch="99")
    )
    assert response.status_code == 200
    assert "Allowed: 0.5 to 40" in _errors(response.get_data(as_text=True), "value_after_lunch")
    assert count_rows(app, "measurements") == 0


def test_empty_day_curve_says_what_to_do(patient: FlaskClient, app: Flask) -> None:
    response = post_form(patient, "/measurements/day-curve/new", _day_curve())
    assert "at least one blood sugar value" in response.get_data(as_text=True)
    assert count_rows(app, "measurements") == 0


def _first_id(client: FlaskClient) -> str:
    match = re.search(
        r"/measurements/([0-9a-f-]{36})/edit", client.get("/measurements").get_data(as_text=True)
    )
    assert match
    return match.group(1)


def test_edit_and_delete_with_confirmation(patient: FlaskClient, app: Flask) -> None:
    post_form(patient, "/measurements/blood-pressure/new", {**BP_OK, **_when()})
    reading_id = _first_id(patient)
    edit_url = f"/measurements/{reading_id}/edit"
    assert 'value="135"' in patient.get(edit_url).get_data(as_text=True)
    response = post_form(patient, edit_url, {**BP_OK, "systolic": "128", **_when()})
    assert response.status_code == 302
    assert "128/85 mmHg" in patient.get("/measurements").get_data(as_text=True)
    bad = post_form(patient, edit_url, {**BP_OK, "systolic": "999", **_when()})
    assert bad.status_code == 200
    assert "128/85 mmHg" in patient.get("/measurements").get_data(as_text=True)
    delete_url = f"/measurements/{reading_id}/delete"
    confirm = patient.get(delete_url)
    assert "cannot undo" in confirm.get_data(as_text=True)
    assert count_rows(app, "measurements") == 1  # asking is not deleting
    assert post_form(patient, delete_url, {}).status_code == 302
    assert count_rows(app, "measurements") == 0


def test_other_patients_measurement_is_404(
    app: Flask, create_patient: Any, patient: FlaskClient
) -> None:
    post_form(patient, "/measurements/blood-pressure/new", {**BP_OK, **_when()})
    reading_id = _first_id(patient)
    create_patient(email="other@example.nl", name="Other")
    other = app.test_client()
    login(other, "other@example.nl")
    for url in (f"/measurements/{reading_id}/edit", f"/measurements/{reading_id}/delete"):
        assert other.get(url).status_code == 404
    token_page = other.get("/measurements").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', token_page)
    assert token
    assert (
        other.post(
            f"/measurements/{reading_id}/delete", data={"csrf_token": token.group(1)}
        ).status_code
        == 404
    )
    assert count_rows(app, "measurements") == 1
    assert "135/85" not in other.get("/measurements").get_data(as_text=True)


def test_list_filters_and_pages(patient: FlaskClient, app: Flask, create_patient: Any) -> None:
    from pgd.accounts.models import User
    from pgd.measurements import services
    from pgd.measurements.models import Source
    from pgd.measurements.values import BloodPressure, Weight

    with app.test_request_context():
        from pgd import db

        user = db.session().query(User).one()
        now = datetime.now(UTC)
        items = [(BloodPressure(120 + i % 30, 80), now - timedelta(days=i), "") for i in range(60)]
        items += [
            (Weight(80.0 + i / 10), now - timedelta(days=7 * i, hours=1), "") for i in range(5)
        ]
        services.add_many(user, user.id, items, Source.WEB)
    first = patient.get("/measurements?kind=blood_pressure&period=all").get_data(as_text=True)
    assert "60 measurements" in first
    assert "kg" not in first.split("<tbody>")[1]
    cursor = re.search(r"after=([0-9a-f_]+)", first)
    assert cursor
    second = patient.get(f"/measurements?kind=blood_pressure&period=all&after={cursor.group(1)}")
    rows_first = first.count('class="value"')
    rows_second = second.get_data(as_text=True).count('class="value"')
    assert (rows_first, rows_second) == (25, 25)
    # The second page continues where the first stopped: no reading on both.
    ids = re.compile(r"/measurements/([0-9a-f-]{36})/edit")
    on_first = set(ids.findall(first))
    on_second = set(ids.findall(second.get_data(as_text=True)))
    assert len(on_first) == len(on_second) == 25
    assert not on_first & on_second
    two_weeks = patient.get("/measurements?kind=blood_pressure&period=2w").get_data(as_text=True)
    assert "14 measurements" in two_weeks or "15 measurements" in two_weeks
    weights = patient.get("/measurements?kind=weight").get_data(as_text=True)
    assert "5 measurements" in weights
    assert patient.get("/measurements?kind=nonsense&period=xx&after=garbage").status_code == 200


def test_settings_validation_and_bmi(patient: FlaskClient, app: Flask) -> None:
    bad = post_form(
        patient,
        "/settings",
        {
            "height": "17",
            "bp_target_systolic": "140",
            "bp_target_diastolic": "90",
            "glucose_unit": "mmol",
        },
    )
    assert "Allowed: 100 to 250 cm" in _errors(bad.get_data(as_text=True), "height")
    ok = post_form(
        patient,
        "/settings",
        {
            "height": "172",
            "bp_target_systolic": "130",
            "bp_target_diastolic": "80",
            "glucose_unit": "mg",
        },
    )
    assert ok.status_code == 302
    post_form(patient, "/measurements/weight/new", {"weight": "82", **_when()})
    home = patient.get("/home").get_data(as_text=True)
    assert "Your BMI is 27.7" in home
    form = patient.get("/measurements/glucose/new").get_data(as_text=True)
    assert re.search(r'value="mg"[^>]*checked|checked[^>]*value="mg"', form)


def test_dashboard_plain_language(patient: FlaskClient) -> None:
    for i, (s, d) in enumerate([(150, 95), (135, 85), (145, 80)]):
        post_form(
            patient,
            "/measurements/blood-pressure/new",
            {**BP_OK, "systolic": str(s), "diastolic": str(d), **_when(timedelta(hours=-i - 1))},
        )
    home = patient.get("/home").get_data(as_text=True)
    # The mean of the home readings, against the NHG home target, with a next step.
    assert "Your average blood pressure at home is too high." in home
    assert "Your average blood pressure at home was 143/87. That is higher than 135/85." in home
    assert "This average rests on only 3 readings." in home
    assert "Measure for another week and discuss it with your practice nurse." in home
    assert "150/95 mmHg" in home  # the latest
    for i, mmol in enumerate(("6,5", "12,5")):
        post_form(
            patient,
            "/measurements/glucose/new",
            {
                "glucose": mmol,
                "unit": "mmol",
                "moment": "fasting",
                **_when(timedelta(hours=-i - 1)),
            },
        )
    home = patient.get("/home").get_data(as_text=True)
    # The range for the moment, in the reader's own numbers: a point in English, a comma
    # in Dutch; 12,5 fasting is above 4,5-8.
    assert "1 of your 2 readings (50%) were within the target for their moment" in home
    assert "between 4.5 and 8 mmol/L fasting and before a meal (NHG)" in home
    patient.environ_base["HTTP_ACCEPT_LANGUAGE"] = "nl"
    dutch = patient.get("/home").get_data(as_text=True)
    assert "1 van uw 2 metingen (50%) waren binnen het streefbereik" in dutch
    assert "tussen 4,5 en 8 mmol/L nuchter en voor de maaltijd (NHG)" in dutch


def test_local_times_follow_daylight_saving() -> None:
    import numpy as np

    from pgd.measurements.chart_routes import _local_times

    # 2026-03-29 00:30 UTC is 01:30 CET; 01:30 UTC is 03:30 CEST (the clock jumped).
    # 2026-10-25 00:30 UTC is 02:30 CEST; 01:30 UTC is 02:30 CET (the clock went back).
    utc = [
        "2026-03-29T00:30",
        "2026-03-29T01:30",
        "2026-10-25T00:30",
        "2026-10-25T01:30",
        "2026-07-01T12:00",
        "2026-01-01T12:00",
    ]
    epoch = np.array([np.datetime64(t, "s").astype(np.int64) for t in utc])
    local = [str(t) for t in _local_times(epoch)]
    assert local == [
        "2026-03-29T01:30:00",
        "2026-03-29T03:30:00",
        "2026-10-25T02:30:00",
        "2026-10-25T02:30:00",
        "2026-07-01T14:00:00",
        "2026-01-01T13:00:00",
    ]


def _summary_targets(body: str) -> list[str]:
    """The fields the error summary links to, in the order it lists them."""
    match = re.search(r'<div class="error-summary".*?</div>', body, re.S)
    assert match, "no error summary"
    return re.findall(r'href="#([\w-]+)"', match.group(0))


def test_error_summary_lists_problems_in_page_order(patient: FlaskClient) -> None:
    """Upper and lower value come first on the page, date and time below them."""
    empty = {"systolic": "", "diastolic": "", "pulse": "", "date": "", "time": "", "note": ""}
    body = post_form(patient, "/measurements/blood-pressure/new", empty).get_data(as_text=True)
    assert _summary_targets(body) == ["systolic", "diastolic", "date", "time"]
    body = post_form(
        patient, "/measurements/weight/new", {"weight": "", "date": "", "time": "x" * 3}
    ).get_data(as_text=True)
    assert _summary_targets(body) == ["weight", "date", "time"]


def test_day_curve_errors_follow_the_slots_in_page_order(patient: FlaskClient) -> None:
    data = _day_curve(before_breakfast="99", bedtime="0")
    data["time_after_lunch"] = "25:00"
    data["value_after_lunch"] = "7,0"
    data["note"] = "x" * 501
    body = post_form(patient, "/measurements/day-curve/new", data).get_data(as_text=True)
    assert _summary_targets(body) == [
        "value_before_breakfast",
        "time_after_lunch",
        "value_bedtime",
        "note",
    ]


def test_day_curve_time_later_today_is_an_error_on_that_slot(
    patient: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bedtime 22:30 filled in at 19:00: the bedtime's time is wrong, not the date."""
    from pgd.measurements import forms

    now = datetime(2026, 3, 14, 19, 0, tzinfo=LOCAL)
    monkeypatch.setattr(forms, "_now_local", lambda: now)
    data = _day_curve(before_breakfast="6,1", after_dinner="8,0", bedtime="7,0")
    data["date"] = "14-03-2026"
    data["time_after_dinner"] = "19:05"  # within the ten minutes a clock may differ
    body = post_form(patient, "/measurements/day-curve/new", data).get_data(as_text=True)
    error = _errors(body, "time_bedtime")
    assert "This time has not come yet. Fill in the time you measured." in error
    assert _errors(body, "date") == ""
    assert _errors(body, "time_after_dinner") == ""
    assert _summary_targets(body) == ["time_bedtime"]
    # The summary names the moment, so the patient knows which row to change.
    assert "At bedtime: This time has not come yet." in body
    assert 'aria-describedby="time_bedtime-error"' in body  # read out with the field
    assert count_rows(app, "measurements") == 0
    # Corrected to 18:30: saved, all three.
    data["time_bedtime"] = "18:30"
    assert post_form(patient, "/measurements/day-curve/new", data).status_code == 302
    assert count_rows(app, "measurements") == 3


def test_day_curve_on_a_future_date_is_an_error_on_the_date(
    patient: FlaskClient, app: Flask
) -> None:
    data = _day_curve(before_breakfast="6,1", bedtime="7,0")
    data["date"] = (datetime.now(LOCAL) + timedelta(days=2)).strftime("%d-%m-%Y")
    body = post_form(patient, "/measurements/day-curve/new", data).get_data(as_text=True)
    assert "This date is in the future." in _errors(body, "date")
    assert _summary_targets(body) == ["date"]
    assert count_rows(app, "measurements") == 0


def test_dutch_day_curve_error_names_the_moment(
    app: Flask, create_patient: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pgd.measurements import forms

    create_patient()
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "nl-NL"
    login(client, "patient@example.nl")
    monkeypatch.setattr(forms, "_now_local", lambda: datetime(2026, 3, 14, 19, 0, tzinfo=LOCAL))
    data = _day_curve(bedtime="7,0")
    data["date"] = "14-03-2026"
    body = post_form(client, "/measurements/day-curve/new", data).get_data(as_text=True)
    assert "Voor het slapen: Deze tijd is nog niet geweest." in body
    assert "Deze tijd is nog niet geweest." in _errors(body, "time_bedtime")


# --- the same reading twice: warned before anything is saved ---------------------------

_SAME_AS = re.compile(r'name="same_as" value="([^"]*)"')
_YESTERDAY_0815 = (datetime.now(LOCAL) - timedelta(days=1)).replace(hour=8, minute=15)
_AT_0815 = {"date": _YESTERDAY_0815.strftime("%d-%m-%Y"), "time": "08:15"}

SAME_READING = [
    ("/measurements/blood-pressure/new", BP_OK, "135/85 mmHg, pulse 72", 'value="135"'),
    ("/measurements/weight/new", {"weight": "83,1"}, "83.1 kg", 'value="83,1"'),
    (
        "/measurements/glucose/new",
        {"glucose": "6,8", "unit": "mmol", "moment": "fasting"},
        "6.8 mmol/L (fasting (on waking))",
        'value="6,8"',
    ),
]


@pytest.mark.parametrize(("url", "values", "shown", "kept"), SAME_READING)
def test_the_same_reading_twice_is_asked_before_saving(
    patient: FlaskClient, app: Flask, url: str, values: dict[str, str], shown: str, kept: str
) -> None:
    assert post_form(patient, url, {**values, **_AT_0815}).status_code == 302
    again = post_form(patient, url, {**values, **_AT_0815})
    body = again.get_data(as_text=True)
    assert again.status_code == 200
    day = f"{_YESTERDAY_0815.day} {_YESTERDAY_0815:%B %Y}"
    assert f"You already saved this measurement on {day} at 08:15: {shown}." in body
    assert "Save it again?" in body
    assert kept in body  # the values stay in the form
    assert count_rows(app, "measurements") == 1  # asking is not saving
    same_as = _SAME_AS.search(body)
    assert same_as
    confirmed = post_form(patient, url, {**values, **_AT_0815, "same_as": same_as.group(1)})
    assert confirmed.status_code == 302
    assert count_rows(app, "measurements") == 2


def test_a_reading_saved_with_seconds_is_the_same_minute_on_the_form(
    patient: FlaskClient, app: Flask
) -> None:
    """A meter or CSV reading at 08:15:42, typed again on the form as 08:15: the same."""
    from pgd.measurements import services
    from pgd.measurements.values import BloodPressure

    with app.test_request_context():
        from pgd.accounts.models import User
        from pgd.db import session

        user = session().query(User).filter_by(email="patient@example.nl").one()
        services.add(
            user, user.id, BloodPressure(135, 85, 72, "left"), _YESTERDAY_0815.replace(second=42)
        )
    again = post_form(patient, "/measurements/blood-pressure/new", {**BP_OK, **_AT_0815})
    assert again.status_code == 200
    assert "You already saved this measurement on" in again.get_data(as_text=True)
    assert count_rows(app, "measurements") == 1


def test_a_different_value_or_minute_is_not_a_duplicate(patient: FlaskClient, app: Flask) -> None:
    url = "/measurements/blood-pressure/new"
    assert post_form(patient, url, {**BP_OK, **_AT_0815}).status_code == 302
    assert post_form(patient, url, {**BP_OK, **_AT_0815, "systolic": "136"}).status_code == 302
    assert post_form(patient, url, {**BP_OK, **_AT_0815, "time": "08:16"}).status_code == 302
    assert count_rows(app, "measurements") == 3


def test_saving_anyway_counts_only_for_the_reading_that_was_shown(
    patient: FlaskClient, app: Flask
) -> None:
    url = "/measurements/blood-pressure/new"
    post_form(patient, url, {**BP_OK, **_AT_0815})
    stale = post_form(patient, url, {**BP_OK, **_AT_0815, "same_as": "not-that-one"})
    assert "Save it again?" in stale.get_data(as_text=True)
    assert count_rows(app, "measurements") == 1


def test_the_warning_in_dutch(app: Flask, create_patient: Any) -> None:
    create_patient()
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "nl-NL"
    login(client, "patient@example.nl")
    url = "/measurements/blood-pressure/new"
    values = {**BP_OK, "pulse": "", **_AT_0815}
    post_form(client, url, values)
    body = post_form(client, url, values).get_data(as_text=True)
    assert "U heeft deze meting al opgeslagen op " in body
    assert " om 08:15: 135/85 mmHg." in body
    assert "Nog een keer opslaan?" in body
    assert "Ja, nog een keer opslaan" in body
    assert count_rows(app, "measurements") == 1


def test_editing_warns_only_about_another_reading(patient: FlaskClient, app: Flask) -> None:
    url = "/measurements/blood-pressure/new"
    post_form(patient, url, {**BP_OK, **_AT_0815})
    post_form(patient, url, {**BP_OK, **_AT_0815, "time": "09:00"})
    listing = patient.get("/measurements").get_data(as_text=True)
    newest = re.search(r"/measurements/([0-9a-f-]{36})/edit", listing)  # the 09:00 reading
    assert newest
    edit_url = f"/measurements/{newest.group(1)}/edit"
    # A changed note only: the reading is not a duplicate of itself.
    kept = {**BP_OK, **_AT_0815, "time": "09:00", "note": "na het fietsen"}
    assert post_form(patient, edit_url, kept).status_code == 302
    # Moved onto the 08:15 reading: asked first, nothing changed until confirmed.
    moved = post_form(patient, edit_url, {**BP_OK, **_AT_0815})
    body = moved.get_data(as_text=True)
    assert "Save it again?" in body
    assert "09:00" in patient.get(edit_url).get_data(as_text=True)
    same_as = _SAME_AS.search(body)
    assert same_as
    assert (
        post_form(patient, edit_url, {**BP_OK, **_AT_0815, "same_as": same_as.group(1)}).status_code
        == 302
    )
    assert 'value="08:15"' in patient.get(edit_url).get_data(as_text=True)
    assert count_rows(app, "measurements") == 2


def test_day_curve_names_the_slots_already_saved(patient: FlaskClient, app: Flask) -> None:
    url = "/measurements/day-curve/new"
    first = _day_curve(before_breakfast="6,1", after_lunch="9,8")
    assert post_form(patient, url, first).status_code == 302
    assert count_rows(app, "measurements") == 2

    more = _day_curve(before_breakfast="6,1", after_lunch="9,8", bedtime="7,0")
    body = post_form(patient, url, more).get_data(as_text=True)
    assert "You already saved 2 of these readings:" in body
    warning = body[
        body.index('id="same-readings"') : body.index("</ul>", body.index('id="same-readings"'))
    ]
    assert "Fasting / before breakfast" in warning
    assert "6.1 mmol/L" in warning
    assert "After lunch" in warning
    assert "At bedtime" not in warning  # new, not a duplicate
    assert "Save the other 1 reading?" in body
    assert 'value="7,0"' in body  # the form keeps what was typed
    assert count_rows(app, "measurements") == 2

    same_as = _SAME_AS.search(body)
    assert same_as
    saved = post_form(patient, url, {**more, "same_as": same_as.group(1)})
    assert saved.status_code == 302
    assert count_rows(app, "measurements") == 3  # only bedtime was added

    again = post_form(patient, url, more).get_data(as_text=True)
    assert "You already saved 3 of these readings:" in again
    assert "There is nothing new to save." in again
    assert _SAME_AS.search(again) is None  # nothing to confirm
    assert count_rows(app, "measurements") == 3


# --- dates and times in digits only (a phone's number pad) ------------------------------

_DAY = datetime.now(LOCAL) - timedelta(days=2)


@pytest.mark.parametrize(
    ("date", "clock", "shown_date", "shown_time"),
    [
        (_DAY.strftime("%d%m%Y"), "0815", _DAY.strftime("%d-%m-%Y"), "08:15"),
        (_DAY.strftime("%d%m%Y"), "815", _DAY.strftime("%d-%m-%Y"), "08:15"),
        (_DAY.strftime("%d-%m-%Y"), "8", _DAY.strftime("%d-%m-%Y"), "08:00"),
        (_DAY.strftime("%d.%m.%Y"), "14.30", _DAY.strftime("%d-%m-%Y"), "14:30"),
        (_DAY.strftime("%Y-%m-%d"), "2359", _DAY.strftime("%d-%m-%Y"), "23:59"),
    ],
)
def test_dates_and_times_typed_as_digits(
    patient: FlaskClient, date: str, clock: str, shown_date: str, shown_time: str
) -> None:
    response = post_form(
        patient, "/measurements/weight/new", {"weight": "80", "date": date, "time": clock}
    )
    assert response.status_code == 302, _errors(response.get_data(as_text=True), "date")
    edit = patient.get(f"/measurements/{_first_id(patient)}/edit").get_data(as_text=True)
    assert f'value="{shown_date}"' in edit
    assert f'value="{shown_time}"' in edit


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"date": "31022026"}, "date", "day-month-year, for example 14-03-2026 or 14032026"),
        ({"date": "99"}, "date", "day-month-year"),
        ({"date": "2026031"}, "date", "day-month-year"),
        (
            {"date": "140326"},
            "date",
            "Did you mean 14-03-2026? Then write the year in full: 14032026.",
        ),
        ({"time": "2561"}, "time", "hours:minutes, for example 08:30 or 0830"),
        ({"time": "99"}, "time", "hours:minutes"),
        ({"time": "2400"}, "time", "hours:minutes"),
        ({"time": "08155"}, "time", "hours:minutes"),
    ],
)
def test_digits_that_are_no_date_or_time(
    patient: FlaskClient, app: Flask, change: dict[str, str], field: str, message: str
) -> None:
    response = post_form(
        patient, "/measurements/weight/new", {"weight": "80", **_AT_0815, **change}
    )
    assert message in _errors(response.get_data(as_text=True), field)
    assert count_rows(app, "measurements") == 0


def test_the_date_and_time_fields_say_digits_are_fine(patient: FlaskClient) -> None:
    for url in ("/measurements/weight/new", "/measurements/day-curve/new"):
        body = patient.get(url).get_data(as_text=True)
        assert "Day-month-year, for example 14-03-2026 or 14032026" in body
        assert re.search(r'<input[^>]*id="date"[^>]*inputmode="numeric"', body) or re.search(
            r'<input[^>]*inputmode="numeric"[^>]*id="date"', body
        )
    assert "Hours:minutes, for example 08:30 or 0830" in patient.get(
        "/measurements/weight/new"
    ).get_data(as_text=True)


def test_a_day_curve_entered_twice_is_asked_before_saving(patient: FlaskClient, app: Flask) -> None:
    """A day curve sent again with one more slot (typed in twice, then completed) names
    the readings saved before and asks; "yes" saves only the new slot, never a copy."""
    curve = _day_curve(before_breakfast="6,1", after_lunch="9,8")
    assert post_form(patient, "/measurements/day-curve/new", curve).status_code == 302
    assert count_rows(app, "measurements") == 2
    fuller = _day_curve(before_breakfast="6,1", after_lunch="9,8", bedtime="7,0")
    again = post_form(patient, "/measurements/day-curve/new", fuller)
    body = again.get_data(as_text=True)
    assert again.status_code == 200
    assert "You already saved 2 of these readings:" in body
    assert "Yes, save the other 1 reading" in body
    assert count_rows(app, "measurements") == 2  # asking is not saving
    same_as = _SAME_AS.search(body)
    assert same_as
    assert len(same_as.group(1).split()) == 2
    yes = post_form(patient, "/measurements/day-curve/new", {**fuller, "same_as": same_as.group(1)})
    assert yes.status_code == 302
    assert count_rows(app, "measurements") == 3


def test_a_day_curve_repeated_whole_saves_nothing(patient: FlaskClient, app: Flask) -> None:
    curve = _day_curve(before_breakfast="6,1", after_lunch="9,8")
    assert post_form(patient, "/measurements/day-curve/new", curve).status_code == 302
    again = post_form(patient, "/measurements/day-curve/new", curve)
    body = again.get_data(as_text=True)
    assert "You already saved 2 of these readings:" in body
    assert 'name="same_as"' not in body  # nothing new to save: no "save anyway"
    assert count_rows(app, "measurements") == 2
