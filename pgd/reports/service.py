"""The patient's own report over any period: the dossier's summary blocks (the same
services, the same clinical targets), read by the patient themselves."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from pgd import crypto, db
from pgd.accounts import services as accounts
from pgd.clinical import age_on
from pgd.measurements import targets
from pgd.reports.pdf import ReportData
from pgd.sharing import dossier, summary
from pgd.sharing.policy import Principal
from pgd.sharing.summary_lists import LOCAL

MAX_DAYS = 5 * 366  # the longest period a patient can choose: five years


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LOCAL).astimezone(UTC)


def own_report(principal: Principal, patient_id: uuid.UUID, first: date, last: date) -> ReportData:
    """The report of the local days first..last (checked by the form). Judged against the
    clinical targets, as the GP reads them, never against the patient's own target. Rows
    of a kind without readings in the period are left out (unless all are empty)."""
    from pgd.goals import services as goals
    from pgd.goals.questions import consult_questions

    start, end = local_midnight(first), local_midnight(last + timedelta(days=1))
    now = datetime.now(UTC)
    window = summary.Window(int(start.timestamp()), int(end.timestamp()))
    kinds = tuple(k.value for k in dossier.MEASURED)
    with db.transaction():
        profile = accounts.profile_of(patient_id)
        judged = targets.resolve(principal, patient_id)
        judged = replace(judged, blood_pressure=targets.clinical_for(principal, patient_id))
        blocks = dossier.summary_blocks(
            principal,
            patient_id,
            kinds,
            window,
            judged,
            end=end,
            week_on=min(end - timedelta(seconds=1), now),
        )
        active = [g for g in goals.goals_overview(principal, patient_id) if g.state == "active"]
        questions = consult_questions(principal, patient_id)
    return ReportData(
        profile.name,
        profile.birth_date,
        age_on(profile.birth_date, now.astimezone(LOCAL).date()),
        start,
        end,
        (*kinds, crypto.Category.GOALS.value),
        [b for b in blocks if b.n] or blocks,
        active,
        questions,
        terms=None,
        for_patient=True,
    )
