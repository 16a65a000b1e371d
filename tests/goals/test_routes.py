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
    assert re.search(r"91[.,]2\s*kg", body), "the current weight is shown on the goal"
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


def _day(days_ago: int) -> str:
    return (datetime.now(LOCAL) - timedelta(days=days_ago)).strftime("%d-%m-%Y")


def _other_day(client: FlaskClient, goal_id: str, **fields: str) -> Any:
    page = f"/goals/{goal_id}"
    data = {"back": "goal", "which": "other", "day": "", **fields}
    return post_form(client, f"{page}/check-in", data, form_url=page)


def test_another_day_with_an_empty_date_asks_for_the_date(app: Flask, create_patient: Any) -> None:
    """Walk-through: an empty date answered "you already checked in for this day" (it
    meant today), in a banner at the top, with the section closed."""
    client = _patient(app, create_patient)
    goal_id = _create(client, start=_day(3))
    post_form(client, f"/goals/{goal_id}/check-in", {"back": "goal"}, form_url="/goals")
    response = _other_day(client, goal_id)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "U heeft deze dag al afgevinkt" not in body
    assert "notice-error" not in body  # no banner at the top
    # next to the field, the section open, the field marked
    assert re.search(r'<details class="checkin-other" id="checkin-other" open>', body)
    field = body[body.index('id="checkin-other"') :]
    field = field[: field.index("</details>")]
    assert '<ul class="errors" id="day-error"><li>Vul de datum in.</li></ul>' in field
    assert 'aria-describedby="day-hint day-error" aria-invalid="true"' in field
    assert count_rows(app, "goal_checkins") == 1  # only today's


def test_another_day_keeps_what_was_typed_and_says_from_when(
    app: Flask, create_patient: Any
) -> None:
    client = _patient(app, create_patient)
    goal_id = _create(client, start=_day(3), mode="count", per_week="150", unit="minuten")
    body = client.get(f"/goals/{goal_id}").get_data(as_text=True)
    # the hint names a day that can be chosen, and from when
    assert f"bijvoorbeeld {_day(1)} (gisteren)" in body
    assert f"vanaf {_day(3)} tot en met vandaag" in body
    assert '<details class="checkin-other" id="checkin-other">' in body  # closed
    # before the start: the message says from which day on it can
    response = _other_day(client, goal_id, day="01-01-2020", count="20")
    body = response.get_data(as_text=True)
    assert f"Deze dag ligt voor de start van uw doel. U kunt afvinken vanaf {_day(3)}." in body
    assert 'id="day" name="day" value="01-01-2020"' in body
    assert 'id="count" name="count" value="20"' in body
    # a count that is too high: its message next to the count, the date kept
    body = _other_day(client, goal_id, day=_day(1), count="5000").get_data(as_text=True)
    assert 'id="count-error"' in body
    assert f'id="day" name="day" value="{_day(1)}"' in body
    assert count_rows(app, "goal_checkins") == 0
    # a good day: saved, back on the goal's page with the message at the top
    response = _other_day(client, goal_id, day=_day(1), count="20")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/goals/{goal_id}#main"
    assert f"Afgevinkt voor {_day(1)}." in client.get(f"/goals/{goal_id}").get_data(as_text=True)
    assert count_rows(app, "goal_checkins") == 1


def test_a_goal_that_starts_today_offers_no_earlier_day(app: Flask, create_patient: Any) -> None:
    """Walk-through: a goal from an example starts today, yet the hint said "yesterday"
    and yesterday was refused."""
    client = _patient(app, create_patient)
    goal_id = _create(client)
    body = client.get(f"/goals/{goal_id}").get_data(as_text=True)
    assert 'id="checkin-other"' not in body
    assert "Uw doel begint vandaag. Daarom kunt u alleen vandaag afvinken." in body
    assert f'href="/goals/{goal_id}/edit">Startdatum veranderen</a>' in body


def test_a_refused_check_in_for_today_shows_next_to_its_form(
    app: Flask, create_patient: Any
) -> None:
    client = _patient(app, create_patient)
    goal_id = _create(client, mode="count", per_week="150", unit="minuten")
    page = f"/goals/{goal_id}"
    response = post_form(client, f"{page}/check-in", {"back": "goal", "count": "0"}, form_url=page)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "notice-error" not in body
    form = body[body.index('id="checkin-today"') :]
    form = form[: form.index("</form>")]
    assert f'id="checkin-{goal_id}-goal-error"' in form
    assert 'value="0"' in form
    # from the overview (no room per goal) the message is still a banner
    response = post_form(client, f"{page}/check-in", {"count": "0"}, form_url="/goals")
    assert response.status_code == 302
    assert "notice-error" in client.get("/goals").get_data(as_text=True)
    assert count_rows(app, "goal_checkins") == 0


def test_error_summary_adds_no_colon_after_a_question_mark(app: Flask, create_patient: Any) -> None:
    """Walk-through: a label ending in "?" came out as "zien?:" in the summary."""
    client = _patient(app, create_patient)
    response = post_form(client, "/goals/new", {**WALK, "start": _today(), "kind": "other"})
    body = response.get_data(as_text=True)
    summary = body[body.index('class="error-summary"') :]
    summary = summary[: summary.index("</div>")]
    assert "Wat voor doel is het? Kies wat voor doel dit is." in summary
    assert "?:" not in summary
    response = post_form(
        client, "/goals/new", {**WALK, "start": _today(), "kind": "measurement", "target": "900"}
    )
    body = response.get_data(as_text=True)
    assert re.search(r">Streefwaarde: [^<]+</a>", body)


def _blood_pressure(client: FlaskClient, systolic: str, when: datetime) -> None:
    response = post_form(
        client,
        "/measurements/blood-pressure/new",
        {
            "systolic": systolic,
            "diastolic": "85",
            "pulse": "",
            "arm": "",
            "date": when.strftime("%d-%m-%Y"),
            "time": when.strftime("%H:%M"),
            "note": "",
        },
    )
    assert response.status_code == 302


def test_a_blood_pressure_goal_made_today_shows_start_and_now_alike(
    app: Flask, create_patient: Any
) -> None:
    """Walk-through: "at the start 150, now 150, 5% of the way" on the day the goal was
    made: the start used the 2 weeks up to midnight, "now" the 2 weeks up to now."""
    client = _patient(app, create_patient)
    now = datetime.now(LOCAL)
    _blood_pressure(client, "170", now - timedelta(days=14) + timedelta(minutes=30))
    _blood_pressure(client, "150", now - timedelta(hours=1))
    goal_id = _create(
        client, kind="measurement", metric="blood_pressure", direction="down", target="140"
    )
    body = client.get(f"/goals/{goal_id}").get_data(as_text=True)
    figures = re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", body)
    assert figures == [
        ("Bij de start", "160 mmHg"),
        ("Nu", "160 mmHg"),
        ("Doel", "onder 140 mmHg"),  # the target as the goal says it, not just "140"
    ]
    assert "0% van de weg afgelegd" in body


def test_a_blood_sugar_goal_names_the_nhg_target_per_moment(
    app: Flask, create_patient: Any
) -> None:
    """The card says what the goal counts: readings within the NHG target of their moment,
    not a fixed 3.9 to 10 that the metric does not use."""
    client = _patient(app, create_patient)
    _create(client, kind="measurement", metric="glucose", direction="up", target="70")
    body = client.get("/goals").get_data(as_text=True)
    assert "binnen de NHG-streefwaarde voor hun moment" in body
    assert "3,9" not in body
    assert "3.9" not in body
