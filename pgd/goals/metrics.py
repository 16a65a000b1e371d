"""What a measurement goal can be about, with the valid range of its target."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pgd.measurements.stats import GLUCOSE_HIGH, GLUCOSE_LOW
from pgd.measurements.validation import SYSTOLIC, WEIGHT_KG

WINDOW_DAYS = 14


def _mean(values: np.ndarray) -> float | None:
    finite = values[np.isfinite(values)]
    return float(np.mean(finite)) if finite.size else None


def _in_range_pct(values: np.ndarray) -> float | None:
    finite = values[np.isfinite(values)]
    if not finite.size:
        return None
    inside = np.count_nonzero((finite >= GLUCOSE_LOW) & (finite <= GLUCOSE_HIGH))
    return 100.0 * inside / finite.size


@dataclass(frozen=True)
class Metric:
    """A measurement kind seen as one number per moment, with the target's valid range."""

    kind: str  # the measurement kind (and data category) it reads
    column: str  # the Series column it reads
    unit: str
    bounds: tuple[float, float]
    whole: bool
    strict: bool  # "below 140" rather than "140 or lower"
    default_direction: str
    window_days: int | None  # None: the latest reading counts
    aggregate: Callable[[np.ndarray], float | None] = _mean
    # Decimals the patient sees. Progress works on the figures rounded to these, so that
    # "at the start 150, now 150" never comes with "5% of the way done".
    digits: int = 0


METRICS: dict[str, Metric] = {
    "weight": Metric("weight", "kg", "kg", WEIGHT_KG, False, False, "down", None, digits=1),
    # Average upper (systolic) value over the last 2 weeks.
    "blood_pressure": Metric(
        "blood_pressure", "systolic", "mmHg", SYSTOLIC, True, True, "down", WINDOW_DAYS
    ),
    # Share of glucose readings within 3.9-10.0 mmol/L over the last 2 weeks.
    "glucose": Metric(
        "glucose", "mmol", "%", (1.0, 100.0), True, False, "up", WINDOW_DAYS, _in_range_pct
    ),
}
