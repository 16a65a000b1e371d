"""The home-measurement week's arithmetic (NHG M84): days are local calendar dates, day 1
is left out, at most two readings a moment count, and a mean needs 12 readings (ESH 2021).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

import numpy as np
import pytest
from flask import Flask

from pgd import clinical
from pgd.clinical import Level, measuring_week, thresholds, week_words
from pgd.clinical.measuring_week import EVENING, MORNING
from pgd.measurements.validation import LOCAL

NHG = clinical.standard_blood_pressure(60)
MARCH = date(2026, 3, 26)  # clocks go forward on Sunday 29 March 2026 (day 4)
OCTOBER = date(2026, 10, 22)  # clocks go back on Sunday 25 October 2026 (day 4)
PLAIN = date(2026, 5, 4)


def at(day: date, hour: int, minute: int = 0, fold: int = 0) -> int:
    """UTC epoch seconds of a local (Europe/Amsterdam) wall-clock time."""
    return int(
        datetime.combine(day, time(hour, minute), tzinfo=LOCAL).replace(fold=fold).timestamp()
    )


def week_of(
    start: date,
    per_moment: int = 2,
    days: tuple[int, ...] = tuple(range(1, 8)),
    value: tuple[float, float] = (140, 90),
    day_one: tuple[float, float] = (200, 120),
) -> list[tuple[int, float, float]]:
    """Readings at 07:30 and 20:00 (a minute apart) on the given days."""
    found = []
    for day in days:
        on = start + timedelta(days=day - 1)
        for hour in (7, 20):
            for i in range(per_moment):
                s, d = day_one if day == 1 else value
                found.append((at(on, hour, 30 + i), s, d))
    return found


def test_the_protocol_numbers() -> None:
    assert thresholds.BP_WEEK_EXPECTED_READINGS == 24
    assert thresholds.BP_WEEK_MIN_READINGS == 12
    assert measuring_week.LOCAL.key == LOCAL.key


SLOTS = [
    # (start, local reading time, fold, expected (day, moment) or None)
    (PLAIN, datetime(2026, 5, 4, 7, 0), 0, (1, MORNING)),
    (PLAIN, datetime(2026, 5, 4, 13, 59), 0, (1, MORNING)),  # the split: 13:59 morning
    (PLAIN, datetime(2026, 5, 4, 14, 0), 0, (1, EVENING)),  # 14:00 evening
    (PLAIN, datetime(2026, 5, 4, 0, 0), 0, (1, MORNING)),
    (PLAIN, datetime(2026, 5, 10, 23, 59), 0, (7, EVENING)),  # last minute of day 7
    (PLAIN, datetime(2026, 5, 11, 0, 0), 0, None),  # day 8
    (PLAIN, datetime(2026, 5, 3, 23, 59), 0, None),  # the evening before day 1
    # Clocks forward on 29 March: still seven local days, day 4 has 23 hours.
    (MARCH, datetime(2026, 3, 29, 8, 0), 0, (4, MORNING)),
    (MARCH, datetime(2026, 3, 29, 3, 30), 0, (4, MORNING)),  # just after the change
    (MARCH, datetime(2026, 3, 30, 0, 30), 0, (5, MORNING)),  # UTC still says 29 March
    (MARCH, datetime(2026, 4, 1, 23, 30), 0, (7, EVENING)),
    (MARCH, datetime(2026, 4, 2, 0, 30), 0, None),
    # Clocks back on 25 October: 02:30 happens twice, both on day 4.
    (OCTOBER, datetime(2026, 10, 25, 2, 30), 0, (4, MORNING)),
    (OCTOBER, datetime(2026, 10, 25, 2, 30), 1, (4, MORNING)),
    (OCTOBER, datetime(2026, 10, 25, 23, 30), 0, (4, EVENING)),  # UTC: 22:30
    (OCTOBER, datetime(2026, 10, 26, 0, 30), 0, (5, MORNING)),  # UTC still says 25 October
    (OCTOBER, datetime(2026, 10, 28, 23, 59), 0, (7, EVENING)),
    (OCTOBER, datetime(2026, 10, 29, 0, 0), 0, None),
]


@pytest.mark.parametrize(("start", "local", "fold", "expected"), SLOTS)
def test_each_reading_lands_on_its_local_day_and_moment(
    start: date, local: datetime, fold: int, expected: tuple[int, str] | None
) -> None:
    epoch = at(local.date(), local.hour, local.minute, fold)
    assert measuring_week.slot_of(epoch, start) == expected


@pytest.mark.parametrize(
    ("start", "hours"),
    [(PLAIN, 7 * 24), (MARCH, 7 * 24 - 1), (OCTOBER, 7 * 24 + 1)],
)
def test_the_week_is_seven_local_days_long(start: date, hours: int) -> None:
    first, after = measuring_week.bounds(start)
    assert first == at(start, 0)
    assert after - first == hours * 3600


RESULTS = [
    # (name, readings, used, extra, day_one, usable, complete, mean, readings missing)
    ("full week, day 1 left out", week_of(PLAIN), 24, 0, 4, True, True, (140, 90), 0),
    ("only day 1", week_of(PLAIN, days=(1,)), 0, 0, 4, False, False, None, 24),
    ("nothing", [], 0, 0, 0, False, False, None, 24),
    ("one reading a moment", week_of(PLAIN, per_moment=1), 12, 0, 2, True, False, (140, 90), 12),
    ("three a moment: extras", week_of(PLAIN, per_moment=3), 24, 12, 6, True, True, (140, 90), 0),
    ("days 2-4 complete: 12", week_of(PLAIN, days=(2, 3, 4)), 12, 0, 0, True, False, (140, 90), 12),
    ("across the spring change", week_of(MARCH), 24, 0, 4, True, True, (140, 90), 0),
    ("across the autumn change", week_of(OCTOBER), 24, 0, 4, True, True, (140, 90), 0),
]


@pytest.mark.parametrize(
    ("name", "readings", "used", "extra", "day_one", "usable", "complete", "mean", "missing"),
    RESULTS,
)
def test_the_result_of_a_week(
    name: str,
    readings: list[tuple[int, float, float]],
    used: int,
    extra: int,
    day_one: int,
    usable: bool,
    complete: bool,
    mean: tuple[int, int] | None,
    missing: int,
) -> None:
    first = MARCH if "spring" in name else OCTOBER if "autumn" in name else PLAIN
    result = measuring_week.result(readings, first, NHG)
    assert result.used == used
    assert result.expected == 24
    assert result.extra == extra
    assert result.day_one == day_one
    assert result.usable is usable
    assert result.complete is complete
    assert (None if mean is None else (result.systolic, result.diastolic)) == mean
    assert sum(lacking for _d, _m, lacking in result.missing) == missing


def test_only_the_first_two_readings_of_a_moment_count_whatever_their_order() -> None:
    on = PLAIN + timedelta(days=1)  # day 2
    readings = [
        (at(on, 7, 30), 130.0, 80.0),
        (at(on, 7, 31), 132.0, 82.0),
        (at(on, 7, 40), 190.0, 115.0),  # a third reading: left out
    ]
    random.Random(4).shuffle(readings)
    result = measuring_week.result(readings, PLAIN, NHG)
    assert (result.used, result.extra) == (2, 1)
    assert (result.systolic, result.diastolic) == (131, 81)
    assert result.missing[0] == (2, EVENING, 2)


def test_day_one_never_counts_even_when_it_is_alarming() -> None:
    result = measuring_week.result(week_of(PLAIN, day_one=(220, 130)), PLAIN, NHG)
    assert result.verdict.level is Level.HIGH  # 140/90, not alarming
    assert (result.systolic, result.diastolic) == (140, 90)


@pytest.mark.parametrize(
    ("days", "usable"),
    [
        ((2, 3, 4), True),  # 12 readings: just enough
        ((2, 3), False),  # 8 readings
    ],
)
def test_the_usable_minimum_by_days(days: tuple[int, ...], usable: bool) -> None:
    assert measuring_week.result(week_of(PLAIN, days=days), PLAIN, NHG).usable is usable


@pytest.mark.parametrize(("n", "usable"), [(12, True), (11, False), (13, True)])
def test_both_sides_of_the_usable_minimum(n: int, usable: bool) -> None:
    readings = week_of(PLAIN, days=(2, 3, 4, 5))[:n]
    result = measuring_week.result(readings, PLAIN, NHG)
    assert result.used == n
    assert result.usable is usable


@pytest.mark.parametrize(
    ("value", "level"),
    [
        ((134, 84), Level.OK),
        ((135, 80), Level.HIGH),
        ((134, 85), Level.HIGH),
        ((180, 90), Level.ALARM),
    ],
)
def test_the_verdict_is_the_interpretation_of_the_mean(
    value: tuple[int, int], level: Level
) -> None:
    result = measuring_week.result(week_of(PLAIN, value=value), PLAIN, NHG)
    assert result.verdict.level is level
    assert result.verdict == clinical.bp_mean(np.full(24, value[0]), np.full(24, value[1]), NHG)


def _counts(**slots: int) -> list[tuple[int, float, float]]:
    """Readings per slot named d<day>_<moment>, e.g. d3_evening=1."""
    found = []
    for name, n in slots.items():
        day, moment = name[1:].split("_")
        on = PLAIN + timedelta(days=int(day) - 1)
        hour = 7 if moment == MORNING else 20
        found += [(at(on, hour, i), 140.0, 90.0) for i in range(n)]
    return found


FULL_BEFORE_DAY_3 = {"d1_morning": 2, "d1_evening": 2, "d2_morning": 2, "d2_evening": 2}
STATUS = [
    # (local now, readings, (day, due, lacking, missed))
    (datetime(2026, 5, 6, 9, 0), _counts(), (3, MORNING, 2, 8)),
    (datetime(2026, 5, 6, 9, 0), _counts(**FULL_BEFORE_DAY_3), (3, MORNING, 2, 0)),
    (datetime(2026, 5, 6, 9, 0), _counts(**FULL_BEFORE_DAY_3, d3_morning=2), (3, EVENING, 2, 0)),
    (datetime(2026, 5, 6, 13, 59), _counts(**FULL_BEFORE_DAY_3, d3_morning=1), (3, MORNING, 1, 0)),
    # From 14:00 the morning is past: what it lacks counts as missed.
    (datetime(2026, 5, 6, 14, 0), _counts(**FULL_BEFORE_DAY_3, d3_morning=1), (3, EVENING, 2, 1)),
    (datetime(2026, 5, 6, 20, 5), _counts(**FULL_BEFORE_DAY_3, d3_evening=1), (3, EVENING, 1, 2)),
    (
        datetime(2026, 5, 6, 21, 0),
        _counts(**FULL_BEFORE_DAY_3, d3_morning=2, d3_evening=3),
        (3, None, 0, 0),
    ),
    (datetime(2026, 5, 10, 22, 0), _counts(), (7, EVENING, 2, 26)),
    (datetime(2026, 5, 11, 8, 0), _counts(), (8, None, 0, 28)),
    (datetime(2026, 5, 3, 8, 0), _counts(), (0, None, 0, 0)),
]


@pytest.mark.parametrize(("now", "readings", "expected"), STATUS)
def test_where_the_patient_is_today(
    now: datetime, readings: list[tuple[int, float, float]], expected: tuple[object, ...]
) -> None:
    found = measuring_week.status(PLAIN, readings, now.replace(tzinfo=LOCAL))
    assert (found.day, found.due, found.lacking, found.missed) == expected


def test_the_status_in_dutch_and_english(app: Flask) -> None:
    evening = measuring_week.Status(3, EVENING, 2, 0)
    morning = measuring_week.Status(2, MORNING, 1, 3)
    done = measuring_week.Status(5, None, 0, 0)
    with app.test_request_context(headers={"Accept-Language": "nl"}):
        assert week_words.status_line(evening) == "Dag 3 van 7 — vanavond nog 2 metingen"
        assert week_words.status_line(morning) == "Dag 2 van 7 — vanochtend nog 1 meting"
        assert week_words.status_line(done) == "Dag 5 van 7 — klaar voor vandaag"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert week_words.status_line(evening) == "Day 3 of 7 — 2 more readings this evening"
        assert week_words.missed_line(morning).startswith("3 readings of earlier moments")


def test_the_result_in_words(app: Flask) -> None:
    partial = measuring_week.result(week_of(PLAIN, days=(2, 3)), PLAIN, NHG)
    full = measuring_week.result(week_of(PLAIN, per_moment=3), PLAIN, NHG)
    alarming = measuring_week.result(week_of(PLAIN, days=(2,), value=(190, 100)), PLAIN, NHG)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        said = week_words.result_words(partial, NHG)
        assert said.headline == "Not enough readings to judge your measuring week."
        assert said.status == "neutral"
        assert said.figure == ("Average of days 2 to 7: 140/90 mmHg, from 8 of the 24 readings.")
        assert "at least 12 are needed" in " ".join(said.details)
        assert "Missing: day 4, morning (2); day 4, evening (2);" in " ".join(said.details)
        said = week_words.result_words(full, NHG)
        assert said.headline == "Your average blood pressure at home is too high."
        assert said.status == "attention"
        assert "12 extra readings were left out" in " ".join(said.details)
        assert "Day 1 is not counted" in " ".join(said.details)
        # Too few readings, but alarming: said all the same.
        said = week_words.result_words(alarming, NHG)
        assert said.status == "alarm"
        assert week_words.result_line(full, NHG) == (
            "Average 140/90 mmHg (24 of 24 readings): at or above the target."
        )
    with app.test_request_context(headers={"Accept-Language": "nl"}):
        said = week_words.result_words(full, NHG)
        assert (
            said.figure
            == "Gemiddelde van dag 2 tot en met 7: 140/90 mmHg, uit 24 van de 24 metingen."
        )
