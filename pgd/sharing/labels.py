"""Plain-language words for categories, grant states and access-log events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import g, has_request_context
from flask_babel import format_date, format_datetime, format_decimal, format_time, ngettext
from flask_babel import gettext as _

from pgd import clinical
from pgd.accounts.labels import profession_label
from pgd.clinical import words as cw

LOCAL = ZoneInfo("Europe/Amsterdam")


def _request_cache(name: str) -> dict[Any, str]:
    """Labels repeat on a list of 2,000 patients: translate each once per request."""
    if not has_request_context():
        return {}
    return g.setdefault(name, {})  # type: ignore[no-any-return]


def category(code: str) -> str:
    cache = _request_cache("pgd_category_labels")
    if not cache:
        cache.update(
            {
                "blood_pressure": _("blood pressure"),
                "weight": _("weight"),
                "glucose": _("blood sugar"),
                "goals": _("goals (with questions for the consult)"),
            }
        )
    return cache.get(code, code)


def categories(codes: Sequence[str]) -> str:
    """Several categories as one phrase: "blood pressure, weight and blood sugar"."""
    cache = _request_cache("pgd_categories_labels")
    key = tuple(codes)
    if key in cache:
        return cache[key]
    words = [category(c) for c in codes]
    if not words:
        text = ""
    elif len(words) == 1:
        text = words[0]
    else:
        text = _("%(first)s and %(last)s", first=", ".join(words[:-1]), last=words[-1])
    cache[key] = text
    return text


def status(code: str) -> str:
    return {"active": _("Active"), "expired": _("Expired"), "revoked": _("Stopped")}.get(code, code)


def short_name(name: str) -> str:
    """Initial and surname ("A. de Vries"), as in a practice's letters."""
    parts = name.split()
    if len(parts) < 2:
        return name
    return f"{parts[0][0]}. {' '.join(parts[1:])}"


def visit_sentence(visit: Any) -> str:
    """One visit of a care provider (pgd.sharing.access_log.Visit) in plain words."""
    who = f"{short_name(visit.actor_name)}, {profession_label(visit.actor_profession)}"
    what = categories(visit.categories)
    day = format_date(visit.first, "long")
    start = format_time(visit.first, "HH:mm")
    end = format_time(visit.last, "HH:mm")
    if visit.count == 1 or start == end:
        when = _("on %(day)s at %(time)s", day=day, time=start)
    else:
        when = _("on %(day)s between %(start)s and %(end)s", day=day, start=start, end=end)
    if visit.action == "api_read":
        text = _("%(who)s read your %(what)s through the practice system %(when)s")
    else:
        text = _("%(who)s viewed your %(what)s %(when)s")
    sentence = text % {"who": who, "what": what, "when": when}
    if visit.count > 1:
        sentence += " " + ngettext("(%(num)d time)", "(%(num)d times)", visit.count)
    return sentence


# -- the pre-consult summary -------------------------------------------------------------
_DIGITS = {"blood_pressure": 0, "weight": 1, "glucose": 1}
_UNITS = {"blood_pressure": "mmHg", "weight": "kg", "glucose": "mmol/L"}


def number(code: str, value: float) -> str:
    digits = _DIGITS.get(code, 1)
    return format_decimal(
        round(value, digits), format="#,##0." + "0" * digits if digits else "#,##0"
    )


def value(code: str, latest: tuple[float, ...] | None) -> str:
    if not latest:
        return ""
    if code == "blood_pressure":
        return f"{round(latest[0])}/{round(latest[1])} mmHg"
    return f"{number(code, latest[0])} {_UNITS.get(code, '')}"


def epoch_day(epoch: int | None) -> str:
    if epoch is None:
        return ""
    return format_datetime(datetime.fromtimestamp(epoch, UTC), "d MMM y HH:mm")


def summary_period(code: str) -> str:
    return {
        "1m": _("the last month"),
        "3m": _("the last 3 months"),
        "6m": _("the last 6 months"),
        "1y": _("the last year"),
    }.get(code, code)


def stat_name(name: str) -> str:
    return {
        "systolic": _("Upper pressure"),
        "diastolic": _("Lower pressure"),
        "kg": _("Weight"),
        "mmol": _("Blood sugar"),
    }.get(name, name)


def trend(code: str, direction: str | None, delta: float | None) -> str:
    if direction is None or delta is None:
        return _("No earlier readings to compare with.")
    amount = f"{number(code, abs(delta))} {_UNITS.get(code, '')}"
    if direction == "same":
        return _("About the same as the period before.")
    if direction == "up":
        return _("Higher than the period before (+%(amount)s on average).", amount=amount)
    return _("Lower than the period before (−%(amount)s on average).", amount=amount)


def flag(code: str, amount: float, block: Any = None) -> str:
    """A pre-consult flag in a short line; the limits are worded by pgd.clinical."""
    if code == "bp_mean_high":
        target_ = getattr(block, "target", None)
        verdict = getattr(block, "verdict", None)
        if target_ is not None and verdict is not None:
            # The target and its source stand in the same row ("Within target").
            return _(
                "Mean home blood pressure %(value)s: not below %(target)s.",
                value=cw.pressure(verdict.values["systolic"], verdict.values["diastolic"]),
                target=cw.bp_target(target_),
            )
        return _("Mean home blood pressure above the target.")
    if code == "bp_very_high":
        return ngettext(
            "%(num)d reading of 180/110 or higher.",
            "%(num)d readings of 180/110 or higher.",
            int(amount),
        )
    if code == "glucose_very_high":
        return ngettext(
            "%(num)d blood sugar reading above %(limit)s mmol/L.",
            "%(num)d blood sugar readings above %(limit)s mmol/L.",
            int(amount),
            limit=cw.number(clinical.thresholds.GLUCOSE_VERY_HIGH),
        )
    if code == "glucose_low":
        return ngettext(
            "%(num)d hypo: blood sugar below %(limit)s mmol/L.",
            "%(num)d hypos: blood sugar below %(limit)s mmol/L.",
            int(amount),
            limit=cw.number(clinical.thresholds.GLUCOSE_HYPO, 1),
        )
    size = format_decimal(abs(amount), format="#,##0.0")
    if code == "weight_change":
        if amount < 0:
            return _("Weight went down by %(pct)s%% in this period.", pct=size)
        return _("Weight went up by %(pct)s%% in this period.", pct=size)
    if code == "weight_loss_unintended":
        return _("Unplanned weight loss: %(pct)s%% in this period.", pct=size)
    if code == "weight_change_planned":
        if amount < 0:
            return _("Weight went down by %(pct)s%%, as the patient's weight goal plans.", pct=size)
        return _("Weight went up by %(pct)s%%, as the patient's weight goal plans.", pct=size)
    return code


def target_words(block: Any) -> str:
    """The target a block is judged against, with its source ("< 135/85, NHG ...")."""
    if block.target_code == "bp" and block.target is not None:
        return _(
            "below %(target)s, %(source)s",
            target=cw.bp_target(block.target),
            source=cw.target_source(block.target, for_patient=False),
        )
    if block.target_code == "bmi_healthy":
        return _(
            "BMI %(low)s to under %(high)s",
            low=cw.number(clinical.thresholds.BMI_UNDERWEIGHT),
            high=cw.number(clinical.thresholds.BMI_OVERWEIGHT),
        )
    if block.target_code == "glucose_by_moment":
        fasting = clinical.glucose_range("fasting")
        after = clinical.glucose_range("after_lunch")
        return _(
            "NHG: fasting %(low)s–%(high)s, after meals under %(after)s",
            low=cw.number(fasting.low),
            high=cw.number(fasting.high),
            after=cw.number(after.high),
        )
    return ""


def goal_progress(goal: Any) -> str:
    progress = getattr(goal, "progress", None)
    state = getattr(goal, "state", "")
    if state == "paused":
        return _("paused")
    status = getattr(progress, "status", "no_data") if progress else "no_data"
    words = {
        "on_track": _("on track"),
        "behind": _("behind"),
        "achieved": _("achieved"),
        "no_data": _("no data yet"),
        "not_shared": _("progress not shared (the measurements behind it are not shared)"),
    }
    text = words.get(status, status)
    if progress is not None and progress.kind == "measurement" and status != "not_shared":
        if progress.current_value is not None and progress.target is not None:
            text += " · " + _(
                "now %(now)s %(unit)s, target %(target)s %(unit)s",
                now=format_decimal(progress.current_value, format="#,##0.#"),
                target=format_decimal(progress.target, format="#,##0.#"),
                unit=progress.unit,
            )
    elif progress is not None and progress.week_target:
        text += " · " + _(
            "this week %(done)d of %(goal)d",
            done=progress.week_count or 0,
            goal=progress.week_target,
        )
    if progress is not None and progress.share_done is not None and status != "not_shared":
        text += " · " + _(
            "%(pct)s%% of the way", pct=format_decimal(progress.share_done * 100, format="#,##0")
        )
    return text
