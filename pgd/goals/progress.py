"""Progress on a goal, computed from plain data: no Flask, no database, no keys.

Measurement goals: the metric's value at the start and now, the share of the way done,
and whether that share keeps pace with the target date. Activity goals: check-ins per
(Monday-first) week, the last 8 weeks, and the current streak. Days are local dates in
Europe/Amsterdam, so a check-in just after midnight counts for the new day, also on
the nights the clock changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np

from pgd.goals.metrics import Metric
from pgd.measurements.validation import LOCAL

DAY = 86400
WEEKS_SHOWN = 8
# A measurement goal counts as on track while it is at most this share behind the
# straight line from start to target date (weight swings by a few hundred grams a day).
TOLERANCE = 0.05

ON_TRACK, BEHIND, ACHIEVED, NO_DATA, NOT_SHARED = (
    "on_track",
    "behind",
    "achieved",
    "no_data",
    "not_shared",
)


@dataclass(frozen=True)
class WeekBar:
    """One week's check-ins for the small chart."""

    start: date  # Monday
    count: int
    met: bool


@dataclass(frozen=True)
class Progress:
    """How a goal is going, in plain numbers (None where there is nothing to show)."""

    kind: str  # "measurement" or "activity"
    target: float | None
    unit: str
    start_value: float | None = None
    current_value: float | None = None
    share_done: float | None = None  # 0..1
    status: str = NO_DATA  # on_track, behind, achieved, no_data, not_shared
    week_count: int | None = None
    week_target: int | None = None
    streak: int | None = None
    streak_unit: str | None = None  # "days" or "weeks"
    weeks: tuple[WeekBar, ...] = ()
    checked_today: bool = False


# --- days and weeks ---------------------------------------------------------------------


def local_day(moment: datetime) -> date:
    """The calendar day in the Netherlands at this moment (aware datetime)."""
    return moment.astimezone(LOCAL).date()


def day_start_epoch(day: date) -> int:
    """UTC epoch seconds of local midnight at the start of `day` (23 or 25 h days included)."""
    return int(datetime.combine(day, time(0), tzinfo=LOCAL).astimezone(UTC).timestamp())


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


# --- measurement goals ------------------------------------------------------------------


def metric_at(metric: Metric, epoch: np.ndarray, values: np.ndarray, end: int) -> float | None:
    """The metric as it stood just before `end`: the latest reading, or the window's figure."""
    hi = int(np.searchsorted(epoch, end, side="left"))
    if metric.window_days is None:
        return float(values[hi - 1]) if hi > 0 else None
    lo = int(np.searchsorted(epoch, end - metric.window_days * DAY, side="left"))
    return metric.aggregate(values[lo:hi])


def metric_from(metric: Metric, epoch: np.ndarray, values: np.ndarray, begin: int) -> float | None:
    """The first figure from `begin` on: the first reading, or the first window."""
    lo = int(np.searchsorted(epoch, begin, side="left"))
    if metric.window_days is None:
        return float(values[lo]) if lo < len(values) else None
    hi = int(np.searchsorted(epoch, begin + metric.window_days * DAY, side="left"))
    return metric.aggregate(values[lo:hi])


def start_value(
    metric: Metric, epoch: np.ndarray, values: np.ndarray, start: date, until: int | None = None
) -> float | None:
    """Where the patient stood on the start date; else the first figure after it.

    `until` (the epoch the current figure is taken at) caps the start figure: while the
    start day is still today, start and now are one and the same figure, over the same
    window, instead of two windows a few hours apart.
    """
    end = day_start_epoch(start + timedelta(days=1))
    if until is not None:
        end = min(end, until)
    found = metric_at(metric, epoch, values, end)
    if found is None:
        found = metric_from(metric, epoch, values, day_start_epoch(start))
    return found


def shown(metric: Metric, value: float | None) -> float | None:
    """The figure as the patient sees it (rounded to the metric's decimals)."""
    return None if value is None else round(value, metric.digits)


def is_met(value: float, target: float, direction: str, strict: bool) -> bool:
    if direction == "up":
        return value > target if strict else value >= target
    return value < target if strict else value <= target


def _raw_share(start: float, current: float, target: float, direction: str) -> float | None:
    span = (start - target) if direction == "down" else (target - start)
    if span <= 0:
        return None
    moved = (start - current) if direction == "down" else (current - start)
    return moved / span


def share_done(
    start: float | None, current: float | None, target: float, direction: str, strict: bool
) -> float | None:
    """0 at the start value, 1 at the target; None without both values."""
    if start is None or current is None:
        return None
    if is_met(current, target, direction, strict):
        return 1.0
    raw = _raw_share(start, current, target, direction)
    if raw is None:  # started at or past the target and slid back
        return 0.0
    # Not met yet (e.g. exactly 140 on "below 140"): never show the whole way done.
    return min(max(raw, 0.0), 0.99)


def measurement_status(
    start: float | None,
    current: float | None,
    target: float,
    direction: str,
    strict: bool,
    start_date: date,
    until: date | None,
    today: date,
) -> str:
    """achieved / on_track / behind / no_data, against a straight line to the target date."""
    if current is None or start is None:
        return NO_DATA
    if is_met(current, target, direction, strict):
        return ACHIEVED
    raw = _raw_share(start, current, target, direction)
    if raw is None:
        return BEHIND  # was at the target, is not any more
    if until is None:
        return ON_TRACK if raw >= 0 else BEHIND
    if today >= until:
        return BEHIND
    total = (until - start_date).days
    elapsed = min(max((today - start_date).days, 0), total)
    expected = elapsed / total if total > 0 else 1.0
    return ON_TRACK if raw >= expected - TOLERANCE else BEHIND


def measurement_progress(
    metric: Metric,
    epoch: np.ndarray,
    values: np.ndarray,
    target: float,
    direction: str,
    start_date: date,
    until: date | None,
    now: datetime,
) -> Progress:
    """Start, current, share and status of one measurement goal (arrays oldest first)."""
    end = int(now.timestamp()) + 1
    first = start_value(metric, epoch, values, start_date, end)
    current = metric_at(metric, epoch, values, end)
    return measurement_result(metric, first, current, target, direction, start_date, until, now)


def measurement_result(
    metric: Metric,
    first: float | None,
    current: float | None,
    target: float,
    direction: str,
    start_date: date,
    until: date | None,
    now: datetime,
) -> Progress:
    """Progress from the start value and the current value.

    Share and status are worked out from the figures as shown, so that what the patient
    reads adds up: equal figures are 0% of the way, and "below 140" is not reached at a
    figure shown as 140.
    """
    first, current = shown(metric, first), shown(metric, current)
    return Progress(
        kind="measurement",
        target=target,
        unit=metric.unit,
        start_value=first,
        current_value=current,
        share_done=share_done(first, current, target, direction, metric.strict),
        status=measurement_status(
            first, current, target, direction, metric.strict, start_date, until, local_day(now)
        ),
    )


# --- activity goals ---------------------------------------------------------------------


def week_total(days: dict[date, int], monday: date) -> int:
    return sum(days.get(monday + timedelta(days=i), 0) for i in range(7))


def last_weeks(
    days: dict[date, int], today: date, target: int, n: int = WEEKS_SHOWN
) -> tuple[WeekBar, ...]:
    """This week and the n-1 before it, oldest first."""
    this_monday = week_start(today)
    bars = []
    for back in range(n - 1, -1, -1):
        monday = this_monday - timedelta(weeks=back)
        total = week_total(days, monday)
        bars.append(WeekBar(monday, total, total >= target))
    return tuple(bars)


def streak_days(days: dict[date, int], today: date) -> int:
    """Days in a row with a check-in, up to today (or up to yesterday while today is open)."""
    day = today if days.get(today, 0) > 0 else today - timedelta(days=1)
    n = 0
    while days.get(day, 0) > 0:
        n += 1
        day -= timedelta(days=1)
    return n


def weekly_totals(days: dict[date, int]) -> dict[date, int]:
    """Check-ins summed per week (keyed by its Monday), in one pass."""
    totals: dict[date, int] = {}
    for day, count in days.items():
        monday = day - timedelta(days=day.weekday())
        totals[monday] = totals.get(monday, 0) + count
    return totals


def streak_weeks(days: dict[date, int], today: date, target: int) -> int:
    """Weeks in a row that reached the target; this week counts once it has."""
    totals = weekly_totals(days)
    monday = week_start(today)
    if totals.get(monday, 0) < target:
        monday -= timedelta(weeks=1)
    n = 0
    while totals.get(monday, 0) >= max(target, 1):
        n += 1
        monday -= timedelta(weeks=1)
    return n


def streak_reaches(progress: Progress, today: date, since: date) -> bool:
    """Could the streak go on before `since` (a Monday)? Then older check-ins are needed."""
    if not progress.streak:
        return False
    if progress.streak_unit == "days":
        end = today if progress.checked_today else today - timedelta(days=1)
        return end - timedelta(days=progress.streak - 1) <= since
    end_monday = week_start(today)
    if not (progress.weeks and progress.weeks[-1].met):
        end_monday -= timedelta(weeks=1)
    return end_monday - timedelta(weeks=progress.streak - 1) <= since


def activity_status(days: dict[date, int], today: date, target: int, daily_tap: bool) -> str:
    """achieved (this week's target reached) / on_track / behind / no_data."""
    if not days:
        return NO_DATA
    count = week_total(days, week_start(today))
    if count >= target:
        return ACHIEVED
    if daily_tap:
        # One tap a day: can the remaining days of this week still reach the target?
        left = 7 - today.weekday() - (1 if days.get(today, 0) > 0 else 0)
        return ON_TRACK if count + left >= target else BEHIND
    # A count: keep pace with the days already past this week.
    expected = target * today.weekday() / 7
    return ON_TRACK if count >= expected else BEHIND


def activity_progress(
    days: dict[date, int], today: date, target: int, daily_tap: bool, unit: str
) -> Progress:
    """This week's count against the target, the last 8 weeks and the streak."""
    if daily_tap and target >= 7:
        streak, streak_unit = streak_days(days, today), "days"
    else:
        streak, streak_unit = streak_weeks(days, today, target), "weeks"
    count = week_total(days, week_start(today))
    return Progress(
        kind="activity",
        target=float(target),
        unit=unit,
        share_done=min(count / target, 1.0) if target > 0 else None,
        status=activity_status(days, today, target, daily_tap),
        week_count=count,
        week_target=target,
        streak=streak,
        streak_unit=streak_unit,
        weeks=last_weeks(days, today, target),
        checked_today=days.get(today, 0) > 0,
    )
