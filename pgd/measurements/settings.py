"""Per-patient settings for measurements: height (BMI), blood pressure target, glucose unit.

Sealed under the patient's "profile" key: a height or a personal target is health data.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass

import orjson

from pgd import crypto, db
from pgd.measurements import stats
from pgd.measurements.models import PatientSettings
from pgd.sharing.policy import Action, Principal, require

TABLE = "patient_settings"


@dataclass(frozen=True)
class Settings:
    height_cm: float | None = None
    bp_target_systolic: int = stats.DEFAULT_BP_TARGET[0]
    bp_target_diastolic: int = stats.DEFAULT_BP_TARGET[1]
    glucose_unit: str = "mmol"

    @property
    def bp_target(self) -> tuple[int, int]:
        return (self.bp_target_systolic, self.bp_target_diastolic)


def get(principal: Principal, patient_id: uuid.UUID) -> Settings:
    require(principal, patient_id, crypto.Category.PROFILE, Action.READ)
    row = db.session().get(PatientSettings, patient_id)
    if row is None:
        return Settings()
    cipher = crypto.cipher_for(patient_id, crypto.Category.PROFILE)
    data = orjson.loads(cipher.open(TABLE, patient_id, row.settings_sealed))
    known = {k: data[k] for k in Settings.__dataclass_fields__ if k in data}
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
