"""Goal form checks as pure functions: every bad input names its field; good input parses."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from flask import Flask

from pgd.goals import validation
from pgd.goals.data import GoalKind, Mode
from pgd.measurements.validation import Invalid

TODAY = date(2026, 5, 20)
BASE = {
    "text": "Minder chips eten",
    "why": "",
    "kind": "activity",
    "mode": "done",
    "per_week": "5",
    "start": "20-05-2026",
}


@pytest.fixture
def ctx() -> Iterator[None]:
    app = Flask(__name__)
    from flask_babel import Babel

    Babel(app)
    with app.test_request_context():
        yield


@pytest.mark.usefixtures("ctx")
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"text": " \n "}, "text"),
        ({"text": "x" * 201}, "text"),
        ({"kind": "dream"}, "kind"),
        ({"start": ""}, "start"),
        ({"start": "31-02-2026"}, "start"),
        ({"until": "19-05-2026"}, "until"),
        ({"until": "20-05-2026"}, "until"),
        ({"per_week": "0"}, "per_week"),
        ({"per_week": "8"}, "per_week"),
        ({"per_week": "2,5"}, "per_week"),
        ({"mode": "count", "per_week": "150", "unit": ""}, "unit"),
        ({"kind": "measurement", "metric": "weight", "target": "12"}, "target"),
        ({"kind": "measurement", "metric": "weight", "target": "zeventig"}, "target"),
        ({"kind": "measurement", "metric": "blood_pressure", "target": "400"}, "target"),
        ({"kind": "measurement", "metric": "glucose", "target": "120"}, "target"),
        ({"kind": "measurement", "metric": "cholesterol", "target": "5"}, "metric"),
    ],
)
def test_bad_goal_input_names_the_field(changes: dict[str, str], field: str) -> None:
    with pytest.raises(Invalid) as caught:
        validation.goal({**BASE, **changes}, TODAY)
    assert field in caught.value.errors


@pytest.mark.usefixtures("ctx")
def test_good_input_parses_with_a_comma_and_dutch_dates() -> None:
    g = validation.goal(
        {
            **BASE,
            "kind": "measurement",
            "metric": "weight",
            "direction": "down",
            "target": "84,5",
            "until": "1-6-2026",
        },
        TODAY,
    )
    assert (g.kind, g.metric, g.target, g.until) == (
        GoalKind.MEASUREMENT,
        "weight",
        84.5,
        date(2026, 6, 1),
    )
    counted = validation.goal(
        {**BASE, "mode": "count", "per_week": "150", "unit": "minuten"}, TODAY
    )
    assert (counted.mode, counted.per_week, counted.unit) == (Mode.COUNT, 150, "minuten")


@pytest.mark.usefixtures("ctx")
def test_check_in_rules() -> None:
    start = date(2026, 5, 1)
    assert validation.check_in(TODAY, TODAY, start, set(), None, Mode.DONE) == 1
    assert validation.check_in(TODAY, TODAY, start, set(), "45", Mode.COUNT, "minuten") == 45
    for day, taken, count, mode, field in [
        (date(2026, 5, 21), set(), None, Mode.DONE, "day"),
        (date(2026, 4, 30), set(), None, Mode.DONE, "day"),
        (TODAY, {TODAY}, None, Mode.DONE, "day"),
        (TODAY, set(), "1001", Mode.COUNT, "count"),
        (TODAY, set(), "0", Mode.COUNT, "count"),
        (TODAY, set(), "-3", Mode.COUNT, "count"),
        (TODAY, set(), "", Mode.COUNT, "count"),
    ]:
        with pytest.raises(Invalid) as caught:
            validation.check_in(day, TODAY, start, taken, count, mode, "minuten")
        assert field in caught.value.errors, (day, count)


@pytest.mark.usefixtures("ctx")
def test_steps_and_questions() -> None:
    assert validation.actions("Schoenen kopen\n\n  Maatje   zoeken ") == [
        "Schoenen kopen",
        "Maatje zoeken",
    ]
    with pytest.raises(Invalid):
        validation.actions("\n".join(f"stap {i}" for i in range(21)))
    with pytest.raises(Invalid):
        validation.question("   ")
    assert validation.question(" Mag ik minder pillen? ") == "Mag ik minder pillen?"


@pytest.mark.usefixtures("ctx")
@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("01062026", date(2026, 6, 1)),
        ("1-6-2026", date(2026, 6, 1)),
        ("01.06.2026", date(2026, 6, 1)),
        ("2026-06-01", date(2026, 6, 1)),
        (" 29022028 ", date(2028, 2, 29)),
    ],
)
def test_a_goal_date_may_be_typed_in_digits_only(typed: str, expected: date) -> None:
    """The same date rule as the measurement forms: a phone's number pad is enough."""
    g = validation.goal({**BASE, "start": "20052026", "until": typed}, TODAY)
    assert (g.start, g.until) == (TODAY, expected)
    assert validation.check_in_day("19052026", TODAY) == date(2026, 5, 19)


@pytest.mark.usefixtures("ctx")
@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("31022026", "Write the date as day-month-year, for example 14-03-2026 or 14032026."),
        ("29022027", "Write the date as day-month-year, for example 14-03-2026 or 14032026."),
        ("99", "Write the date as day-month-year, for example 14-03-2026 or 14032026."),
        ("2561", "Write the date as day-month-year, for example 14-03-2026 or 14032026."),
        ("010626", "Did you mean 01-06-2026? Then write the year in full: 01062026."),
        ("20260601", "Write the date as day-month-year, for example 14-03-2026 or 14032026."),
    ],
)
def test_digits_that_are_no_goal_date(typed: str, message: str) -> None:
    with pytest.raises(Invalid) as caught:
        validation.goal({**BASE, "until": typed}, TODAY)
    assert caught.value.errors["until"] == message
    with pytest.raises(Invalid) as on_check_in:
        validation.check_in_day(typed, TODAY)
    assert on_check_in.value.errors["day"] == message
