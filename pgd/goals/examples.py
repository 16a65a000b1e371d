"""Ready-made goals that fill in the form; the patient changes whatever they like."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

# Shown as buttons above the form, in this order.
EXAMPLES: dict[str, object] = {
    "walking": _l("Walking"),
    "weight": _l("Weight"),
    "blood_pressure": _l("Blood pressure"),
    "smoking": _l("Stop smoking"),
    "glucose": _l("Blood sugar"),
}


def _d(day: date) -> str:
    return day.strftime("%d-%m-%Y")


def example(name: str, today: date, bp_systolic: int = 135) -> dict[str, str] | None:
    """Form values for one example, in the request's language; None if unknown.

    bp_systolic: the upper value of the patient's home blood pressure target
    (pgd.measurements.targets), so the ready-made goal never aims above the NHG target.
    """
    common = {"start": _d(today), "until": ""}
    if name == "walking":
        return {
            **common,
            "kind": "activity",
            "text": _("Walk 30 minutes, 5 times a week"),
            "why": _("I want to stay fit and keep up with my grandchildren."),
            "mode": "done",
            "per_week": "5",
            "actions": "\n".join([_("Buy good walking shoes"), _("Find someone to walk with")]),
        }
    if name == "weight":
        return {
            **common,
            "kind": "measurement",
            "text": _("Lose weight to 85 kg"),
            "why": _("With less weight my knees hurt less."),
            "metric": "weight",
            "direction": "down",
            "target": "85",
            "until": _d(today + timedelta(days=182)),
            "actions": "\n".join(
                [_("Ask the dietitian about bread"), _("Weigh myself every Monday morning")]
            ),
        }
    if name == "blood_pressure":
        return {
            **common,
            "kind": "measurement",
            "text": _("An average upper blood pressure at home below %(value)d", value=bp_systolic),
            "why": _("I want to lower my risk of a stroke."),
            "metric": "blood_pressure",
            "direction": "down",
            "target": str(bp_systolic),
            "until": _d(today + timedelta(days=91)),
            "actions": "\n".join(
                [_("Measure twice a day in the week before the consult"), _("Use less salt")]
            ),
        }
    if name == "smoking":
        return {
            **common,
            "kind": "activity",
            "text": _("Stop smoking: every day smoke-free"),
            "why": _("I want to breathe more easily and save money."),
            "mode": "done",
            "per_week": "7",
            "actions": "\n".join(
                [
                    _("Choose a stop date"),
                    _("Ask the practice nurse about help with stopping"),
                    _("Throw away ashtrays and lighters"),
                ]
            ),
        }
    if name == "glucose":
        return {
            **common,
            "kind": "measurement",
            "text": _("Blood sugar within the target in at least 7 of 10 readings"),
            "why": _("I want fewer complaints and to prevent damage to my eyes and feet."),
            "metric": "glucose",
            "direction": "up",
            "target": "70",
            "until": _d(today + timedelta(days=91)),
            "actions": "\n".join(
                [_("Make a day curve once a week"), _("Take a short walk after dinner")]
            ),
        }
    return None
