"""The OpenAPI 3.1 document of /api/v1, written by hand next to the code it describes.

Ranges and choices come from the validator and the value types, so the document and
the checks cannot drift apart; tests/api runs schemathesis against this document.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson

from pgd.api.payloads import CURSOR_PATTERN, DEFAULT_LIMIT, MAX_LIMIT, TIME_EXAMPLE
from pgd.measurements import validation
from pgd.measurements.models import Source
from pgd.measurements.values import MGDL_PER_MMOL, Arm, Moment
from pgd.sharing.dossier import CURSOR_PATTERN as CURSOR_PATTERN_OF_PATIENTS

JSON = "application/json"
PROBLEM = "application/problem+json"

DESCRIPTION = f"""\
Send and read your own measurements from an app, for example the app of a blood pressure
monitor or glucose meter.

**Authentication.** Make a personal API key in PGD under *Settings → API keys* and send it
with every request: `Authorization: Bearer pgd_…`. A revoked, unknown or expired key
answers 401. A key has a validity (chosen when it is made; a patient's key 1 year by
default, a care provider's 90 days) and a scope: *read* (every GET) and/or *write
measurements* (POST and DELETE; patients only). A request outside the key's scope
answers 403.
After too many failed key checks from one address, requests answer 429 for a while.

**Numbers** may be JSON numbers or text; a decimal comma is fine (`"7,4"`), as Dutch
people type it. Blood pressure and pulse are whole numbers.

**Times** are RFC 3339 with an offset (`{TIME_EXAMPLE}` or `…Z`), at most 10 minutes in
the future. They are stored to the second and returned in UTC.

**Errors** are RFC 9457 problem details (`application/problem+json`). Wrong field values
answer 422 with `errors`: one plain-language message per field, in Dutch or English
(`Accept-Language`). Every path also answers an undocumented method with 405 and an
`Allow` header, and an unknown path under /api/v1 with 404, both as problem details.

**Care providers** (with a second factor set up) can make an API key too, and read the
data of patients who share with them: `GET /patients` lists them, and
`GET /patients/{{patient_id}}/measurements` lists one patient's readings, and
`GET /patients/{{patient_id}}/summary` gives the pre-consult summary (with goals and
questions when those are shared) — only the kinds and the period the patient shared,
only while the share is active. Anything
else answers 404, exactly like something that does not exist. Every read is written
to the patient's access log.

**Alarming values** (blood pressure 180/110 or higher, glucose below 4.0 — a hypo — or
above 15 mmol/L; NHG) are saved, and the response carries `advice` to show to the person.
"""


def _nullable(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"oneOf": [schema, {"type": "null"}], "description": description}


def _trend_schema() -> dict[str, Any]:
    return _nullable(
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["direction", "delta"],
            "properties": {
                "direction": {"enum": ["up", "down", "same"]},
                "delta": {"type": ["number", "null"], "description": "mmHg, mean against mean."},
            },
        },
        "Null without readings in the period before.",
    )


LIST_NOTE = "Newest first, at most 10 (see the _total)."
MOMENTS_OF_DAY = ["night", "morning", "afternoon", "evening"]
_EVENT = {
    "type": "object",
    "additionalProperties": False,
    "required": ["taken_at", "moment_of_day", "values"],
    "properties": {
        "taken_at": {"type": "string", "format": "date-time"},
        "moment_of_day": {
            "enum": MOMENTS_OF_DAY,
            "description": "By the local (Europe/Amsterdam) clock: night 0-6 h, morning 6-12 h, "
            "afternoon 12-18 h, evening 18-24 h.",
        },
        "values": {
            "type": "object",
            "additionalProperties": {"type": "number"},
            "description": "systolic and diastolic (mmHg), or mmol.",
        },
        "moment": {"type": "string", "description": "Blood sugar: the moment the patient chose."},
        "night": {
            "type": "boolean",
            "description": "Blood sugar: chosen as night, or taken between 0:00 and 6:00.",
        },
    },
}
_COUNT = {"type": "integer", "minimum": 0}
_MEAN_N = {
    "type": "object",
    "additionalProperties": False,
    "required": ["mean", "readings"],
    "properties": {"mean": {"type": "number"}, "readings": {"type": "integer", "minimum": 1}},
}
# Per summary block (issue 11); null where a figure does not belong to the category.
SUMMARY_DETAILS: dict[str, Any] = {
    "alarms": {
        "type": "array",
        "items": _EVENT,
        "description": "Blood pressure from 180/110 or blood sugar above 15 mmol/L (NHG, "
        "Thuisarts). " + LIST_NOTE,
    },
    "alarms_total": _COUNT,
    "week": _nullable(
        {
            "type": "object",
            "additionalProperties": False,
            "required": [
                "start_day",
                "end_day",
                "finished",
                "mean",
                "readings_used",
                "readings_expected",
                "usable",
                "verdict",
                "missing",
            ],
            "properties": {
                "start_day": {"type": "string", "format": "date"},
                "end_day": {"type": "string", "format": "date"},
                "finished": {"type": "boolean"},
                "mean": {
                    "type": ["object", "null"],
                    "additionalProperties": False,
                    "required": ["systolic", "diastolic"],
                    "properties": {
                        "systolic": {"type": "integer"},
                        "diastolic": {"type": "integer"},
                    },
                },
                "readings_used": _COUNT,
                "readings_expected": _COUNT,
                "usable": {
                    "type": "boolean",
                    "description": "At least 12 readings of days 2 to 7 (ESH 2021).",
                },
                "verdict": {
                    "type": ["object", "null"],
                    "additionalProperties": False,
                    "required": ["level", "code"],
                    "properties": {"level": {"type": "string"}, "code": {"type": "string"}},
                },
                "missing": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["day", "moment", "readings"],
                        "properties": {
                            "day": {"type": "integer", "minimum": 1, "maximum": 7},
                            "moment": {"enum": ["morning", "evening"]},
                            "readings": {"type": "integer", "minimum": 1},
                        },
                    },
                },
            },
        },
        "Blood pressure only: the latest home-measurement week (thuismeetweek, NHG): the "
        "mean of days 2 to 7 and what it rests on.",
    ),
    "hypos": _nullable(
        {"type": "array", "items": _EVENT},
        "Blood sugar only: readings below 4.0 mmol/L. " + LIST_NOTE,
    ),
    "hypos_total": {"type": ["integer", "null"], "minimum": 0},
    "hypos_at_night": {"type": ["integer", "null"], "minimum": 0},
    "pulse": _nullable(_MEAN_N, "Blood pressure: mean pulse of the readings with one."),
    "trends": _nullable(
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["systolic", "diastolic"],
            "properties": {"systolic": _trend_schema(), "diastolic": _trend_schema()},
        },
        "Blood pressure only: both pressures against the period before.",
    ),
    "by_moment": _nullable(
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {"fasting": _MEAN_N, "after_meal": _MEAN_N, "general": _MEAN_N},
        },
        "Blood sugar only, mmol/L: fasting and before a meal, after a meal, other moments.",
    ),
    "bmi": _nullable(
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["value", "category"],
            "properties": {
                "value": {"type": "number"},
                "category": {
                    "enum": [
                        "underweight",
                        "healthy",
                        "overweight",
                        "obese",
                        "severe_obese",
                        "morbid_obese",
                    ]
                },
            },
        },
        "Weight with a known height: the BMI of the latest weight.",
    ),
    "weight_goal": _nullable(
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["goal_kg", "direction", "change_kg", "from_goal_kg"],
            "properties": {
                "goal_kg": {"type": "number"},
                "direction": {"enum": ["down", "up", None]},
                "change_kg": {"type": "number", "description": "Last minus first weight."},
                "from_goal_kg": {"type": "number", "description": "Latest minus the goal."},
            },
        },
        "The patient's own weight goal, only when goals are shared too.",
    ),
    "adherence": {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "readings",
            "days_with_readings",
            "days_in_period",
            "last_reading_at",
            "expected",
        ],
        "properties": {
            "readings": _COUNT,
            "days_with_readings": _COUNT,
            "days_in_period": _COUNT,
            "last_reading_at": {"type": ["string", "null"], "format": "date-time"},
            "expected": {
                "type": ["integer", "null"],
                "description": "Readings a measuring plan expects; null: no such plan.",
            },
        },
    },
}


def _number(
    whole: bool, bounds: tuple[float, float], unit: str, example: str, *, required: bool = True
) -> dict[str, Any]:
    low, high = bounds
    branches: list[dict[str, Any]] = [
        {"type": "integer" if whole else "number", "minimum": low, "maximum": high},
        {
            "type": "string",
            "description": "The number as text; a decimal comma is allowed.",
            "examples": [example],
        },
    ]
    if not required:
        branches.append({"type": "null"})
    kind = "A whole number" if whole else "A number"
    return {
        "description": f"{kind} of {unit}, {low:g} to {high:g}."
        + ("" if required else ' Optional: leave it out, or send null or "".'),
        "oneOf": branches,
    }


def _choice(values: list[str], description: str, default: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": ["string", "null"],
        "enum": [*values, None],
        "description": description,
    }
    if default is not None:
        schema["default"] = default
    return schema


MG_BOUNDS = (
    round(validation.GLUCOSE_MMOL[0] * MGDL_PER_MMOL),
    round(validation.GLUCOSE_MMOL[1] * MGDL_PER_MMOL),
)
MOMENTS = [m.value for m in Moment]
ARMS = [a.value for a in Arm]

TAKEN_AT_IN = {
    "type": "string",
    "format": "date-time",
    "description": "When you measured: RFC 3339 with an offset, at most 10 minutes ahead.",
    "examples": [TIME_EXAMPLE],
}
NOTE_IN = {
    "type": ["string", "null"],
    "maxLength": validation.NOTE_MAX,
    "description": f"Optional note, at most {validation.NOTE_MAX} characters.",
}


def _input(kind: str, required: list[str], fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["type", "taken_at", *required],
        "properties": {
            "type": {"const": kind},
            "taken_at": TAKEN_AT_IN,
            "note": NOTE_IN,
            **fields,
        },
    }


COMMON_OUT = {
    "id": {"type": "string", "format": "uuid"},
    "taken_at": {"type": "string", "format": "date-time", "description": "UTC."},
    "note": {"type": "string"},
    "source": {
        "enum": [s.value for s in Source],
        "description": "How it was entered: web form, CSV import, this API, demo.",
    },
    "advice": {"type": "array", "items": {"$ref": "#/components/schemas/Advice"}},
}


def _output(kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    properties = {"type": {"const": kind}, **COMMON_OUT, **fields}
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(properties),
        "properties": properties,
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _problem_response(
    description: str, headers: dict[str, Any] | None = None, schema: str = "Problem"
) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM: {"schema": _ref(schema)}},
    }
    if headers:
        response["headers"] = headers
    return response


def _responses(*names: str) -> dict[str, Any]:
    codes = {
        "BadRequest": "400",
        "Unauthorized": "401",
        "Forbidden": "403",
        "NotFound": "404",
        "ContentTooLarge": "413",
        "UnsupportedMediaType": "415",
        "ValidationFailed": "422",
        "TooManyRequests": "429",
    }
    return {codes[n]: {"$ref": f"#/components/responses/{n}"} for n in names}


MEASUREMENT_ID = {
    "name": "measurement_id",
    "in": "path",
    "required": True,
    "description": "The id of one of your own measurements.",
    "schema": {"type": "string", "format": "uuid"},
}

PATIENT_CURSOR_PATTERN = CURSOR_PATTERN_OF_PATIENTS

PATIENT_ID = {
    "name": "patient_id",
    "in": "path",
    "required": True,
    "description": "The id of a patient who shares with you (from GET /patients).",
    "schema": {"type": "string", "format": "uuid"},
}

LIST_PARAMETERS = [
    {
        "name": "type",
        "in": "query",
        "required": False,
        "description": "Only this type of measurement (send once).",
        "schema": {"enum": ["blood_pressure", "weight", "glucose"]},
    },
    {
        "name": "from",
        "in": "query",
        "required": False,
        "description": "Only measurements taken at or after this time (RFC 3339).",
        "schema": {"type": "string", "format": "date-time"},
    },
    {
        "name": "to",
        "in": "query",
        "required": False,
        "description": "Only measurements taken before this time (RFC 3339).",
        "schema": {"type": "string", "format": "date-time"},
    },
    {
        "name": "cursor",
        "in": "query",
        "required": False,
        "description": "The next_cursor of the previous page; send the same filters with it.",
        "schema": {"type": "string", "pattern": CURSOR_PATTERN},
    },
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": f"How many per page, 1 to {MAX_LIMIT}.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    },
]


def build() -> dict[str, Any]:
    """The document as a dict (tests read it; the route serves it as bytes)."""
    bp_fields = {
        "systolic": _number(True, validation.SYSTOLIC, "mmHg", "135"),
        "diastolic": {
            **_number(True, validation.DIASTOLIC, "mmHg", "85"),
            "description": (
                f"A whole number of mmHg, {validation.DIASTOLIC[0]} to "
                f"{validation.DIASTOLIC[1]}, and below systolic."
            ),
        },
        "pulse": _number(True, validation.PULSE, "beats per minute", "70", required=False),
        "arm": _choice(ARMS, "Which arm; optional."),
    }
    glucose_fields = {
        "glucose": {
            **_number(False, (validation.GLUCOSE_MMOL[0], MG_BOUNDS[1]), "glucose", "7,4"),
            "description": (
                f"Blood glucose in the unit of `unit`: {validation.GLUCOSE_MMOL[0]:g} to "
                f"{validation.GLUCOSE_MMOL[1]:g} mmol/L, or {MG_BOUNDS[0]} to {MG_BOUNDS[1]} "
                "mg/dL (converted to mmol/L and stored with one decimal)."
            ),
        },
        "unit": _choice(["mmol/L", "mg/dL"], "Unit of `glucose`.", default="mmol/L"),
        "moment": _choice(MOMENTS, "When, relative to meals.", default=Moment.OTHER.value),
    }
    schemas: dict[str, Any] = {
        "BloodPressureInput": _input("blood_pressure", ["systolic", "diastolic"], bp_fields),
        "WeightInput": _input(
            "weight",
            ["weight_kg"],
            {
                "weight_kg": _number(False, validation.WEIGHT_KG, "kg", "82,5"),
            },
        ),
        "GlucoseInput": _input("glucose", ["glucose"], glucose_fields),
        "MeasurementInput": {
            "oneOf": [_ref("BloodPressureInput"), _ref("WeightInput"), _ref("GlucoseInput")],
            "discriminator": {
                "propertyName": "type",
                "mapping": {
                    "blood_pressure": "#/components/schemas/BloodPressureInput",
                    "weight": "#/components/schemas/WeightInput",
                    "glucose": "#/components/schemas/GlucoseInput",
                },
            },
        },
        "BloodPressure": _output(
            "blood_pressure",
            {
                "systolic": {"type": "integer", "description": "mmHg"},
                "diastolic": {"type": "integer", "description": "mmHg"},
                "pulse": {"type": ["integer", "null"], "description": "beats per minute"},
                "arm": {"enum": [*ARMS, None]},
            },
        ),
        "Weight": _output("weight", {"weight_kg": {"type": "number"}}),
        "Glucose": _output(
            "glucose",
            {
                "glucose": {"type": "number", "description": "mmol/L, one decimal"},
                "unit": {"const": "mmol/L"},
                "moment": {"enum": MOMENTS},
            },
        ),
        "Measurement": {
            "oneOf": [_ref("BloodPressure"), _ref("Weight"), _ref("Glucose")],
            "discriminator": {
                "propertyName": "type",
                "mapping": {
                    "blood_pressure": "#/components/schemas/BloodPressure",
                    "weight": "#/components/schemas/Weight",
                    "glucose": "#/components/schemas/Glucose",
                },
            },
        },
        "MeasurementList": {
            "type": "object",
            "additionalProperties": False,
            "required": ["items", "next_cursor", "total"],
            "properties": {
                "items": {
                    "type": "array",
                    "items": _ref("Measurement"),
                    "description": "Newest first.",
                },
                "next_cursor": {
                    "type": ["string", "null"],
                    "description": "Pass as `cursor` for the next page; null on the last page.",
                },
                "total": _nullable(
                    {"type": "integer", "minimum": 0},
                    "How many match the filters, on all pages: given on the first page "
                    "(without `cursor`), null on the pages after it.",
                ),
            },
        },
        "Patient": {
            "type": "object",
            "additionalProperties": False,
            "required": [
                "id",
                "name",
                "birth_date",
                "categories",
                "data_from",
                "expires_at",
                "shared_at",
            ],
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "name": {"type": "string"},
                "birth_date": {"type": ["string", "null"], "format": "date"},
                "categories": {
                    "type": "array",
                    "items": {"enum": ["blood_pressure", "weight", "glucose", "goals"]},
                    "description": "What the patient shares with you.",
                },
                "data_from": {
                    "type": ["string", "null"],
                    "format": "date-time",
                    "description": "Only data from this moment on; null shares all data.",
                },
                "expires_at": {"type": "string", "format": "date-time"},
                "shared_at": {"type": "string", "format": "date-time"},
            },
        },
        "Stat": {
            "type": "object",
            "additionalProperties": False,
            "required": ["mean", "min", "max"],
            "properties": {
                "mean": {"type": "number"},
                "min": {"type": "number"},
                "max": {"type": "number"},
            },
        },
        "SummaryBlock": {
            "type": "object",
            "additionalProperties": False,
            "required": [
                "category",
                "readings",
                "latest",
                "stats",
                "trend",
                "trend_delta",
                "within_target_pct",
                "target",
                "verdict",
                "flags",
                *SUMMARY_DETAILS,
            ],
            "properties": {
                **SUMMARY_DETAILS,
                "category": {"enum": ["blood_pressure", "weight", "glucose"]},
                "readings": {"type": "integer", "minimum": 0, "description": "In the period."},
                "latest": {
                    "type": ["object", "null"],
                    "additionalProperties": False,
                    "required": ["values", "taken_at"],
                    "properties": {
                        "values": {
                            "type": "object",
                            "additionalProperties": {"type": "number"},
                            "description": "systolic and diastolic (mmHg), kg, or mmol.",
                        },
                        "taken_at": {"type": "string", "format": "date-time"},
                    },
                },
                "stats": {
                    "type": "object",
                    "additionalProperties": _ref("Stat"),
                    "description": "Per value (systolic, diastolic, kg, mmol): mean, min, max.",
                },
                "trend": {
                    "enum": ["up", "down", "same", None],
                    "description": "Against the period of the same length before; null "
                    "without readings then.",
                },
                "trend_delta": {"type": ["number", "null"]},
                "within_target_pct": {"type": ["number", "null"]},
                "target": {
                    "type": ["object", "null"],
                    "additionalProperties": False,
                    "required": ["code", "text"],
                    "description": "The clinical target the readings are judged against "
                    "(never a target the patient set for themselves), with its source.",
                    "properties": {
                        "code": {"enum": ["bp", "bmi_healthy", "glucose_by_moment"]},
                        "text": {"type": "string", "description": "In the request's language."},
                        "systolic_below": {"type": "integer"},
                        "diastolic_below": {"type": "integer"},
                        "source": {
                            "enum": ["standard", "agreed"],
                            "description": "standard: the NHG home-measurement target for "
                            "the patient's age; agreed: agreed with a named care provider.",
                        },
                        "agreed": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["name", "profession", "date"],
                            "properties": {
                                "name": {"type": "string"},
                                "profession": {"type": "string"},
                                "date": {"type": "string", "format": "date"},
                            },
                        },
                    },
                },
                "verdict": {
                    "type": ["object", "null"],
                    "additionalProperties": False,
                    "required": ["level", "code"],
                    "description": "The period's reading by the NHG rules: the mean blood "
                    "pressure, the BMI, or the share of blood sugar readings in range.",
                    "properties": {
                        "level": {"enum": ["alarm", "hypo", "high", "low", "ok", "unknown"]},
                        "code": {"type": "string"},
                    },
                },
                "flags": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["code", "value"],
                        "properties": {
                            "code": {
                                "enum": [
                                    "bp_mean_high",
                                    "bp_very_high",
                                    "glucose_low",
                                    "glucose_very_high",
                                    "weight_change",
                                    "weight_loss_unintended",
                                    "weight_change_planned",
                                ]
                            },
                            "value": {
                                "type": "number",
                                "description": "glucose_low (hypos, < 4.0), glucose_very_high "
                                "(> 15) and bp_very_high (>= 180/110): how many readings; "
                                "weight_*: the change in %.",
                            },
                        },
                    },
                },
            },
        },
        "GoalOverview": {
            "type": "object",
            "additionalProperties": False,
            "required": [
                "id",
                "kind",
                "text",
                "why",
                "start",
                "until",
                "metric",
                "progress",
                "steps",
            ],
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "kind": {"enum": ["measurement", "activity"]},
                "text": {"type": "string", "description": "The goal in the patient's words."},
                "why": {"type": "string"},
                "start": {"type": "string", "format": "date"},
                "until": {"type": ["string", "null"], "format": "date"},
                "metric": {"type": ["string", "null"]},
                "progress": {
                    "type": ["object", "null"],
                    "additionalProperties": False,
                    "properties": {
                        "status": {
                            "enum": ["on_track", "behind", "achieved", "no_data", "not_shared"]
                        },
                        "target": {"type": ["number", "null"]},
                        "unit": {"type": "string"},
                        "start_value": {"type": ["number", "null"]},
                        "current_value": {"type": ["number", "null"]},
                        "share_done": {"type": ["number", "null"]},
                        "week_count": {"type": ["integer", "null"]},
                        "week_target": {"type": ["integer", "null"]},
                        "streak": {"type": ["integer", "null"]},
                        "streak_unit": {"type": ["string", "null"]},
                    },
                },
                "steps": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["text", "done"],
                        "properties": {"text": {"type": "string"}, "done": {"type": "boolean"}},
                    },
                },
            },
        },
        "PatientSummary": {
            "type": "object",
            "additionalProperties": False,
            "required": [
                "patient",
                "categories",
                "period",
                "from",
                "to",
                "data_from",
                "measurements",
            ],
            "properties": {
                "patient": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["id", "name", "birth_date", "age"],
                    "properties": {
                        "id": {"type": "string", "format": "uuid"},
                        "name": {"type": "string"},
                        "birth_date": {"type": ["string", "null"], "format": "date"},
                        "age": {
                            "type": ["integer", "null"],
                            "minimum": 0,
                            "description": "In whole years today; null without a birth date.",
                        },
                    },
                },
                "categories": {
                    "type": "array",
                    "items": {"enum": ["blood_pressure", "weight", "glucose", "goals"]},
                },
                "period": {"enum": ["1m", "3m", "6m", "1y"]},
                "from": {"type": "string", "format": "date-time"},
                "to": {"type": "string", "format": "date-time"},
                "data_from": {"type": ["string", "null"], "format": "date-time"},
                "measurements": {
                    "type": "array",
                    "items": _ref("SummaryBlock"),
                    "description": "One per shared kind of measurement.",
                },
                "goals": {
                    "type": "array",
                    "items": _ref("GoalOverview"),
                    "description": "Active goals; only when goals are shared.",
                },
                "questions": {
                    "type": "array",
                    "description": "Open questions for the consult; only when goals are shared.",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["text", "written_at"],
                        "properties": {
                            "text": {"type": "string"},
                            "written_at": {"type": "string", "format": "date-time"},
                        },
                    },
                },
            },
        },
        "PatientList": {
            "type": "object",
            "additionalProperties": False,
            "required": ["items", "next_cursor", "total"],
            "properties": {
                "items": {
                    "type": "array",
                    "items": _ref("Patient"),
                    "description": "Most recently shared first.",
                },
                "next_cursor": {
                    "type": ["string", "null"],
                    "description": "Pass as `cursor` for the next page; null on the last page.",
                },
                "total": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "How many patients share with you now, on all pages.",
                },
            },
        },
        "Advice": {
            "type": "object",
            "additionalProperties": False,
            "required": ["level", "message"],
            "properties": {
                "level": {"enum": ["urgent", "attention"]},
                "message": {"type": "string", "description": "What to do now, in plain words."},
            },
        },
        "Problem": {
            "type": "object",
            "description": "RFC 9457 problem details.",
            "required": ["type", "title", "status", "detail"],
            "properties": {
                "type": {"type": "string", "format": "uri-reference"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string", "description": "What went wrong, in plain words."},
                "errors": {"type": "array", "items": _ref("FieldError")},
            },
        },
        "ValidationProblem": {
            "allOf": [_ref("Problem"), {"type": "object", "required": ["errors"]}],
        },
        "FieldError": {
            "type": "object",
            "additionalProperties": False,
            "required": ["field", "message"],
            "properties": {
                "field": {"type": "string", "description": "The JSON field or query parameter."},
                "message": {"type": "string", "description": "What is wrong and what is allowed."},
            },
        },
    }
    responses = {
        "BadRequest": _problem_response(
            "The body is not JSON or not an object, or a query parameter is wrong "
            "(then `errors` names it)."
        ),
        "Unauthorized": _problem_response(
            "No API key, or a key that is unknown, revoked or expired (the detail says "
            "on which day it expired).",
            {
                "WWW-Authenticate": {
                    "required": True,
                    "schema": {"type": "string"},
                    "description": "Bearer challenge (RFC 6750).",
                }
            },
        ),
        "Forbidden": _problem_response(
            "The key's scope does not allow this: reading needs a key that may read, "
            "saving or deleting needs a key that may write measurements."
        ),
        "NotFound": _problem_response(
            "No such measurement among yours (another person's id also answers this); for "
            "care providers: no active share for this patient and kind."
        ),
        "ContentTooLarge": _problem_response("The body is larger than the server accepts."),
        "UnsupportedMediaType": _problem_response("The body is not sent as application/json."),
        "ValidationFailed": _problem_response(
            "One or more fields are wrong; nothing was saved.", schema="ValidationProblem"
        ),
        "TooManyRequests": _problem_response(
            "Too many failed key checks from this address; wait and try again.",
            {
                "Retry-After": {
                    "required": False,
                    "schema": {"type": "integer"},
                    "description": "Seconds to wait.",
                }
            },
        ),
    }
    paths = {
        "/measurements": {
            "post": {
                "operationId": "createMeasurement",
                "summary": "Save one measurement",
                "requestBody": {
                    "required": True,
                    "content": {
                        JSON: {
                            "schema": _ref("MeasurementInput"),
                            "examples": {
                                "blood_pressure": {
                                    "value": {
                                        "type": "blood_pressure",
                                        "taken_at": TIME_EXAMPLE,
                                        "systolic": 135,
                                        "diastolic": 85,
                                        "pulse": 70,
                                        "arm": "left",
                                    }
                                },
                                "weight": {
                                    "value": {
                                        "type": "weight",
                                        "taken_at": TIME_EXAMPLE,
                                        "weight_kg": "82,5",
                                    }
                                },
                                "glucose": {
                                    "value": {
                                        "type": "glucose",
                                        "taken_at": TIME_EXAMPLE,
                                        "glucose": 7.4,
                                        "unit": "mmol/L",
                                        "moment": "before_breakfast",
                                    }
                                },
                            },
                        },
                    },
                },
                "responses": {
                    "201": {
                        "description": "Saved.",
                        "headers": {"Location": {"required": True, "schema": {"type": "string"}}},
                        "content": {JSON: {"schema": _ref("Measurement")}},
                    },
                    **_responses(
                        "BadRequest",
                        "Unauthorized",
                        "Forbidden",
                        "ContentTooLarge",
                        "UnsupportedMediaType",
                        "ValidationFailed",
                        "TooManyRequests",
                    ),
                },
            },
            "get": {
                "operationId": "listMeasurements",
                "summary": "Your measurements, newest first, a page at a time",
                "parameters": LIST_PARAMETERS,
                "responses": {
                    "200": {
                        "description": "One page.",
                        "content": {JSON: {"schema": _ref("MeasurementList")}},
                    },
                    **_responses("BadRequest", "Unauthorized", "Forbidden", "TooManyRequests"),
                },
            },
        },
        "/measurements/{measurement_id}": {
            "parameters": [MEASUREMENT_ID],
            "get": {
                "operationId": "getMeasurement",
                "summary": "One of your measurements",
                "responses": {
                    "200": {
                        "description": "The measurement.",
                        "content": {JSON: {"schema": _ref("Measurement")}},
                    },
                    **_responses("Unauthorized", "Forbidden", "NotFound", "TooManyRequests"),
                },
            },
            "delete": {
                "operationId": "deleteMeasurement",
                "summary": "Delete one of your measurements",
                "responses": {
                    "204": {"description": "Deleted."},
                    **_responses("Unauthorized", "Forbidden", "NotFound", "TooManyRequests"),
                },
            },
        },
        "/patients": {
            "get": {
                "operationId": "listPatients",
                "summary": "For care providers: the patients who share with you now",
                "parameters": [
                    {
                        "name": "cursor",
                        "in": "query",
                        "required": False,
                        "description": "The next_cursor of the previous page.",
                        "schema": {"type": "string", "pattern": PATIENT_CURSOR_PATTERN},
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "description": "How many per page, 1 to 500.",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "Patients with an active share.",
                        "content": {JSON: {"schema": _ref("PatientList")}},
                    },
                    **_responses(
                        "BadRequest", "Unauthorized", "Forbidden", "NotFound", "TooManyRequests"
                    ),
                },
            },
        },
        "/patients/{patient_id}/measurements": {
            "parameters": [PATIENT_ID],
            "get": {
                "operationId": "listPatientMeasurements",
                "summary": "For care providers: a patient's shared measurements, newest first",
                "description": (
                    "Without `type`, all shared kinds. A kind the patient does not share, "
                    "a stopped or expired share, or another patient answers 404."
                ),
                "parameters": LIST_PARAMETERS,
                "responses": {
                    "200": {
                        "description": "One page.",
                        "content": {JSON: {"schema": _ref("MeasurementList")}},
                    },
                    **_responses(
                        "BadRequest", "Unauthorized", "Forbidden", "NotFound", "TooManyRequests"
                    ),
                },
            },
        },
        "/patients/{patient_id}/summary": {
            "parameters": [PATIENT_ID],
            "get": {
                "operationId": "getPatientSummary",
                "summary": "For care providers: the pre-consult summary of what is shared",
                "description": (
                    "Per shared kind: readings, latest, mean / min / max, trend against the "
                    "period before, % within target and flags; with goals shared, the active "
                    "goals with progress and the open questions. A stopped or expired share, "
                    "or another patient, answers 404."
                ),
                "parameters": [
                    {
                        "name": "period",
                        "in": "query",
                        "required": False,
                        "description": "The last month, 3 months, 6 months or year.",
                        "schema": {"enum": ["1m", "3m", "6m", "1y"], "default": "3m"},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "The summary.",
                        "content": {JSON: {"schema": _ref("PatientSummary")}},
                    },
                    **_responses(
                        "BadRequest", "Unauthorized", "Forbidden", "NotFound", "TooManyRequests"
                    ),
                },
            },
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapiDocument",
                "summary": "This document",
                "security": [],
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.1 document.",
                        "content": {JSON: {"schema": {"type": "object"}}},
                    }
                },
            },
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "PGD measurements API", "version": "1.0.0", "description": DESCRIPTION},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "pgd_<43 characters>",
                    "description": "A personal API key from Settings → API keys.",
                }
            },
            "schemas": schemas,
            "responses": responses,
        },
    }


@cache
def document() -> bytes:
    return orjson.dumps(build())
