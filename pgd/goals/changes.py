"""Every change to goals, steps and check-ins, each in one transaction.

Each function asks the sharing policy for WRITE on "goals" first; bad input raises
Invalid with a message per field and leaves everything as it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date, datetime

import orjson
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from pgd import db
from pgd.goals import progress as pg
from pgd.goals import validation
from pgd.goals.data import ActionItem, GoalData, GoalKind, State, new_action_id
from pgd.goals.models import CheckIn, Goal
from pgd.goals.store import CATEGORY, CHECKINS_TABLE, NotFound, cipher, now_or, one, seal
from pgd.measurements.validation import Invalid
from pgd.sharing.policy import Action, Principal, require

__all__ = ["NotFound"]


def create_goal(
    principal: Principal,
    patient_id: uuid.UUID,
    data: GoalData,
    action_texts: Iterable[str] = (),
    *,
    now: datetime | None = None,
) -> uuid.UUID:
    require(principal, patient_id, CATEGORY, Action.WRITE)
    at = now_or(now)
    g = data.with_event(
        "created",
        at,
        state=State.ACTIVE,
        actions=tuple(ActionItem(new_action_id(), text) for text in action_texts),
    )
    with db.transaction() as sess:
        row = Goal(id=db.new_id(), patient_id=patient_id, created_at=at)
        seal(row, patient_id, g)
        sess.add(row)
    return row.id


def _change(
    principal: Principal,
    patient_id: uuid.UUID,
    goal_id: uuid.UUID,
    how: Callable[[GoalData], GoalData],
    now: datetime,
) -> GoalData:
    """Open, change (how(old) -> new) and re-seal one goal in one transaction."""
    require(principal, patient_id, CATEGORY, Action.WRITE)
    with db.transaction():
        row, old = one(patient_id, goal_id, for_update=True)
        new = how(old)
        seal(row, patient_id, new)
        row.updated_at = now
    return new


def update_goal(
    principal: Principal,
    patient_id: uuid.UUID,
    goal_id: uuid.UUID,
    data: GoalData,
    *,
    now: datetime | None = None,
) -> GoalData:
    """New wording, target and dates; the kind, state, steps and history stay."""
    at = now_or(now)

    def edit(old: GoalData) -> GoalData:
        if data.kind != old.kind or (old.metric and data.metric != old.metric):
            raise Invalid(
                {"kind": _("The kind of goal cannot change. Stop this goal and make a new one.")}
            )
        return replace(data, state=old.state, actions=old.actions, history=old.history).with_event(
            "edited", at
        )

    return _change(principal, patient_id, goal_id, edit, at)


TRANSITIONS: dict[str, tuple[tuple[State, ...], State]] = {
    "pause": ((State.ACTIVE,), State.PAUSED),
    "resume": ((State.PAUSED,), State.ACTIVE),
    "achieved": ((State.ACTIVE, State.PAUSED), State.ACHIEVED),
    "stopped": ((State.ACTIVE, State.PAUSED), State.STOPPED),
}


def set_state(
    principal: Principal,
    patient_id: uuid.UUID,
    goal_id: uuid.UUID,
    change: str,
    *,
    now: datetime | None = None,
) -> GoalData:
    """Pause, resume, mark achieved or stop; each step is kept in the history."""
    if change not in TRANSITIONS:
        raise NotFound(change)
    sources, target = TRANSITIONS[change]
    at = now_or(now)

    def move(old: GoalData) -> GoalData:
        if old.state not in sources:
            raise Invalid({"state": _("This goal cannot be changed like that any more.")})
        return old.with_event(change, at, state=target)

    return _change(principal, patient_id, goal_id, move, at)


def add_action(principal: Principal, patient_id: uuid.UUID, goal_id: uuid.UUID, text: str) -> None:
    at = db.utcnow()

    def add(old: GoalData) -> GoalData:
        if len(old.actions) >= validation.ACTIONS_MAX:
            raise Invalid({"text": _("Write at most %(max)d steps.", max=validation.ACTIONS_MAX)})
        return replace(old, actions=(*old.actions, ActionItem(new_action_id(), text)))

    _change(principal, patient_id, goal_id, add, at)


def toggle_action(
    principal: Principal, patient_id: uuid.UUID, goal_id: uuid.UUID, action_id: str, *, done: bool
) -> None:
    def tick(old: GoalData) -> GoalData:
        if action_id not in {a.id for a in old.actions}:
            raise NotFound(action_id)
        return replace(
            old,
            actions=tuple(replace(a, done=done) if a.id == action_id else a for a in old.actions),
        )

    _change(principal, patient_id, goal_id, tick, db.utcnow())


def remove_action(
    principal: Principal, patient_id: uuid.UUID, goal_id: uuid.UUID, action_id: str
) -> None:
    def drop(old: GoalData) -> GoalData:
        if action_id not in {a.id for a in old.actions}:
            raise NotFound(action_id)
        return replace(old, actions=tuple(a for a in old.actions if a.id != action_id))

    _change(principal, patient_id, goal_id, drop, db.utcnow())


def check_in(
    principal: Principal,
    patient_id: uuid.UUID,
    goal_id: uuid.UUID,
    day: date,
    count_raw: object = None,
    *,
    now: datetime | None = None,
) -> int:
    """Record one day on an activity goal: refuses the future, doubles and absurd counts."""
    require(principal, patient_id, CATEGORY, Action.WRITE)
    today = pg.local_day(now_or(now))
    with db.transaction() as sess:
        _row, g = one(patient_id, goal_id)
        if g.kind != GoalKind.ACTIVITY or g.state != State.ACTIVE:
            raise Invalid({"day": _("You can only check in on an active activity goal.")})
        taken = set(
            sess.scalars(
                select(CheckIn.day).where(
                    CheckIn.patient_id == patient_id,
                    CheckIn.goal_id == goal_id,
                    CheckIn.day == day,
                )
            )
        )
        count = validation.check_in(day, today, g.start, taken, count_raw, g.mode, g.unit)
        row = CheckIn(id=db.new_id(), patient_id=patient_id, goal_id=goal_id, day=day)
        row.payload_sealed = cipher(patient_id, create=True).seal(
            CHECKINS_TABLE, row.id, orjson.dumps({"c": count})
        )
        sess.add(row)
        try:
            sess.flush()
        except IntegrityError:  # the same day sent twice at once
            raise Invalid({"day": _("You already checked in for this day.")}) from None
    return count


def undo_check_in(
    principal: Principal, patient_id: uuid.UUID, goal_id: uuid.UUID, day: date
) -> None:
    require(principal, patient_id, CATEGORY, Action.WRITE)
    with db.transaction() as sess:
        one(patient_id, goal_id)
        result = sess.execute(
            delete(CheckIn).where(
                CheckIn.patient_id == patient_id, CheckIn.goal_id == goal_id, CheckIn.day == day
            )
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            raise NotFound(day)
