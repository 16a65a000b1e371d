"""The pre-consult view shows goals and the patient's questions only with "goals" shared."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from pgd.goals import questions, services
from pgd.goals.data import GoalData, GoalKind
from tests.sharing.conftest import add_readings


def _goal_and_question(app: Flask, patient: Any) -> None:
    today = datetime.now(UTC).date()
    with app.test_request_context():
        who = (patient, patient.id)
        services.create_goal(
            *who,
            GoalData(
                kind=GoalKind.MEASUREMENT,
                text="Afvallen naar 85 kilo",
                why="Fitter worden",
                start=today - timedelta(days=60),
                metric="weight",
                direction="down",
                target=85.0,
            ),
        )
        questions.add_question(*who, "Mag ik mijn metformine bij het ontbijt nemen?")


@pytest.mark.parametrize(
    ("categories", "goals_shown", "progress_shared"),
    [
        (("weight", "goals"), True, True),
        (("glucose", "goals"), True, False),
        (("weight",), False, False),
    ],
)
def test_goals_and_questions_follow_the_grant(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
    categories: tuple[str, ...],
    goals_shown: bool,
    progress_shared: bool,
) -> None:
    patient = create_patient()
    add_readings(app, patient)
    _goal_and_question(app, patient)
    clinician = create_clinician()
    make_grant(patient, clinician, categories=categories)
    page = verified_client(clinician).get(f"/clinician/patients/{patient.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert ("Afvallen naar 85 kilo" in text) is goals_shown
    assert ("metformine bij het ontbijt" in text) is goals_shown
    assert ('id="sum-goals"' in text) is goals_shown
    if goals_shown:
        assert ("progress not shared" in text) is not progress_shared
        assert ("now 89.9 kg, target 85 kg" in text) is progress_shared


@pytest.mark.parametrize(
    ("categories", "line_shown"), [(("weight", "goals"), True), (("weight",), False)]
)
def test_the_clinicians_weight_chart_has_the_goal_line_only_with_goals_shared(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
    categories: tuple[str, ...],
    line_shown: bool,
) -> None:
    from sqlalchemy import select

    from pgd import db
    from pgd.sharing.models import AccessEvent

    patient = create_patient()
    add_readings(app, patient)
    _goal_and_question(app, patient)
    clinician = create_clinician()
    make_grant(patient, clinician, categories=categories)
    chart = verified_client(clinician).get(f"/clinician/patients/{patient.id}/charts/weight")
    assert chart.status_code == 200
    assert ("goal 85 kg" in chart.get_data(as_text=True)) is line_shown
    with app.app_context():
        logged = db.session().scalars(select(AccessEvent.categories)).all()
    assert logged == (["goals,weight"] if line_shown else ["weight"])  # stored sorted


def test_only_active_goals_reach_the_pre_consult_view(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
) -> None:
    patient = create_patient()
    _goal_and_question(app, patient)
    today = datetime.now(UTC).date()
    with app.test_request_context():
        who = (patient, patient.id)
        paused = services.create_goal(
            *who,
            GoalData(
                kind=GoalKind.ACTIVITY,
                text="Elke dag traplopen",
                why="Conditie",
                start=today - timedelta(days=10),
                per_week=5,
            ),
        )
        services.set_state(*who, paused, "pause")
    clinician = create_clinician()
    make_grant(patient, clinician, categories=("goals",))
    page = verified_client(clinician).get(f"/clinician/patients/{patient.id}")
    text = page.get_data(as_text=True)
    assert "Afvallen naar 85 kilo" in text
    assert "Elke dag traplopen" not in text
