"""What a care provider may write during a consult, and only this: the agreed blood
pressure target, a consult question marked discussed, a proposed goal. The services ask
the policy (a write action on one category of an active grant; 404 otherwise) and log
each write as its own action.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from pgd import db, policy
from pgd.accounts import services as accounts
from pgd.accounts.current import me
from pgd.goals import proposals, questions
from pgd.measurements import targets
from pgd.measurements.models import Kind
from pgd.measurements.validation import LOCAL, Invalid
from pgd.sharing import access_log, bp, dossier
from pgd.sharing.access_log import ReadAction
from pgd.sharing.consult_forms import AgreedTargetForm, ProposalForm
from pgd.sharing.forms import ConfirmForm
from pgd.sharing.policy import Action, require


def _today() -> datetime:
    return datetime.now(UTC).astimezone(LOCAL)


def _back(patient_id: uuid.UUID) -> ResponseReturnValue:
    """Back to the top of the summary, where the message about the write shows."""
    return redirect(url_for("sharing.patient_dossier", patient_id=patient_id))


@bp.route("/clinician/patients/<uuid:patient_id>/agreed-target", methods=["GET", "POST"])
@policy.clinician
def agreed_target(patient_id: uuid.UUID) -> ResponseReturnValue:
    principal = me()[0]
    dossier.grant_for(principal, patient_id)
    require(principal, patient_id, Kind.BLOOD_PRESSURE.value, Action.AGREE_TARGET)
    form = AgreedTargetForm()
    if form.validate_on_submit():
        try:
            target, note = form.parse()
            targets.agree_blood_pressure(principal, patient_id, target, note, today=_today().date())
        except Invalid as exc:
            form.attach(exc)
        else:
            flash(
                _("Saved. %(target)s is now the agreed target.", target=f"{target[0]}/{target[1]}"),
                "success",
            )
            return _back(patient_id)
    with db.transaction():  # the page shows the current target and its history: a read
        history = targets.agreed_history(principal, patient_id)
        current = targets.resolve(principal, patient_id).blood_pressure
        access_log.append(
            dossier.actor_of(principal),
            patient_id,
            [Kind.BLOOD_PRESSURE.value],
            ReadAction.SUMMARY,
            dossier.address(),
        )
    return render_template(
        "sharing/agreed_target.html",
        form=form,
        patient_id=patient_id,
        patient_name=accounts.profile_of(patient_id).name,
        current=current,
        history=history,
    )


@bp.post("/clinician/patients/<uuid:patient_id>/questions/<uuid:question_id>/discussed")
@policy.clinician
def question_discussed(patient_id: uuid.UUID, question_id: uuid.UUID) -> ResponseReturnValue:
    principal = me()[0]
    dossier.grant_for(principal, patient_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        questions.set_discussed(principal, patient_id, question_id, discussed=True)
    except questions.NotFound:
        abort(404)
    flash(_("Marked as discussed. The patient sees this in their list."), "success")
    return _back(patient_id)


@bp.route("/clinician/patients/<uuid:patient_id>/propose-goal", methods=["GET", "POST"])
@policy.clinician
def propose_goal(patient_id: uuid.UUID) -> ResponseReturnValue:
    principal = me()[0]
    dossier.grant_for(principal, patient_id)
    require(principal, patient_id, "goals", Action.PROPOSE_GOAL)
    form = ProposalForm()
    if form.validate_on_submit():
        try:
            data = proposals.check(
                form.text.data or "", form.why.data or "", form.per_week.data or "", _today().date()
            )
            proposals.propose(principal, patient_id, data)
        except Invalid as exc:
            form.attach(exc)
        else:
            flash(_("Proposed. The patient can accept or decline this goal."), "success")
            return _back(patient_id)
    return render_template(
        "sharing/propose_goal.html",
        form=form,
        patient_id=patient_id,
        patient_name=accounts.profile_of(patient_id).name,
    )
