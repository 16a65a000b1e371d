"""Home dashboard and chart pages; plotly.js is served from the installed plotly package."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import plotly
from flask import current_app, g, render_template, request, send_file
from flask.typing import ResponseReturnValue
from flask_babel import format_date
from flask_login import current_user

from pgd import policy
from pgd.accounts.current import me
from pgd.accounts.models import User
from pgd.measurements import bp, charts, dashboard, periods, services, settings, stats
from pgd.measurements.models import Kind
from pgd.measurements.validation import LOCAL

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def _offset(epoch: int) -> int:
    offset = datetime.fromtimestamp(epoch, UTC).astimezone(LOCAL).utcoffset()
    return int(offset.total_seconds()) if offset else 0


def _local_times(epoch: np.ndarray) -> np.ndarray:
    """UTC epoch seconds → naive local datetime64[s] (Europe/Amsterdam, DST-aware)."""
    if epoch.size == 0:
        return np.empty(0, dtype="datetime64[s]")
    # Offsets change only twice a year: look them up per UTC day, and per reading only
    # on the two days a year when the clock changes.
    days = epoch // 86400
    uniq, inverse = np.unique(days, return_inverse=True)
    first = np.array([_offset(int(d) * 86400) for d in uniq], dtype=np.int64)
    last = np.array([_offset(int(d) * 86400 + 86399) for d in uniq], dtype=np.int64)
    offsets = first[inverse]
    changing = (first != last)[inverse]
    if changing.any():
        offsets[changing] = [_offset(int(e)) for e in epoch[changing]]
    return (epoch + offsets).astype("datetime64[s]")


@bp.get("/assets/plotly.min.js")
@policy.public
def plotly_js() -> ResponseReturnValue:
    response = send_file(PLOTLY_JS, mimetype="text/javascript", max_age=7 * 24 * 3600)
    response.headers["X-Plotly-Version"] = plotly.__version__
    return response


@bp.get("/home")
@policy.patient
def dashboard_page() -> ResponseReturnValue:
    who = me()
    now = datetime.now(UTC)
    prefs = settings.get(*who)
    since = now - timedelta(days=91)
    cards = [
        dashboard.blood_pressure_card(
            services.series(*who, Kind.BLOOD_PRESSURE, start=since), prefs.bp_target, now
        ),
        dashboard.weight_card(
            services.series(*who, Kind.WEIGHT, start=since), prefs.height_cm, now
        ),
        dashboard.glucose_card(services.series(*who, Kind.GLUCOSE, start=since), now),
    ]
    from pgd.accounts import services as accounts
    from pgd.goals import services as goals

    profile = accounts.profile_of(current_user.id)
    empty = all(card.latest is None for card in cards)
    return render_template(
        "measurements/dashboard.html",
        cards=cards,
        profile=profile,
        empty=empty,
        goals=goals.current_goals(*who),
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
    prefs = settings.get(*who)
    s = services.series(*who, Kind.BLOOD_PRESSURE, start=start)
    return _render("measurements/chart.html", period=code, **blood_pressure_context(s, prefs))


def blood_pressure_context(s: services.Series, prefs: settings.Settings) -> dict[str, object]:
    """Figure and text of a blood pressure chart (the patient's and the clinician's)."""
    times = _local_times(s.epoch)
    pulse = s.values["pulse"]
    # Pulse is listed in the table; on the chart a second axis would confuse more than help.
    figure = charts.blood_pressure_figure(
        times, s.values["systolic"], s.values["diastolic"], None, prefs.bp_target
    )
    text = charts.blood_pressure_text(
        times,
        s.values["systolic"],
        s.values["diastolic"],
        prefs.bp_target,
        pulse if np.isfinite(pulse).any() else None,
    )
    return {"kind": "blood_pressure", "n": s.n, "figure": _island(figure), "text": text}


@bp.get("/charts/weight")
@policy.patient
def chart_weight() -> ResponseReturnValue:
    who = me()
    code, start = _period()
    prefs = settings.get(*who)
    s = services.series(*who, Kind.WEIGHT, start=start)
    context = weight_context(s, prefs, _weight_goal(who))
    return _render("measurements/chart.html", period=code, **context)


def weight_context(
    s: services.Series, prefs: settings.Settings, goal: float | None
) -> dict[str, object]:
    times = _local_times(s.epoch)
    figure = charts.weight_figure(times, s.values["kg"], prefs.height_cm, goal)
    text = charts.weight_text(times, s.values["kg"], prefs.height_cm, goal)
    return {"kind": "weight", "n": s.n, "figure": _island(figure), "text": text}


def _weight_goal(who: tuple[User, uuid.UUID]) -> float | None:
    """The goal line arrives with the goals issue; the hook is here so the chart can show it."""
    hook = current_app.extensions.get("pgd.weight_goal")
    return hook(*who) if hook else None


def _chosen_days(available: np.ndarray) -> list[date]:
    """Days picked in the form (?day=2026-03-01&day=...), else the latest days with data."""
    picked: list[date] = []
    for raw in request.args.getlist("day")[: charts.MAX_OVERLAY_DAYS]:
        try:
            picked.append(date.fromisoformat(raw))
        except ValueError:
            continue
    if picked:
        return picked
    return [date.fromisoformat(str(d)) for d in available[-3:][::-1]]


@bp.get("/charts/glucose")
@policy.patient
def chart_glucose() -> ResponseReturnValue:
    who = me()
    view = request.args.get("view", "day")
    if view not in {"day", "modal", "range"}:
        view = "day"
    code, start = _period()
    s = services.series(*who, Kind.GLUCOSE, start=start)
    return _render("measurements/chart.html", period=code, **glucose_context(s, view))


def glucose_context(s: services.Series, view: str) -> dict[str, object]:
    times = _local_times(s.epoch)
    mmol = s.values["mmol"]
    minutes = (
        ((times - times.astype("datetime64[D]")).astype("timedelta64[m]").astype(np.int64))
        if s.n
        else np.empty(0, dtype=np.int64)
    )
    day_of = times.astype("datetime64[D]")
    # Days with at least 3 readings count as day curves.
    uniq, counts = np.unique(day_of, return_counts=True) if s.n else (np.empty(0), np.empty(0))
    curve_days = uniq[counts >= 3] if s.n else uniq
    context: dict[str, object] = {
        "view": view,
        # (value for the form, label a person reads: "di 18 nov 2026")
        "curve_days": [
            (str(d), format_date(date.fromisoformat(str(d)), "EEE d MMM y"))
            for d in curve_days[::-1]
        ],
    }
    if view == "day":
        chosen = _chosen_days(curve_days)
        days = []
        for d in chosen:
            mask = day_of == np.datetime64(d)
            if mask.any():
                days.append(charts.DayCurve(d.strftime("%d-%m-%Y"), minutes[mask], mmol[mask]))
        figure = charts.day_curve_overlay_figure(days)
        text = charts.day_curve_text(days)
        context["chosen"] = [d.isoformat() for d in chosen]
    elif view == "modal":
        modal = stats.modal_day(minutes, mmol)
        figure = charts.modal_day_figure(modal)
        text = charts.modal_day_text(modal)
    else:
        tir = stats.time_in_range(mmol)
        figure = charts.time_in_range_figure(tir)
        text = charts.time_in_range_text(tir)
    return {
        "kind": "glucose",
        "n": s.n,
        "figure": _island(figure),
        "text": text,
        "max_days": charts.MAX_OVERLAY_DAYS,
        **context,
    }
