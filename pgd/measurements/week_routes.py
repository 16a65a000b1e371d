"""The patient's measuring week: start it, see where you are, enter a moment's two
readings straight from the week's table, stop it. Parse → service → render."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date, format_time, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField

from pgd import policy
from pgd.accounts.current import me
from pgd.clinical import measuring_week as mw
from pgd.clinical import week_words
from pgd.forms import ForgivingDateField, parse_date
from pgd.measurements import bp, services, validation, week
from pgd.measurements.forms import NUMBER, collect
from pgd.measurements.models import Source
from pgd.measurements.validation import LOCAL, Invalid
from pgd.measurements.values import BloodPressure


class StartForm(FlaskForm):
    start_day = ForgivingDateField(_l("First day of the week"))


class WeekReadingsForm(FlaskForm):
    """One moment of the week: its date and time, and the two readings a minute apart."""

    date = StringField(_l("Date"), render_kw={"inputmode": "numeric", "class": "input input-date"})
    moment = RadioField(
        _l("Moment"),
        choices=[(mw.MORNING, _l("Morning")), (mw.EVENING, _l("Evening"))],
        default=mw.MORNING,
        validate_choice=False,
    )
    time = StringField(
        _l("Time of the first reading"),
        render_kw={"inputmode": "numeric", "class": "input input-time"},
    )
    systolic_1 = StringField(_l("First reading: upper value"), render_kw=NUMBER)
    diastolic_1 = StringField(_l("First reading: lower value"), render_kw=NUMBER)
    pulse_1 = StringField(_l("First reading: pulse (optional)"), render_kw=NUMBER)
    systolic_2 = StringField(_l("Second reading: upper value"), render_kw=NUMBER)
    diastolic_2 = StringField(_l("Second reading: lower value"), render_kw=NUMBER)
    pulse_2 = StringField(_l("Second reading: pulse (optional)"), render_kw=NUMBER)
    note = TextAreaField(_l("Note (optional)"), render_kw={"rows": 2, "class": "input"})

    def attach(self, error: Invalid) -> None:
        for name, message in error.errors.items():
            field = self._fields.get("date" if name == "taken_at" else name, self.date)
            field.errors = [*field.errors, message]

    def _reading(self, n: int) -> BloodPressure | None:
        """Reading n (1 or 2); the second may be left empty."""
        raw = [
            self._fields[f"{name}_{n}"].data or "" for name in ("systolic", "diastolic", "pulse")
        ]
        if n == 2 and not any(value.strip() for value in raw):
            return None
        try:
            return validation.blood_pressure(*raw)
        except Invalid as exc:
            raise Invalid({f"{name}_{n}": text for name, text in exc.errors.items()}) from None

    def _when(self, found: week.Week) -> datetime:
        when = validation.local_datetime(self.date.data, self.time.data)
        assert found.start_day is not None
        if mw.slot_of(int(when.timestamp()), found.start_day, LOCAL) is None:
            raise Invalid({"date": week_words.outside_week(found.start_day)})
        moment = self.moment.data or mw.MORNING
        if mw.moment_of_hour(when.hour) != moment:
            raise Invalid({"time": week_words.time_not_in_moment(moment)})
        return validation.taken_at(when)

    def parse(self, found: week.Week) -> list[tuple[BloodPressure, datetime, str]]:
        first, second, when, note = collect(
            lambda: self._reading(1),
            lambda: self._reading(2),
            lambda: self._when(found),
            lambda: validation.note(self.note.data),
        )
        items = [(first, when, note)]
        if second is not None:
            items.append((second, _a_minute_apart(when), note))
        return items


def _a_minute_apart(when: datetime) -> datetime:
    """The second reading's time: a minute later, or a minute earlier where a minute later
    would fall in another moment or day (13:59 -> 13:58, not the evening's 14:00)."""
    later = when + timedelta(minutes=1)

    def slot(at: datetime) -> tuple[object, str]:
        local = at.astimezone(LOCAL)
        return local.date(), mw.moment_of_hour(local.hour)

    return later if slot(later) == slot(when) else when - timedelta(minutes=1)


class CancelForm(FlaskForm):
    """Only the CSRF token: a deliberate second click."""


@bp.route("/measurements/week/start", methods=["GET", "POST"])
@policy.patient
def week_start() -> ResponseReturnValue:
    form = StartForm()
    if request.method == "GET":
        form.start_day.data = week.today()
    if form.validate_on_submit():
        if form.start_day.data is None:
            form.start_day.errors = [_("Fill in the first day of the week.")]
        else:
            try:
                week.start(*me(), form.start_day.data)
            except Invalid as exc:
                form.start_day.errors = [exc.errors["start_day"]]
            else:
                flash(_("Your measuring week has started."), "success")
                return redirect(url_for("measurements.week_page"))
    found = week.overview(*me())
    return render_template(
        "measurements/week_start.html",
        form=form,
        ov=found,
        days_back=week.MAX_DAYS_BACK,
        how=week_words.how_to_measure(),
    )


@bp.get("/measurements/week")
@policy.patient
def week_page() -> ResponseReturnValue:
    found = week.overview(*me())
    if found.week is None:
        return redirect(url_for("measurements.week_start"))
    assert found.result is not None
    return render_template(
        "measurements/week.html",
        ov=found,
        rows=_table(found),
        ww=week_words,
        said=week_words.result_words(
            found.result.result, found.result.target, running=found.running
        ),
        cancel_form=CancelForm(),
    )


def _table(found: week.Overview) -> list[dict[str, Any]]:
    """Days x morning/evening: readings per moment, and which moments can be entered now."""
    assert found.week is not None
    now = datetime.now(LOCAL)
    current = mw.MOMENTS.index(mw.moment_of_hour(now.hour))
    rows = []
    for day in mw.DAYS:
        on = found.week.day(day)
        cells = []
        for i, moment in enumerate(mw.MOMENTS):
            count = found.counts.get((day, moment), 0)
            enterable = on < now.date() or (on == now.date() and i <= current)
            cells.append(
                {
                    "moment": moment,
                    "count": count,
                    "lacking": mw.lacking_at(count),
                    "open": enterable,
                }
            )
        rows.append({"day": day, "date": on, "counted": day in mw.COUNTED_DAYS, "cells": cells})
    return rows


def _prefill(form: WeekReadingsForm, found: week.Week) -> None:
    """Date and moment from the table's cell; the time now on today's date, else a usual one."""
    day = request.args.get("day", type=int) or 1
    moment = request.args.get("moment", mw.MORNING)
    moment = moment if moment in mw.MOMENTS else mw.MORNING
    day = min(max(day, 1), len(mw.DAYS))
    on = found.day(day)
    now = datetime.now(LOCAL)
    form.date.data = on.strftime("%d-%m-%Y")
    form.moment.data = moment
    if on == now.date() and mw.moment_of_hour(now.hour) == moment:
        form.time.data = now.strftime("%H:%M")
    else:
        form.time.data = "08:00" if moment == mw.MORNING else "20:00"


@bp.route("/measurements/week/readings", methods=["GET", "POST"])
@policy.patient
def week_readings() -> ResponseReturnValue:
    found = week.overview(*me()).week
    if found is None:
        return redirect(url_for("measurements.week_start"))
    form = WeekReadingsForm()
    if request.method == "GET":
        _prefill(form, found)
    if form.validate_on_submit():
        try:
            items = form.parse(found)
        except Invalid as exc:
            form.attach(exc)
        else:
            saved = services.add_many(*me(), items, Source.WEB)
            for value, _when, _note in items:
                for item in validation.advice(value):
                    flash(item.text, "urgent" if item.level == "urgent" else "attention")
            flash(
                ngettext("Saved: %(num)d reading.", "Saved: %(num)d readings.", saved.added),
                "success",
            )
            if saved.duplicates:
                flash(
                    _("Already saved before, so not saved again: %(n)d.", n=saved.duplicates),
                    "attention",
                )
            return redirect(url_for("measurements.week_page"))
    return render_template(
        "measurements/week_readings.html",
        form=form,
        week=found,
        already=_already(found, form),
        **_span(found),
    )


def _already(found: week.Week, form: WeekReadingsForm) -> list[str]:
    """What is saved already for the day and moment on the form ("146/89 at 07:30"), so
    the patient sees it before adding more (only the first 2 of a moment count)."""
    assert found.start_day is not None
    day = parse_date(str(form.date.data or ""))
    moment = form.moment.data
    if day is None or moment not in mw.MOMENTS:
        return []
    number = (day - found.start_day).days + 1
    if number not in mw.DAYS:
        return []
    slots = mw.assign(week.readings(*me(), found), found.start_day, LOCAL)
    return [
        _(
            "%(value)s at %(time)s",
            value=f"{int(s)}/{int(d)}",
            time=format_time(datetime.fromtimestamp(epoch, UTC), "HH:mm"),
        )
        for epoch, s, d in slots[(number, moment)]
    ]


def _span(found: week.Week) -> dict[str, Any]:
    assert found.start_day is not None
    assert found.end_day is not None
    return {
        "first": format_date(found.start_day, "d MMMM"),
        "last": format_date(found.end_day, "d MMMM y"),
    }


@bp.post("/measurements/week/cancel")
@policy.patient
def week_cancel() -> ResponseReturnValue:
    if not CancelForm().validate_on_submit():
        flash(_("This form has expired. Send it again."), "attention")
        return redirect(url_for("measurements.week_page"))
    if week.cancel(*me()):
        flash(_("Your measuring week has been stopped. Your readings stay saved."), "success")
    else:
        flash(_("There was no measuring week to stop."), "attention")
    return redirect(url_for("measurements.dashboard_page"))
