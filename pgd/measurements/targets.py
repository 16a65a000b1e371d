"""Which targets a viewer reads a patient's values against, with their source.

The clinical rules live in pgd.clinical; this service gathers what they need (age, the
target agreed with a care provider, the patient's own target) through the sharing
policy. A care provider never reads against a target the patient chose themselves.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

import orjson
from sqlalchemy import select

from pgd import clinical, crypto, db
from pgd.clinical import Agreement, BloodPressureTarget, Source
from pgd.measurements import settings
from pgd.measurements.models import AgreedTarget, Kind
from pgd.measurements.validation import LOCAL
from pgd.sharing.policy import Action, Principal, allowed, require

TABLE = "agreed_targets"


@dataclass(frozen=True)
class Targets:
    """Everything a page needs to judge this patient's values, for this viewer."""

    blood_pressure: BloodPressureTarget  # what the values are judged against
    own_blood_pressure: tuple[int, int] | None  # the patient's own (patient's pages only)
    own_ignored: bool  # the patient's own target is looser than the clinical one
    height_cm: float | None


def _today() -> date:
    return datetime.now(UTC).astimezone(LOCAL).date()


def agreed_blood_pressure(
    principal: Principal, patient_id: uuid.UUID
) -> BloodPressureTarget | None:
    """The newest target agreed with a care provider, if any (needs the blood pressure share)."""
    require(principal, patient_id, Kind.BLOOD_PRESSURE, Action.READ)
    row = (
        db.session()
        .execute(
            select(AgreedTarget.id, AgreedTarget.payload_sealed)
            .where(
                AgreedTarget.patient_id == patient_id,
                AgreedTarget.kind == Kind.BLOOD_PRESSURE.value,
            )
            .order_by(AgreedTarget.created_at.desc())
            .limit(1)
        )
        .first()
    )
    if row is None:
        return None
    cipher = crypto.cipher_for(patient_id, crypto.Category.BLOOD_PRESSURE)
    data = orjson.loads(cipher.open(TABLE, row.id, row.payload_sealed))
    agreement = Agreement(
        name=data["name"],
        profession=data["profession"],
        day=date.fromisoformat(data["day"]),
        note=data.get("note", ""),
    )
    return BloodPressureTarget(data["s"], data["d"], Source.AGREED, agreement=agreement)


def append_agreed_blood_pressure(
    principal: Principal,
    patient_id: uuid.UUID,
    target: tuple[int, int],
    agreement: Agreement,
) -> None:
    """Store an agreed target as a new history row (never overwrites), by whoever the
    sharing policy lets write blood pressure: today the patient (who copies what was
    agreed at the practice); the care provider's own write (with a share of blood
    pressure, logged as its own action) comes with the consult issue."""
    require(principal, patient_id, Kind.BLOOD_PRESSURE, Action.WRITE)
    payload = {
        "s": int(target[0]),
        "d": int(target[1]),
        "name": agreement.name,
        "profession": agreement.profession,
        "day": agreement.day.isoformat(),
        "note": agreement.note,
    }
    with db.transaction() as sess:
        row = AgreedTarget(
            id=db.new_id(),
            patient_id=patient_id,
            kind=Kind.BLOOD_PRESSURE.value,
            author_id=principal.id,
            created_at=db.utcnow(),
            payload_sealed=b"",
        )
        cipher = crypto.cipher_for(patient_id, crypto.Category.BLOOD_PRESSURE, create=True)
        row.payload_sealed = cipher.seal(TABLE, row.id, orjson.dumps(payload))
        sess.add(row)


def resolve(
    principal: Principal,
    patient_id: uuid.UUID,
    today: date | None = None,
    *,
    blood_pressure: bool = True,
) -> Targets:
    """Targets for this viewer: the patient's own pages, or a care provider's view.

    blood_pressure=False: the page shows no blood pressure, so the agreed blood pressure
    target (sealed under that category) is not opened: a care provider's weight chart
    reads, and logs, weight only.
    """
    from pgd.accounts.services import profile_of  # accounts imports measurements

    require(principal, patient_id, crypto.Category.PROFILE, Action.READ)
    prefs = settings.get(principal, patient_id)
    age = clinical.age_on(profile_of(patient_id).birth_date, today or _today())
    wanted = blood_pressure and allowed(principal, patient_id, Kind.BLOOD_PRESSURE, Action.READ)
    agreed = agreed_blood_pressure(principal, patient_id) if wanted else None
    if principal.role == "patient":
        own = prefs.bp_target
        return Targets(
            blood_pressure=clinical.patient_blood_pressure(age, agreed, own),
            own_blood_pressure=own,
            own_ignored=clinical.own_target_ignored(age, agreed, own),
            height_cm=prefs.height_cm,
        )
    return Targets(
        blood_pressure=clinical.clinical_blood_pressure(age, agreed),
        own_blood_pressure=None,
        own_ignored=False,
        height_cm=prefs.height_cm,
    )
