"""Plain words (B1) for the home-measurement week: where the patient is today, and what
the week's mean says. English source text, Dutch through the catalogue; the verdict's own
words come from ``pgd.clinical.words``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from babel.dates import format_date
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from pgd.clinical import thresholds as t
from pgd.clinical import words as cw
from pgd.clinical.measuring_week import EVENING, MORNING, Result, Status, end_day
from pgd.clinical.targets import BloodPressureTarget
from pgd.clinical.verdicts import bp_classes


def moment_name(moment: str) -> str:
    return {MORNING: _("morning"), EVENING: _("evening")}.get(moment, moment)


def slot_name(day: int, moment: str) -> str:
    """'day 4, evening'."""
    return _("day %(day)d, %(moment)s", day=day, moment=moment_name(moment))


def status_line(status: Status) -> str:
    """'Day 3 of 7 — 2 more readings this evening' (Dutch: 'Dag 3 van 7 — vanavond nog 2
    metingen')."""
    if status.finished:
        return _("Your measuring week is over.")
    if not status.running:
        return _("Your measuring week has not started yet.")
    if status.due == MORNING:
        return ngettext(
            "Day %(day)d of %(days)d — %(num)d more reading this morning",
            "Day %(day)d of %(days)d — %(num)d more readings this morning",
            status.lacking,
            day=status.day,
            days=status.days,
        )
    if status.due == EVENING:
        return ngettext(
            "Day %(day)d of %(days)d — %(num)d more reading this evening",
            "Day %(day)d of %(days)d — %(num)d more readings this evening",
            status.lacking,
            day=status.day,
            days=status.days,
        )
    return _("Day %(day)d of %(days)d — done for today", day=status.day, days=status.days)


def missed_line(status: Status) -> str:
    """Readings missing from earlier moments, which can still be entered; '' when none."""
    if not status.missed:
        return ""
    return ngettext(
        "%(num)d reading of an earlier moment is still missing. You can still enter it.",
        "%(num)d readings of earlier moments are still missing. You can still enter them.",
        status.missed,
    )


def _day(d: date) -> str:
    return format_date(d, "d MMMM y", locale=get_locale() or "en")


def outside_week(start_day: date) -> str:
    """A reading dated outside the week (refused by the week's form)."""
    return _(
        "This date is not in your measuring week (%(start)s to %(end)s). Fill in a date in "
        "the week.",
        start=_day(start_day),
        end=_day(end_day(start_day)),
    )


def time_not_in_moment(moment: str) -> str:
    """The time typed does not belong to the moment chosen (morning before 14:00)."""
    hour = f"{t.BP_WEEK_EVENING_FROM_HOUR:02d}:00"
    if moment == MORNING:
        return _(
            "A morning reading is before %(hour)s. Change the time or choose evening.", hour=hour
        )
    return _(
        "An evening reading is from %(hour)s on. Change the time or choose morning.", hour=hour
    )


def how_to_measure() -> str:
    """The protocol in one sentence (NHG M84 / Thuisarts)."""
    return _(
        "Measure for %(days)d days, in the morning before breakfast and medicines and in the "
        "evening before dinner. Each time, measure twice, one minute apart. Day 1 is practice "
        "and does not count.",
        days=t.BP_WEEK_DAYS,
    )


@dataclass(frozen=True)
class ResultWords:
    """The result for the patient: a headline, the figure, details, and the verdict's
    words (meaning, next step, link) when the mean is usable or alarming."""

    headline: str
    figure: str
    details: tuple[str, ...]
    verdict: cw.Words | None
    status: str  # "alarm", "attention", "good" or "neutral": the card's colour


def figure(result: Result) -> str:
    """'Average of days 2 to 7: 138/84 mmHg, from 22 of the 24 readings.'"""
    if not result.used:
        return _("No readings of days 2 to 7 yet.")
    return _(
        "Average of days 2 to 7: %(value)s mmHg, from %(used)d of the %(expected)d readings.",
        value=cw.pressure(result.systolic or 0, result.diastolic or 0),
        used=result.used,
        expected=result.expected,
    )


def missing_line(result: Result) -> str:
    """'Missing: day 4, evening (2); day 6, morning (1).'; '' when complete."""
    if not result.missing:
        return ""
    parts = [f"{slot_name(day, moment)} ({lacking})" for day, moment, lacking in result.missing]
    return _("Missing: %(slots)s.", slots="; ".join(parts))


def usable_line(result: Result) -> str:
    if result.usable:
        return _("Enough readings for a reliable average.")
    return _(
        "Too few readings for a reliable average: %(used)d, and at least %(min)d are needed.",
        used=result.used,
        min=result.minimum,
    )


def details(result: Result) -> tuple[str, ...]:
    parts = [usable_line(result), missing_line(result)]
    if result.day_one:
        parts.append(_("Day 1 is not counted: it is for getting used to measuring."))
    if result.extra:
        parts.append(
            ngettext(
                "%(num)d extra reading was left out: only the first 2 of each morning and "
                "evening count.",
                "%(num)d extra readings were left out: only the first 2 of each morning and "
                "evening count.",
                result.extra,
            )
        )
    return tuple(p for p in parts if p)


def result_words(
    result: Result, target: BloodPressureTarget, *, running: bool = False
) -> ResultWords:
    """What the patient reads when the week is over (or while it runs)."""
    if running and not result.judged:
        return ResultWords(
            _("Your measuring week is still running."),
            figure(result),
            tuple(p for p in (missing_line(result),) if p),
            None,
            "neutral",
        )
    if not result.judged:
        return ResultWords(
            _("Not enough readings to judge your measuring week."),
            figure(result),
            (*details(result), _("Measure another week to get a reliable average.")),
            None,
            "neutral",
        )
    said = cw.patient(result.verdict, target)
    return ResultWords(said.headline, figure(result), details(result), said, result.verdict.status)


def result_line(result: Result, target: BloodPressureTarget) -> str:
    """The care provider's line: 'Average 138/84 mmHg (22 of 24 readings): at or above the
    target.', or why it cannot be judged."""
    if not result.used:
        return _("No readings of days 2 to 7.")
    value = cw.pressure(result.systolic or 0, result.diastolic or 0)
    if not result.judged:
        meaning = _("too few readings to judge (at least %(min)d)", min=result.minimum)
    else:
        cls = bp_classes(np.array([result.systolic]), np.array([result.diastolic]), target)[0]
        meaning = cw.bp_class_name(int(cls))
    return _(
        "Average %(value)s mmHg (%(used)d of %(expected)d readings): %(meaning)s.",
        value=value,
        used=result.used,
        expected=result.expected,
        meaning=meaning,
    )


def short_line(result: Result, end: date, *, running: bool) -> str:
    """One line for the summary's blood pressure row: 'Measuring week to 9 March: 138/84
    mmHg, 22 of 24 readings' (the week panel below it says the rest)."""
    last = format_date(end, "d MMMM", locale=get_locale() or "en")
    if not result.used:
        return _("Measuring week to %(last)s: no readings of days 2 to 7 yet.", last=last)
    text = _(
        "Measuring week to %(last)s: %(value)s mmHg, %(used)d of %(expected)d readings.",
        last=last,
        value=cw.pressure(result.systolic or 0, result.diastolic or 0),
        used=result.used,
        expected=result.expected,
    )
    if running:
        text += " " + _("(still running)")
    elif not result.judged:
        text += " " + _("Too few readings to judge.")
    return text
