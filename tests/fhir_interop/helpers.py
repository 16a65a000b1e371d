"""Seeding for the FHIR tests: readings of every kind and glucose moment, goals, a target."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Flask

from pgd.goals import services as goals
from pgd.goals.data import GoalData, GoalKind, Mode
from pgd.measurements import services as measurements
from pgd.measurements.models import Source
from pgd.measurements.values import BloodPressure, Glucose, Moment, Weight


def seed(app: Flask, patient: Any, days_ago: tuple[int, ...] = (1, 5, 40)) -> None:
    """Per day: a BP with pulse, a BP without, a weight, and one glucose per moment."""
    now = datetime.now(UTC).replace(microsecond=0)
    items: list[tuple[Any, datetime, str]] = []
    for d in days_ago:
        at = now - timedelta(days=d)
        items.append((BloodPressure(142, 88, 71, "left"), at, "na het fietsen"))
        items.append((BloodPressure(128, 80), at - timedelta(minutes=5), ""))
        items.append((Weight(84.3), at - timedelta(hours=1), ""))
        for i, moment in enumerate(Moment):
            items.append(
                (Glucose(6.2 + i / 10, moment.value), at - timedelta(hours=2, minutes=i), "")
            )
    with app.test_request_context():
        measurements.add_many(patient, patient.id, items, Source.WEB)


def add_goals(app: Flask, patient: Any) -> None:
    with app.test_request_context():
        goals.create_goal(
            patient,
            patient.id,
            GoalData(
                kind=GoalKind.MEASUREMENT,
                text="Afvallen tot 80 kg",
                why="Fitter worden",
                start=date.today() - timedelta(days=20),
                until=date.today() + timedelta(days=60),
                metric="weight",
                direction="down",
                target=80.0,
            ),
        )
        goals.create_goal(
            patient,
            patient.id,
            GoalData(
                kind=GoalKind.ACTIVITY,
                text="30 minuten wandelen",
                why="",
                start=date.today() - timedelta(days=3),
                mode=Mode.DONE,
                per_week=5,
            ),
        )
