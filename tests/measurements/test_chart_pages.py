"""The patient's chart pages as rendered: every reading shown (one alone too), hypos and
alarming values marked in the chart and in words, the target named with its source, a
date axis over the whole period, and tables that say how many readings they hold."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from babel.dates import format_date
from flask import Flask
from flask.testing import FlaskClient

from pgd.measurements import services
from pgd.measurements.validation import LOCAL
from pgd.measurements.values import BloodPressure, Glucose, Weight
from tests.conftest import login, post_form


def _born(years: int) -> date:
    """A birth date that makes the patient `years` old today."""
    today = datetime.now(UTC).date()
    return date(today.year - years, 1, 1) if today.month > 1 else date(today.year - years - 1, 1, 1)


def _add(app: Flask, user: Any, values: list[Any], days_ago: float = 1.0) -> None:
    now = datetime.now(UTC)
    with app.test_request_context():
        for i, value in enumerate(values):
            services.add(user, user.id, value, now - timedelta(days=days_ago, minutes=5 + i))


def _page(client: FlaskClient, url: str, lang: str = "en") -> str:
    response = client.get(url, headers={"Accept-Language": lang})
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def _figure(body: str) -> dict[str, Any]:
    island = re.search(r'id="chart-data">(.*?)</script>', body, re.S)
    assert island, "no chart on the page"
    return json.loads(island.group(1))


def _caption(body: str) -> str:
    found = re.search(r"<figcaption>(.*?)</figcaption>", body, re.S)
    assert found
    return found.group(1).replace("&#39;", "'")


def _table_caption(body: str) -> str:
    found = re.search(r"<caption>(.*?)</caption>", body, re.S)
    assert found
    return found.group(1)


def _rows(body: str) -> list[list[str]]:
    table = re.search(r"<tbody>(.*?)</tbody>", body, re.S)
    assert table
    return [
        re.findall(r"<td>(.*?)</td>", row, re.S)
        for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)
    ]


def _names(figure: dict[str, Any]) -> list[str]:
    return [trace["name"] for trace in figure["data"]]


def _local_now() -> datetime:
    return datetime.now(UTC).astimezone(LOCAL).replace(tzinfo=None)


# --- one blood sugar of 2,9 ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "value", "hypo", "summary", "empty"),
    [
        (
            "nl",
            "2,9",
            "hypo (onder 4)",
            "1 meting was onder 4 (een hypo).",
            "Nog geen metingen in deze periode.",
        ),
        (
            "en",
            "2.9",
            "hypo (below 4)",
            "1 reading was below 4 (a hypo).",
            "No measurements in this period yet.",
        ),
    ],
)
def test_one_blood_sugar_of_2_9_is_charted_and_called_a_hypo(
    client: FlaskClient,
    create_patient: Callable[..., Any],
    lang: str,
    value: str,
    hypo: str,
    summary: str,
    empty: str,
) -> None:
    create_patient()
    login(client, "patient@example.nl")
    moment = datetime.now(LOCAL) - timedelta(minutes=10)
    saved = post_form(
        client,
        "/measurements/glucose/new",
        {
            "glucose": "2,9",
            "unit": "mmol",
            "moment": "before_lunch",
            "date": moment.strftime("%d-%m-%Y"),
            "time": moment.strftime("%H:%M"),
        },
        headers={"Accept-Language": lang},
    )
    assert saved.status_code == 302
    body = _page(client, saved.headers["Location"], lang)
    assert empty not in body
    # The day of the reading is offered and shown, though it holds a single reading.
    today = moment.date().isoformat()
    assert re.search(rf'name="day" value="{today}" checked', body)
    figure = _figure(body)
    # The day is named in the reader's language ("za 28 nov 2026", "Sat 28 Nov 2026").
    label = format_date(moment.date(), "EEE d MMM y", locale=lang)
    (day,) = [t for t in figure["data"] if t["name"] == label]
    assert day["y"] == [2.9]
    assert "markers" in day["mode"]
    # Below 3: marked as a serious hypo, in the chart and in words in the table.
    serious = (
        "zeer lage bloedsuiker (onder 3)" if lang == "nl" else "very low blood sugar (below 3)"
    )
    marked = [t for t in figure["data"] if t["name"] == serious]
    assert len(marked) == 1
    assert marked[0]["y"] == [2.9]
    (row,) = _rows(body)
    assert value in row
    assert serious in row
    assert summary in _caption(body)
    # The other tabs count it too.
    moments = _page(client, "/charts/glucose?view=moments", lang)
    assert empty not in moments
    assert serious in moments
    assert summary.rstrip(".") + ":" in _caption(moments)  # "...(a hypo): before lunch (1)."
    share = _page(client, "/charts/glucose?view=range", lang)
    assert [hypo, "1", "100%"] in _rows(share)


def test_the_day_picker_offers_every_day_with_a_reading_month_by_month(
    app: Flask, client: FlaskClient, create_patient: Callable[..., Any]
) -> None:
    user = create_patient()
    _add(app, user, [Glucose(6.1, "fasting")], days_ago=1)
    _add(app, user, [Glucose(5.5, "fasting"), Glucose(8.8, "after_lunch")], days_ago=3)
    _add(app, user, [Glucose(7.7, "bedtime")], days_ago=45)
    login(client, "patient@example.nl")
    body = _page(client, "/charts/glucose?view=day")
    recent = (_local_now() - timedelta(days=1, minutes=5)).date()
    old = (_local_now() - timedelta(days=45, minutes=5)).date()
    assert re.search(rf'name="day" value="{recent.isoformat()}" checked', body)
    assert "(1 reading)" in body
    assert "(2 readings)" in body
    # Every month with readings can be chosen; its days are listed then.
    month = old.strftime("%Y-%m")
    assert f'<option value="{month}"' in body
    older = _page(client, f"/charts/glucose?view=day&month={month}&day={old.isoformat()}")
    assert re.search(rf'name="day" value="{old.isoformat()}" checked', older)
    assert [r[3] for r in _rows(older)] == ["7.7"]
    assert _table_caption(older) == "The only reading on the chosen days"
    assert f'value="{recent.isoformat()}"' not in older  # only that month's days listed
    # A day without readings says so instead of showing nothing.
    none = _page(client, "/charts/glucose?view=day&day=2001-02-03")
    assert "No readings on 3 February 2001." in _caption(none)
    # At most 7 days are read from the address; a repeated day counts once.
    asked = "&".join(f"day=2001-02-0{d}" for d in (1, 1, 2, 3, 4, 5, 6, 7, 8, 9))
    many = _caption(_page(client, f"/charts/glucose?view=day&{asked}"))
    assert "1 February 2001" in many
    assert "7 February 2001" in many
    assert "8 February 2001" not in many


def test_blood_sugar_by_moment_of_the_day(
    app: Flask, client: FlaskClient, create_patient: Callable[..., Any]
) -> None:
    user = create_patient()
    _add(app, user, [Glucose(v, "fasting") for v in (5.0, 6.0)], days_ago=2)
    _add(app, user, [Glucose(v, "before_breakfast") for v in (7.0, 9.0)], days_ago=3)
    _add(app, user, [Glucose(v, "after_dinner") for v in (10.5, 8.5, 12.0)], days_ago=4)
    login(client, "patient@example.nl")
    # The old "average day" address opens the moments.
    body = _page(client, "/charts/glucose?view=modal")
    assert re.search(r'aria-current="page">By moment of the day<', body)
    assert "Average day" not in body
    rows = {row[0]: row for row in _rows(body)}
    assert rows["Fasting / before breakfast"][1:3] == ["4", "6.5"]
    assert rows["Fasting / before breakfast"][5] == "3 of 4"
    assert rows["After dinner"][1:3] == ["3", "10.5"]
    assert rows["After dinner"][-1] == "above the target"
    assert rows["After lunch"][1] == "0"
    assert _table_caption(body) == "All 7 readings, by moment of the day"
    assert "The middle value was above the target: after dinner (10.5)." in _caption(body)


def test_share_in_range_counts_each_reading_against_its_moment(
    app: Flask, client: FlaskClient, create_patient: Callable[..., Any]
) -> None:
    user = create_patient()
    values = [
        Glucose(4.5, "fasting"),  # in: 4.5 to 8 includes both ends
        Glucose(8.0, "before_dinner"),  # in
        Glucose(4.4, "fasting"),  # below the target (not a hypo)
        Glucose(8.9, "after_lunch"),  # in: under 9 after a meal
        Glucose(9.0, "after_lunch"),  # above
        Glucose(16.0, "night"),  # very high
    ]
    _add(app, user, values)
    login(client, "patient@example.nl")
    body = _page(client, "/charts/glucose?view=range")
    assert "Share of readings in range" in body
    assert re.search(r'aria-current="page">Share in range<', body)
    assert [row[:2] for row in _rows(body)] == [
        ["hypo (below 4)", "0"],
        ["below the target", "1"],
        ["within the target", "3"],
        ["above the target", "1"],
        ["very high (above 15)", "1"],
    ]
    assert "3 of the 6 readings (50%) were within the target" in _caption(body)
    nl = _page(client, "/charts/glucose?view=range", "nl")
    assert "3 van de 6 metingen (50%) waren binnen het streefbereik" in _caption(nl)
    assert "Deel van de metingen binnen het streefbereik" in nl


# --- blood pressure -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "target", "source"),
    [
        (60, "135/85", "NHG target for home measurement"),
        (75, "150/85", "NHG target for home measurement, 70 years and older"),
    ],
)
def test_blood_pressure_marks_alarming_readings_and_names_the_target(
    app: Flask,
    client: FlaskClient,
    create_patient: Callable[..., Any],
    age: int,
    target: str,
    source: str,
) -> None:
    user = create_patient(birth_date=_born(age))
    _add(app, user, [BloodPressure(140, 80)] * 5, days_ago=3)
    _add(app, user, [BloodPressure(190, 115)])
    login(client, "patient@example.nl")
    body = _page(client, "/charts/blood-pressure")
    figure = _figure(body)
    (alarm,) = [t for t in figure["data"] if t["name"] == "very high (180/110 or higher)"]
    assert alarm["y"] == [190.0]
    assert alarm["customdata"] == [[190.0, 115.0]]
    systolic = int(target.split("/")[0])
    lines = [s["name"] for s in figure["layout"]["shapes"] if s["type"] == "line"]
    assert lines == [f"target upper value {systolic}", "target lower value 85"]
    caption = _caption(body)
    assert f"Target: below {target} ({source})." in caption
    assert "1 reading was very high (180/110 or higher)." in caption
    rows = _rows(body)
    assert rows[0][1:3] == ["190", "115"]
    assert rows[0][-1] == "very high (180/110 or higher)"
    above = "at or above the target" if age < 70 else "below the target"
    assert rows[1][-1] == above  # 140/80: above 135/85, below 150/85
    assert _table_caption(body) == "All 6 readings"
    nl = _page(client, "/charts/blood-pressure", "nl")
    assert "erg hoog (180/110 of hoger)" in nl
    assert f"Streefwaarde: onder {target} (NHG-streefwaarde voor thuismeting" in _caption(nl)


def test_the_patients_own_stricter_target_is_named_as_their_own(
    app: Flask, client: FlaskClient, create_patient: Callable[..., Any]
) -> None:
    user = create_patient(birth_date=_born(50))
    _add(app, user, [BloodPressure(132, 80)] * 3)
    login(client, "patient@example.nl")
    post_form(
        client,
        "/settings",
        {"height": "", "bp_target_systolic": "130", "bp_target_diastolic": "80"},
    )
    caption = _caption(_page(client, "/charts/blood-pressure"))
    assert "Target: below 130/80 (set by yourself)." in caption


def test_one_reading_is_a_marker_on_a_date_axis_over_the_chosen_period(
    app: Flask, client: FlaskClient, create_patient: Callable[..., Any]
) -> None:
    user = create_patient()
    _add(app, user, [BloodPressure(142, 88)], days_ago=10)
    _add(app, user, [Weight(82.5)], days_ago=10)
    login(client, "patient@example.nl")
    now = _local_now()
    reading_day = (now - timedelta(days=10, minutes=5)).date()
    for url, span in [
        ("/charts/blood-pressure", 91),
        ("/charts/blood-pressure?period=2w", 14),
        ("/charts/weight?period=1y", 365),
    ]:
        figure = _figure(_page(client, url))
        xaxis = figure["layout"]["xaxis"]
        assert xaxis["type"] == "date"
        start, end = (np.datetime64(v) for v in xaxis["range"])
        period_start = datetime.now(UTC) - timedelta(days=span)  # in local time, DST and all
        expected_start = np.datetime64(period_start.astimezone(LOCAL).replace(tzinfo=None), "s")
        assert abs(start - expected_start) < np.timedelta64(120, "s"), url
        assert abs(end - np.datetime64(now, "s")) < np.timedelta64(120, "s"), url
        first = figure["data"][0]
        assert len(first["x"]) == 1
        assert first["x"][0].startswith(reading_day.isoformat())
        assert "markers" in first["mode"]
        assert figure["layout"]["dragmode"] is False
        assert xaxis["fixedrange"] is True
    # "All": from the first reading's day to now.
    figure = _figure(_page(client, "/charts/blood-pressure?period=all"))
    assert figure["layout"]["xaxis"]["range"][0] == f"{reading_day.isoformat()}T00:00:00"


def test_tables_say_how_many_of_how_many_readings_they_show(
    app: Flask, client: FlaskClient, create_patient: Callable[..., Any]
) -> None:
    user = create_patient()
    now = datetime.now(UTC)
    with app.test_request_context():
        services.add_many(
            user,
            user.id,
            [(BloodPressure(120, 80), now - timedelta(hours=i + 1), "") for i in range(62)],
            services.Source.WEB,
        )
    login(client, "patient@example.nl")
    body = _page(client, "/charts/blood-pressure")
    assert _table_caption(body) == "The latest 50 of 62 readings"
    assert len(_rows(body)) == 50
    nl = _page(client, "/charts/blood-pressure", "nl")
    assert _table_caption(nl) == "De laatste 50 van 62 metingen"


def test_weight_chart_bmi_in_words(
    app: Flask, client: FlaskClient, create_patient: Callable[..., Any]
) -> None:
    user = create_patient()
    _add(app, user, [Weight(92.0)], days_ago=20)
    _add(app, user, [Weight(88.0)], days_ago=2)
    login(client, "patient@example.nl")
    post_form(client, "/settings", {"height": "175", "glucose_unit": "mmol"})
    body = _page(client, "/charts/weight")
    caption = _caption(body)
    assert "Your BMI is 28.7: overweight." in caption
    assert "A healthy weight at 175 cm is 56.7 to 76.6 kg." in caption
    assert [row[-1] for row in _rows(body)] == ["overweight", "obesity"]  # 92 kg: BMI 30.0
    labels = [s.get("label", {}).get("text") for s in _figure(body)["layout"]["shapes"]]
    assert "overweight" in labels
    assert "obesity" in labels
    assert _table_caption(body) == "All 2 readings"


THUISARTS_LINK = re.compile(
    r'<a href="(https://www\.thuisarts\.nl/[^"]+)" target="_blank" rel="noopener noreferrer">'
    r"([^<]+)<span class=\"visually-hidden\"> \(([^)]+)\)</span></a>"
)


@pytest.mark.parametrize(
    ("url", "page"),
    [
        ("/charts/blood-pressure", "hoge-bloeddruk/ik-wil-zelf-thuis-mijn-bloeddruk-meten"),
        ("/charts/weight", "overgewicht"),
        ("/charts/glucose", "diabetes-type-2"),
        ("/charts/glucose?view=moments", "diabetes-type-2"),
    ],
)
def test_each_chart_links_its_thuisarts_page_in_a_new_tab(
    app: Flask, client: FlaskClient, create_patient: Callable[..., Any], url: str, page: str
) -> None:
    """A plain link (nothing loads from another site until it is clicked) that says it
    opens a new tab; in English it says the page is in Dutch."""
    create_patient()
    login(client, "patient@example.nl")
    dutch = THUISARTS_LINK.findall(_page(client, url, "nl"))
    assert dutch == [
        (f"https://www.thuisarts.nl/{page}", dutch[0][1], "opent in een nieuw tabblad")
    ]
    assert dutch[0][1].startswith("Lees meer op Thuisarts.nl: ")
    assert "Dutch" not in dutch[0][1]
    english = THUISARTS_LINK.findall(_page(client, url, "en"))
    assert english[0][0] == f"https://www.thuisarts.nl/{page}"
    assert english[0][1].startswith("Read more on Thuisarts.nl: ")
    assert english[0][1].endswith(" (in Dutch)")
    assert english[0][2] == "opens in a new tab"


@pytest.mark.parametrize(
    ("view", "one", "three"),
    [
        ("range", "The only reading", "All 3 readings"),
        (
            "moments",
            "The only reading, by moment of the day",
            "All 3 readings, by moment of the day",
        ),
    ],
)
def test_glucose_tables_say_how_many_readings_they_show(
    app: Flask,
    client: FlaskClient,
    create_patient: Callable[..., Any],
    view: str,
    one: str,
    three: str,
) -> None:
    user = create_patient()
    login(client, "patient@example.nl")
    _add(app, user, [Glucose(6.1, "fasting")], days_ago=1)
    assert _table_caption(_page(client, f"/charts/glucose?view={view}")) == one
    _add(app, user, [Glucose(5.5, "fasting"), Glucose(8.8, "after_lunch")], days_ago=3)
    assert _table_caption(_page(client, f"/charts/glucose?view={view}")) == three


def test_the_day_curve_table_counts_the_readings_of_the_chosen_days(
    app: Flask, client: FlaskClient, create_patient: Callable[..., Any]
) -> None:
    user = create_patient()
    login(client, "patient@example.nl")
    _add(app, user, [Glucose(6.1, "fasting")], days_ago=1)
    assert _table_caption(_page(client, "/charts/glucose?view=day")) == (
        "The only reading on the chosen days"
    )
    _add(app, user, [Glucose(5.5, "fasting"), Glucose(8.8, "after_lunch")], days_ago=1)
    body = _page(client, "/charts/glucose?view=day")
    assert _table_caption(body) == "All 3 readings on the chosen days"
    assert len(_rows(body)) == 3
