"""Questions and topics for the next consult ("consultvoorbereiding"), sealed under "goals"."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from sqlalchemy import delete, select

from pgd import crypto, db
from pgd.accounts.labels import mark_of
from pgd.goals.models import ConsultQuestion
from pgd.sharing.policy import Action, Principal, require

CATEGORY = crypto.Category.GOALS
TABLE = "consult_questions"


class NotFound(LookupError):
    """No such question for this principal (the caller answers 404)."""


@dataclass(frozen=True)
class Question:
    id: uuid.UUID
    text: str
    created: datetime
    discussed: bool
    discussed_at: datetime | None = None
    discussed_with: str = ""  # "A. de Vries|poh": the care provider who marked it discussed


def _open(
    cipher: crypto.RecordCipher, row_id: uuid.UUID, created: datetime, blob: bytes
) -> Question:
    d = orjson.loads(cipher.open(TABLE, row_id, blob))
    at = datetime.fromisoformat(d["at"]) if d.get("at") else None
    if created.tzinfo is None:  # SQLite hands back naive UTC
        created = created.replace(tzinfo=UTC)
    return Question(row_id, d["t"], created, bool(d.get("d")), at, d.get("by", ""))


def _seal(cipher: crypto.RecordCipher, q: Question) -> bytes:
    data: dict[str, object] = {"t": q.text, "d": q.discussed}
    if q.discussed_at is not None:
        data["at"] = q.discussed_at.isoformat()
    if q.discussed_with:
        data["by"] = q.discussed_with
    return cipher.seal(TABLE, q.id, orjson.dumps(data))


def consult_questions(
    principal: Principal, patient_id: uuid.UUID, *, include_discussed: bool = False
) -> list[Question]:
    """Open questions first written first; with include_discussed, the discussed ones after."""
    require(principal, patient_id, CATEGORY, Action.READ)
    rows = (
        db.session()
        .execute(
            select(ConsultQuestion.id, ConsultQuestion.created_at, ConsultQuestion.payload_sealed)
            .where(ConsultQuestion.patient_id == patient_id)
            .order_by(ConsultQuestion.created_at, ConsultQuestion.id)
        )
        .all()
    )
    if not rows:
        return []
    cipher = crypto.cipher_for(patient_id, CATEGORY)
    found = [_open(cipher, r.id, r.created_at, r.payload_sealed) for r in rows]
    open_ones = [q for q in found if not q.discussed]
    if not include_discussed:
        return open_ones
    return open_ones + [q for q in found if q.discussed]


def add_question(principal: Principal, patient_id: uuid.UUID, text: str) -> Question:
    require(principal, patient_id, CATEGORY, Action.WRITE)
    with db.transaction() as sess:
        cipher = crypto.cipher_for(patient_id, CATEGORY, create=True)
        q = Question(db.new_id(), text, db.utcnow(), False)
        sess.add(
            ConsultQuestion(
                id=q.id,
                patient_id=patient_id,
                created_at=q.created,
                payload_sealed=_seal(cipher, q),
            )
        )
    return q


def _row(patient_id: uuid.UUID, question_id: uuid.UUID) -> ConsultQuestion:
    row = db.session().scalar(
        select(ConsultQuestion)
        .where(ConsultQuestion.id == question_id, ConsultQuestion.patient_id == patient_id)
        .with_for_update()  # for writes only: a second change at once waits for the first
    )
    if row is None:
        raise NotFound(question_id)
    return row


def set_discussed(
    principal: Principal, patient_id: uuid.UUID, question_id: uuid.UUID, *, discussed: bool
) -> Question:
    """Tick a question off after the consult (or put it back on the list).

    A care provider with goals shared may tick it off during the consult (never put it
    back): one of the few writes a clinician may make, logged as its own action.
    """
    clinician = principal.role == "clinician"
    if clinician and not discussed:
        raise NotFound(question_id)
    require(principal, patient_id, CATEGORY, Action.MARK_DISCUSSED if clinician else Action.WRITE)
    with db.transaction():
        row = _row(patient_id, question_id)
        cipher = crypto.cipher_for(patient_id, CATEGORY)
        old = _open(cipher, row.id, row.created_at, row.payload_sealed)
        if clinician and old.discussed:
            return old  # already ticked off: nothing to write, nothing to log
        by = mark_of(principal.id) if clinician else ""
        new = Question(
            old.id, old.text, old.created, discussed, db.utcnow() if discussed else None, by
        )
        row.payload_sealed = _seal(cipher, new)
        if clinician:
            from pgd.sharing import access_log, dossier  # sharing imports goals

            dossier.log_write(
                principal, patient_id, CATEGORY.value, access_log.WriteAction.MARK_DISCUSSED
            )
    return new


def remove_question(principal: Principal, patient_id: uuid.UUID, question_id: uuid.UUID) -> None:
    require(principal, patient_id, CATEGORY, Action.WRITE)
    with db.transaction() as sess:
        row = _row(patient_id, question_id)
        sess.execute(
            delete(ConsultQuestion).where(
                ConsultQuestion.patient_id == patient_id, ConsultQuestion.id == row.id
            )
        )
