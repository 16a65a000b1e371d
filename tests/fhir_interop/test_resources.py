"""What the FHIR read side serves: R4-valid resources with the Nictiz profiles, LOINC codes
and UCUM units per kind; the CapabilityStatement; paging with Bundle links."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date
from typing import Any

from flask import Flask

from pgd.fhir import resources as r
from tests.conftest import agree_target
from tests.fhir_interop.conftest import FhirCaller, validate
from tests.fhir_interop.helpers import add_goals, seed

NICTIZ = "http://nictiz.nl/fhir/StructureDefinition/"


def _by_type(bundle: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for entry in bundle.get("entry", []):
        found.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    return found


def _loinc(obs: dict[str, Any]) -> str:
    (coding,) = obs["code"]["coding"]
    assert coding["system"] == "http://loinc.org"
    return str(coding["code"])


def test_metadata_lists_exactly_what_is_served(app: Flask) -> None:
    response = app.test_client().get("/fhir/metadata")
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+json"
    body = validate(response.get_json())
    assert body["fhirVersion"] == "4.0.1"
    (rest,) = body["rest"]
    served = {res["type"]: res for res in rest["resource"]}
    assert set(served) == {"Patient", "Observation", "Goal"}
    assert [i["code"] for i in served["Patient"]["interaction"]] == ["read"]
    assert [o["name"] for o in served["Patient"]["operation"]] == ["everything", "import"]
    assert {p["name"] for p in served["Observation"]["searchParam"]} == {"patient", "code", "date"}
    assert {p["name"] for p in served["Goal"]["searchParam"]} == {"patient"}


def test_every_kind_has_its_profile_code_and_unit(app: Flask, fhir_patient: FhirCaller) -> None:
    patient = fhir_patient.user
    seed(app, patient, days_ago=(2,))
    bundle = fhir_patient.read(f"/Patient/{patient.id}/$everything")
    assert bundle["type"] == "searchset"
    found = _by_type(bundle)
    (pat,) = found["Patient"]
    assert pat["id"] == str(patient.id)
    assert pat["meta"]["profile"] == [NICTIZ + "nl-core-Patient"]
    assert pat["birthDate"] == "1956-04-12"
    assert pat["name"][0]["text"] == "Jansje Pietersma"
    observations = found["Observation"]
    # 2 BP + 1 pulse + 1 weight + 10 glucose moments
    assert bundle["total"] == len(bundle["entry"]) == 1 + 14
    by_code = Counter(_loinc(o) for o in observations)
    assert by_code == {
        "85354-9": 2,
        "8867-4": 1,
        "29463-7": 1,
        "14770-2": 1,
        "14743-9": 6,
        "14760-3": 3,
    }
    for obs in observations:
        assert obs["subject"] == {"reference": f"Patient/{patient.id}"}
        assert obs["status"] == "final"
        assert "+" in obs["effectiveDateTime"][19:] or obs["effectiveDateTime"].endswith("Z")
        code = _loinc(obs)
        category = obs["category"][0]["coding"][0]
        assert category["system"] == "http://terminology.hl7.org/CodeSystem/observation-category"
        if code == "85354-9":
            assert obs["meta"]["profile"] == [NICTIZ + "nl-core-BloodPressure"]
            assert category["code"] == "vital-signs"
            parts = {c["code"]["coding"][0]["code"]: c["valueQuantity"] for c in obs["component"]}
            assert set(parts) == {"8480-6", "8462-4"}
            for q in parts.values():
                assert (q["system"], q["code"], q["unit"]) == (
                    "http://unitsofmeasure.org",
                    "mm[Hg]",
                    "mmHg",
                )
            uuid.UUID(obs["id"])
        elif code == "8867-4":
            assert obs["meta"]["profile"] == [NICTIZ + "nl-core-HeartRate"]
            assert category["code"] == "vital-signs"
            assert obs["valueQuantity"] == {
                "value": 71,
                "unit": "/min",
                "system": "http://unitsofmeasure.org",
                "code": "/min",
            }
            bp_id = obs["derivedFrom"][0]["reference"].split("/")[1]
            assert obs["id"] == str(r.pulse_id(uuid.UUID(bp_id))) != bp_id
        elif code == "29463-7":
            assert obs["meta"]["profile"] == [NICTIZ + "zib-BodyWeight"]
            assert category["code"] == "vital-signs"
            assert obs["valueQuantity"]["code"] == "kg"
            assert obs["valueQuantity"]["system"] == "http://unitsofmeasure.org"
            assert obs["valueQuantity"]["value"] == 84.3
        else:
            assert obs["meta"]["profile"] == [NICTIZ + "nl-core-LaboratoryTestResult"]
            assert category["code"] == "laboratory"
            assert obs["valueQuantity"]["code"] == "mmol/L"
            assert obs["valueQuantity"]["system"] == "http://unitsofmeasure.org"
            (timing,) = obs["extension"]
            assert (
                timing["url"] == "http://hl7.org/fhir/StructureDefinition/observation-eventTiming"
            )
            moment = timing["valueCodeableConcept"]["text"]
            expected_code, event = r.GLUCOSE_MOMENTS[moment]
            assert code == expected_code
            codings = timing["valueCodeableConcept"].get("coding", [])
            if event is None:
                assert codings == []
            else:
                assert codings == [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v3-TimingEvent",
                        "code": event,
                    }
                ]
    moments = {
        o["extension"][0]["valueCodeableConcept"]["text"]: _loinc(o)
        for o in observations
        if "extension" in o
    }
    assert moments["fasting"] == "14770-2"
    assert (
        moments["after_breakfast"] == moments["after_lunch"] == moments["after_dinner"] == "14760-3"
    )
    assert moments["before_lunch"] == moments["bedtime"] == moments["other"] == "14743-9"


def test_goals_carry_the_text_state_and_agreed_target(app: Flask, fhir_patient: FhirCaller) -> None:
    patient = fhir_patient.user
    add_goals(app, patient)
    agree_target(app, patient, (130, 80), date(2025, 3, 3))
    bundle = fhir_patient.read(f"/Goal?patient={patient.id}")
    goals = [e["resource"] for e in bundle["entry"]]
    assert bundle["total"] == 3
    for goal in goals:
        assert goal["meta"]["profile"] == [NICTIZ + "zib-TreatmentObjective"]
        assert goal["lifecycleStatus"] == "active"
    texts = {g["description"]["text"] for g in goals}
    assert {"Afvallen tot 80 kg", "30 minuten wandelen"} <= texts
    weight = next(g for g in goals if g["description"]["text"] == "Afvallen tot 80 kg")
    assert weight["target"][0]["detailQuantity"]["value"] == 80.0
    assert weight["target"][0]["detailQuantity"]["code"] == "kg"
    agreed = next(g for g in goals if g["id"] == str(r.agreed_target_id(patient.id)))
    targets = {t["measure"]["coding"][0]["code"]: t["detailQuantity"] for t in agreed["target"]}
    assert targets["8480-6"]["value"] == 130
    assert targets["8480-6"]["comparator"] == "<"
    assert targets["8462-4"]["value"] == 80
    assert targets["8462-4"]["code"] == "mm[Hg]"
    assert "de Vries (POH)" in agreed["note"][0]["text"]


def test_observation_search_pages_with_links_and_filters(
    app: Flask, fhir_patient: FhirCaller
) -> None:
    patient = fhir_patient.user
    seed(app, patient, days_ago=(1, 5, 40))
    everything = fhir_patient.read(f"/Patient/{patient.id}/$everything")
    all_obs = [
        e["resource"]["id"]
        for e in everything["entry"]
        if e["resource"]["resourceType"] == "Observation"
    ]
    assert len(all_obs) == 3 * 14
    seen: list[str] = []
    path = f"/Observation?patient=Patient/{patient.id}&_count=4"
    pages = 0
    while path:
        bundle = fhir_patient.read(path)
        pages += 1
        ids = [e["resource"]["id"] for e in bundle["entry"]]
        assert len(ids) <= 4
        seen.extend(ids)
        links = {link["relation"]: link["url"] for link in bundle["link"]}
        assert "self" in links
        path = links["next"].split("/fhir", 1)[1] if "next" in links else ""
    assert sorted(seen) == sorted(all_obs)
    assert len(seen) == len(set(seen))
    assert pages == 11  # 42 observations, 4 a page: a pulse never gets lost between pages

    bp = fhir_patient.read(f"/Observation?patient={patient.id}&code=http://loinc.org|85354-9")
    assert bp["total"] == 6
    assert {_loinc(e["resource"]) for e in bp["entry"]} == {"85354-9"}
    pulse = fhir_patient.read(f"/Observation?patient={patient.id}&code=8867-4")
    assert [_loinc(e["resource"]) for e in pulse["entry"]] == ["8867-4"] * 3
    after_meal = fhir_patient.read(f"/Observation?patient={patient.id}&code=14760-3,14770-2")
    assert Counter(_loinc(e["resource"]) for e in after_meal["entry"]) == {
        "14760-3": 9,
        "14770-2": 3,
    }

    from datetime import UTC, datetime, timedelta

    day = (datetime.now(UTC) - timedelta(days=5)).astimezone(r.LOCAL).date()
    window = fhir_patient.read(
        f"/Observation?patient={patient.id}&code=29463-7"
        f"&date=ge{day - timedelta(days=1)}&date=le{day + timedelta(days=1)}"
    )
    assert window["total"] == 1
