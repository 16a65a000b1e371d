"""Readings with known figures for the report tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Flask

from pgd.goals import questions, services
from pgd.goals.data import GoalData, GoalKind
from pgd.measurements import services as measurements
from pgd.measurements.models import Source
from pgd.measurements.values import BloodPressure, Glucose, Weight

BIRTH = date(1950, 3, 14)


def known_history(app: Flask, patient: Any, now: datetime | None = None) -> dict[str, datetime]:
    """In the last 3 months: blood pressure 160/100 (newest), 150/95, 140/90 and one
    alarming 186/112 (mean 159/99, 140-186); three hypos among five blood sugars (mean
    4.5); weight 90.0 -> 86.4 kg (mean 88.1, 4.0 % down). Returns when the dated ones were."""
    now = now or datetime.now(UTC)
    at = {
        "alarm": now - timedelta(days=30, hours=2),
        "hypo_newest": now - timedelta(days=3),
        "bp_latest": now - timedelta(days=2),
    }
    items: list[Any] = [
        (BloodPressure(160, 100, 70, None), at["bp_latest"], ""),
        (BloodPressure(150, 95, 70, None), now - timedelta(days=10), ""),
        (BloodPressure(140, 90, 70, None), now - timedelta(days=20), ""),
        (BloodPressure(186, 112, 70, None), at["alarm"], ""),
        (BloodPressure(120, 70, 70, None), now - timedelta(days=200), ""),  # not in 3 months
    ]
    for d, mmol in ((3, 3.2), (10, 3.5), (50, 3.0), (20, 6.0), (30, 7.0)):
        items.append((Glucose(mmol, "fasting"), now - timedelta(days=d), ""))
    items.append((Weight(90.0), now - timedelta(days=85), ""))
    items.append((Weight(88.0), now - timedelta(days=40), ""))
    items.append((Weight(86.4), now - timedelta(days=2), ""))
    with app.test_request_context():
        measurements.add_many(patient, patient.id, items, Source.WEB)
    return at


def goals_and_questions(app: Flask, patient: Any, goals: int = 1, asked: int = 1) -> None:
    today = datetime.now(UTC).date()
    with app.test_request_context():
        for i in range(goals):
            services.create_goal(
                patient,
                patient.id,
                GoalData(
                    kind=GoalKind.MEASUREMENT,
                    text=f"Afvallen naar {85 - i} kilo" + (" en elke dag wandelen" * (i % 3)),
                    why="Fitter worden",
                    start=today - timedelta(days=60),
                    metric="weight",
                    direction="down",
                    target=85.0 - i,
                ),
            )
        for i in range(asked):
            text = (
                "Kost de nieuwe meter €50, en is één per dag genoeg?"
                if i == 0
                else (
                    f"Vraag {i}: mag ik mijn metformine bij het ontbijt nemen, of beter later? " * 2
                )
            )
            questions.add_question(patient, patient.id, text)


def dense_year(app: Flask, patient: Any) -> None:
    """A year of readings: blood pressure 3 a day (every 7th alarming), blood sugar
    4 a day (every 9th a hypo, every 11th very high), weight daily."""
    now = datetime.now(UTC)
    items: list[Any] = []
    for day in range(365):
        base = now - timedelta(days=day, hours=1)
        for k in range(3):
            i = day * 3 + k
            high = i % 7 == 0
            bp = BloodPressure(185 if high else 128 + i % 20, 112 if high else 80 + i % 9, 70, None)
            items.append((bp, base - timedelta(hours=6 * k), ""))
        for k in range(4):
            i = day * 4 + k
            mmol = 3.1 if i % 9 == 0 else (16.2 if i % 11 == 0 else 6.0 + (i % 5) / 2)
            items.append(
                (Glucose(mmol, "before_breakfast"), base - timedelta(hours=5 * k, minutes=7), "")
            )
        items.append((Weight(92.0 - day / 100), base - timedelta(minutes=30), ""))
    with app.test_request_context():
        measurements.add_many(patient, patient.id, items, Source.WEB)
