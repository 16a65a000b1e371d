"""Goal pages end to end through the test client: create, check in, steps, states, errors."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from pgd.measurements.validation import LOCAL
from tests.conftest import count_rows, login, post_form


def _today() -> str:
    return datetime.now(LOCAL).strftime("%d-%m-%Y")


def _patient(app: Flask, create_patient: Any) -> FlaskClient:
    create_patient()
    client = app.test_client()
    login(client, "patient@example.nl")
    return client


WALK = {
    "text": "30 minuten wandelen",
    "why": "Voor mijn knie",
    "kind": "activity",
    "mode": "done",
    "per_week": "5",
    "unit": "",
    "metric": "weight",
    "direction": "down",
    "target": "",
    "until": "",
    "actions": "Wandelschoenen kopen\nMaatje zoeken",
}


def _create(client: FlaskClient, **changes: str) -> str:
    response = post_form(client, "/goals/new", {**WALK, "start": _today(), **changes})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"].rsplit("/", 1)[1]


def test_example_fills_in_the_form(app: Flask, create_patient: Any) -> None:
    client = _patient(app, create_patient)
    body = client.get("/goals/new?example=walking").get_data(as_text=True)
    assert "5 keer per week 30 minuten wandelen" in body
    assert 'value="5"' in body
    body = client.get("/goals/new?example=weight").get_data(as_text=True)
    assert 'value="85"' in body


def test_create_check_in_and_see_the_week_count(app: Flask, create_patient: Any) -> None:
    client = _patient(app, create_patient)
    goal_id = _create(client)
    page = client.get("/goals").get_data(as_text=True)
    assert "Deze week: 0 van 5" in page
    home = client.get("/home").get_data(as_text=True)
    assert f'href="/goals/{goal_id}">30 minuten wandelen</a>' in home
    response = post_form(client, f"/goals/{goal_id}/check-in", {}, form_url="/goals")
    assert response.status_code == 302
    page = client.get("/goals").get_data(as_text=True)
    assert "Deze week: 1 van 5" in page
    # a second tap on the same day changes nothing and says why
    post_form(client, f"/goals/{goal_id}/check-in", {"day": _today()}, form_url="/goals")
    assert count_rows(app, "goal_checkins") == 1
    body = client.get(f"/goals/{goal_id}").get_data(as_text=True)
    assert "U heeft deze dag al afgevinkt." in body


def test_bad_goal_input_changes_nothing(app: Flask, create_patient: Any) -> None:
    client = _patient(app, create_patient)
    cases = [
        ({"text": "   "}, "text"),
        ({"kind": "measurement", "metric": "weight", "target": "900"}, "target"),
        ({"kind": "measurement", "metric": "blood_pressure", "target": "20"}, "target"),
        ({"until": (datetime.now(LOCAL) - timedelta(days=3)).strftime("%d-%m-%Y")}, "until"),
        ({"per_week": "12"}, "per_week"),
        ({"mode": "count", "per_week": "99999", "unit": "minuten"}, "per_week"),
    ]
    for changes, field in cases:
        response = post_form(client, "/goals/new", {**WALK, "start": _today(), **changes})
        assert response.status_code == 200, changes
        body = response.get_data(as_text=True)
        assert f'id="{field}-error"' in body, (changes, body[:2000])
    assert count_rows(app, "goals") == 0


def test_weight_goal_accepts_a_comma_and_draws_the_chart_line(
    app: Flask, create_patient: Any
) -> None:
    client = _patient(app, create_patient)
    now = datetime.now(LOCAL) - timedelta(hours=1)
    post_form(
        client,
        "/measurements/weight/new",
        {
            "weight": "91,2",
            "date": now.strftime("%d-%m-%Y"),
            "time": now.strftime("%H:%M"),
            "note": "",
        },
    )
    goal_id = _create(client, kind="measurement", metric="weight", target="84,5", actions="")
    body = client.get(f"/goals/{goal_id}").get_data(as_text=True)
    assert "91" in body
    chart = client.get("/charts/weight").get_data(as_text=True)
    assert "84.5" in chart  # the goal line's label in the figure JSON


def test_steps_states_and_history(app: Flask, create_patient: Any) -> None:
    client = _patient(app, create_patient)
    goal_id = _create(client)
    page = f"/goals/{goal_id}"
    body = client.get(page).get_data(as_text=True)
    action_id = re.search(rf"/goals/{goal_id}/actions/(\w+)/done", body).group(1)  # type: ignore[union-attr]
    post_form(client, f"{page}/actions/{action_id}/done", {}, form_url=page)
    post_form(client, f"{page}/actions", {"text": "Route uitzoeken"}, form_url=page)
    body = client.get(page).get_data(as_text=True)
    assert "Route uitzoeken" in body
    assert 'aria-pressed="true"' in body
    post_form(client, f"{page}/state/pause", {}, form_url=page)
    post_form(client, f"{page}/state/achieved", {}, form_url=page)
    overview = client.get("/goals").get_data(as_text=True)
    assert "Eerdere doelen" in overview
    body = client.get(page).get_data(as_text=True)
    for event in ("doel gesteld", "doel op pauze gezet", "doel behaald"):
        assert event in body
    # an achieved goal cannot be paused again
    post_form(client, f"{page}/state/pause", {}, form_url=page)
    assert "kan niet meer zo veranderd" in client.get(page).get_data(as_text=True)


def test_edit_keeps_kind_and_history(app: Flask, create_patient: Any) -> None:
    client = _patient(app, create_patient)
    goal_id = _create(client)
    response = post_form(
        client,
        f"/goals/{goal_id}/edit",
        {**WALK, "text": "Elke dag wandelen", "per_week": "7", "start": _today()},
    )
    assert response.status_code == 302
    body = client.get(f"/goals/{goal_id}").get_data(as_text=True)
    assert "Elke dag wandelen" in body
    assert "aangepast" in body


def test_consult_questions(app: Flask, create_patient: Any) -> None:
    client = _patient(app, create_patient)
    empty = post_form(client, "/goals/questions", {"text": "  "})
    assert empty.status_code == 200
    assert count_rows(app, "consult_questions") == 0
    post_form(client, "/goals/questions", {"text": "Mag ik minder pillen?"})
    body = client.get("/goals/questions").get_data(as_text=True)
    qid = re.search(r"/goals/questions/([0-9a-f-]+)/discussed", body).group(1)  # type: ignore[union-attr]
    post_form(client, f"/goals/questions/{qid}/discussed", {}, form_url="/goals/questions")
    body = client.get("/goals/questions").get_data(as_text=True)
    assert "Al besproken" in body


def test_someone_elses_goal_is_404(app: Flask, create_patient: Any) -> None:
    client = _patient(app, create_patient)
    goal_id = _create(client)
    create_patient("ander@example.nl", "Piet Ander")
    other = app.test_client()
    login(other, "ander@example.nl")
    assert other.get(f"/goals/{goal_id}").status_code == 404
    response = post_form(other, f"/goals/{goal_id}/check-in", {}, form_url="/goals")
    assert response.status_code == 404
    assert count_rows(app, "goal_checkins") == 0
