"""The home dashboard's cards and plain-language lines, from series (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
from flask_babel import gettext as _
from flask_babel import ngettext

from pgd.measurements import stats
from pgd.measurements.services import Series
from pgd.measurements.validation import format_number


def _nl(x: float) -> str:
    """One decimal in the reader's language ("7,4" in Dutch)."""
    return format_number(x, 1)


@dataclass
class Card:
    kind: str
    title: str
    latest: str | None = None
    latest_at: datetime | None = None
    average: str | None = None
    lines: list[str] = field(default_factory=list)
    status: str = "neutral"  # "good", "attention" or "neutral"


def blood_pressure_card(s: Series, target: tuple[int, int], now: datetime) -> Card:
    card = Card("blood_pressure", _("Blood pressure"))
    if s.n == 0:
        card.lines.append(_("No readings yet."))
        return card
    sys_, dia = s.values["systolic"], s.values["diastolic"]
    card.latest = f"{int(sys_[-1])}/{int(dia[-1])} mmHg"
    card.latest_at = datetime.fromtimestamp(int(s.epoch[-1]), UTC)
    recent = s.epoch >= int((now - timedelta(days=14)).timestamp())
    if recent.any():
        card.average = _(
            "%(value)s mmHg on average over 14 days",
            value=f"{round(float(sys_[recent].mean()))}/{round(float(dia[recent].mean()))}",
        )
    last = slice(-10, None)
    above = stats.bp_above_target(sys_[last], dia[last], target)
    n = int(sys_[last].size)
    goal = f"{target[0]}/{target[1]}"
    if n == 1:
        card.lines.append(
            _("Your reading was above your target (%(target)s).", target=goal)
            if above
            else _("Your reading was below your target (%(target)s).", target=goal)
        )
    else:
        card.lines.append(
            _(
                "Your blood pressure was above your target (%(target)s) on %(above)d of the last "
                "%(n)d readings.",
                target=goal,
                above=above,
                n=n,
            )
        )
    card.status = "attention" if above * 2 > n else "good"
    return card


def weight_card(s: Series, height_cm: float | None, now: datetime) -> Card:
    card = Card("weight", _("Weight"))
    if s.n == 0:
        card.lines.append(_("No readings yet."))
        return card
    kg = s.values["kg"]
    card.latest = f"{_nl(float(kg[-1]))} kg"
    card.latest_at = datetime.fromtimestamp(int(s.epoch[-1]), UTC)
    recent = s.epoch >= int((now - timedelta(days=14)).timestamp())
    if recent.any():
        card.average = _(
            "%(value)s kg on average over 14 days", value=_nl(float(kg[recent].mean()))
        )
    if height_cm:
        value = stats.bmi(float(kg[-1]), height_cm)
        card.lines.append(_("Your BMI is %(bmi)s.", bmi=_nl(value)))
    window = s.epoch >= int((now - timedelta(days=91)).timestamp())
    if int(window.sum()) >= 2:
        first, last = float(kg[window][0]), float(kg[window][-1])
        diff = last - first
        if abs(diff) < 0.5:
            card.lines.append(_("Your weight stayed about the same in the last 3 months."))
        elif diff < 0:
            card.lines.append(_("You lost %(kg)s kg in the last 3 months.", kg=_nl(-diff)))
        else:
            card.lines.append(_("You gained %(kg)s kg in the last 3 months.", kg=_nl(diff)))
    return card


def glucose_card(s: Series, now: datetime) -> Card:
    card = Card("glucose", _("Blood sugar"))
    if s.n == 0:
        card.lines.append(_("No readings yet."))
        return card
    mmol = s.values["mmol"]
    card.latest = f"{_nl(float(mmol[-1]))} mmol/L"
    card.latest_at = datetime.fromtimestamp(int(s.epoch[-1]), UTC)
    recent = s.epoch >= int((now - timedelta(days=14)).timestamp())
    if recent.any():
        values = mmol[recent]
        card.average = _(
            "%(value)s mmol/L on average over 14 days", value=_nl(float(values.mean()))
        )
        tir = stats.time_in_range(values)
        card.lines.append(
            _(
                "In the last 14 days, %(pct)d%% of your %(n)d readings were between "
                "%(low)s and %(high)s.",
                pct=round(tir.in_range),
                n=tir.n,
                low=format_number(stats.GLUCOSE_LOW),
                high=format_number(stats.GLUCOSE_HIGH),
            )
        )
        lows = int(np.count_nonzero(values < stats.GLUCOSE_LOW))
        if lows:
            card.lines.append(
                ngettext(
                    "%(num)d reading was too low (a hypo).",
                    "%(num)d readings were too low (a hypo).",
                    lows,
                )
            )
        card.status = "good" if tir.in_range >= 70 and not lows else "attention"
    else:
        card.lines.append(_("No readings in the last 14 days."))
    return card
