"""The clinician's read side of the API: patients who share with me, their readings, and
the pre-consult summary (with goals and questions when those are shared).

The same policy as the web pages decides: a clinician's token works only while its
owner has a second factor enrolled, only for patients with an active grant, and only for
the granted categories and period. Anything else answers 404. Every read is logged.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Response, request
from flask_babel import gettext as _

from pgd import policy
from pgd.accounts.tokens import ApiPrincipal
from pgd.api import auth, bp, payloads
from pgd.api.routes import _invalid, _json
from pgd.measurements.models import Kind
from pgd.measurements.validation import Invalid
from pgd.sharing import access_log, dossier, labels, summary, summary_lists
from pgd.sharing.policy import NotFound


def _clinician() -> ApiPrincipal:
    principal = auth.principal()
    if principal.role != "clinician":
        raise NotFound()
    return principal


PATIENTS_DEFAULT_LIMIT = 100
PATIENTS_MAX_LIMIT = 500


def _patients_query() -> tuple[str | None, int]:
    errors: dict[str, str] = {}
    cursor = request.args.get("cursor")
    if cursor is not None and not re.fullmatch(dossier.CURSOR_PATTERN, cursor):
        errors["cursor"] = _("Use the next_cursor of the previous page, unchanged.")
    raw = request.args.get("limit")
    limit = PATIENTS_DEFAULT_LIMIT
    if raw is not None:
        if raw.isdigit() and 1 <= int(raw) <= PATIENTS_MAX_LIMIT:
            limit = int(raw)
        else:
            errors["limit"] = _("Choose a whole number from 1 to %(max)d.", max=PATIENTS_MAX_LIMIT)
    if errors:
        raise _invalid(Invalid(errors), 400)
    return cursor, limit


@bp.get("/patients")
@policy.api
def list_patients() -> Response:
    """Everyone with an active grant to this clinician, most recently shared first."""
    principal = _clinician()
    cursor, limit = _patients_query()
    page = dossier.my_patients(principal, cursor, page_size=limit)
    return _json(
        {
            "items": [
                {
                    "id": str(p.patient_id),
                    "name": p.name,
                    "birth_date": p.birth_date.isoformat() if p.birth_date else None,
                    "categories": list(p.categories),
                    "data_from": payloads.rfc3339(p.data_from) if p.data_from else None,
                    "expires_at": payloads.rfc3339(p.expires_at),
                    "shared_at": payloads.rfc3339(p.shared_at),
                }
                for p in page.rows
            ],
            "next_cursor": page.next_cursor,
            "total": page.total,
        }
    )


@bp.get("/patients/<uuid:patient_id>/measurements")
@policy.api
def list_patient_measurements(patient_id: uuid.UUID) -> Response:
    """One patient's readings of the granted kinds, newest first, clamped to the period."""
    principal = _clinician()
    grant = dossier.grant_for(principal, patient_id)
    try:
        query = payloads.list_query(request.args)
    except Invalid as exc:
        raise _invalid(exc, 400) from None
    if "type" in request.args:
        kinds = query.kinds
    else:
        kinds = tuple(k for k in Kind if k.value in grant.categories)
        if not kinds:
            raise NotFound()  # only goals are shared: no readings to list
    page = dossier.api_page(
        principal, patient_id, kinds, query.start, query.end, query.cursor, query.limit
    )
    return _json(
        {
            "items": [payloads.measurement_output(r) for r in page.readings],
            "next_cursor": page.next_cursor,
            "total": page.total,
        }
    )


def _stat(st: summary.Stat) -> dict[str, float]:
    return {"mean": round(st.mean, 2), "min": st.minimum, "max": st.maximum}


def _target(b: summary.Block) -> dict[str, object] | None:
    """The target a block is judged against, with where it comes from."""
    if not b.target_code:
        return None
    out: dict[str, object] = {"code": b.target_code, "text": labels.target_words(b)}
    if b.target is not None:
        out.update(
            {
                "systolic_below": b.target.systolic,
                "diastolic_below": b.target.diastolic,
                "source": b.target.source.value,
            }
        )
        if b.target.agreement is not None:
            a = b.target.agreement
            out["agreed"] = {"name": a.name, "profession": a.profession, "date": a.day.isoformat()}
    return out


def _at(epoch: int) -> str:
    return payloads.rfc3339(datetime.fromtimestamp(epoch, UTC))


def _event(b: summary.Block, e: summary_lists.Event) -> dict[str, object]:
    names = ("systolic", "diastolic") if b.category == "blood_pressure" else ("mmol",)
    out: dict[str, object] = {
        "taken_at": _at(e.at),
        "moment_of_day": e.moment_of_day,
        "values": dict(zip(names, e.values, strict=False)),
    }
    if b.category == "glucose":
        out.update({"moment": e.moment, "night": e.night})
    return out


def _trend(direction: str | None, delta: float | None) -> dict[str, object] | None:
    if direction is None:
        return None
    return {"direction": direction, "delta": None if delta is None else round(delta, 2)}


def _week(found: Any) -> dict[str, object] | None:
    """The latest measuring week (pgd.measurements.week.WeekResult), or None."""
    if found is None or found.week.start_day is None:
        return None
    r = found.result
    return {
        "start_day": found.week.start_day.isoformat(),
        "end_day": found.week.end_day.isoformat(),
        "finished": found.finished,
        "mean": {"systolic": r.systolic, "diastolic": r.diastolic} if r.used else None,
        "readings_used": r.used,
        "readings_expected": r.expected,
        "usable": r.usable,
        "verdict": {"level": r.verdict.level.value, "code": r.verdict.code} if r.judged else None,
        "missing": [{"day": d, "moment": m, "readings": n} for d, m, n in r.missing],
    }


def _details(b: summary.Block) -> dict[str, object]:
    """The figures added for issue 11: dated alarms and hypos, pulse, both trends, glucose
    per moment, BMI, the weight goal and adherence."""
    days = b.daily.n_days if b.daily is not None else 0
    goal = b.goal
    return {
        "week": _week(b.week) if b.category == "blood_pressure" else None,
        "alarms": [_event(b, e) for e in b.alarms.events],
        "alarms_total": b.alarms.total,
        "hypos": [_event(b, e) for e in b.hypos.events] if b.category == "glucose" else None,
        "hypos_total": b.hypos.total if b.category == "glucose" else None,
        "hypos_at_night": b.hypos_at_night if b.category == "glucose" else None,
        "pulse": None
        if b.pulse_mean is None
        else {"mean": round(b.pulse_mean, 1), "readings": b.pulse_n},
        "trends": None
        if b.category != "blood_pressure"
        else {
            "systolic": _trend(b.trend, b.trend_delta),
            "diastolic": _trend(b.trend_diastolic, b.trend_diastolic_delta),
        },
        "by_moment": None
        if b.category != "glucose"
        else {k: {"mean": round(st.mean, 2), "readings": st.n} for k, st in b.by_moment.items()},
        "bmi": None if b.bmi is None else {"value": round(b.bmi, 1), "category": b.bmi_category},
        "weight_goal": None
        if goal is None
        else {
            "goal_kg": goal.goal_kg,
            "direction": goal.direction,
            "change_kg": round(goal.change_kg, 2),
            "from_goal_kg": round(goal.from_goal_kg, 2),
        },
        "adherence": {
            "readings": b.n,
            "days_with_readings": b.days_measured,
            "days_in_period": days,
            "last_reading_at": None if b.latest_at is None else _at(b.latest_at),
            "expected": b.expected,
        },
    }


def _block(b: summary.Block) -> dict[str, object]:
    latest = None
    if b.latest is not None and b.latest_at is not None:
        names = tuple(b.stats) or ("value",)
        latest = {
            "values": dict(zip(names, b.latest, strict=False)),
            "taken_at": payloads.rfc3339(datetime.fromtimestamp(b.latest_at, UTC)),
        }
    return {
        "category": b.category,
        "readings": b.n,
        "latest": latest,
        "stats": {name: _stat(st) for name, st in b.stats.items()},
        "trend": b.trend,
        "trend_delta": None if b.trend_delta is None else round(b.trend_delta, 2),
        "within_target_pct": (
            None if b.within_target_pct is None else round(b.within_target_pct, 1)
        ),
        "target": _target(b),
        "verdict": None
        if b.verdict is None
        else {"level": b.verdict.level.value, "code": b.verdict.code},
        "flags": [{"code": code, "value": value} for code, value in b.flags],
        **_details(b),
    }


def _goal(goal: Any) -> dict[str, object]:
    p = goal.progress
    return {
        "id": str(goal.id),
        "kind": goal.kind,
        "text": goal.text,
        "why": goal.why,
        "start": goal.start.isoformat(),
        "until": goal.until.isoformat() if goal.until else None,
        "metric": goal.metric,
        "progress": None
        if p is None
        else {
            "status": p.status,
            "target": p.target,
            "unit": p.unit,
            "start_value": p.start_value,
            "current_value": p.current_value,
            "share_done": None if p.share_done is None else round(p.share_done, 3),
            "week_count": p.week_count,
            "week_target": p.week_target,
            "streak": p.streak,
            "streak_unit": p.streak_unit,
        },
        "steps": [{"text": a.text, "done": a.done} for a in goal.actions],
    }


@bp.get("/patients/<uuid:patient_id>/summary")
@policy.api
def patient_summary(patient_id: uuid.UUID) -> Response:
    """The pre-consult summary of the shared categories for a period (default 3 months);
    with "goals" shared, the active goals with progress and the open questions."""
    principal = _clinician()
    dossier.grant_for(principal, patient_id)  # not shared with me: 404 before any check
    period = request.args.get("period", dossier.DEFAULT_PERIOD)
    if period not in dossier.SUMMARY_PERIODS:
        choices = ", ".join(dossier.SUMMARY_PERIODS)
        raise _invalid(Invalid({"period": _("Choose one of: %(choices)s.", choices=choices)}), 400)
    d = dossier.pre_consult(principal, patient_id, period, access_log.ReadAction.API)
    body: dict[str, object] = {
        "patient": {
            "id": str(d.patient_id),
            "name": d.name,
            "birth_date": d.birth_date.isoformat() if d.birth_date else None,
            "age": d.age,
        },
        "categories": list(d.categories),
        "period": d.period,
        "from": payloads.rfc3339(d.window_start),
        "to": payloads.rfc3339(d.window_end),
        "data_from": payloads.rfc3339(d.grant.data_from) if d.grant.data_from else None,
        "measurements": [_block(b) for b in d.blocks],
    }
    if "goals" in d.categories:
        body["goals"] = [_goal(g) for g in d.goals]
        body["questions"] = [
            {"text": q.text, "written_at": payloads.rfc3339(q.created)}
            for q in d.questions
            if not q.discussed
        ]
    return _json(body)
