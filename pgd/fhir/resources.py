"""Pure builders: the app's readings, goals and profile as FHIR R4 (4.0.1) JSON dicts.

Plain dicts, not model objects: $everything builds 15,000 of them per request and
orjson dumps them directly (the tests validate every one with fhir.resources). Profiles
follow the Nictiz zib2020 R4 package (github.com/Nictiz/Nictiz-R4-zib2020,
fsh-input/zib/*.fsh); where issue 12 names the older zib2017 URL (zib-BodyWeight,
zib-TreatmentObjective) that URL is used, as the GP systems' import expects it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pgd.measurements.models import Kind
from pgd.measurements.values import BloodPressure, Glucose, Moment, Reading, Weight

LOCAL = ZoneInfo("Europe/Amsterdam")  # times are shown with the Dutch offset
FHIR_VERSION = "4.0.1"

# -- code systems (FHIR R4 terminology) ---------------------------------------------------
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
# zib BloodPressure MeasuringLocation (nl-core-BloodPressure Observation.bodySite), SNOMED CT
# body structures: the upper arm the cuff was on.
ARM_SITES = {
    "left": ("368208006", "Left upper arm structure"),
    "right": ("368209003", "Right upper arm structure"),
}
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
TIMING_EVENT = "http://terminology.hl7.org/CodeSystem/v3-TimingEvent"
GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
EVENT_TIMING = "http://hl7.org/fhir/StructureDefinition/observation-eventTiming"

# -- profiles -----------------------------------------------------------------------------
_NICTIZ = "http://nictiz.nl/fhir/StructureDefinition/"
# zib2020 nl-core-Patient (zib Patient 3.2).
PATIENT_PROFILE = _NICTIZ + "nl-core-Patient"
# zib2020 nl-core-BloodPressure (zib BloodPressure 3.2.1, nl-base-BloodPressure.fsh):
# code LOINC 85354-9; components SystolicBP 8480-6 and DiastolicBP 8462-4, each a
# Quantity fixed to UCUM mm[Hg]; category vital-signs (pattern-VitalSigns).
BLOOD_PRESSURE_PROFILE = _NICTIZ + "nl-core-BloodPressure"
# zib2020 nl-core-HeartRate (zib HeartRate 3.2.1): code LOINC 8867-4, UCUM /min.
HEART_RATE_PROFILE = _NICTIZ + "nl-core-HeartRate"
# zib BodyWeight (URL as issue 12 names it; zib2020 nl-base-BodyWeight.fsh has the same
# content: code LOINC 29463-7, valueQuantity in kg, category vital-signs).
BODY_WEIGHT_PROFILE = _NICTIZ + "zib-BodyWeight"
# zib2020 nl-core-LaboratoryTestResult (zib LaboratoryTestResult 4.6): a single test,
# category[laboratoryCategory] = observation-category#laboratory (1..1 in nl-core),
# code from the Dutch lab code set (LOINC, which the HIS maps to NHG table 45).
LABORATORY_PROFILE = _NICTIZ + "nl-core-LaboratoryTestResult"
# zib TreatmentObjective (URL as issue 12 names it; zib2020 nl-base-TreatmentObjective.fsh:
# description.text = DesiredHealthcareResult, target.dueDate, lifecycleStatus).
TREATMENT_OBJECTIVE_PROFILE = _NICTIZ + "zib-TreatmentObjective"

# -- LOINC codes --------------------------------------------------------------------------
BLOOD_PRESSURE_CODE = "85354-9"  # Blood pressure panel with all children optional
SYSTOLIC_CODE = "8480-6"  # Systolic blood pressure
DIASTOLIC_CODE = "8462-4"  # Diastolic blood pressure
HEART_RATE_CODE = "8867-4"  # Heart rate
BODY_WEIGHT_CODE = "29463-7"  # Body weight
# Glucose in capillary blood with a portable meter, per moment, as issue 12 names them
# (the codes the GP systems' import maps to NHG table 45 determinations).
GLUCOSE_FASTING_CODE = "14770-2"
GLUCOSE_NON_FASTING_CODE = "14743-9"
GLUCOSE_AFTER_MEAL_CODE = "14760-3"
GLUCOSE_CODES = (GLUCOSE_FASTING_CODE, GLUCOSE_NON_FASTING_CODE, GLUCOSE_AFTER_MEAL_CODE)
OBSERVATION_CODES = (BLOOD_PRESSURE_CODE, HEART_RATE_CODE, BODY_WEIGHT_CODE, *GLUCOSE_CODES)
# Which stored kind each searchable code reads.
KIND_OF_CODE: dict[str, Kind] = {
    BLOOD_PRESSURE_CODE: Kind.BLOOD_PRESSURE,
    HEART_RATE_CODE: Kind.BLOOD_PRESSURE,
    BODY_WEIGHT_CODE: Kind.WEIGHT,
    **{code: Kind.GLUCOSE for code in GLUCOSE_CODES},
}

# The app's glucose moment -> (LOINC code, v3-TimingEvent code or None). Before a meal
# and at bedtime: non-fasting with the moment as AC*/HS; after a meal: 14760-3 with PC*.
GLUCOSE_MOMENTS: dict[str, tuple[str, str | None]] = {
    Moment.FASTING.value: (GLUCOSE_FASTING_CODE, None),
    Moment.BEFORE_BREAKFAST.value: (GLUCOSE_NON_FASTING_CODE, "ACM"),
    Moment.AFTER_BREAKFAST.value: (GLUCOSE_AFTER_MEAL_CODE, "PCM"),
    Moment.BEFORE_LUNCH.value: (GLUCOSE_NON_FASTING_CODE, "ACD"),
    Moment.AFTER_LUNCH.value: (GLUCOSE_AFTER_MEAL_CODE, "PCD"),
    Moment.BEFORE_DINNER.value: (GLUCOSE_NON_FASTING_CODE, "ACV"),
    Moment.AFTER_DINNER.value: (GLUCOSE_AFTER_MEAL_CODE, "PCV"),
    Moment.BEDTIME.value: (GLUCOSE_NON_FASTING_CODE, "HS"),
    Moment.NIGHT.value: (GLUCOSE_NON_FASTING_CODE, None),
    Moment.OTHER.value: (GLUCOSE_NON_FASTING_CODE, None),
}

# A BP reading's pulse is its own Observation; its id is derived, stable and distinct.
PULSE_NAMESPACE = uuid.UUID("6f1c1a52-3b0e-5d7e-9a51-0c6f3f2d8e41")


def pulse_id(reading_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(PULSE_NAMESPACE, str(reading_id))


def _concept(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}]}


def _loinc(code: str, display: str) -> dict[str, Any]:
    return _concept(LOINC, code, display)


_VITAL = [_concept(OBSERVATION_CATEGORY, "vital-signs", "Vital Signs")]
_LAB = [_concept(OBSERVATION_CATEGORY, "laboratory", "Laboratory")]
_BP_META = {"profile": [BLOOD_PRESSURE_PROFILE]}
_HR_META = {"profile": [HEART_RATE_PROFILE]}
_WEIGHT_META = {"profile": [BODY_WEIGHT_PROFILE]}
_LAB_META = {"profile": [LABORATORY_PROFILE]}
_BP_CODE = _loinc(BLOOD_PRESSURE_CODE, "Blood pressure panel with all children optional")
_SYS_CODE = _loinc(SYSTOLIC_CODE, "Systolic blood pressure")
_DIA_CODE = _loinc(DIASTOLIC_CODE, "Diastolic blood pressure")
_HR_CODE = _loinc(HEART_RATE_CODE, "Heart rate")
_WEIGHT_CODE = _loinc(BODY_WEIGHT_CODE, "Body weight")
_GLUCOSE_CODE = {
    GLUCOSE_FASTING_CODE: {"coding": [{"system": LOINC, "code": GLUCOSE_FASTING_CODE}]},
    GLUCOSE_NON_FASTING_CODE: {"coding": [{"system": LOINC, "code": GLUCOSE_NON_FASTING_CODE}]},
    GLUCOSE_AFTER_MEAL_CODE: {"coding": [{"system": LOINC, "code": GLUCOSE_AFTER_MEAL_CODE}]},
}


def _timing(moment: str) -> list[dict[str, Any]]:
    """observation-eventTiming: the meal as a v3-TimingEvent code; the app's own moment as
    the text, so an import can tell e.g. "night" from "other"."""
    concept: dict[str, Any] = {"text": moment}
    event = GLUCOSE_MOMENTS.get(moment, GLUCOSE_MOMENTS[Moment.OTHER.value])[1]
    if event is not None:
        concept["coding"] = [{"system": TIMING_EVENT, "code": event}]
    return [{"url": EVENT_TIMING, "valueCodeableConcept": concept}]


_TIMINGS = {moment: _timing(moment) for moment in GLUCOSE_MOMENTS}


def quantity(value: float, unit: str, code: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": code}


def mmhg(value: float) -> dict[str, Any]:
    return quantity(value, "mmHg", "mm[Hg]")


def when(moment: datetime) -> str:
    """ISO 8601 with the Dutch offset, to the second."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL).isoformat(timespec="seconds")


def patient_ref(patient_id: uuid.UUID) -> dict[str, str]:
    return {"reference": f"Patient/{patient_id}"}


def _base(
    rid: str,
    meta: dict[str, Any],
    category: list[dict[str, Any]],
    code: dict[str, Any],
    subject: dict[str, str],
    effective: str,
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": rid,
        "meta": meta,
        "status": "final",
        "category": category,
        "code": code,
        "subject": subject,
        "effectiveDateTime": effective,
        # Measured at home by the patient (issue 12: self-measurements for the GP).
        "performer": [subject],
    }


def observations(reading: Reading, patient_id: uuid.UUID) -> list[tuple[str, dict[str, Any]]]:
    """One reading as (LOINC code, Observation) pairs: a blood pressure with a pulse gives
    two (the pulse is its own vital sign), everything else one."""
    subject = patient_ref(patient_id)
    effective = when(reading.taken_at)
    value = reading.value
    rid = str(reading.id)
    out: list[tuple[str, dict[str, Any]]] = []
    if isinstance(value, BloodPressure):
        bp = _base(rid, _BP_META, _VITAL, _BP_CODE, subject, effective)
        bp["component"] = [
            {"code": _SYS_CODE, "valueQuantity": mmhg(value.systolic)},
            {"code": _DIA_CODE, "valueQuantity": mmhg(value.diastolic)},
        ]
        if value.arm in ARM_SITES:
            bp["bodySite"] = _concept(SNOMED, *ARM_SITES[value.arm])
        if reading.note:
            bp["note"] = [{"text": reading.note}]
        out.append((BLOOD_PRESSURE_CODE, bp))
        if value.pulse is not None:
            hr = _base(str(pulse_id(reading.id)), _HR_META, _VITAL, _HR_CODE, subject, effective)
            hr["valueQuantity"] = quantity(value.pulse, "/min", "/min")
            hr["derivedFrom"] = [{"reference": f"Observation/{rid}"}]
            out.append((HEART_RATE_CODE, hr))
    elif isinstance(value, Weight):
        obs = _base(rid, _WEIGHT_META, _VITAL, _WEIGHT_CODE, subject, effective)
        obs["valueQuantity"] = quantity(value.kg, "kg", "kg")
        if reading.note:
            obs["note"] = [{"text": reading.note}]
        out.append((BODY_WEIGHT_CODE, obs))
    elif isinstance(value, Glucose):
        moment = value.moment if value.moment in GLUCOSE_MOMENTS else Moment.OTHER.value
        code = GLUCOSE_MOMENTS[moment][0]
        obs = _base(rid, _LAB_META, _LAB, _GLUCOSE_CODE[code], subject, effective)
        obs["extension"] = _TIMINGS[moment]
        obs["valueQuantity"] = quantity(value.mmol, "mmol/L", "mmol/L")
        if reading.note:
            obs["note"] = [{"text": reading.note}]
        out.append((code, obs))
    return out


def patient(patient_id: uuid.UUID, name: str, birth_date: date | None) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(patient_id),
        "meta": {"profile": [PATIENT_PROFILE]},
        "active": True,
    }
    if name:
        resource["name"] = [{"use": "usual", "text": name}]
    if birth_date is not None:
        resource["birthDate"] = birth_date.isoformat()
    return resource


# The app's goal state -> Goal.lifecycleStatus (http://hl7.org/fhir/goal-status, R4).
LIFECYCLE = {
    "active": "active",
    "paused": "on-hold",
    "achieved": "completed",
    "stopped": "cancelled",
    "proposed": "proposed",
    "declined": "rejected",
}
# A measurement goal's metric -> what its target measures (LOINC) and its UCUM unit.
_METRIC_TARGET: dict[str, tuple[dict[str, Any], str, str]] = {
    "weight": (_WEIGHT_CODE, "kg", "kg"),
    "blood_pressure": (_SYS_CODE, "mmHg", "mm[Hg]"),
    # Share of glucose readings within the NHG range for their moment (pgd.goals.metrics).
    "glucose": ({"text": "glucose readings within target range"}, "%", "%"),
}


def goal(
    goal_id: uuid.UUID,
    patient_id: uuid.UUID,
    *,
    text: str,
    why: str,
    state: str,
    start: date,
    until: date | None,
    metric: str | None,
    target: float | None,
) -> dict[str, Any]:
    """A patient's goal as zib TreatmentObjective (description = the goal's own words)."""
    resource: dict[str, Any] = {
        "resourceType": "Goal",
        "id": str(goal_id),
        "meta": {"profile": [TREATMENT_OBJECTIVE_PROFILE]},
        "lifecycleStatus": LIFECYCLE.get(state, "active"),
        "description": {"text": text},
        "subject": patient_ref(patient_id),
        "startDate": start.isoformat(),
    }
    if state == "achieved":
        resource["achievementStatus"] = _concept(GOAL_ACHIEVEMENT, "achieved", "Achieved")
    entry: dict[str, Any] = {}
    if metric in _METRIC_TARGET and target is not None:
        measure, unit, code = _METRIC_TARGET[metric]
        entry = {"measure": measure, "detailQuantity": quantity(target, unit, code)}
    if until is not None:
        entry["dueDate"] = until.isoformat()
    if entry:
        resource["target"] = [entry]
    if why:
        resource["note"] = [{"text": why}]
    return resource


AGREED_NAMESPACE = uuid.UUID("1b7e0f0c-0a4f-5c8e-8f3e-6d2a9b1c4e77")


def agreed_target_id(patient_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(AGREED_NAMESPACE, str(patient_id))


def agreed_blood_pressure(
    patient_id: uuid.UUID,
    *,
    systolic: int,
    diastolic: int,
    agreed_on: date,
    agreed_with: str,
    description: str,
) -> dict[str, Any]:
    """The blood pressure target agreed with a care provider, as a TreatmentObjective with
    both numbers as targets ("below": comparator <, NHG home measurement targets)."""
    resource: dict[str, Any] = {
        "resourceType": "Goal",
        "id": str(agreed_target_id(patient_id)),
        "meta": {"profile": [TREATMENT_OBJECTIVE_PROFILE]},
        "lifecycleStatus": "active",
        "description": {"text": description},
        "subject": patient_ref(patient_id),
        "startDate": agreed_on.isoformat(),
        "target": [
            {"measure": _SYS_CODE, "detailQuantity": {**mmhg(systolic), "comparator": "<"}},
            {"measure": _DIA_CODE, "detailQuantity": {**mmhg(diastolic), "comparator": "<"}},
        ],
    }
    if agreed_with:
        resource["note"] = [{"text": agreed_with}]
    return resource


def entry(base_url: str, resource: dict[str, Any]) -> dict[str, Any]:
    return {
        "fullUrl": f"{base_url}/{resource['resourceType']}/{resource['id']}",
        "resource": resource,
        "search": {"mode": "match"},
    }


def searchset(
    entries: Iterable[dict[str, Any]], links: list[tuple[str, str]], total: int | None
) -> dict[str, Any]:
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "link": [{"relation": rel, "url": url} for rel, url in links],
        "entry": list(entries),
    }
    if total is not None:
        bundle["total"] = total
    return bundle
