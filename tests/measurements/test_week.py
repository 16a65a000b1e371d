"""The measuring week through its pages: start, stop, enter readings, the result, and a
care provider's request. Bad input gets a message next to the field and changes nothing."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from flask import Flask, render_template
from flask.testing import FlaskClient
from sqlalchemy import select, text

from pgd import db
from pgd.measurements import services, week
from pgd.measurements.models import MeasuringWeek, Source
from pgd.measurements.validation import LOCAL
from pgd.measurements.values import BloodPressure
from pgd.sharing import routes_week
from tests.conftest import acting_as_clinician, count_rows, login, post_form
from tests.sharing.conftest import make_grant, verified_client  # noqa: F401  (fixtures)

START = "/measurements/week/start"
READINGS = "/measurements/week/readings"


def _today() -> date:
    return datetime.now(LOCAL).date()


def _dmy(day: date) -> str:
    return day.strftime("%d-%m-%Y")


def _errors(body: str, field: str) -> str:
    match = re.search(rf'id="{field}-error">(.*?)</ul>', body, re.S)
    return match.group(1) if match else ""


@pytest.fixture
def patient_user(create_patient: Callable[..., Any]) -> Any:
    return create_patient()


@pytest.fixture
def patient(app: Flask, patient_user: Any) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(client, "patient@example.nl")
    return client


def _start(client: FlaskClient, day: date | str) -> Any:
    return post_form(client, START, {"start_day": day if isinstance(day, str) else _dmy(day)})


def _weeks(app: Flask) -> list[tuple[Any, ...]]:
    with app.app_context():
        rows = db.session().execute(
            select(
                MeasuringWeek.start_day, MeasuringWeek.requested_by, MeasuringWeek.cancelled_at
            ).order_by(MeasuringWeek.created_at)
        )
        return [tuple(r) for r in rows]


def test_a_patient_starts_a_week_today_and_sees_day_1(patient: FlaskClient, app: Flask) -> None:
    form = patient.get(START).get_data(as_text=True)
    assert f'value="{_dmy(_today())}"' in form  # today, already filled in
    done = _start(patient, _today())
    assert done.status_code == 302
    assert done.headers["Location"] == "/measurements/week"
    page = patient.get("/measurements/week").get_data(as_text=True)
    assert "Day 1 of 7 — 2 more readings this" in page
    home = patient.get("/home").get_data(as_text=True)
    assert "Day 1 of 7 — 2 more readings this" in home
    assert "/measurements/week/readings?day=1&amp;moment=" in home
    assert len(_weeks(app)) == 1


BAD_STARTS = [
    (lambda: _dmy(_today() + timedelta(days=1)), "cannot start in the future"),
    (lambda: _dmy(_today() - timedelta(days=15)), "at most 14 days back"),
    (lambda: "31-02-2026", "Write the date as day-month-year"),
    (lambda: "", "Fill in the first day of the week."),
]


@pytest.mark.parametrize(("typed", "message"), BAD_STARTS)
def test_a_bad_start_day_is_refused_next_to_the_field(
    patient: FlaskClient, app: Flask, typed: Callable[[], str], message: str
) -> None:
    response = _start(patient, typed())
    assert response.status_code == 200
    assert message in _errors(response.get_data(as_text=True), "start_day")
    assert _weeks(app) == []


def test_fourteen_days_back_is_allowed(patient: FlaskClient, app: Flask) -> None:
    assert _start(patient, _today() - timedelta(days=14)).status_code == 302
    assert _weeks(app)[0][0] == _today() - timedelta(days=14)


def test_two_weeks_at_once_are_refused(patient: FlaskClient, app: Flask) -> None:
    assert _start(patient, _today() - timedelta(days=2)).status_code == 302
    again = _start(patient, _today())
    assert "is still running" in _errors(again.get_data(as_text=True), "start_day")
    assert len(_weeks(app)) == 1
    post_form(patient, "/measurements/week/cancel", {}, form_url="/measurements/week")
    # A week that ended: a new one may not overlap it, but may follow it.
    assert _start(patient, _today() - timedelta(days=14)).status_code == 302  # ended 8 days ago
    overlap = _start(patient, _today() - timedelta(days=10))
    assert "overlaps your measuring week" in _errors(overlap.get_data(as_text=True), "start_day")
    assert _start(patient, _today() - timedelta(days=7)).status_code == 302
    assert [r[0] for r in _weeks(app) if r[2] is None] == [
        _today() - timedelta(days=14),
        _today() - timedelta(days=7),
    ]


def test_a_patient_stops_the_week(patient: FlaskClient, app: Flask) -> None:
    _start(patient, _today())
    stopped = post_form(patient, "/measurements/week/cancel", {}, form_url="/measurements/week")
    assert stopped.status_code == 302
    assert _weeks(app)[0][2] is not None
    assert patient.get("/measurements/week").headers["Location"] == START
    assert "Day 1 of 7" not in patient.get("/home").get_data(as_text=True)


def _enter(client: FlaskClient, day: date, moment: str, clock: str, **extra: str) -> Any:
    data = {
        "date": _dmy(day),
        "moment": moment,
        "time": clock,
        "systolic_1": "142",
        "diastolic_1": "88",
        "systolic_2": "138",
        "diastolic_2": "86",
        **extra,
    }
    return post_form(client, READINGS, data, form_url=f"{READINGS}?day=2&moment={moment}")


def test_the_two_readings_of_a_moment_are_entered_from_the_week(
    patient: FlaskClient, app: Flask, patient_user: Any
) -> None:
    first = _today() - timedelta(days=3)
    _start(patient, first)
    form = patient.get(f"{READINGS}?day=2&moment=evening").get_data(as_text=True)
    assert f'value="{_dmy(first + timedelta(days=1))}"' in form  # day 2, filled in
    assert 'value="20:00"' in form
    saved = _enter(patient, first + timedelta(days=1), "evening", "20:15")
    assert saved.status_code == 302
    assert count_rows(app, "measurements") == 2
    with app.test_request_context():
        found = services.page(patient_user, patient_user.id, limit=5).readings
    assert sorted(r.taken_at.astimezone(LOCAL).strftime("%H:%M") for r in found) == [
        "20:15",
        "20:16",
    ]  # the second reading a minute later
    page = patient.get("/measurements/week").get_data(as_text=True)
    assert "2 readings" in page
    assert "from 2 of the 24 readings" in page
    # Back on the form for that moment, the patient sees what is saved already.
    again = patient.get(f"{READINGS}?day=2&moment=evening").get_data(as_text=True)
    assert "Already saved for this moment: 142/88 at 20:15, 138/86 at 20:16." in again
    assert "Already saved for this moment" not in patient.get(
        f"{READINGS}?day=2&moment=morning"
    ).get_data(as_text=True)


BAD_READINGS = [
    (-1, "morning", "08:00", {}, "date", "is not in your measuring week"),
    (7, "morning", "08:00", {}, "date", "is not in your measuring week"),
    (1, "evening", "08:00", {}, "time", "An evening reading is from 14:00 on"),
    (1, "morning", "14:00", {}, "time", "A morning reading is before 14:00"),
    (1, "morning", "08:00", {"systolic_2": "abc"}, "systolic_2", "whole number"),
    (1, "morning", "08:00", {"systolic_1": ""}, "systolic_1", "Fill in this value"),
]


@pytest.mark.parametrize(("offset", "moment", "clock", "change", "field", "message"), BAD_READINGS)
def test_bad_readings_are_refused_and_nothing_is_saved(
    patient: FlaskClient,
    app: Flask,
    offset: int,
    moment: str,
    clock: str,
    change: dict[str, str],
    field: str,
    message: str,
) -> None:
    first = _today() - timedelta(days=10)  # days first .. first+6; day 8 is offset 7
    _start(patient, first)
    response = _enter(patient, first + timedelta(days=offset), moment, clock, **change)
    assert response.status_code == 200
    assert message in _errors(response.get_data(as_text=True), field)
    assert count_rows(app, "measurements") == 0


def _fill_week(app: Flask, user: Any, first: date, value: tuple[int, int] = (140, 90)) -> None:
    items = []
    for day in range(7):
        on = first + timedelta(days=day)
        for hour in (7, 20):
            for minute in (30, 31):
                when = datetime.combine(on, time(hour, minute), tzinfo=LOCAL)
                items.append((BloodPressure(*value, None, None), when, ""))
    with app.test_request_context():
        services.add_many(user, user.id, items, Source.WEB)


def test_the_result_of_a_finished_week(patient: FlaskClient, app: Flask, patient_user: Any) -> None:
    first = _today() - timedelta(days=10)
    _start(patient, first)
    _fill_week(app, patient_user, first)
    page = patient.get("/measurements/week").get_data(as_text=True)
    assert "Result of your measuring week" in page
    assert "Average of days 2 to 7: 140/90 mmHg, from 24 of the 24 readings." in page
    assert "Your average blood pressure at home is too high." in page
    home = patient.get("/home").get_data(as_text=True)
    assert "Average of days 2 to 7: 140/90 mmHg" in home
    with app.test_request_context():
        latest = week.latest_result(patient_user, patient_user.id)
    assert latest is not None
    assert latest.finished
    assert (latest.result.systolic, latest.result.used) == (140, 24)
    chart = patient.get("/charts/blood-pressure").get_data(as_text=True)
    assert "measuring week: day 1, not counted" in chart
    assert "is marked; day 1 does not count." in chart


def _access_events(app: Flask, outcome: str = "allowed") -> list[tuple[str, str]]:
    """The access-log events (action, categories) of one outcome: allowed, or refused (a
    refused try is in the log too, NEN 7513)."""
    with app.app_context():
        rows = db.session().execute(
            text(
                "SELECT action, categories FROM access_events WHERE outcome = :outcome "
                "ORDER BY occurred_at, seq"
            ),
            {"outcome": outcome},
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def _ask(web: FlaskClient, patient_id: uuid.UUID) -> Any:
    return post_form(
        web,
        f"/clinician/patients/{patient_id}/measuring-week",
        {},
        form_url="/clinician/share-code",
    )


@pytest.mark.parametrize(
    ("categories", "state"),
    [
        (None, "active"),  # no share at all
        (("weight", "glucose", "goals"), "active"),  # shared, but not blood pressure
        (("blood_pressure",), "revoked"),
        (("blood_pressure",), "expired"),
    ],
)
def test_a_request_without_a_blood_pressure_share_is_404_and_changes_nothing(
    app: Flask,
    patient_user: Any,
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],  # noqa: F811
    verified_client: Callable[[Any], FlaskClient],  # noqa: F811
    categories: tuple[str, ...] | None,
    state: str,
) -> None:
    clinician = create_clinician()
    if categories is not None:
        make_grant(patient_user, clinician, categories=categories, state=state)
    web = verified_client(clinician)
    assert _ask(web, patient_user.id).status_code == 404
    assert _weeks(app) == []
    assert _access_events(app) == []
    assert _access_events(app, "refused") == [("request_week", "blood_pressure")]


def test_a_request_is_logged_shown_to_the_patient_and_fulfilled_by_starting(
    app: Flask,
    patient_user: Any,
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],  # noqa: F811
    verified_client: Callable[[Any], FlaskClient],  # noqa: F811
) -> None:
    clinician = create_clinician()
    make_grant(patient_user, clinician, categories=("blood_pressure",))
    web = verified_client(clinician)
    done = _ask(web, patient_user.id)
    assert done.status_code == 302
    assert done.headers["Location"] == f"/clinician/patients/{patient_user.id}"
    assert _access_events(app) == [("request_week", "blood_pressure")]
    assert _ask(web, patient_user.id).status_code == 302  # asked twice: one request
    assert len(_weeks(app)) == 1
    assert _weeks(app)[0][1] == clinician.id
    own = app.test_client()
    own.environ_base["HTTP_ACCEPT_LANGUAGE"] = "nl"
    login(own, "patient@example.nl")
    home = own.get("/home").get_data(as_text=True)
    assert "A. de Vries (POH) vraagt u een meetweek te doen." in home
    assert _start(own, _today()).status_code == 302
    rows = _weeks(app)
    assert len(rows) == 1  # the request itself became the week
    assert rows[0][0] == _today()
    assert rows[0][1] == clinician.id


def test_the_dossier_panel(
    app: Flask,
    patient_user: Any,
    create_enrolled_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],  # noqa: F811
) -> None:
    poh = create_enrolled_clinician().user
    make_grant(patient_user, poh, categories=("blood_pressure",))
    with acting_as_clinician(app, poh):
        panel = routes_week.week_panel(poh, patient_user.id)
        assert panel is not None
        assert panel.can_request
        html = render_template("sharing/_week.html", week_panel=panel)
        assert f'action="/clinician/patients/{patient_user.id}/measuring-week"' in html
        week.request(poh, patient_user.id)
    with acting_as_clinician(app, poh):
        panel = routes_week.week_panel(poh, patient_user.id)
        assert panel is not None
        assert not panel.can_request
        assert panel.request_line.startswith("U heeft op ")  # Dutch: the default language
    first = _today() - timedelta(days=10)
    with app.test_request_context():
        week.start(patient_user, patient_user.id, first)
    _fill_week(app, patient_user, first, (130, 80))
    with acting_as_clinician(app, poh):
        panel = routes_week.week_panel(poh, patient_user.id)
        assert panel is not None
        html = render_template("sharing/_week.html", week_panel=panel)
    assert "Gemiddelde 130/80 mmHg (24 van 24 metingen): onder de streefwaarde." in html
    assert "Vraag om een meetweek" in html
    # Without a blood pressure share there is no panel at all.
    other = _patient_without_share(app)
    with acting_as_clinician(app, poh):
        assert routes_week.week_panel(poh, other) is None


def _patient_without_share(app: Flask) -> uuid.UUID:
    from pgd.accounts import services as accounts

    with app.test_request_context():
        return accounts.register_patient(
            "ander@example.nl", "een ander wachtwoord hier", "Ander", None
        ).id


@pytest.mark.parametrize(
    ("first", "second"),
    [("08:00", "08:01"), ("13:59", "13:58"), ("23:59", "23:58"), ("14:00", "14:01")],
)
def test_the_second_reading_stays_in_the_moment_and_day_of_the_first(
    first: str, second: str
) -> None:
    from pgd.measurements.week_routes import _a_minute_apart

    hour, minute = (int(x) for x in first.split(":"))
    when = datetime.combine(date(2026, 3, 28), time(hour, minute), tzinfo=LOCAL)
    assert _a_minute_apart(when).astimezone(LOCAL).strftime("%H:%M") == second
