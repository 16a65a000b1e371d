"""What a measurement goal can be about, with the valid range of its target."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pgd import clinical
from pgd.measurements.validation import SYSTOLIC, WEIGHT_KG

WINDOW_DAYS = 14


def _mean(values: np.ndarray) -> float | None:
    finite = values[np.isfinite(values)]
    return float(np.mean(finite)) if finite.size else None


def _share_pct(flags: np.ndarray) -> float | None:
    """Percentage of 1.0 among the readings (each reading 1.0 in range, 0.0 outside)."""
    finite = flags[np.isfinite(flags)]
    return float(100.0 * finite.mean()) if finite.size else None


def _in_range(columns: dict[str, np.ndarray]) -> np.ndarray:
    """1.0 for each glucose reading within the NHG range for its moment, else 0.0."""
    classes = clinical.glucose_classes(columns["mmol"], columns["moment"])
    return (classes == clinical.G.IN_RANGE).astype(float)


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
    # Share of glucose readings within the NHG range for their moment, last 2 weeks.
    "glucose": Metric(
        "glucose", "in_range", "%", (1.0, 100.0), True, False, "up", WINDOW_DAYS, _share_pct
    ),
}

# Figures a goal reads that are not stored columns but made from them.
DERIVED: dict[str, Callable[[dict[str, np.ndarray]], np.ndarray]] = {"in_range": _in_range}


def column_values(metric: Metric, columns: dict[str, np.ndarray]) -> np.ndarray:
    """The one number per reading that the metric reads."""
    derive = DERIVED.get(metric.column)
    return derive(columns) if derive else columns[metric.column]
