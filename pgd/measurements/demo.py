"""Realistic demo data: what six months of a patient with type 2 diabetes and high blood
pressure look like, so a newcomer sees working charts at once (and benchmarks have volume)."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, time, timedelta

from pgd.measurements.validation import LOCAL
from pgd.measurements.values import BloodPressure, Glucose, Moment, Value, Weight

Item = tuple[Value, datetime, str]

# Typical day-curve shape (mmol/L) for someone on metformin, before and after meals.
_CURVE = [
    (Moment.BEFORE_BREAKFAST, time(7, 30), 7.2),
    (Moment.AFTER_BREAKFAST, time(9, 30), 10.4),
    (Moment.BEFORE_LUNCH, time(12, 0), 7.6),
    (Moment.AFTER_LUNCH, time(14, 0), 9.8),
    (Moment.BEFORE_DINNER, time(17, 30), 7.9),
    (Moment.AFTER_DINNER, time(19, 30), 11.2),
    (Moment.BEDTIME, time(22, 30), 8.6),
]


def _at(day: date, clock: time, rng: random.Random, jitter_min: int = 20) -> datetime:
    local = datetime.combine(day, clock, tzinfo=LOCAL) + timedelta(
        minutes=rng.randint(-jitter_min, jitter_min)
    )
    return local.astimezone(UTC)


def generate(
    start: date, end: date, rng: random.Random, *, glucose_per_week: float = 2.5
) -> list[Item]:
    """Readings from start to end (inclusive), improving slowly as care takes effect."""
    items: list[Item] = []
    days = (end - start).days + 1
    for i in range(days):
        day = start + timedelta(days=i)
        progress = i / max(days - 1, 1)  # 0 → 1: treatment slowly works
        if rng.random() < 0.88:  # blood pressure twice daily on most days
            for clock in (time(8, 0), time(20, 0)):
                base_s = 152 - 14 * progress + 6 * math.sin(i / 9)
                s = round(rng.gauss(base_s, 8))
                d = round(rng.gauss(s * 0.6, 5))
                if rng.random() < 0.01:
                    s, d = rng.randint(180, 195), rng.randint(110, 118)  # a rare very high one
                s = min(max(s, 95), 230)
                d = min(max(d, 55), s - 20)
                items.append(
                    (BloodPressure(s, d, rng.randint(58, 88), None), _at(day, clock, rng), "")
                )
        if day.weekday() == 0:  # weekly weight, Monday morning
            kg = round(rng.gauss(92.0 - 5.5 * progress, 0.4), 1)
            items.append((Weight(kg), _at(day, time(7, 15), rng, 10), ""))
        if rng.random() < glucose_per_week / 7:  # a day curve
            shift = -1.2 * progress
            for moment, clock, mean in _CURVE:
                if rng.random() < 0.12:
                    continue  # a forgotten moment
                value = rng.gauss(mean + shift, 1.3)
                hypo = rng.random() < 0.03
                if hypo:
                    value = rng.uniform(3.0, 3.8)  # an occasional hypo, after exercise
                elif rng.random() < 0.03:
                    value = rng.uniform(14.0, 17.5)
                note = "na het sporten" if hypo else ""
                items.append(
                    (
                        Glucose(round(min(max(value, 2.5), 25.0), 1), moment.value),
                        _at(day, clock, rng),
                        note,
                    )
                )
    now = datetime.now(UTC)
    return [item for item in items if item[1] <= now]
