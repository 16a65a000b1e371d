"""Low-level access to the goals tables: sealing, opening and fetching one goal.

Callers (services.py, changes.py, figures.py) have asked the sharing policy first.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from pgd import crypto, db
from pgd.goals.data import GoalData, decode, encode
from pgd.goals.models import Goal

CATEGORY = crypto.Category.GOALS
GOALS_TABLE = "goals"
CHECKINS_TABLE = "goal_checkins"


class NotFound(LookupError):
    """No such goal for this principal (the caller answers 404)."""


def cipher(patient_id: uuid.UUID, *, create: bool = False) -> crypto.RecordCipher:
    return crypto.cipher_for(patient_id, CATEGORY, create=create)


def now_or(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def load(patient_id: uuid.UUID) -> list[tuple[uuid.UUID, GoalData]]:
    """Every goal of the patient, oldest first (read once per request until a write)."""
    return list(db.remembered(("goals", patient_id), lambda: tuple(_read(patient_id))))


def _read(patient_id: uuid.UUID) -> list[tuple[uuid.UUID, GoalData]]:
    rows = (
        db.session()
        .execute(
            select(Goal.id, Goal.payload_sealed)
            .where(Goal.patient_id == patient_id)
            .order_by(Goal.created_at, Goal.id)
        )
        .all()
    )
    if not rows:
        return []
    opener = cipher(patient_id)
    return [(r.id, decode(opener.open(GOALS_TABLE, r.id, r.payload_sealed))) for r in rows]


def one(
    patient_id: uuid.UUID, goal_id: uuid.UUID, *, for_update: bool = False
) -> tuple[Goal, GoalData]:
    """One goal; for_update locks its row until commit (two answers or changes at once
    then run one after the other, and the second sees the first)."""
    query = select(Goal).where(Goal.id == goal_id, Goal.patient_id == patient_id)
    row = db.session().scalar(query.with_for_update() if for_update else query)
    if row is None:
        raise NotFound(goal_id)
    return row, decode(cipher(patient_id).open(GOALS_TABLE, row.id, row.payload_sealed))


def seal(row: Goal, patient_id: uuid.UUID, g: GoalData) -> None:
    row.payload_sealed = cipher(patient_id, create=True).seal(GOALS_TABLE, row.id, encode(g))
