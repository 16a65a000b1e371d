"""Plain words (B1) for every verdict: what a number means and what to do next.

The patient and the care provider read the same verdict; the patient gets a headline,
the meaning and a next step, the care provider a short line. English source text,
Dutch through the catalogue. Links go to Thuisarts.nl (a plain link: nothing loads).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from babel.dates import format_date
from babel.numbers import get_decimal_symbol
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from pgd.clinical import thresholds as t
from pgd.clinical.targets import (
    AFTER_MEAL,
    FASTING,
    BloodPressureTarget,
    GlucoseRange,
    Source,
    glucose_range,
)
from pgd.clinical.verdicts import BP, G, Verdict

THUISARTS_BP = "https://www.thuisarts.nl/hoge-bloeddruk"
THUISARTS_BP_HOME = "https://www.thuisarts.nl/hoge-bloeddruk/ik-wil-zelf-thuis-mijn-bloeddruk-meten"
THUISARTS_DIABETES = "https://www.thuisarts.nl/diabetes-type-2"
THUISARTS_WEIGHT = "https://www.thuisarts.nl/overgewicht"


@dataclass(frozen=True)
class Link:
    url: str
    text: str


@dataclass(frozen=True)
class Words:
    """What a patient reads: a headline, what it means, and (where useful) what to do."""

    headline: str
    meaning: str = ""
    next_step: str = ""
    link: Link | None = None
    urgent: bool = False  # act now: the next step is read before the meaning

    @property
    def in_order(self) -> tuple[str, ...]:
        """Headline, then meaning and next step, the step first when it is urgent."""
        rest = (self.next_step, self.meaning) if self.urgent else (self.meaning, self.next_step)
        return tuple(p for p in (self.headline, *rest) if p)


def decimal_sign() -> str:
    """',' when the reader's language is Dutch, '.' in English and outside a request."""
    locale = get_locale()
    return get_decimal_symbol(locale) if locale is not None else "."


def number(x: float, decimals: int | None = None) -> str:
    """A number in the reader's language: '7,4' in Dutch, '7.4' in English.

    Whole numbers stay whole ("40", not "40,0"); no thousands separator, so "1000" can
    never be read as "1,000" (one) in the other language. ``decimals`` fixes the number
    of decimals ("2,8"). The one way the app writes a number in words (also
    pgd.measurements.validation.format_number).
    """
    text = f"{x:g}" if decimals is None else f"{x:.{decimals}f}"
    # Most numbers shown are whole ("143"): no point to replace, no locale to look up.
    return text.replace(".", decimal_sign()) if "." in text else text


def pressure(systolic: float, diastolic: float) -> str:
    """'143/86', rounded half up as people do."""
    return f"{math.floor(systolic + 0.5)}/{math.floor(diastolic + 0.5)}"


def _link(url: str, topic: str) -> Link:
    text = _("Read more on Thuisarts.nl: %(topic)s", topic=topic)
    locale = get_locale()
    if locale is not None and locale.language != "nl":
        text += " (in Dutch)"  # Thuisarts.nl is in Dutch only: say so in other languages
    return Link(url, text)


def topic_link(kind: str) -> Link:
    """The Thuisarts.nl page about what a chart of this kind is for (patients' charts)."""
    if kind == "blood_pressure":
        return _link(THUISARTS_BP_HOME, _("measuring your blood pressure at home"))
    if kind == "weight":
        return _link(THUISARTS_WEIGHT, _("overweight"))
    return _link(THUISARTS_DIABETES, _("diabetes type 2"))


# --- targets and their source -----------------------------------------------------------


def bp_target(target: BloodPressureTarget) -> str:
    """'135/85' (on target below both numbers)."""
    return pressure(target.systolic, target.diastolic)


def target_source(target: BloodPressureTarget, *, for_patient: bool = True) -> str:
    """Where a target comes from, shown wherever the target is."""
    if target.source is Source.AGREED and target.agreement is not None:
        a = target.agreement
        day = format_date(a.day, "d MMMM y", locale=get_locale() or "en")
        if a.by_patient:
            if for_patient:
                return _("agreed target, changed by yourself on %(date)s", date=day)
            return _("agreed target, changed by the patient on %(date)s", date=day)
        return _(
            "agreed with %(name)s (%(profession)s) on %(date)s",
            name=a.name,
            profession=a.profession,
            date=day,
        )
    if target.source is Source.OWN:
        return _("set by yourself") if for_patient else _("set by the patient")
    if target.older:
        return _("NHG target for home measurement, 70 years and older")
    return _("NHG target for home measurement")


def glucose_range_text(band: GlucoseRange) -> str:
    if band.key == AFTER_MEAL.key:
        return _("below %(high)s", high=number(band.high))
    return _("between %(low)s and %(high)s", low=number(band.low), high=number(band.high))


def glucose_moment_group(band: GlucoseRange) -> str:
    if band.key == FASTING.key:
        return _("fasting and before a meal")
    if band.key == AFTER_MEAL.key:
        return _("after a meal")
    return _("at bedtime, at night and at other moments")


def glucose_target_text(moment: str) -> str:
    """'between 4,5 and 8 mmol/L fasting and before a meal (NHG)'."""
    band = glucose_range(moment)
    if not band.nhg:
        return _(
            "%(range)s mmol/L %(moment)s (general range)",
            range=glucose_range_text(band),
            moment=glucose_moment_group(band),
        )
    return _(
        "%(range)s mmol/L %(moment)s (NHG)",
        range=glucose_range_text(band),
        moment=glucose_moment_group(band),
    )


def bmi_category(category: str) -> str:
    return {
        "underweight": _("underweight"),
        "healthy": _("healthy weight"),
        "overweight": _("overweight"),
        "obese": _("obesity"),
        "severe_obese": _("severe obesity"),
        "morbid_obese": _("morbid obesity"),
    }.get(category, category)


# --- the patient's words ----------------------------------------------------------------


def patient(verdict: Verdict, target: BloodPressureTarget | None = None) -> Words:
    """Headline, meaning and next step for the patient, in the request's language."""
    v = verdict.values
    code = verdict.code
    bp_link = _link(THUISARTS_BP, _("high blood pressure"))
    sugar_link = _link(THUISARTS_DIABETES, _("diabetes type 2"))
    if code.startswith("bp_"):
        goal = bp_target(target) if target is not None else ""
        value = pressure(v.get("systolic", 0), v.get("diastolic", 0))
        return _blood_pressure(code, v, value, goal, bp_link, target)
    if code.startswith("glucose_"):
        return _glucose(code, v, sugar_link)
    if code.startswith("bmi_"):
        return _bmi(v)
    if code.startswith("weight_"):
        return _weight(code, v)
    return Words(code)


def _blood_pressure(
    code: str,
    v: dict[str, object],
    value: str,
    goal: str,
    link: Link,
    target: BloodPressureTarget | None = None,
) -> Words:
    alarm_step = _(
        "Sit quietly for 5 minutes and measure again. Is it still 180/110 or higher? "
        "Call your GP practice today. With chest pain, shortness of breath or trouble "
        "speaking: call 112."
    )
    if code == "bp_reading_alarm":
        return Words(
            _("Your last reading was very high."),
            _("%(value)s is 180/110 or higher.", value=value),
            alarm_step,
            link,
            urgent=True,
        )
    if code == "bp_reading_high":
        return Words(
            _("Your last reading did not meet your target."),
            _("%(value)s is not below %(target)s.", value=value, target=goal),
            _("One reading says little: the average of several days counts."),
            link,
        )
    if code == "bp_reading_ok":
        return Words(
            _("Your last reading was below your target."),
            _("%(value)s is below %(target)s.", value=value, target=goal),
        )
    few = ""
    if v.get("few"):
        few = " " + ngettext(
            "This average rests on only %(num)d reading. Measure in the morning and in the "
            "evening for a few days.",
            "This average rests on only %(num)d readings. Measure in the morning and in the "
            "evening for a few days.",
            int(v.get("n", 0)),  # type: ignore[call-overload]
        )
    if code == "bp_mean_alarm":
        return Words(
            _("Your average blood pressure is very high."),
            _(
                "Your average blood pressure at home was %(value)s. That is 180/110 or higher.",
                value=value,
            )
            + few,
            _("Contact your GP practice today."),
            link,
        )
    if code == "bp_mean_high":
        meaning = _bp_mean_high_meaning(v, value, goal, target)
        return Words(
            _("Your average blood pressure at home is too high."),
            meaning + few,
            _("Measure for another week and discuss it with your practice nurse."),
            _link(THUISARTS_BP_HOME, _("measuring your blood pressure at home")),
        )
    if code == "bp_mean_ok":
        return Words(
            _("Your average blood pressure at home is good."),
            _(
                "Your average blood pressure at home was %(value)s. That is lower than %(target)s.",
                value=value,
                target=goal,
            )
            + few,
            _("Keep measuring as agreed with your practice."),
        )
    return Words(_("No blood pressure readings yet."))


def _bp_mean_high_meaning(
    v: dict[str, object], value: str, goal: str, target: BloodPressureTarget | None
) -> str:
    """Which number is too high, in words that are true at the edge ("135 is not below 135")."""
    upper, lower = int(v.get("systolic", 0)), int(v.get("diastolic", 0))  # type: ignore[call-overload]
    if target is None:
        return _("Your average blood pressure at home was %(value)s.", value=value)
    upper_high, lower_high = upper >= target.systolic, lower >= target.diastolic
    if upper_high and not lower_high:
        return _(
            "Your average blood pressure at home was %(value)s. The lower number is fine, "
            "but the upper number (%(upper)d) is not below %(limit)d.",
            value=value,
            upper=upper,
            limit=target.systolic,
        )
    if lower_high and not upper_high:
        return _(
            "Your average blood pressure at home was %(value)s. The upper number is fine, "
            "but the lower number (%(lower)d) is not below %(limit)d.",
            value=value,
            lower=lower,
            limit=target.diastolic,
        )
    if upper > target.systolic and lower > target.diastolic:
        return _(
            "Your average blood pressure at home was %(value)s. That is higher than %(target)s.",
            value=value,
            target=goal,
        )
    return _(
        "Your average blood pressure at home was %(value)s. That is not below %(target)s.",
        value=value,
        target=goal,
    )


def _glucose(code: str, v: dict[str, object], link: Link) -> Words:
    hypo_step = _(
        "Take 15 to 20 grams of fast sugar now (for example 4 to 5 glucose tablets or a "
        "glass of lemonade with sugar). Measure again after 15 minutes."
    )
    if code in {"glucose_hypo", "glucose_severe_hypo"}:
        # What to do comes first in the patient's view (see Words.urgent).
        meaning = _(
            "%(value)s mmol/L is below 4: a hypo.",
            value=number(float(v["mmol"]), 1),  # type: ignore[arg-type]
        )
        step = hypo_step
        if code == "glucose_severe_hypo":
            meaning += " " + _("Below 3 is very low.")
            step += " " + _("Tell your GP practice about it.")
        step += " " + _("Remember: 4 is the floor.")
        return Words(_("Your blood sugar was too low (a hypo)."), meaning, step, link, urgent=True)
    if code == "glucose_very_high":
        return Words(
            _("Your blood sugar was very high."),
            _("%(value)s mmol/L is above 15.", value=number(float(v["mmol"]), 1)),  # type: ignore[arg-type]
            _(
                "Drink water and measure again in a few hours. Is it still above 15, or do "
                "you feel ill? Contact your GP practice today."
            ),
            link,
        )
    if code in {"glucose_below", "glucose_in_range", "glucose_above"}:
        band = glucose_range(str(v["moment"]))
        meaning = _(
            "%(value)s mmol/L. The target %(moment)s is %(range)s mmol/L.",
            value=number(float(v["mmol"]), 1),  # type: ignore[arg-type]
            moment=glucose_moment_group(band),
            range=glucose_range_text(band),
        )
        if code == "glucose_in_range":
            return Words(_("Your blood sugar was within the target."), meaning)
        if code == "glucose_below":
            return Words(
                _("Your blood sugar was a little low for this moment."),
                meaning,
                _(
                    "Watch for signs of a hypo. Is it often this low? Discuss it with your practice nurse."
                ),
                link,
            )
        return Words(
            _("Your blood sugar was above the target for this moment."),
            meaning,
            _(
                "One high reading says little. Is it often high? Discuss it with your practice nurse."
            ),
            link,
        )
    n, pct = int(v.get("n", 0)), int(v.get("pct", 0))  # type: ignore[call-overload]
    share = _(
        "%(in_range)d of your %(n)d readings (%(pct)d%%) were within the target for their "
        "moment of the day.",
        in_range=int(v.get("in_range", 0)),  # type: ignore[call-overload]
        n=n,
        pct=pct,
    )
    if code == "glucose_period_hypos":
        hypos = int(v.get("hypos", 0))  # type: ignore[call-overload]
        return Words(
            ngettext(
                "%(num)d reading was below 4 (a hypo).",
                "%(num)d readings were below 4 (a hypo).",
                hypos,
            ),
            share,
            _("Discuss your hypos with your practice nurse: your medicines may need changing."),
            link,
        )
    if code == "glucose_period_very_high":
        high = int(v.get("very_high", 0))  # type: ignore[call-overload]
        return Words(
            ngettext(
                "%(num)d reading was above 15.",
                "%(num)d readings were above 15.",
                high,
            ),
            share,
            _("Does it stay above 15, or do you feel ill? Contact your GP practice today."),
            link,
        )
    if code == "glucose_period_ok":
        return Words(_("Most of your blood sugar readings were within the target."), share)
    if code == "glucose_period_off":
        return Words(
            _("Many of your blood sugar readings were outside the target."),
            share,
            _("Discuss it with your practice nurse at your next appointment."),
            link,
        )
    return Words(_("No blood sugar readings yet."))


def _bmi(v: dict[str, object]) -> Words:
    category = str(v["category"])
    headline = _(
        "Your BMI is %(bmi)s: %(category)s.",
        bmi=number(float(v["bmi"]), 1),  # type: ignore[arg-type]
        category=bmi_category(category),
    )
    meaning = _(
        "A healthy BMI is from %(low)s to under %(high)s.",
        low=number(t.BMI_UNDERWEIGHT),
        high=number(t.BMI_OVERWEIGHT),
    )
    if category == "healthy":
        return Words(headline, meaning)
    if category == "underweight":
        return Words(
            headline,
            meaning,
            _("Are you losing weight without trying? Discuss it with your GP practice."),
        )
    return Words(
        headline,
        meaning,
        _("Losing 5 to 10 percent of your weight already helps your health."),
        _link(THUISARTS_WEIGHT, _("overweight")),
    )


def _weight(code: str, v: dict[str, object]) -> Words:
    pct = number(abs(float(v.get("pct", 0.0))), 1)  # type: ignore[arg-type]
    if code == "weight_change_planned":
        return Words(_("Your weight is going the way you planned."))
    if code == "weight_loss_unintended":
        return Words(
            _("You lost %(pct)s%% of your weight in a short time.", pct=pct),
            _("Losing weight quickly without planning it can be a sign of illness."),
            _("Discuss it with your GP practice."),
        )
    if code == "weight_change":
        if float(v.get("pct", 0.0)) > 0:  # type: ignore[arg-type]
            return Words(_("Your weight went up by %(pct)s%%.", pct=pct))
        return Words(_("Your weight went down by %(pct)s%%.", pct=pct))
    return Words(_("Your weight stayed about the same."))


# --- one reading's class, for chart legends and table cells ------------------------------


def glucose_class_name(cls: int) -> str:
    """'hypo (below 4)', 'within the target', ...: a G class in words (never colour alone)."""
    return {
        G.SEVERE_HYPO: _(
            "very low blood sugar (below %(value)s)", value=number(t.GLUCOSE_SEVERE_HYPO)
        ),
        G.HYPO: _("hypo (below %(value)s)", value=number(t.GLUCOSE_HYPO)),
        G.BELOW: _("below the target"),
        G.IN_RANGE: _("within the target"),
        G.ABOVE: _("above the target"),
        G.VERY_HIGH: _("very high (above %(value)s)", value=number(t.GLUCOSE_VERY_HIGH)),
    }[G(cls)]


def glucose_off_target_name(cls: int) -> str:
    """A ring on the day-curve chart: outside the target for the reading's own moment."""
    if G(cls) is G.BELOW:
        return _("below the target for its moment")
    return _("above the target for its moment")


def bp_class_name(cls: int) -> str:
    """'below the target', 'at or above the target', 'very high (180/110 or higher)'."""
    return {
        BP.ON_TARGET: _("below the target"),
        BP.ABOVE: _("at or above the target"),
        BP.ALARM: _("very high (%(value)s or higher)", value=pressure(*t.BP_ALARM)),
    }[BP(cls)]


def reading_mark(kind: str, value: object, target: BloodPressureTarget) -> tuple[str, str] | None:
    """(status, words) for a reading that needs attention in a list; None for the others.

    Hypos and alarming readings are marked ("alarm"); readings above the target only get
    a quiet "attention" mark. Weight: no mark per reading (BMI is a trend matter).
    """
    from pgd import clinical  # the package imports this module

    if kind == "blood_pressure":
        cls = clinical.bp_classes(
            np.array([getattr(value, "systolic", 0)]),
            np.array([getattr(value, "diastolic", 0)]),
            target,
        )[0]
        if cls == BP.ALARM:
            return "alarm", bp_class_name(int(cls))
        if cls == BP.ABOVE:
            return "attention", bp_class_name(int(cls))
        return None
    if kind == "glucose":
        g = clinical.glucose_class(
            float(getattr(value, "mmol", 0.0)), str(getattr(value, "moment", "other"))
        )
        if g in (G.SEVERE_HYPO, G.HYPO, G.VERY_HIGH):
            return "alarm", glucose_class_name(int(g))
        if g in (G.BELOW, G.ABOVE):
            return "attention", glucose_class_name(int(g))
    return None
