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


@dataclass(frozen=True)
class AgreedEntry:
    """One row of the agreed-target history, newest first."""

    systolic: int
    diastolic: int
    agreement: Agreement
    at: datetime
    mark: str = ""  # "A. de Vries|poh" as stored (a patient's change keeps it)

    @property
    def pair(self) -> tuple[int, int]:
        return (self.systolic, self.diastolic)


def _entries(patient_id: uuid.UUID, limit: int | None) -> list[AgreedEntry]:
    """The agreed targets, newest first (read once per request: pgd.db.remembered)."""
    return list(
        db.remembered(("agreed_targets", patient_id, limit), lambda: _read(patient_id, limit))
    )


def _read(patient_id: uuid.UUID, limit: int | None) -> tuple[AgreedEntry, ...]:
    from pgd.accounts.labels import profession_short  # accounts imports measurements

    query = (
        select(AgreedTarget.id, AgreedTarget.payload_sealed, AgreedTarget.created_at)
        .where(
            AgreedTarget.patient_id == patient_id,
            AgreedTarget.kind == Kind.BLOOD_PRESSURE.value,
        )
        .order_by(AgreedTarget.created_at.desc(), AgreedTarget.id.desc())
    )
    rows = db.session().execute(query if limit is None else query.limit(limit)).all()
    if not rows:
        return ()
    cipher = crypto.cipher_for(patient_id, crypto.Category.BLOOD_PRESSURE)
    found = []
    for row in rows:
        data = orjson.loads(cipher.open(TABLE, row.id, row.payload_sealed))
        agreement = Agreement(
            name=data["name"],
            profession=profession_short(data["profession"]),
            day=date.fromisoformat(data["day"]),
            note=data.get("note", ""),
            by_patient=bool(data.get("by_patient", False)),
        )
        at = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
        mark = f"{data['name']}|{data['profession']}"
        found.append(AgreedEntry(data["s"], data["d"], agreement, at, mark))
    return tuple(found)


def agreed_blood_pressure(
    principal: Principal, patient_id: uuid.UUID
) -> BloodPressureTarget | None:
    """The newest target agreed with a care provider, if any (needs the blood pressure share)."""
    require(principal, patient_id, Kind.BLOOD_PRESSURE, Action.READ)
    e = in_force(_entries(patient_id, None))
    if e is None:
        return None
    return BloodPressureTarget(e.systolic, e.diastolic, Source.AGREED, agreement=e.agreement)


def in_force(history: list[AgreedEntry]) -> AgreedEntry | None:
    """The agreed target that counts: the newest, unless the patient changed it to a looser
    one. That change is kept and shown to the care provider, but the target agreed with
    the care provider stays in force (a looser target would make a higher pressure look
    good; the same rule as for the patient's own target)."""
    if not history:
        return None
    newest = history[0]
    if not newest.agreement.by_patient:
        return newest
    agreed = next((e for e in history if not e.agreement.by_patient), None)
    if agreed is not None and clinical.looser(newest.pair, agreed.pair):
        return agreed
    return newest


def ignored_change(history: list[AgreedEntry]) -> AgreedEntry | None:
    """The patient's newest change when it is looser and therefore not used, else None."""
    found = in_force(history)
    return history[0] if history and found is not history[0] else None


def agreed_history(principal: Principal, patient_id: uuid.UUID) -> list[AgreedEntry]:
    """Every agreed target and every change the patient made to it, newest first. A
    stopped share leaves them in place: they are the patient's history."""
    require(principal, patient_id, Kind.BLOOD_PRESSURE, Action.READ)
    return _entries(patient_id, None)


def agree_blood_pressure(
    principal: Principal,
    patient_id: uuid.UUID,
    target: tuple[int, int],
    note: str = "",
    today: date | None = None,
) -> None:
    """Record a blood pressure target as a new history row (never overwrites).

    A care provider with an active blood pressure share records what was agreed at the
    consult (its own action in the access log). The patient may change an agreed target
    later: that is kept as history and shown to the care provider as the patient's change.
    Raises NotFound (404) when the policy does not allow it, LookupError when a patient
    has no agreed target to change.
    """
    from pgd.accounts.labels import mark_of  # accounts imports measurements
    from pgd.sharing import access_log, dossier, triage  # sharing imports measurements

    clinician = principal.role == "clinician"
    require(
        principal,
        patient_id,
        Kind.BLOOD_PRESSURE,
        Action.AGREE_TARGET if clinician else Action.WRITE,
    )
    day = today or _today()
    with db.transaction() as sess:
        if clinician:
            mark = mark_of(principal.id)
        else:  # a change of what was agreed: the newest agreement's provider stays named
            newest = _entries(patient_id, 1)
            if not newest:
                raise LookupError("no agreed target to change")
            mark = newest[0].mark
        name, _sep, profession = mark.partition("|")
        by_patient = not clinician
        payload = {
            "s": int(target[0]),
            "d": int(target[1]),
            "name": name,
            "profession": profession,
            "day": day.isoformat(),
            "note": note.strip(),
            "by_patient": by_patient,
        }
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
        sess.flush()
        # The target changes what "my patients" flags: its triage row follows.
        action = Action.AGREE_TARGET if clinician else Action.WRITE
        triage.refresh(principal, patient_id, Kind.BLOOD_PRESSURE, action)
        if clinician:
            dossier.log_write(
                principal,
                patient_id,
                Kind.BLOOD_PRESSURE.value,
                access_log.WriteAction.AGREE_TARGET,
            )


def clinical_for(principal: Principal, patient_id: uuid.UUID) -> BloodPressureTarget:
    """The blood pressure target a care provider reads against, whoever asks: standard for
    age, or agreed; never the patient's own (the worklist's flags, the week's verdict)."""
    from pgd.accounts.services import profile_of  # accounts imports measurements

    require(principal, patient_id, crypto.Category.PROFILE, Action.READ)
    age = clinical.age_on(profile_of(patient_id).birth_date, _today())
    return clinical.clinical_blood_pressure(age, agreed_blood_pressure(principal, patient_id))


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
        blood_pressure=clinical.clinical_blood_pressure(age, agreed),  # see clinical_for
        own_blood_pressure=None,
        own_ignored=False,
        height_cm=prefs.height_cm,
    )
