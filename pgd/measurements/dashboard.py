"""The home dashboard's cards: the latest value, the recent average and what they mean.

Pure: series and targets in, cards out. Every verdict comes from pgd.clinical, and the
colour of a card follows the same verdict as its words: an alarming latest reading is
never shown as good.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
from flask_babel import gettext as _

from pgd import clinical
from pgd.clinical import BloodPressureTarget, Level, Verdict
from pgd.clinical import week_words as ww
from pgd.clinical import words as cw
from pgd.measurements.services import Series
from pgd.measurements.validation import LOCAL
from pgd.measurements.week import Overview

RECENT_DAYS = 14
WEIGHT_TREND_DAYS = 91
# A finished measuring week's result stays on the home page this long after day 7.
WEEK_RESULT_DAYS = 28


@dataclass
class Card:
    kind: str
    title: str
    latest: str | None = None
    latest_at: datetime | None = None
    average: str | None = None
    words: cw.Words | None = None  # the main verdict: headline, meaning, next step, link
    lines: list[str] = field(default_factory=list)  # further plain sentences
    target: str = ""  # the target and where it comes from
    status: str = "neutral"  # "alarm", "attention", "good" or "neutral"


def _recent(s: Series, now: datetime) -> np.ndarray:
    return s.epoch >= int((now - timedelta(days=RECENT_DAYS)).timestamp())


def _lead(latest: Verdict, period: Verdict | None) -> tuple[Verdict, Verdict | None]:
    """The verdict the card leads with, and the other one (if it adds something).

    An urgent latest reading leads; otherwise the figure over several readings does,
    since one reading says little.
    """
    if period is None or latest.level in (Level.ALARM, Level.HYPO):
        return latest, period
    return period, None


def blood_pressure_card(s: Series, target: BloodPressureTarget, now: datetime) -> Card:
    card = Card("blood_pressure", _("Blood pressure"))
    card.target = _(
        "Target: below %(target)s (%(source)s).",
        target=cw.bp_target(target),
        source=cw.target_source(target),
    )
    if s.n == 0:
        card.lines.append(_("No readings yet."))
        return card
    sys_, dia = s.values["systolic"], s.values["diastolic"]
    card.latest = f"{int(sys_[-1])}/{int(dia[-1])} mmHg"
    card.latest_at = datetime.fromtimestamp(int(s.epoch[-1]), UTC)
    latest = clinical.bp_reading(int(sys_[-1]), int(dia[-1]), target)
    recent = _recent(s, now)
    period = None
    if recent.any():
        period = clinical.bp_mean(sys_[recent], dia[recent], target)
        card.average = _(
            "%(value)s mmHg on average over 14 days",
            value=cw.pressure(period.values["systolic"], period.values["diastolic"]),
        )
    lead, other = _lead(latest, period)
    card.words = cw.patient(lead, target)
    if other is not None:
        card.lines.append(cw.patient(other, target).headline)
    elif period is None:
        card.lines.append(_("No readings in the last 14 days."))
    card.status = lead.status
    return card


def weight_card(
    s: Series, height_cm: float | None, now: datetime, goal_kg: float | None = None
) -> Card:
    card = Card("weight", _("Weight"))
    if s.n == 0:
        card.lines.append(_("No readings yet."))
        return card
    kg = s.values["kg"]
    latest = float(kg[-1])
    card.latest = f"{cw.number(latest, 1)} kg"
    card.latest_at = datetime.fromtimestamp(int(s.epoch[-1]), UTC)
    recent = _recent(s, now)
    if recent.any():
        card.average = _(
            "%(value)s kg on average over 14 days", value=cw.number(float(kg[recent].mean()), 1)
        )
    verdicts: list[Verdict] = []
    if height_cm:
        bmi = clinical.bmi_verdict(clinical.bmi(latest, height_cm))
        verdicts.append(bmi)
        card.words = cw.patient(bmi)
    else:
        card.lines.append(_("Fill in your height under Settings to see your BMI."))
    window = s.epoch >= int((now - timedelta(days=WEIGHT_TREND_DAYS)).timestamp())
    if int(window.sum()) >= 2:
        first = float(kg[window][0])
        days = (int(s.epoch[window][-1]) - int(s.epoch[window][0])) / 86400
        direction = clinical.weight_goal_direction(goal_kg, first)
        change = clinical.weight_change(first, latest, days, direction)
        diff = latest - first
        if clinical.about_the_same(diff, "kg"):
            card.lines.append(_("Your weight stayed about the same in the last 3 months."))
        elif diff < 0:
            card.lines.append(_("You lost %(kg)s kg in the last 3 months.", kg=cw.number(-diff, 1)))
        else:
            card.lines.append(
                _("You gained %(kg)s kg in the last 3 months.", kg=cw.number(diff, 1))
            )
        if change.code in ("weight_change_planned", "weight_loss_unintended"):
            words = cw.patient(change)
            card.lines.append(words.headline)
            card.lines.extend(p for p in (words.meaning, words.next_step) if p)
        if change.code == "weight_loss_unintended":
            verdicts.append(change)  # its words are on the card, so it may set the colour
    lead = clinical.worst(*verdicts)
    card.status = lead.status if lead is not None else "neutral"
    return card


def glucose_card(s: Series, now: datetime) -> Card:
    card = Card("glucose", _("Blood sugar"))
    card.target = _(
        "Target: %(fasting)s; %(after)s.",
        fasting=cw.glucose_target_text("fasting"),
        after=cw.glucose_target_text("after_breakfast"),
    )
    if s.n == 0:
        card.lines.append(_("No readings yet."))
        return card
    mmol = s.values["mmol"]
    moments = s.values["moment"]
    card.latest = f"{cw.number(float(mmol[-1]), 1)} mmol/L"
    card.latest_at = datetime.fromtimestamp(int(s.epoch[-1]), UTC)
    latest = clinical.glucose_reading(float(mmol[-1]), str(moments[-1]))
    recent = _recent(s, now)
    period = None
    if recent.any():
        card.average = _(
            "%(value)s mmol/L on average over 14 days",
            value=cw.number(float(mmol[recent].mean()), 1),
        )
        share = clinical.glucose_share(clinical.glucose_classes(mmol[recent], moments[recent]))
        period = clinical.glucose_period(share)
    lead, other = _lead(latest, period)
    card.words = cw.patient(lead)
    if other is not None:
        other_words = cw.patient(other)
        card.lines.extend(p for p in (other_words.headline, other_words.meaning) if p)
    elif period is None:
        card.lines.append(_("No readings in the last 14 days."))
    card.status = lead.status
    return card


@dataclass
class WeekCard:
    """The measuring week on the home page: where the patient is, the practice's request,
    or the result of a week that ended lately."""

    headline: str
    lines: list[str] = field(default_factory=list)
    status: str = "neutral"
    action: str = "see"  # "enter" (the moment due now), "start" or "see" (the week page)
    day: int = 0
    moment: str = ""


def week_card(ov: Overview, now: datetime) -> WeekCard | None:
    if ov.running and ov.status is not None:
        lines = [p for p in (ww.missed_line(ov.status),) if p]
        if ov.status.due:
            return WeekCard(
                ww.status_line(ov.status), lines, "attention", "enter", ov.status.day, ov.status.due
            )
        return WeekCard(ww.status_line(ov.status), lines)
    if ov.request is not None:
        who = ov.request.requester
        headline = (
            _("%(who)s asks you to do a measuring week.", who=who)
            if who
            else _("Your practice asks you to do a measuring week.")
        )
        return WeekCard(headline, [ww.how_to_measure()], "attention", "start")
    found = ov.result
    today = now.astimezone(LOCAL).date()
    end = found.week.end_day if found is not None else None
    if found is None or end is None or not found.finished:
        return None
    if (today - end).days > WEEK_RESULT_DAYS:
        return None
    said = ww.result_words(found.result, found.target)
    return WeekCard(said.headline, [said.figure, *said.details], said.status)
