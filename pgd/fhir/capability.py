"""The CapabilityStatement (GET /fhir/metadata): exactly the resources, interactions,
search parameters and operations pgd.fhir.routes and pgd.fhir.import_route serve, and
nothing more."""

from __future__ import annotations

from typing import Any

from pgd.fhir import importer, resources, search
from pgd.measurements import imports

RELEASED = "2026-11-29"  # the date this statement's content last changed
SEARCH_PARAMETER = "http://hl7.org/fhir/SearchParameter/"


def _param(name: str, kind: str, definition: str, text: str) -> dict[str, str]:
    return {
        "name": name,
        "definition": SEARCH_PARAMETER + definition,
        "type": kind,
        "documentation": text,
    }


# A custom operation of this server, named in this server's own address space (no
# OperationDefinition resource is served: the documentation below is its description).
IMPORT_OPERATION = "/OperationDefinition/Patient-import"


def _import_documentation() -> str:
    return (
        "POST Patient/<id>/$import, only with that patient's own key (anything else: 404). "
        "Body: a Bundle (collection, searchset, transaction or batch) as "
        "application/fhir+json or application/json, at most "
        f"{imports.MAX_BYTES // (1024 * 1024)} MB and {importer.MAX_ENTRIES} entries (else "
        "413). Blood pressure (85354-9 or 55284-4, mm[Hg]; a pulse 8867-4 with it), weight "
        "(29463-7 or 3141-9; kg, g or [lb_av]) and blood sugar (14770-2, 14743-9, 14760-3, "
        "2339-0, 15074-8, 41653-7; mmol/L, mg/dL converted). All or nothing: one unusable "
        "reading, or an entry about another patient of this server, answers 422 with an "
        "issue per problem naming Bundle.entry[n], and nothing is saved; a body that is not "
        "JSON answers 400. 200: an OperationOutcome saying how many readings were added and "
        "how many duplicates were skipped, with a warning per entry left out (other "
        "resources, unknown codes, withdrawn readings)."
    )


def statement(base_url: str) -> dict[str, Any]:
    patient_param = _param(
        "patient", "reference", "clinical-patient", "Required: Patient/<id> or <id> (a UUID)."
    )
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": RELEASED,
        "publisher": "PGD",
        "kind": "instance",
        "software": {"name": "PGD"},
        "implementation": {
            "description": (
                "PGD personal health record: FHIR R4 (Nictiz zib2020), read-only except a "
                "patient's own $import of readings"
            ),
            "url": base_url,
        },
        "fhirVersion": resources.FHIR_VERSION,
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Reads are read-only. A patient's API key reads that patient's own "
                    "record; a care provider's key reads only what an active share allows "
                    "(categories and period); anything else answers 404. Every read by a "
                    "care provider is logged. Unknown search parameters answer 400. The one "
                    "write is Patient/<id>/$import: a patient's key adds readings to that "
                    "patient's own record, and to no other."
                ),
                "security": {
                    "description": "Authorization: Bearer <API key> (made in PGD, Settings)."
                },
                "resource": [
                    {
                        "type": "Patient",
                        "supportedProfile": [resources.PATIENT_PROFILE],
                        "interaction": [{"code": "read"}],
                        "operation": [
                            {
                                "name": "everything",
                                "definition": (
                                    "http://hl7.org/fhir/OperationDefinition/Patient-everything"
                                ),
                                "documentation": "No parameters; one searchset Bundle.",
                            },
                            {
                                "name": "import",
                                "definition": base_url + IMPORT_OPERATION,
                                "documentation": _import_documentation(),
                            },
                        ],
                    },
                    {
                        "type": "Observation",
                        "supportedProfile": [
                            resources.BLOOD_PRESSURE_PROFILE,
                            resources.HEART_RATE_PROFILE,
                            resources.BODY_WEIGHT_PROFILE,
                            resources.LABORATORY_PROFILE,
                        ],
                        "interaction": [
                            {
                                "code": "search-type",
                                "documentation": (
                                    f"Newest first; _count 1 to {search.MAX_COUNT} "
                                    f"(default {search.DEFAULT_COUNT}); follow the Bundle's "
                                    "next link (_cursor) for the next page."
                                ),
                            }
                        ],
                        "searchParam": [
                            patient_param,
                            _param(
                                "code",
                                "token",
                                "clinical-code",
                                "LOINC: " + ", ".join(resources.OBSERVATION_CODES),
                            ),
                            _param(
                                "date",
                                "date",
                                "clinical-date",
                                "Prefixes eq, ge, gt, le, lt; repeat for a range.",
                            ),
                        ],
                    },
                    {
                        "type": "Goal",
                        "supportedProfile": [resources.TREATMENT_OBJECTIVE_PROFILE],
                        "interaction": [{"code": "search-type"}],
                        "searchParam": [patient_param],
                    },
                ],
            }
        ],
    }
