"""Goals a care provider proposes and the patient accepts or declines.

Proposing is one of the few writes a clinician may make (pgd.sharing.policy:
Action.PROPOSE_GOAL on "goals", with an active grant of goals); it is logged as its own
action. The proposal is sealed under the patient's goals key like any goal. Only the
patient answers, once: accepted, it becomes an active goal from that day; declined, it
stays in the history so the care provider sees the answer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime

from flask_babel import gettext as _

from pgd import db
from pgd.goals import validation
from pgd.goals.data import GoalData, GoalKind, Mode, State
from pgd.goals.models import Goal
from pgd.goals.store import CATEGORY, NotFound, load, now_or, one, seal
from pgd.measurements.validation import Invalid
from pgd.sharing.policy import Action, Principal, require


@dataclass(frozen=True)
class Proposal:
    id: uuid.UUID
    text: str
    why: str
    per_week: int | None
    proposed_by: str
    proposed_at: datetime
    state: str  # proposed, active (accepted), declined, or what the patient did since
    answered_at: datetime | None


def _proposal(gid: uuid.UUID, g: GoalData) -> Proposal:
    answered = next((e.at for e in g.history if e.event in ("accepted", "declined")), None)
    return Proposal(
        gid, g.text, g.why, g.per_week, g.proposed_by, g.history[0].at, g.state.value, answered
    )


def check(text: str, why: str, per_week: str, today: date) -> GoalData:
    """The proposal form, checked with the same rules as the patient's own goal form
    (worded for the care provider where the patient's form speaks to the patient)."""
    try:
        return _checked(text, why, per_week, today)
    except Invalid as exc:
        if "text" in exc.errors and not text.strip():
            exc.errors["text"] = _(
                "Write the goal in plain words, for example: walk 30 minutes a day."
            )
        raise


def _checked(text: str, why: str, per_week: str, today: date) -> GoalData:
    return validation.goal(
        {
            "kind": GoalKind.ACTIVITY.value,
            "mode": Mode.DONE.value,
            "text": text,
            "why": why,
            "per_week": per_week,
            "start": today.isoformat(),
        },
        today,
    )


def propose(
    principal: Principal, patient_id: uuid.UUID, data: GoalData, *, now: datetime | None = None
) -> uuid.UUID:
    """A care provider proposes an activity goal (checked with check())."""
    from pgd.accounts.labels import mark_of
    from pgd.sharing import access_log, dossier

    require(principal, patient_id, CATEGORY, Action.PROPOSE_GOAL)
    at = now_or(now)
    g = replace(data, state=State.PROPOSED, proposed_by=mark_of(principal.id)).with_event(
        "proposed", at
    )
    with db.transaction() as sess:
        row = Goal(id=db.new_id(), patient_id=patient_id, created_at=at)
        seal(row, patient_id, g)
        sess.add(row)
        dossier.log_write(
            principal, patient_id, CATEGORY.value, access_log.WriteAction.PROPOSE_GOAL
        )
    return row.id


def proposals(principal: Principal, patient_id: uuid.UUID) -> list[Proposal]:
    """Every goal a care provider proposed, open ones first, then newest first."""
    require(principal, patient_id, CATEGORY, Action.READ)
    found = [_proposal(gid, g) for gid, g in load(patient_id) if g.proposed_by]
    found.sort(key=lambda p: (p.state != State.PROPOSED.value, -p.proposed_at.timestamp()))
    return found


def answer(
    principal: Principal,
    patient_id: uuid.UUID,
    goal_id: uuid.UUID,
    *,
    accept: bool,
    today: date,
    now: datetime | None = None,
) -> GoalData:
    """The patient's answer, once. A second answer raises Invalid and changes nothing."""
    if principal.role != "patient":
        raise NotFound(goal_id)
    require(principal, patient_id, CATEGORY, Action.WRITE)
    at = now_or(now)
    with db.transaction():
        row, old = one(patient_id, goal_id, for_update=True)
        if not old.proposed_by:
            raise NotFound(goal_id)
        if old.state != State.PROPOSED:
            raise Invalid({"answer": _("You already answered this proposal.")})
        if accept:
            new = old.with_event("accepted", at, state=State.ACTIVE, start=today)
        else:
            new = old.with_event("declined", at, state=State.DECLINED)
        seal(row, patient_id, new)
        row.updated_at = at
    return new
