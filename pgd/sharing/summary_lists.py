"""The dated lists and groups of the pre-consult summary (pure: no Flask, no database).

A practice nurse asks "what happened then?" about an alarming reading, so each one is
listed with its local date, time and moment of the day. Which reading is alarming, a
hypo or very high is decided by pgd.clinical; this module only orders, dates and counts.

Moment of the day, by the local (Europe/Amsterdam) clock hour of the reading:
night 0:00-5:59, morning 6:00-11:59, afternoon 12:00-17:59, evening 18:00-23:59.
A glucose hypo is a night hypo when the patient marked the reading "night", or when it
was taken at night by that rule (0:00-5:59 local time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np

from pgd import clinical

LOCAL = ZoneInfo("Europe/Amsterdam")
# Newest first, at most this many per list; the rest is counted ("and 4 more").
LIST_CAP = 10
# (first local hour, name) in order: each moment runs up to the next one's first hour.
MOMENTS_OF_DAY = ((0, "night"), (6, "morning"), (12, "afternoon"), (18, "evening"))
NIGHT_MOMENT = "night"  # the glucose moment a patient can choose (pgd.measurements.values)
# Glucose readings grouped as the clinical targets group them (pgd.clinical.glucose_range).
MOMENT_GROUPS = ("fasting", "after_meal", "general")


@dataclass(frozen=True)
class Event:
    """One reading worth a question: when (epoch s), the moment of the day, the values."""

    at: int
    moment_of_day: str  # night, morning, afternoon, evening (local clock, see above)
    values: tuple[float, ...]  # (systolic, diastolic) or (mmol,)
    moment: str = ""  # glucose: the moment the patient chose (fasting, after_lunch, ...)
    night: bool = False  # glucose: taken at night (chosen "night" or 0:00-5:59)


@dataclass(frozen=True)
class Listed:
    """A capped list (newest first) and how many there were in all."""

    events: tuple[Event, ...] = ()
    total: int = 0

    @property
    def more(self) -> int:
        return self.total - len(self.events)


@dataclass(frozen=True)
class MomentStat:
    mean: float
    n: int


def local_hour(epoch: int) -> int:
    return datetime.fromtimestamp(epoch, UTC).astimezone(LOCAL).hour


def moment_of_day(epoch: int) -> str:
    """'night', 'morning', 'afternoon' or 'evening' by the local clock hour."""
    hour = local_hour(epoch)
    name = MOMENTS_OF_DAY[0][1]
    for first_hour, moment in MOMENTS_OF_DAY:
        if hour >= first_hour:
            name = moment
    return name


def at_night(epoch: int, moment: str = "") -> bool:
    """Chosen as "night" by the patient, or taken between 0:00 and 5:59 local time."""
    return moment == NIGHT_MOMENT or moment_of_day(epoch) == NIGHT_MOMENT


def newest(
    mask: np.ndarray,
    epoch: np.ndarray,
    columns: tuple[np.ndarray, ...],
    moments: np.ndarray | None = None,
) -> Listed:
    """The readings where mask is true, newest first, capped at LIST_CAP."""
    where = np.flatnonzero(mask)
    picked = where[::-1][:LIST_CAP]
    events = []
    for i in picked.tolist():
        at = int(epoch[i])
        moment = str(moments[i]) if moments is not None else ""
        events.append(
            Event(
                at,
                moment_of_day(at),
                tuple(float(c[i]) for c in columns),
                moment,
                at_night(at, moment) if moments is not None else False,
            )
        )
    return Listed(tuple(events), int(where.size))


def count_at_night(mask: np.ndarray, epoch: np.ndarray, moments: np.ndarray) -> int:
    """How many of the readings where mask is true were taken at night (all, not capped)."""
    return sum(at_night(int(epoch[i]), str(moments[i])) for i in np.flatnonzero(mask).tolist())


def bp_alarms(
    epoch: np.ndarray, systolic: np.ndarray, diastolic: np.ndarray, classes: np.ndarray
) -> Listed:
    """Readings from 180/110 (clinical.bp_classes gave BP.ALARM)."""
    return newest(classes == clinical.BP.ALARM, epoch, (systolic, diastolic))


def glucose_lists(
    epoch: np.ndarray, mmol: np.ndarray, moments: np.ndarray, classes: np.ndarray
) -> tuple[Listed, Listed, int]:
    """Hypos (below 4.0), very high readings (above 15) and the number of night hypos."""
    hypo = (classes == clinical.G.HYPO) | (classes == clinical.G.SEVERE_HYPO)
    very_high = classes == clinical.G.VERY_HIGH
    return (
        newest(hypo, epoch, (mmol,), moments),
        newest(very_high, epoch, (mmol,), moments),
        count_at_night(hypo, epoch, moments),
    )


def by_moment(mmol: np.ndarray, moments: np.ndarray) -> dict[str, MomentStat]:
    """Mean and count per group of moments: fasting / before a meal, after a meal, other."""
    if mmol.size == 0:
        return {}
    names = np.asarray(moments).astype("U24")
    group = np.empty(names.shape, dtype="U16")
    for name in np.unique(names).tolist():
        group[names == name] = clinical.glucose_range(str(name)).key
    out = {}
    for key in MOMENT_GROUPS:
        values = mmol[group == key]
        if values.size:
            out[key] = MomentStat(float(values.mean()), int(values.size))
    return out
