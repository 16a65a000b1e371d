"""Entry, list, edit and delete of own measurements: parse → service → render."""

from __future__ import annotations

import uuid
from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from pgd import policy
from pgd.accounts.current import me
from pgd.measurements import bp, periods, services, settings, targets, validation
from pgd.measurements.forms import (
    BloodPressureForm,
    DayCurveForm,
    DeleteForm,
    GlucoseForm,
    SettingsForm,
    WeightForm,
)
from pgd.measurements.models import Kind, Source
from pgd.measurements.validation import LOCAL, Invalid, format_number
from pgd.measurements.values import BloodPressure, Glucose, Reading, Weight

CHART_FOR = {
    Kind.BLOOD_PRESSURE: "measurements.chart_blood_pressure",
    Kind.WEIGHT: "measurements.chart_weight",
    Kind.GLUCOSE: "measurements.chart_glucose",
}


def _saved(reading: Reading) -> ResponseReturnValue:
    for item in validation.advice(reading.value):
        flash(item.text, "urgent" if item.level == "urgent" else "attention")
    flash(_("Saved."), "success")
    return redirect(url_for(CHART_FOR[reading.kind]))


def _confirmed(same: list[Reading]) -> bool:
    """The patient saw these saved readings in the warning and chose to save anyway.

    The "save anyway" button carries their ids: a changed form that now repeats another
    reading is warned about again.
    """
    said = set(request.form.get("same_as", "").split())
    return {str(reading.id) for reading in same} <= said


def _new(form_class: type, template: str) -> ResponseReturnValue:
    form = form_class()
    same = None
    if form_class is GlucoseForm and request.method == "GET":
        form.unit.data = settings.get(*me()).glucose_unit
    if form.validate_on_submit():
        try:
            value, when, note = form.parse()
        except Invalid as exc:
            form.attach(exc)
        else:
            # The same reading saved before (a double tap, or entered twice): ask first.
            same = services.same_reading(*me(), value, when)
            if same is None or _confirmed([same]):
                return _saved(services.add(*me(), value, when, note, Source.WEB))
    return render_template(template, form=form, editing=None, same=same)


@bp.route("/measurements/blood-pressure/new", methods=["GET", "POST"])
@policy.patient
def new_blood_pressure() -> ResponseReturnValue:
    return _new(BloodPressureForm, "measurements/blood_pressure_form.html")


@bp.route("/measurements/weight/new", methods=["GET", "POST"])
@policy.patient
def new_weight() -> ResponseReturnValue:
    return _new(WeightForm, "measurements/weight_form.html")


@bp.route("/measurements/glucose/new", methods=["GET", "POST"])
@policy.patient
def new_glucose() -> ResponseReturnValue:
    return _new(GlucoseForm, "measurements/glucose_form.html")


@bp.route("/measurements/day-curve/new", methods=["GET", "POST"])
@policy.patient
def new_day_curve() -> ResponseReturnValue:
    form = DayCurveForm()
    same: dict[str, Reading] = {}
    new = 0
    if request.method == "GET":
        form.unit.data = settings.get(*me()).glucose_unit
    if form.validate_on_submit():
        try:
            readings = form.parse()
            note = form.note_text()
        except Invalid as exc:
            form.attach(exc)
        else:
            # Slots saved before are named first; saving then adds only the other slots
            # (add_many never saves a reading twice).
            found = services.same_readings(*me(), readings)
            same = {
                value.moment: saved
                for (value, _when), saved in zip(readings, found, strict=True)
                if saved is not None
            }
            new = len(readings) - len(same)
            if not same or (new and _confirmed(list(same.values()))):
                items = [(value, when, note) for value, when in readings]
                result = services.add_many(*me(), items, Source.WEB)
                for value, _when in readings:
                    if value.moment in same:
                        continue  # saved before, with its advice then
                    for item in validation.advice(value):
                        flash(item.text, "urgent" if item.level == "urgent" else "attention")
                flash(_("Day curve saved: %(n)d readings.", n=result.added), "success")
                return redirect(url_for("measurements.chart_glucose", view="day"))
    return render_template("measurements/day_curve_form.html", form=form, same=same, new=new)


@bp.get("/measurements")
@policy.patient
def list_readings() -> ResponseReturnValue:
    kind_arg = request.args.get("kind", "")
    kinds = (Kind(kind_arg),) if kind_arg in {k.value for k in Kind} else tuple(Kind)
    period = periods.parse(request.args.get("period"), default="all")
    now = datetime.now(LOCAL)
    page = services.page(
        *me(),
        kinds,
        start=periods.start_of(period, now),
        cursor=request.args.get("after"),
        limit=25,
    )
    return render_template(
        "measurements/list.html",
        page=page,
        bp_target=targets.resolve(*me()).blood_pressure,
        kind=kind_arg if len(kinds) == 1 else "",
        period=period,
        periods=periods.choices(),
    )


def _load(reading_id: uuid.UUID) -> Reading:
    try:
        return services.get(*me(), reading_id)
    except services.NotFound:
        abort(404)


@bp.route("/measurements/<uuid:reading_id>/edit", methods=["GET", "POST"])
@policy.patient
def edit_reading(reading_id: uuid.UUID) -> ResponseReturnValue:
    reading = _load(reading_id)
    local = reading.taken_at.astimezone(LOCAL)
    common = {
        "date": local.strftime("%d-%m-%Y"),
        "time": local.strftime("%H:%M"),
        "note": reading.note,
    }
    value = reading.value
    if isinstance(value, BloodPressure):
        form = BloodPressureForm(
            data={
                **common,
                "systolic": str(value.systolic),
                "diastolic": str(value.diastolic),
                "pulse": "" if value.pulse is None else str(value.pulse),
                "arm": value.arm or "",
            }
        )
        template = "measurements/blood_pressure_form.html"
    elif isinstance(value, Weight):
        form = WeightForm(data={**common, "weight": format_number(value.kg)})
        template = "measurements/weight_form.html"
    else:
        assert isinstance(value, Glucose)
        form = GlucoseForm(
            data={
                **common,
                "glucose": format_number(value.mmol),
                "unit": "mmol",
                "moment": value.moment,
            }
        )
        template = "measurements/glucose_form.html"
    same = None
    if form.validate_on_submit():
        try:
            new_value, when, note = form.parse()
        except Invalid as exc:
            form.attach(exc)
        else:
            same = services.same_reading(*me(), new_value, when, exclude=reading.id)
            if same is None or _confirmed([same]):
                return _saved(services.update(*me(), reading.id, new_value, when, note))
    return render_template(template, form=form, editing=reading, same=same)


@bp.route("/measurements/<uuid:reading_id>/delete", methods=["GET", "POST"])
@policy.patient
def delete_reading(reading_id: uuid.UUID) -> ResponseReturnValue:
    reading = _load(reading_id)
    form = DeleteForm()
    if form.validate_on_submit():
        services.remove(*me(), reading.id)
        flash(_("The measurement has been deleted."), "success")
        return redirect(url_for("measurements.list_readings"))
    return render_template("measurements/delete.html", form=form, reading=reading)


def _saved_settings() -> dict[str, str]:
    current = settings.get(*me())
    return {
        "height": "" if current.height_cm is None else format_number(current.height_cm),
        "bp_target_systolic": str(current.bp_target_systolic or ""),
        "bp_target_diastolic": str(current.bp_target_diastolic or ""),
        "glucose_unit": current.glucose_unit,
    }


@bp.route("/settings", methods=["GET", "POST"])
@policy.patient
def settings_page() -> ResponseReturnValue:
    form = SettingsForm(data=_saved_settings())
    if form.validate_on_submit():
        try:
            values = form.parse()
        except Invalid as exc:
            form.attach(exc)
        else:
            settings.save(*me(), settings.Settings(**values))
            flash(_("Your settings have been saved."), "success")
            return redirect(url_for("measurements.settings_page"))
    return _settings(form)


def _settings(form: SettingsForm, agreed_form: FlaskForm | None = None) -> str:
    from pgd.sharing.consult_forms import AgreedTargetForm  # sharing imports measurements

    history = targets.agreed_history(*me())
    agreed_form = agreed_form or AgreedTargetForm(formdata=None)
    agreed_form.note.label.text = _("Note (optional)")  # the patient's own note
    return render_template(
        "measurements/settings.html",
        form=form,
        targets=targets.resolve(*me()),
        agreed=history,
        ignored=targets.ignored_change(history),
        in_force=targets.in_force(history),
        agreed_form=agreed_form,
    )


@bp.post("/settings/agreed-target")
@policy.patient
def change_agreed_target() -> ResponseReturnValue:
    """The patient changes a target agreed with the practice: kept as history, and the
    care provider sees that the patient changed it (never silent)."""
    from pgd.sharing.consult_forms import AgreedTargetForm  # sharing imports measurements

    form = AgreedTargetForm()
    if form.validate_on_submit():
        try:
            target, note = form.parse()
            targets.agree_blood_pressure(*me(), target, note)
        except Invalid as exc:
            form.attach(exc)
        except LookupError:
            abort(404)  # nothing agreed to change
        else:
            flash(_("Saved. Your care provider will see that you changed the target."), "success")
            return redirect(url_for("measurements.settings_page") + "#agreed")
    return _settings(SettingsForm(formdata=None, data=_saved_settings()), form)
