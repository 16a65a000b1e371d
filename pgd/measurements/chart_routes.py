"""Home dashboard and chart pages; their scripts are served by pgd.assets."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import numpy as np
from flask import current_app, g, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import format_date, ngettext
from flask_login import current_user

from pgd import clinical, policy
from pgd.accounts.current import me
from pgd.accounts.models import User
from pgd.measurements import (
    bp,
    charts,
    dashboard,
    glucose_charts,
    periods,
    services,
    targets,
    week,
)
from pgd.measurements.models import Kind
from pgd.measurements.validation import LOCAL


def _offset(epoch: int) -> int:
    offset = datetime.fromtimestamp(epoch, UTC).astimezone(LOCAL).utcoffset()
    return int(offset.total_seconds()) if offset else 0


MONTH_S = 28 * 86400  # shorter than any month: at most one clock change in between


def _transitions(first: int, last: int) -> tuple[np.ndarray, np.ndarray]:
    """The UTC offsets in force from `first` to `last`: the moments they start (the first
    is `first`) and the offsets, found by the zone itself (zoneinfo), not per reading.

    The offset is looked up every 28 days; where two lookups differ the moment of the
    change is found by halving (about 22 lookups). Europe/Amsterdam changes twice a
    year, so five years cost some 300 lookups instead of one per reading or day."""
    probes = list(range(first, last, MONTH_S)) + [last]
    offsets = [_offset(p) for p in probes]
    starts, values = [first], [offsets[0]]
    for i in range(1, len(probes)):
        if offsets[i] == offsets[i - 1]:
            continue
        low, high = probes[i - 1], probes[i]  # offset(low) is the old one, offset(high) new
        while high - low > 1:
            mid = (low + high) // 2
            if _offset(mid) == offsets[i - 1]:
                low = mid
            else:
                high = mid
        starts.append(high)
        values.append(offsets[i])
    return np.array(starts, dtype=np.int64), np.array(values, dtype=np.int64)


def _local_times(epoch: np.ndarray) -> np.ndarray:
    """UTC epoch seconds → naive local datetime64[s] (Europe/Amsterdam, DST-aware).

    One array operation for all readings: each reading takes the offset of the last
    clock change before it (issue 14: a timezone conversion per reading cost more than
    opening it)."""
    if epoch.size == 0:
        return np.empty(0, dtype="datetime64[s]")
    epoch = np.asarray(epoch, dtype=np.int64)
    starts, offsets = _transitions(int(epoch.min()), int(epoch.max()))
    if offsets.size == 1:
        return (epoch + offsets[0]).astype("datetime64[s]")
    which = np.searchsorted(starts, epoch, side="right") - 1
    return (epoch + offsets[which]).astype("datetime64[s]")


@bp.get("/home")
@policy.patient
def dashboard_page() -> ResponseReturnValue:
    who = me()
    now = datetime.now(UTC)
    goals_for = targets.resolve(*who)
    since = now - timedelta(days=91)
    cards = [
        dashboard.blood_pressure_card(
            services.series(*who, Kind.BLOOD_PRESSURE, start=since), goals_for.blood_pressure, now
        ),
        dashboard.weight_card(
            services.series(*who, Kind.WEIGHT, start=since),
            goals_for.height_cm,
            now,
            _weight_goal(who),
        ),
        dashboard.glucose_card(services.series(*who, Kind.GLUCOSE, start=since), now),
    ]
    from pgd.accounts import services as accounts
    from pgd.goals import proposals
    from pgd.goals import services as goals

    profile = accounts.profile_of(current_user.id)
    empty = all(card.latest is None for card in cards)
    return render_template(
        "measurements/dashboard.html",
        cards=cards,
        week_card=dashboard.week_card(week.overview(*who, now), now),
        profile=profile,
        empty=empty,
        goals=goals.current_goals(*who),
        proposed=[p for p in proposals.proposals(*who) if p.state == "proposed"],
    )


def _island(figure: dict[str, object]) -> str:
    """JSON for a <script type="application/json"> island; "</" cannot close the tag."""
    return charts.to_json(figure).decode().replace("</", "<\\/")


def _period() -> tuple[str, datetime | None]:
    code = periods.parse(request.args.get("period"), default="3m")
    return code, periods.start_of(code, datetime.now(UTC))


def _render(template: str, **context: object) -> ResponseReturnValue:
    g.csp_inline_styles = True
    return render_template(template, periods=periods.choices(), **context)


@bp.get("/charts/blood-pressure")
@policy.patient
def chart_blood_pressure() -> ResponseReturnValue:
    who = me()
    code, start = _period()
    s = services.series(*who, Kind.BLOOD_PRESSURE, start=start)
    marked = week.latest_week(*who)
    context = blood_pressure_context(
        s, targets.resolve(*who), start, week_day=marked.start_day if marked else None
    )
    return _render("measurements/chart.html", period=code, topic_link=_topic(context), **context)


def _topic(context: dict[str, object]) -> object:
    """The Thuisarts.nl page under a patient's chart (the clinician's charts have none)."""
    return clinical.words.topic_link(str(context["kind"]))


def x_range(start: datetime | None, times: np.ndarray) -> charts.XRange | None:
    """The date axis: from the period's start (for "all": the first reading's day) to now.

    At least one day wide, and never hiding a reading, so one reading in the period is a
    marker on a timeline of the whole period, not a chart zoomed in on itself.
    """
    now = np.datetime64(datetime.now(UTC).astimezone(LOCAL).replace(tzinfo=None), "s")
    if start is not None:
        begin = np.datetime64(start.astimezone(LOCAL).replace(tzinfo=None), "s")
    elif times.size:
        begin = times[0].astype("datetime64[D]").astype("datetime64[s]")
    else:
        return None
    end = max(now, times[-1]) if times.size else now
    begin = min(begin, end - np.timedelta64(1, "D"), *(times[:1]))
    return begin, end


def blood_pressure_context(
    s: services.Series,
    judged: targets.Targets,
    start: datetime | None,
    *,
    for_patient: bool = True,
    week_day: date | None = None,
) -> dict[str, object]:
    """Figure and text of a blood pressure chart (the patient's and the clinician's), read
    against the target this viewer's targets name (a clinician's never the patient's own).
    ``week_day``: day 1 of a measuring week to mark (pgd.measurements.week.latest_week),
    shown when the week lies in the chosen period."""
    times = _local_times(s.epoch)
    pulse = s.values["pulse"]
    target = judged.blood_pressure
    # Pulse is listed in the table; on the chart a second axis would confuse more than help.
    figure = charts.blood_pressure_figure(
        times, s.values["systolic"], s.values["diastolic"], None, target, x_range(start, times)
    )
    shown = week_day is not None and (
        start is None or clinical.measuring_week.end_day(week_day) >= start.astimezone(LOCAL).date()
    )
    if week_day is not None and shown:
        figure["layout"]["shapes"].extend(charts.week_shapes(week_day))
    text = charts.blood_pressure_text(
        times,
        s.values["systolic"],
        s.values["diastolic"],
        target,
        pulse if np.isfinite(pulse).any() else None,
        for_patient=for_patient,
    )
    if week_day is not None and shown:
        sentence = charts.week_sentence(week_day, for_patient=for_patient)
        text = replace(text, summary=charts.sentences(text.summary, sentence))
    return {"kind": "blood_pressure", "n": s.n, "figure": _island(figure), "text": text}


@bp.get("/charts/weight")
@policy.patient
def chart_weight() -> ResponseReturnValue:
    who = me()
    code, start = _period()
    s = services.series(*who, Kind.WEIGHT, start=start)
    context = weight_context(s, targets.resolve(*who).height_cm, _weight_goal(who), start)
    return _render("measurements/chart.html", period=code, topic_link=_topic(context), **context)


def weight_context(
    s: services.Series,
    height_cm: float | None,
    goal: float | None,
    start: datetime | None,
    *,
    for_patient: bool = True,
) -> dict[str, object]:
    times = _local_times(s.epoch)
    figure = charts.weight_figure(times, s.values["kg"], height_cm, goal, x_range(start, times))
    text = charts.weight_text(times, s.values["kg"], height_cm, goal, for_patient=for_patient)
    return {"kind": "weight", "n": s.n, "figure": _island(figure), "text": text}


def _weight_goal(who: tuple[User, uuid.UUID]) -> float | None:
    """The goal line arrives with the goals issue; the hook is here so the chart can show it."""
    hook = current_app.extensions.get("pgd.weight_goal")
    return hook(*who) if hook else None


GLUCOSE_VIEWS = ("day", "moments", "range")


def glucose_view(raw: str | None) -> str:
    """The glucose tab; "modal" (the old hour-of-day view) now opens the moments."""
    if raw == "modal":
        return "moments"
    return raw if raw in GLUCOSE_VIEWS else "day"


def _iso_days(raw: list[str]) -> list[date]:
    """Days asked for (?day=2026-03-01&day=...), at most MAX_OVERLAY_DAYS; no date: skipped."""
    days: list[date] = []
    for value in raw:
        if len(days) == glucose_charts.MAX_OVERLAY_DAYS:
            break  # a long query string is not read further
        try:
            picked = date.fromisoformat(value)
        except ValueError:
            continue
        if picked not in days:
            days.append(picked)
    return days


def _day_label(d: date, count: int) -> str:
    """'di 18 nov 2026 (1 meting)': the day and how many readings it holds."""
    readings = ngettext("%(num)d reading", "%(num)d readings", count)
    return f"{format_date(d, 'EEE d MMM y')} ({readings})"


def _day_picker(day_of: np.ndarray) -> tuple[dict[str, object], list[date]]:
    """The chosen days, and the picker: every day with a reading, one month at a time.

    Without a choice the latest three days with readings are shown, however few readings
    they hold (one reading is a day too). The chosen days stay listed in every month.
    """
    available, counts = np.unique(day_of, return_counts=True)
    # Five years hold some 1,800 days: their ISO texts in one numpy cast, not one by one.
    count_of = dict(zip(available.astype(str).tolist(), counts.tolist(), strict=True))
    chosen = _iso_days(request.args.getlist("day"))
    if not chosen:
        chosen = [date.fromisoformat(str(d)) for d in available[-3:][::-1]]
    month_of = available.astype("datetime64[M]").astype(str)
    months = sorted(set(month_of.tolist()), reverse=True)
    month = request.args.get("month", "")
    if month not in months:
        with_data = [d.isoformat()[:7] for d in chosen if d.isoformat() in count_of]
        month = with_data[0] if with_data else (months[0] if months else "")
    listed = {str(d) for d in available[month_of == month]} | {d.isoformat() for d in chosen}
    picker: dict[str, object] = {
        "months": [(m, format_date(date.fromisoformat(m + "-01"), "MMMM y")) for m in months],
        "month": month,
        # (value for the form, label a person reads: "di 18 nov 2026 (1 meting)")
        "curve_days": [
            (d, _day_label(date.fromisoformat(d), count_of.get(d, 0)))
            for d in sorted(listed, reverse=True)
        ],
        "chosen": [d.isoformat() for d in chosen],
    }
    return picker, chosen


@bp.get("/charts/glucose")
@policy.patient
def chart_glucose() -> ResponseReturnValue:
    who = me()
    view = glucose_view(request.args.get("view"))
    code, start = _period()
    s = services.series(*who, Kind.GLUCOSE, start=start)
    context = glucose_context(s, view)
    return _render("measurements/chart.html", period=code, topic_link=_topic(context), **context)


def glucose_context(
    s: services.Series, view: str, *, for_patient: bool = True
) -> dict[str, object]:
    """One glucose tab: day curves (chosen days), by moment of the day, or the share in range."""
    times = _local_times(s.epoch)
    mmol = s.values["mmol"]
    moments = s.values["moment"]
    context: dict[str, object] = {"view": view}
    figure: charts.Figure
    if view == "day":
        day_of = times.astype("datetime64[D]")
        minutes = (times - day_of).astype("timedelta64[m]").astype(np.int64)
        picker, chosen = _day_picker(day_of)
        context.update(picker)
        curves: list[glucose_charts.DayCurve] = []
        missing: list[str] = []
        for d in chosen:
            mask = day_of == np.datetime64(d)
            if mask.any():
                curves.append(
                    glucose_charts.DayCurve(
                        # "za 28 nov 2026" / "Sat 28 Nov 2026": the reader's language
                        format_date(d, "EEE d MMM y"),
                        minutes[mask],
                        mmol[mask],
                        moments[mask],
                    )
                )
            else:
                missing.append(format_date(d, "d MMMM y"))
        figure = glucose_charts.day_curve_overlay_figure(curves)
        text = glucose_charts.day_curve_text(
            curves, for_patient=for_patient, missing=tuple(missing)
        )
    elif view == "moments":
        per_moment = glucose_charts.moments_of(mmol, moments)
        figure = glucose_charts.moments_figure(per_moment)
        text = glucose_charts.moments_text(per_moment)
    else:
        share = clinical.glucose_share(clinical.glucose_classes(mmol, moments))
        figure = glucose_charts.share_figure(share)
        text = glucose_charts.share_text(share, for_patient=for_patient)
    return {
        "kind": "glucose",
        "n": s.n,
        "figure": _island(figure),
        "text": text,
        "max_days": glucose_charts.MAX_OVERLAY_DAYS,
        **context,
    }
