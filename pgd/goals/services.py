"""Reading goals: the only door to this data for pages, the API and clinician views.

Each function takes the principal and the patient id and asks the sharing policy first
(category "goals"). Measurement progress reads measurements only through
pgd.measurements.services, and only when the principal may read that measurement kind
too; otherwise the progress says "not_shared" and holds no number. Changes live in
changes.py (re-exported here); consult questions in questions.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from pgd.goals import progress as pg
from pgd.goals.changes import (
    add_action,
    check_in,
    create_goal,
    remove_action,
    set_state,
    toggle_action,
    undo_check_in,
    update_goal,
)
from pgd.goals.data import CURRENT_STATES, ActionItem, GoalData, GoalKind, State
from pgd.goals.figures import checkin_days, progress_of
from pgd.goals.metrics import METRICS
from pgd.goals.questions import Question, consult_questions
from pgd.goals.store import CATEGORY, NotFound, load, now_or, one
from pgd.sharing.policy import Action, Principal, allowed, require

__all__ = [
    "GoalSummary",
    "NotFound",
    "Question",
    "add_action",
    "check_in",
    "consult_questions",
    "create_goal",
    "current_goals",
    "goal",
    "goals_overview",
    "goals_page",
    "remove_action",
    "set_state",
    "toggle_action",
    "undo_check_in",
    "update_goal",
    "weight_goal_line",
]


@dataclass(frozen=True)
class GoalSummary:
    """A goal as the goals page and the clinician's pre-consult view show it."""

    id: uuid.UUID
    kind: str  # "measurement" or "activity"
    text: str
    why: str
    state: str  # active, paused, achieved, stopped
    start: date
    until: date | None
    metric: str | None
    direction: str
    mode: str
    unit: str
    actions: tuple[ActionItem, ...]
    progress: pg.Progress | None  # None for achieved and stopped goals (history)
    data: GoalData

    @property
    def target(self) -> float | None:
        return self.data.target if self.kind == GoalKind.MEASUREMENT else self.data.per_week


def _summary(gid: uuid.UUID, g: GoalData, p: pg.Progress | None) -> GoalSummary:
    return GoalSummary(
        id=gid,
        kind=g.kind.value,
        text=g.text,
        why=g.why,
        state=g.state.value,
        start=g.start,
        until=g.until,
        metric=g.metric,
        direction=g.direction,
        mode=g.mode.value,
        unit=METRICS[g.metric].unit if g.metric else g.unit,
        actions=g.actions,
        progress=p,
        data=g,
    )


def goals_overview(
    principal: Principal, patient_id: uuid.UUID, *, now: datetime | None = None
) -> list[GoalSummary]:
    """Current goals (active first, then paused) with their progress."""
    return goals_page(principal, patient_id, now=now)[0]


def current_goals(principal: Principal, patient_id: uuid.UUID) -> list[GoalSummary]:
    """Active and paused goals without progress: cheap enough for the home page."""
    require(principal, patient_id, CATEGORY, Action.READ)
    current = [(gid, g) for gid, g in load(patient_id) if g.state in CURRENT_STATES]
    current.sort(key=lambda item: item[1].state != State.ACTIVE)
    return [_summary(gid, g, None) for gid, g in current]


def _history(goals: list[tuple[uuid.UUID, GoalData]]) -> list[GoalSummary]:
    done = [
        (gid, g) for gid, g in goals if g.state not in CURRENT_STATES and g.state != State.PROPOSED
    ]
    done.sort(key=lambda item: item[1].history[-1].at, reverse=True)
    return [_summary(gid, g, None) for gid, g in done]


def goals_page(
    principal: Principal, patient_id: uuid.UUID, *, now: datetime | None = None
) -> tuple[list[GoalSummary], list[GoalSummary]]:
    """Current goals with progress, and the history, from one read of the goals."""
    require(principal, patient_id, CATEGORY, Action.READ)
    goals = load(patient_id)
    current = [(gid, g) for gid, g in goals if g.state in CURRENT_STATES]
    current.sort(key=lambda item: item[1].state != State.ACTIVE)
    found = progress_of(principal, patient_id, current, now_or(now))
    return [_summary(gid, g, found[gid]) for gid, g in current], _history(goals)


def goal(
    principal: Principal, patient_id: uuid.UUID, goal_id: uuid.UUID, *, now: datetime | None = None
) -> GoalSummary:
    """One goal with its progress (finished goals too, for the history page)."""
    require(principal, patient_id, CATEGORY, Action.READ)
    _row, g = one(patient_id, goal_id)
    found = progress_of(principal, patient_id, [(goal_id, g)], now_or(now))
    return _summary(goal_id, g, found[goal_id])


def checkins(
    principal: Principal, patient_id: uuid.UUID, goal_id: uuid.UUID, since: date | None = None
) -> dict[date, int]:
    """A goal's check-ins per day, all of them or from `since` on."""
    require(principal, patient_id, CATEGORY, Action.READ)
    _row, g = one(patient_id, goal_id)
    return checkin_days(patient_id, [(goal_id, g)], since)[goal_id]


def weight_goal_line(principal: Principal, patient_id: uuid.UUID) -> float | None:
    """The target of the newest active weight goal, for the line in the weight chart."""
    if not allowed(principal, patient_id, CATEGORY, Action.READ):
        return None  # a clinician who may see weight but not goals sees no goal line
    targets = [
        g.target
        for _gid, g in load(patient_id)
        if g.state == State.ACTIVE and g.metric == "weight" and g.target is not None
    ]
    return targets[-1] if targets else None


# --- writing ----------------------------------------------------------------------------
