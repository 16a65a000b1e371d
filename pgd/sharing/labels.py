"""Plain-language words for categories, grant states and access-log events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import g, has_request_context
from flask_babel import format_date, format_datetime, format_decimal, format_time, ngettext
from flask_babel import gettext as _
from markupsafe import Markup

from pgd import clinical
from pgd.accounts.labels import profession_label, short_name
from pgd.clinical import words as cw
from pgd.sharing import sparkline as spark

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
                # A FHIR read of the Patient resource alone: what every share shows.
                "profile": _("name and date of birth"),
            }
        )
    return cache.get(code, code)


def categories_short(codes: Sequence[str]) -> str:
    """Categories in a narrow column: "blood pressure · weight · goals"."""
    short = {"goals": _("goals")}
    return " · ".join(short.get(c) or category(c) for c in codes)


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
    writes = {
        "agree_target": _("%(who)s recorded the agreed target for your blood pressure %(when)s"),
        "request_week": _("%(who)s asked you for a blood pressure measuring week %(when)s"),
        "mark_discussed": _("%(who)s marked a question of yours as discussed %(when)s"),
        "propose_goal": _("%(who)s proposed a goal to you %(when)s"),
    }
    measured = [c for c in visit.categories if c != "profile"]
    if visit.action == "refused":
        text = _(
            "%(who)s tried to open your data %(when)s. You do not share this with them, "
            "so they saw nothing."
        )
    elif visit.action in writes:
        text = writes[visit.action]
    elif visit.action == "view_worklist" and not measured:
        text = _("%(who)s saw your name and date of birth in the list of patients %(when)s")
    elif visit.action == "view_worklist":
        what = categories(measured)
        text = _("%(who)s saw how your %(what)s is going in the list of patients %(when)s")
    elif visit.action == "api_read":
        text = _("%(who)s read your %(what)s through the practice system %(when)s")
    elif visit.action == "fhir_read":
        text = _("%(who)s read your %(what)s through the GP system's link (FHIR) %(when)s")
    elif visit.action == "report_download":
        text = _("%(who)s printed or downloaded a report of your %(what)s %(when)s")
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
    if code == "bp_week_high":
        found = getattr(block, "week", None)
        if found is not None and found.result.used:
            return _(
                "Measuring week %(value)s: not below %(target)s.",
                value=cw.pressure(found.result.systolic or 0, found.result.diastolic or 0),
                target=cw.bp_target(found.target),
            )
        return _("Measuring week above the target.")
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


# -- the pre-consult summary: dated lists, groups, adherence, trend line ----------------


def age(years: int | None) -> str:
    return "" if years is None else ngettext("%(num)d year", "%(num)d years", years)


def moment_of_day(name: str) -> str:
    """The four moments of pgd.sharing.summary_lists (by the local clock hour)."""
    return {
        "night": _("night"),
        "morning": _("morning"),
        "afternoon": _("afternoon"),
        "evening": _("evening"),
    }.get(name, name)


def glucose_moment(moment: str) -> str:
    """The moment the patient chose, as the measurement form names it."""
    from pgd.measurements.forms import moment_choices

    cache = _request_cache("pgd_glucose_moments")
    if not cache:
        cache.update({code: str(label) for code, label in moment_choices()})
    return cache.get(moment, moment)


def event_moment(event: Any) -> str:
    """Blood sugar: the moment the patient chose ("after lunch"); else by the clock."""
    if event.moment and event.moment != "other":
        return glucose_moment(event.moment).lower()
    return moment_of_day(event.moment_of_day)


def iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def when(epoch: int) -> str:
    """'12 Mar 08:10' in local time; with the year when it is not this year."""
    at = datetime.fromtimestamp(epoch, UTC)
    this_year = at.astimezone(LOCAL).year == datetime.now(LOCAL).year
    return format_datetime(at, "d MMM HH:mm" if this_year else "d MMM y HH:mm")


def event_value(code: str, event: Any) -> str:
    """A listed reading without its unit (the flag above the list says it): '186/104'."""
    if code == "blood_pressure":
        return cw.pressure(event.values[0], event.values[1])
    return number(code, event.values[0])


def more(num: int) -> str:
    return ngettext("and %(num)d more", "and %(num)d more", num)


def night_hypos(num: int) -> str:
    return ngettext("%(num)d of them at night.", "%(num)d of them at night.", num)


def _change(code: str, direction: str | None, delta: float | None) -> str:
    if direction == "same" or delta is None:
        return _("about the same")
    sign = "+" if delta > 0 else "−"
    return f"{sign}{number(code, abs(delta))} {_UNITS.get(code, '')}"


def trend_lines(block: Any) -> list[str]:
    """Blood pressure: the upper and the lower pressure in one line; else the one value."""
    if block.category != "blood_pressure" or block.trend is None:
        return [trend(block.category, block.trend, block.trend_delta)]
    return [
        _(
            "Compared with the period before: upper pressure %(upper)s, lower pressure "
            "%(lower)s (means).",
            upper=_change(block.category, block.trend, block.trend_delta),
            lower=_change(block.category, block.trend_diastolic, block.trend_diastolic_delta),
        )
    ]


def pulse(block: Any) -> str:
    if block.pulse_mean is None:
        return ""
    return ngettext(
        "Pulse %(value)s per minute (mean of %(num)d)",
        "Pulse %(value)s per minute (mean of %(num)d)",
        block.pulse_n,
        value=cw.number(round(block.pulse_mean)),
    )


def bmi(block: Any) -> str:
    if block.bmi is None:
        return ""
    return _(
        "BMI %(bmi)s: %(category)s",
        bmi=cw.number(round(block.bmi, 1), 1),
        category=cw.bmi_category(block.bmi_category),
    )


def weight_goal(block: Any) -> str:
    """The patient's own weight goal against this period, in words (goals shared only)."""
    goal = block.goal
    if goal is None:
        return ""
    kg = cw.number(round(abs(goal.from_goal_kg), 1), 1)
    parts = [_("The patient's own weight goal: %(goal)s kg.", goal=cw.number(goal.goal_kg))]
    if round(goal.from_goal_kg, 1) == 0:
        parts.append(_("Reached."))
    elif goal.from_goal_kg > 0:
        parts.append(_("Now %(kg)s kg above it.", kg=kg))
    else:
        parts.append(_("Now %(kg)s kg below it.", kg=kg))
    change = goal.change_kg
    moved = f"{'−' if change < 0 else '+'}{cw.number(round(abs(change), 1), 1)}"
    towards = (goal.direction == "down" and change < 0) or (goal.direction == "up" and change > 0)
    if clinical.about_the_same(change, "kg"):
        parts.append(_("About the same in this period."))
    elif towards:
        parts.append(_("%(kg)s kg in this period, towards the goal.", kg=moved))
    else:
        parts.append(_("%(kg)s kg in this period, away from the goal.", kg=moved))
    return " ".join(parts)


def by_moment(block: Any) -> list[str]:
    """'Fasting / before a meal: 6.8 (12 readings)', per group of moments (mmol/L)."""
    groups = {
        "fasting": _("Fasting / before a meal"),
        "after_meal": _("After a meal"),
        "general": _("Other moments"),
    }
    return [
        ngettext(
            "%(group)s: %(value)s (%(num)d reading)",
            "%(group)s: %(value)s (%(num)d readings)",
            st.n,
            group=groups[key],
            value=number("glucose", st.mean),
        )
        for key, st in block.by_moment.items()
    ]


def adherence(block: Any) -> str:
    """Days with a reading in the period, against a measuring plan when there is one."""
    days = block.daily.n_days if block.daily is not None else 0
    text = ngettext(
        "on %(measured)d of %(num)d day",
        "on %(measured)d of %(num)d days",
        days,
        measured=block.days_measured,
    )
    if block.expected is not None:
        text += " · " + _("%(expected)d expected", expected=block.expected)
    return text


# The daily means each row's trend line draws.
_SPARK_LINES: dict[str, tuple[str, ...]] = {
    "blood_pressure": ("systolic", "diastolic"),
    "weight": ("kg",),
    "glucose": ("mmol",),
}


def sparkline_text(block: Any, period: str) -> str:
    """The trend line in words: 'Upper pressure from 152 to 141 in the last 3 months'."""
    daily, when_ = block.daily, summary_period(period)
    names = _SPARK_LINES.get(block.category, ("mmol",))
    ends = [daily.first_last(name) for name in names]
    if len(daily.days) == 1:
        return _(
            "One day with readings in %(period)s: %(value)s.",
            period=when_,
            value=value(block.category, tuple(e[0] for e in ends)),
        )
    if block.category == "blood_pressure":
        return _(
            "Upper pressure from %(s1)s to %(s2)s and lower pressure from %(d1)s to %(d2)s "
            "in %(period)s (daily means).",
            s1=number(block.category, ends[0][0]),
            s2=number(block.category, ends[0][1]),
            d1=number(block.category, ends[1][0]),
            d2=number(block.category, ends[1][1]),
            period=when_,
        )
    return _(
        "%(what)s from %(first)s to %(last)s %(unit)s in %(period)s (daily means).",
        what=stat_name(names[0]),
        first=number(block.category, ends[0][0]),
        last=number(block.category, ends[0][1]),
        unit=_UNITS[block.category],
        period=when_,
    )


def sparkline(block: Any, period: str) -> Markup:
    """The row's trend line (inline SVG), with the blood pressure target as dashed lines."""
    if block.daily is None:
        return Markup("")
    targets = block.target.pair if block.target is not None else ()
    names = _SPARK_LINES.get(block.category, ("mmol",))
    return spark.svg(block.daily, names, sparkline_text(block, period), targets)


def target_change(change: Any) -> str:
    """The patient's own change of the agreed target, as the care provider reads it."""
    entry, ignored = change
    day = format_date(entry.agreement.day, "long")
    value = f"{entry.systolic}/{entry.diastolic}"
    if ignored:
        text = _(
            "The patient changed the agreed target to %(value)s on %(day)s: looser, so not used.",
            value=value,
            day=day,
        )
    else:
        text = _(
            "The patient changed the agreed target to %(value)s on %(day)s.", value=value, day=day
        )
    if entry.agreement.note:
        text += " " + _("Note: “%(note)s”", note=entry.agreement.note)
    return text


def week_cell(week: dict[str, Any]) -> str:
    """The latest measuring week in the worklist: '144/88 (24 of 24) to 27 Nov: above
    target'. `week` is what pgd.sharing.triage stored."""
    from datetime import date

    end = format_date(date.fromisoformat(week["end"]), "d MMM")
    if not week["used"]:
        return _("to %(end)s: no readings yet", end=end)
    text = _(
        "%(value)s (%(used)d of %(expected)d) to %(end)s",
        value=cw.pressure(week["s"], week["d"]),
        used=week["used"],
        expected=week["expected"],
        end=end,
    )
    if not week["finished"]:
        return text + " " + _("(still running)")
    if not week["judged"]:
        return text + ": " + _("too few readings")
    if week["high"]:
        return text + ": " + _("not below the target")
    return text + ": " + _("below the target")
