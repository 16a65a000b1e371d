"""A clinician asks a patient for a measuring week (thuismeetweek) from the dossier, and
the dossier's week panel (templates/sharing/_week.html) gets its words here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date
from flask_babel import gettext as _

from pgd import policy
from pgd.accounts.current import me
from pgd.clinical import week_words
from pgd.measurements import week
from pgd.sharing import bp
from pgd.sharing import policy as sharing_policy
from pgd.sharing.forms import ConfirmForm
from pgd.sharing.policy import Action, Principal


@bp.post("/clinician/patients/<uuid:patient_id>/measuring-week")
@policy.clinician
def request_measuring_week(patient_id: uuid.UUID) -> ResponseReturnValue:
    back = url_for("sharing.patient_dossier", patient_id=patient_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("This form has expired. Send it again."), "attention")
        return redirect(back)
    _found, created = week.request(me()[0], patient_id)
    if created:
        flash(_("The patient is asked to do a measuring week."), "success")
    else:
        flash(_("A measuring week was already asked for or is running."), "attention")
    return redirect(back)


@dataclass(frozen=True)
class WeekPanel:
    """What templates/sharing/_week.html shows (all text ready, in the viewer's language)."""

    patient_id: uuid.UUID
    can_request: bool  # no open request and no running week: show the button
    request_line: str  # an open request, or ""
    running_line: str  # where a running week is, or ""
    result_title: str  # "Measuring week 3 March to 9 March 2026", or "" without a week
    result_line: str  # the mean and its meaning (pgd.clinical.week_words.result_line)
    missing_line: str  # what is missing, or ""
    result_status: str  # "alarm", "attention", "good" or "neutral"
    short_line: str = ""  # for the summary's row: "Measuring week to 9 March: 138/84 (22/24)"


def week_panel(principal: Principal, patient_id: uuid.UUID) -> WeekPanel | None:
    """The dossier's week panel; None without a blood pressure share. Reads blood pressure
    readings: call it from a page that logs its read (the pre-consult summary does)."""
    if not sharing_policy.allowed(principal, patient_id, "blood_pressure", Action.READ):
        return None
    ov = week.overview(principal, patient_id)
    request_line = running_line = title = line = missing = short = ""
    status = "neutral"
    if ov.request is not None and ov.request.requested_at is not None:
        asked = format_date(ov.request.requested_at, "d MMMM y")
        if ov.request.requested_by == principal.id:
            request_line = _("You asked for a measuring week on %(day)s.", day=asked)
        else:
            request_line = _("A measuring week was asked for on %(day)s.", day=asked)
        request_line += " " + _("The patient has not started it yet.")
    found = ov.result
    if found is not None and found.week.start_day is not None and found.week.end_day:
        if ov.running and ov.status is not None:
            running_line = _(
                "Running: day %(day)d of %(days)d.", day=ov.status.day, days=ov.status.days
            )
        title = _(
            "Measuring week %(first)s to %(last)s",
            first=format_date(found.week.start_day, "d MMMM"),
            last=format_date(found.week.end_day, "d MMMM y"),
        )
        line = week_words.result_line(found.result, found.target)
        missing = week_words.missing_line(found.result)
        said = week_words.result_words(found.result, found.target, running=ov.running)
        status = said.status
        short = week_words.short_line(found.result, found.week.end_day, running=ov.running)
    return WeekPanel(
        patient_id,
        ov.request is None and not ov.running,
        request_line,
        running_line,
        title,
        line,
        missing,
        status,
        short,
    )
