"""Progress computations as pure functions: no app, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from pgd.goals import progress as pg
from pgd.goals.metrics import METRICS, column_values

WEIGHT, BP, GLUCOSE = METRICS["weight"], METRICS["blood_pressure"], METRICS["glucose"]


def _at(day: date, hour: int = 9) -> int:
    return pg.day_start_epoch(day) + hour * 3600


def _arrays(points: list[tuple[date, float]]) -> tuple[np.ndarray, np.ndarray]:
    epoch = np.array([_at(d) for d, _v in points], dtype=np.int64)
    return epoch, np.array([v for _d, v in points], dtype=float)


# --- measurement goals ------------------------------------------------------------------


def test_share_done_from_start_to_target() -> None:
    assert pg.share_done(90.0, 87.5, 85.0, "down", False) == pytest.approx(0.5)
    assert pg.share_done(90.0, 85.0, 85.0, "down", False) == 1.0
    assert pg.share_done(90.0, 92.0, 85.0, "down", False) == 0.0  # went the wrong way
    assert pg.share_done(50.0, 60.0, 70.0, "up", False) == pytest.approx(0.5)
    assert pg.share_done(None, 87.0, 85.0, "down", False) is None
    assert pg.share_done(90.0, None, 85.0, "down", False) is None
    # "below 140": 140 itself is not there yet
    assert pg.share_done(150.0, 140.0, 140.0, "down", True) == pytest.approx(0.99)
    assert pg.share_done(150.0, 139.0, 140.0, "down", True) == 1.0


@pytest.mark.parametrize(
    ("current", "today", "expected"),
    [
        (87.0, date(2026, 2, 15), pg.ON_TRACK),  # 60 % done after 50 % of the time
        (87.5, date(2026, 3, 1), pg.BEHIND),  # 50 % done after 66 % of the time
        (85.0, date(2026, 2, 1), pg.ACHIEVED),
        (86.0, date(2026, 4, 2), pg.BEHIND),  # target date passed
        (91.0, date(2026, 1, 10), pg.BEHIND),  # moving away
        (89.9, date(2026, 1, 2), pg.ON_TRACK),  # early days, a little done
    ],
)
def test_measurement_status_against_the_target_date(
    current: float, today: date, expected: str
) -> None:
    start, until = date(2026, 1, 1), date(2026, 4, 1)  # 90 days
    status = pg.measurement_status(90.0, current, 85.0, "down", False, start, until, today)
    assert status == expected


def test_on_track_within_tolerance_of_the_straight_line() -> None:
    start, until = date(2026, 1, 1), date(2026, 1, 11)  # 10 days
    # day 5 of 10: half expected; 0.46 done is within 5 % of that
    assert (
        pg.measurement_status(90.0, 87.7, 85.0, "down", False, start, until, date(2026, 1, 6))
        == pg.ON_TRACK
    )
    assert (
        pg.measurement_status(90.0, 88.0, 85.0, "down", False, start, until, date(2026, 1, 6))
        == pg.BEHIND
    )


def test_without_a_target_date_direction_decides() -> None:
    s = date(2026, 1, 1)
    assert (
        pg.measurement_status(90, 89, 85, "down", False, s, None, date(2026, 6, 1)) == pg.ON_TRACK
    )
    assert pg.measurement_status(90, 91, 85, "down", False, s, None, date(2026, 6, 1)) == pg.BEHIND
    assert pg.measurement_status(None, None, 85, "down", False, s, None, s) == pg.NO_DATA


def test_no_measurements_yet_gives_no_data() -> None:
    empty = np.empty(0, dtype=np.int64), np.empty(0, dtype=float)
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    p = pg.measurement_progress(WEIGHT, *empty, 85.0, "down", date(2026, 1, 1), None, now)
    assert (p.start_value, p.current_value, p.share_done, p.status) == (None, None, None, "no_data")


def test_weight_start_is_the_reading_at_the_start_else_the_first_after() -> None:
    epoch, kg = _arrays(
        [(date(2025, 12, 20), 93.0), (date(2026, 1, 1), 92.0), (date(2026, 2, 1), 89.0)]
    )
    assert pg.start_value(WEIGHT, epoch, kg, date(2026, 1, 1)) == 92.0
    assert pg.start_value(WEIGHT, epoch, kg, date(2025, 12, 25)) == 93.0
    epoch2, kg2 = _arrays([(date(2026, 2, 1), 89.0), (date(2026, 2, 8), 88.0)])
    assert pg.start_value(WEIGHT, epoch2, kg2, date(2026, 1, 1)) == 89.0
    now = datetime(2026, 2, 10, 12, tzinfo=UTC)
    p = pg.measurement_progress(WEIGHT, epoch2, kg2, 85.0, "down", date(2026, 1, 1), None, now)
    assert (p.start_value, p.current_value) == (89.0, 88.0)
    assert p.share_done == pytest.approx(0.25)


def test_blood_pressure_uses_the_two_week_average() -> None:
    days = [date(2026, 3, 1) + timedelta(days=i) for i in range(30)]
    epoch, systolic = _arrays([(d, 150.0 if i < 16 else 136.0) for i, d in enumerate(days)])
    now = datetime.combine(days[-1], datetime.min.time(), tzinfo=UTC) + timedelta(hours=20)
    p = pg.measurement_progress(BP, epoch, systolic, 140.0, "down", days[0], None, now)
    assert p.start_value == pytest.approx(150.0)  # the 14 days up to the start day
    assert p.current_value == pytest.approx(136.0)
    assert p.status == pg.ACHIEVED
    # no readings in the last 2 weeks: nothing to say about "now"
    later = now + timedelta(days=20)
    assert pg.measurement_progress(
        BP, epoch, systolic, 140.0, "down", days[0], None, later
    ).status == (pg.NO_DATA)


def test_a_goal_that_starts_today_shows_one_figure_for_start_and_now() -> None:
    """Walk-through: "at the start 150, now 150, 5% of the way". On the start day the
    start figure was the window up to midnight, "now" the 14 x 24 hours before now: a
    reading late in the evening two weeks ago was in one and not the other."""
    today = date(2026, 11, 23)
    points = [(today - timedelta(days=i), 9, 150.0) for i in range(1, 20)]
    points.append((today - timedelta(days=14), 21, 172.0))  # in "now", not in "the start"
    points.sort(key=lambda p: _at(p[0], p[1]))
    epoch = np.array([_at(d, h) for d, h, _v in points], dtype=np.int64)
    systolic = np.array([v for _d, _h, v in points])
    now = datetime.combine(today, datetime.min.time(), tzinfo=pg.LOCAL) + timedelta(hours=20)
    p = pg.measurement_progress(BP, epoch, systolic, 140.0, "down", today, None, now)
    assert p.start_value == p.current_value == 152.0  # (13 x 150 + 172) / 14, rounded
    assert p.share_done == 0.0
    assert p.status == pg.ON_TRACK


def test_progress_is_worked_out_from_the_figures_as_shown() -> None:
    start, now = date(2026, 1, 1), datetime(2026, 1, 20, 12, tzinfo=UTC)
    # 150.4 and 149.6 both read "150 mmHg": no share of the way done
    p = pg.measurement_result(BP, 150.4, 149.6, 140.0, "down", start, None, now)
    assert (p.start_value, p.current_value, p.share_done) == (150.0, 150.0, 0.0)
    # 139.6 reads "140 mmHg": not yet "below 140"
    p = pg.measurement_result(BP, 150.0, 139.6, 140.0, "down", start, None, now)
    assert p.current_value == 140.0
    assert p.status != pg.ACHIEVED
    assert p.share_done == pytest.approx(0.99)
    # weight keeps one decimal
    p = pg.measurement_result(WEIGHT, 90.04, 87.46, 85.0, "down", start, None, now)
    assert (p.start_value, p.current_value) == (90.0, 87.5)
    assert p.share_done == pytest.approx(0.5)


def test_glucose_share_in_range() -> None:
    day = date(2026, 5, 1)
    epoch = np.array([_at(day, h) for h in range(8, 18)], dtype=np.int64)
    mmol = np.array([5.0, 6.0, 7.0, 11.0, 12.0, 3.5, 8.0, 9.0, 10.0, 3.9])
    # At "another moment" the NHG day range is 4 to 10: 3.5 and 3.9 are hypos, 11 and 12
    # above it; 6 of 10 in range.
    other = np.array(["other"] * 10, dtype=object)
    flags = column_values(GLUCOSE, {"mmol": mmol, "moment": other})
    assert pg.metric_at(GLUCOSE, epoch, flags, _at(day, 23)) == pytest.approx(60.0)
    # Fasting the range is 4.5 to 8: 9 and 10 are above it too (4 of 10).
    fasting = np.array(["fasting"] * 10, dtype=object)
    flags = column_values(GLUCOSE, {"mmol": mmol, "moment": fasting})
    assert pg.metric_at(GLUCOSE, epoch, flags, _at(day, 23)) == pytest.approx(40.0)


# --- days, weeks and DST ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("utc", "local"),
    [
        (datetime(2026, 3, 28, 23, 30, tzinfo=UTC), date(2026, 3, 29)),  # CET, +1
        (datetime(2026, 3, 29, 21, 30, tzinfo=UTC), date(2026, 3, 29)),  # CEST, +2
        (datetime(2026, 3, 29, 22, 30, tzinfo=UTC), date(2026, 3, 30)),
        (datetime(2026, 10, 24, 22, 30, tzinfo=UTC), date(2026, 10, 25)),  # still CEST
        (datetime(2026, 10, 25, 22, 30, tzinfo=UTC), date(2026, 10, 25)),  # CET again
        (datetime(2026, 10, 25, 23, 30, tzinfo=UTC), date(2026, 10, 26)),
    ],
)
def test_local_day_around_the_clock_changes(utc: datetime, local: date) -> None:
    assert pg.local_day(utc) == local


def test_days_with_a_clock_change_are_23_and_25_hours() -> None:
    spring = pg.day_start_epoch(date(2026, 3, 30)) - pg.day_start_epoch(date(2026, 3, 29))
    autumn = pg.day_start_epoch(date(2026, 10, 26)) - pg.day_start_epoch(date(2026, 10, 25))
    assert (spring, autumn) == (23 * 3600, 25 * 3600)


def _run(first: date, last: date) -> dict[date, int]:
    return {first + timedelta(days=i): 1 for i in range((last - first).days + 1)}


def test_day_streak_runs_across_week_boundaries_and_clock_changes() -> None:
    # Thursday 26 March to Thursday 2 April 2026: a Monday and the spring clock change
    days = _run(date(2026, 3, 26), date(2026, 4, 2))
    assert pg.streak_days(days, date(2026, 4, 2)) == 8
    # today still open: the streak up to yesterday holds
    assert pg.streak_days(days, date(2026, 4, 3)) == 8
    # a missed day breaks it
    assert pg.streak_days(days, date(2026, 4, 4)) == 0
    autumn = _run(date(2026, 10, 20), date(2026, 10, 27))
    assert pg.streak_days(autumn, date(2026, 10, 27)) == 8
    del autumn[date(2026, 10, 25)]
    assert pg.streak_days(autumn, date(2026, 10, 27)) == 2


def test_week_streak_counts_weeks_that_reached_the_target() -> None:
    # Weeks are Monday to Sunday; 3 a week is the target
    days: dict[date, int] = {}
    for monday in (date(2026, 3, 16), date(2026, 3, 23), date(2026, 3, 30)):
        for offset in (0, 2, 6):  # Monday, Wednesday, Sunday
            days[monday + timedelta(days=offset)] = 1
    # Tuesday of the next week, nothing yet this week: the streak is still 3
    assert pg.streak_weeks(days, date(2026, 4, 7), 3) == 3
    days[date(2026, 4, 6)] = days[date(2026, 4, 7)] = days[date(2026, 4, 8)] = 1
    assert pg.streak_weeks(days, date(2026, 4, 8), 3) == 4
    # a week that fell short breaks it
    del days[date(2026, 3, 25)]
    assert pg.streak_weeks(days, date(2026, 4, 8), 3) == 2
    assert pg.streak_weeks({}, date(2026, 4, 8), 3) == 0


def test_last_eight_weeks_oldest_first() -> None:
    days = {date(2026, 4, 8): 1, date(2026, 4, 9): 1, date(2026, 3, 2): 1}
    bars = pg.last_weeks(days, date(2026, 4, 9), 2)
    assert len(bars) == 8
    assert bars[-1] == pg.WeekBar(date(2026, 4, 6), 2, True)
    assert bars[0].start == date(2026, 2, 16)
    assert bars[2] == pg.WeekBar(date(2026, 3, 2), 1, False)


def test_activity_status() -> None:
    wednesday = date(2026, 4, 8)
    assert pg.activity_status({}, wednesday, 5, True) == pg.NO_DATA
    three = {date(2026, 4, 6): 1, date(2026, 4, 7): 1, date(2026, 4, 8): 1}
    assert pg.activity_status(three, wednesday, 5, True) == pg.ON_TRACK
    assert pg.activity_status(three, wednesday, 3, True) == pg.ACHIEVED
    # Saturday with 3 of 7: only Saturday and Sunday are left
    assert pg.activity_status(three, date(2026, 4, 11), 7, True) == pg.BEHIND
    assert pg.activity_status(three, date(2026, 4, 11), 5, True) == pg.ON_TRACK
    # counting minutes: 100 of 150 by Thursday keeps pace (3/7 of 150 = 64)
    minutes = {date(2026, 4, 6): 60, date(2026, 4, 8): 40}
    assert pg.activity_status(minutes, date(2026, 4, 9), 150, False) == pg.ON_TRACK
    assert pg.activity_status(minutes, date(2026, 4, 12), 300, False) == pg.BEHIND


def test_activity_progress_for_a_daily_goal_counts_days() -> None:
    days = _run(date(2026, 3, 27), date(2026, 3, 31))
    p = pg.activity_progress(days, date(2026, 3, 31), 7, True, "")
    assert (p.week_count, p.week_target, p.streak, p.streak_unit) == (2, 7, 5, "days")
    assert p.checked_today
    weekly = pg.activity_progress(days, date(2026, 3, 31), 5, True, "")
    assert weekly.streak_unit == "weeks"


def test_streak_reaches_tells_when_older_check_ins_are_needed() -> None:
    today = date(2026, 4, 8)  # Wednesday
    since = date(2026, 3, 30)  # Monday of the week before
    daily = pg.activity_progress(_run(date(2026, 3, 30), today), today, 7, True, "")
    assert daily.streak == 10
    assert pg.streak_reaches(daily, today, since)
    short = pg.activity_progress(_run(date(2026, 4, 2), today), today, 7, True, "")
    assert not pg.streak_reaches(short, today, since)
    weekly = pg.activity_progress(_run(date(2026, 3, 30), today), today, 3, True, "")
    assert (weekly.streak, weekly.streak_unit) == (2, "weeks")
    assert pg.streak_reaches(weekly, today, since)
    assert not pg.streak_reaches(weekly, today, date(2026, 3, 23))
    none = pg.activity_progress({}, today, 3, True, "")
    assert not pg.streak_reaches(none, today, since)
