"""Clinician pages: my patients, a share code, the read-only dossier and its charts.

Anything outside an active grant answers 404 (the policy decides in the services).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from flask import abort, g, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from pgd import policy
from pgd.accounts import services as accounts
from pgd.accounts.current import me
from pgd.measurements import chart_routes, periods, week
from pgd.measurements.models import Kind
from pgd.sharing import bp, codes, dossier, journal, labels
from pgd.sharing.forms import ConfirmForm

CHART_KINDS = {
    "blood-pressure": Kind.BLOOD_PRESSURE,
    "weight": Kind.WEIGHT,
    "glucose": Kind.GLUCOSE,
}


@bp.get("/clinician")
@policy.clinician
def clinician_home() -> ResponseReturnValue:
    from pgd.sharing import worklist  # "my patients" as a triage worklist (issue 11)

    profile = accounts.profile_of(current_user.id)
    details = accounts.clinician_details(current_user.id)
    page = worklist.my_patients(
        me()[0], request.args.get("sort"), request.args.get("page", 1, type=int)
    )
    return render_template(
        "sharing/clinician_home.html",
        profile=profile,
        details=details,
        page=page,
        labels=labels,
    )


@bp.route("/clinician/share-code", methods=["GET", "POST"])
@policy.clinician
def share_code() -> ResponseReturnValue:
    form = ConfirmForm()
    code = expires = None
    if form.validate_on_submit():
        raw, expires = dossier.new_share_code(me()[0])
        code = codes.display(raw)
    return render_template("sharing/share_code.html", form=form, code=code, expires=expires)


@bp.get("/clinician/patients/<uuid:patient_id>")
@policy.clinician
def patient_dossier(patient_id: uuid.UUID) -> ResponseReturnValue:
    period = request.args.get("period", dossier.DEFAULT_PERIOD)
    found = dossier.pre_consult(me()[0], patient_id, period)
    from pgd.sharing import routes_week  # registers its views on bp after this module

    return render_template(
        "sharing/dossier.html",
        d=found,
        journal=journal.journal_text(found),
        week_panel=routes_week.week_panel(me()[0], patient_id),
        csrf=ConfirmForm(),
        labels=labels,
        periods=dossier.SUMMARY_PERIODS,
        chart_slugs={v.value: k for k, v in CHART_KINDS.items()},
    )


@bp.get("/clinician/patients/<uuid:patient_id>/charts/<slug>")
@policy.clinician
def patient_chart(patient_id: uuid.UUID, slug: str) -> ResponseReturnValue:
    kind = CHART_KINDS.get(slug)
    if kind is None:
        abort(404)
    code = periods.parse(request.args.get("period"), default="3m")
    start = periods.start_of(code, datetime.now(UTC))
    data = dossier.chart_data(me()[0], patient_id, kind, start)
    if kind == Kind.BLOOD_PRESSURE:
        shown = week.latest_week(me()[0], patient_id)
        context = chart_routes.blood_pressure_context(
            data.series,
            data.targets_for,
            start,
            for_patient=False,
            week_day=shown.start_day if shown else None,
        )
    elif kind == Kind.WEIGHT:
        context = chart_routes.weight_context(
            data.series, data.targets_for.height_cm, data.goal_line, start, for_patient=False
        )
    else:
        view = chart_routes.glucose_view(request.args.get("view"))
        context = chart_routes.glucose_context(data.series, view, for_patient=False)
    g.csp_inline_styles = True
    return render_template(
        "sharing/chart.html",
        period=code,
        periods=periods.choices(),
        patient_id=patient_id,
        patient_name=data.patient_name,
        glucose_endpoint="sharing.patient_chart",
        chart_args={"patient_id": patient_id, "slug": "glucose"},
        **context,
    )
