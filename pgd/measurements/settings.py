"""Per-patient settings for measurements: height (BMI), blood pressure target, glucose unit.

Sealed under the patient's "profile" key: a height or a personal target is health data.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass

import orjson

from pgd import crypto, db
from pgd.measurements.models import PatientSettings
from pgd.sharing.policy import Action, Principal, require

TABLE = "patient_settings"


# Until 2026-11 the settings form was filled in with 140/90 and saved it with the height:
# a stored 140/90 is that old default, not a target the patient chose.
LEGACY_DEFAULT_BP = (140, 90)


@dataclass(frozen=True)
class Settings:
    height_cm: float | None = None
    # The patient's own blood pressure target ("zelf ingesteld"); None: the clinical one.
    bp_target_systolic: int | None = None
    bp_target_diastolic: int | None = None
    glucose_unit: str = "mmol"

    @property
    def bp_target(self) -> tuple[int, int] | None:
        if self.bp_target_systolic is None or self.bp_target_diastolic is None:
            return None
        return (self.bp_target_systolic, self.bp_target_diastolic)


def get(principal: Principal, patient_id: uuid.UUID) -> Settings:
    require(principal, patient_id, crypto.Category.PROFILE, Action.READ)
    row = db.session().get(PatientSettings, patient_id)
    if row is None:
        return Settings()
    cipher = crypto.cipher_for(patient_id, crypto.Category.PROFILE)
    data = orjson.loads(cipher.open(TABLE, patient_id, row.settings_sealed))
    known = {k: data[k] for k in Settings.__dataclass_fields__ if k in data}
    if (known.get("bp_target_systolic"), known.get("bp_target_diastolic")) == LEGACY_DEFAULT_BP:
        known["bp_target_systolic"] = known["bp_target_diastolic"] = None
    return Settings(**known)


def save(principal: Principal, patient_id: uuid.UUID, settings: Settings) -> None:
    require(principal, patient_id, crypto.Category.PROFILE, Action.WRITE)
    with db.transaction() as sess:
        cipher = crypto.cipher_for(patient_id, crypto.Category.PROFILE, create=True)
        sealed = cipher.seal(TABLE, patient_id, orjson.dumps(asdict(settings)))
        row = sess.get(PatientSettings, patient_id)
        if row is None:
            sess.add(PatientSettings(user_id=patient_id, settings_sealed=sealed))
        else:
            row.settings_sealed = sealed
            row.updated_at = db.utcnow()
