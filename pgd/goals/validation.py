"""Checks for goals, check-ins and questions; messages in plain language, translated.

Everything here is pure: it takes raw form values and today's date, returns plain data
or raises Invalid with a message per field, and nothing is saved in that case.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext as _

from pgd.forms import date_problem, parse_date
from pgd.goals.data import GoalData, GoalKind, Mode
from pgd.goals.metrics import METRICS
from pgd.measurements.validation import Invalid, number_in_range

TEXT_MAX = 200
WHY_MAX = 500
UNIT_MAX = 40
ACTION_MAX = 200
ACTIONS_MAX = 20
QUESTION_MAX = 1000
COUNT_PER_DAY = (1.0, 1000.0)  # more than 1000 of anything a day is a typing error
WEEKLY_TOTAL = (1.0, 7000.0)
EARLIEST_START = date(2000, 1, 1)


def _text(errors: dict[str, str], name: str, raw: object, limit: int, *, required: bool) -> str:
    value = " ".join(str(raw or "").split())
    if required and not value:
        errors[name] = _("Write your goal in your own words, for example: walk 30 minutes a day.")
    elif len(value) > limit:
        errors[name] = _("Use at most %(max)d characters.", max=limit)
    return value


def _day(errors: dict[str, str], name: str, raw: object, *, required: bool) -> date | None:
    text = str(raw or "").strip()
    if not text:
        if required:
            errors[name] = _("Fill in the date.")
        return None
    parsed = parse_date(text)  # one rule for every date: 14-03-2026, 14032026, ...
    if parsed is None:
        errors[name] = date_problem(text)
    elif parsed < EARLIEST_START:
        errors[name] = _(
            "Check the year: this date is too long ago. Use a date from %(year)d on.",
            year=EARLIEST_START.year,
        )
        return None
    return parsed


def actions(raw: object) -> list[str]:
    """One small step per line; empty lines are skipped."""
    lines = [" ".join(line.split()) for line in str(raw or "").splitlines()]
    lines = [line for line in lines if line]
    if len(lines) > ACTIONS_MAX:
        raise Invalid({"actions": _("Write at most %(max)d steps.", max=ACTIONS_MAX)})
    for line in lines:
        if len(line) > ACTION_MAX:
            raise Invalid({"actions": _("A step has at most %(max)d characters.", max=ACTION_MAX)})
    return lines


def action_text(raw: object) -> str:
    errors: dict[str, str] = {}
    value = " ".join(str(raw or "").split())
    if not value:
        errors["text"] = _("Write the step, for example: buy walking shoes.")
    elif len(value) > ACTION_MAX:
        errors["text"] = _("A step has at most %(max)d characters.", max=ACTION_MAX)
    if errors:
        raise Invalid(errors)
    return value


def goal(raw: dict[str, object], today: date) -> GoalData:
    """Form values → GoalData (state, actions and history are the caller's)."""
    errors: dict[str, str] = {}
    text = _text(errors, "text", raw.get("text"), TEXT_MAX, required=True)
    why = _text(errors, "why", raw.get("why"), WHY_MAX, required=False)
    kind_raw = str(raw.get("kind") or "")
    if kind_raw not in {k.value for k in GoalKind}:
        errors["kind"] = _("Choose what kind of goal this is.")
        raise Invalid(errors)
    kind = GoalKind(kind_raw)
    start = _day(errors, "start", raw.get("start"), required=True)
    until = _day(errors, "until", raw.get("until"), required=False)
    if start is not None and start > today + timedelta(days=366):
        errors["start"] = _("Choose a start date within a year from today.")
    if start is not None and until is not None and until <= start:
        errors["until"] = _("The target date must be after the start date.")
    fields: dict[str, object] = {}
    if kind == GoalKind.MEASUREMENT:
        metric = METRICS.get(str(raw.get("metric") or ""))
        if metric is None:
            errors["metric"] = _("Choose the measurement this goal is about.")
        else:
            direction = str(raw.get("direction") or metric.default_direction)
            if direction not in ("down", "up"):
                errors["direction"] = _("Choose whether the value should go down or up.")
            target = number_in_range(
                errors, "target", raw.get("target"), metric.bounds, metric.unit, whole=metric.whole
            )
            fields = {"metric": metric.kind, "direction": direction, "target": target}
    else:
        mode_raw = str(raw.get("mode") or Mode.DONE.value)
        if mode_raw not in {m.value for m in Mode}:
            errors["mode"] = _("Choose how you want to check in.")
            mode_raw = Mode.DONE.value
        mode = Mode(mode_raw)
        if mode == Mode.DONE:
            per_week = number_in_range(
                errors, "per_week", raw.get("per_week"), (1.0, 7.0), _("times a week"), whole=True
            )
            unit = ""
        else:
            per_week = number_in_range(
                errors, "per_week", raw.get("per_week"), WEEKLY_TOTAL, _("a week"), whole=True
            )
            unit = _text(errors, "unit", raw.get("unit"), UNIT_MAX, required=False)
            if not unit and "unit" not in errors:
                errors["unit"] = _(
                    "Write what you count, for example: minutes or glasses of water."
                )
        fields = {"mode": mode, "per_week": int(per_week) if per_week is not None else None}
        fields["unit"] = unit
    if errors:
        raise Invalid(errors)
    assert start is not None
    return GoalData(kind=kind, text=text, why=why, start=start, until=until, **fields)  # type: ignore[arg-type]


def check_in(
    day: date,
    today: date,
    start: date,
    taken: set[date],
    count_raw: object,
    mode: Mode,
    unit: str = "",
) -> int:
    """The count for one day's check-in; refuses the future, before the start, and doubles."""
    errors: dict[str, str] = {}
    if day > today:
        errors["day"] = _("This day is in the future. You can check in for today or earlier.")
    elif day < start:
        errors["day"] = _(
            "This day is before the start of your goal. You can check in from %(day)s.",
            day=start.strftime("%d-%m-%Y"),
        )
    elif day in taken:
        errors["day"] = _("You already checked in for this day.")
    count = 1.0
    if mode == Mode.COUNT:
        value = number_in_range(
            errors, "count", count_raw, COUNT_PER_DAY, unit or _("a day"), whole=True
        )
        count = value if value is not None else 0.0
    if errors:
        raise Invalid(errors)
    return int(count)


def check_in_day(raw: object, today: date, *, required: bool = False) -> date:
    """The day typed for a check-in. Without a date: today, unless a date was asked for
    ("check in for another day"), where an empty field means the date is missing."""
    errors: dict[str, str] = {}
    parsed = _day(errors, "day", raw, required=required)
    if errors:
        raise Invalid(errors)
    return today if parsed is None else parsed


def question(raw: object) -> str:
    value = str(raw or "").strip()
    if not value:
        raise Invalid({"text": _("Write your question or topic.")})
    if len(value) > QUESTION_MAX:
        raise Invalid({"text": _("Use at most %(max)d characters.", max=QUESTION_MAX)})
    return value
