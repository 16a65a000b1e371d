"""Importing a FHIR Bundle (JSON) through the measurements import: the same preview,
duplicates and all-or-nothing confirm as a CSV file, a message per unusable resource."""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient

from pgd.fhir import importer
from pgd.measurements import imports
from pgd.measurements import services as measurements
from pgd.measurements.values import MGDL_PER_MMOL, BloodPressure, Glucose, Weight
from tests.conftest import count_rows, login, post_form

IMPORT = "/measurements/import"
_PENDING = re.compile(r"/measurements/import/([0-9a-f-]{36})/confirm")
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
TIMING = "http://terminology.hl7.org/CodeSystem/v3-TimingEvent"
EVENT_TIMING = "http://hl7.org/fhir/StructureDefinition/observation-eventTiming"
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
AT = "2026-03-14T08:30:00+01:00"


# -- building Bundles ---------------------------------------------------------------------


def _code(code: str) -> dict[str, Any]:
    return {"coding": [{"system": LOINC, "code": code}]}


def _q(value: Any, unit: str | None, code: str | None = None) -> dict[str, Any]:
    q: dict[str, Any] = {"value": value}
    if unit is not None:
        q["unit"] = unit
    if code is not None:
        q["system"] = UCUM
        q["code"] = code
    return q


def obs(rid: str, code: str, when: str | None = AT, **fields: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "code": _code(code),
        "subject": {"reference": "Patient/p1"},
    }
    if when is not None:
        resource["effectiveDateTime"] = when
    resource.update(fields)
    return resource


def bp(
    rid: str, sys: Any, dia: Any, unit: str = "mm[Hg]", when: str = AT, **f: Any
) -> dict[str, Any]:
    return obs(
        rid,
        "85354-9",
        when,
        component=[
            {"code": _code("8480-6"), "valueQuantity": _q(sys, unit, unit)},
            {"code": _code("8462-4"), "valueQuantity": _q(dia, unit, unit)},
        ],
        **f,
    )


def pulse(rid: str, value: Any, when: str = AT, **f: Any) -> dict[str, Any]:
    return obs(rid, "8867-4", when, valueQuantity=_q(value, "/min", "/min"), **f)


def weight(rid: str, value: Any, unit: str = "kg", when: str = AT) -> dict[str, Any]:
    return obs(rid, "29463-7", when, valueQuantity=_q(value, unit, unit))


def glucose(
    rid: str,
    value: Any,
    code: str = "14743-9",
    unit: str = "mmol/L",
    timing: list[str] | None = None,
    when: str = AT,
) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if timing:
        extra["extension"] = [
            {
                "url": EVENT_TIMING,
                "valueCodeableConcept": {"coding": [{"system": TIMING, "code": t}]},
            }
            for t in timing
        ]
    return obs(rid, code, when, valueQuantity=_q(value, unit, unit), **extra)


PATIENT = {"resourceType": "Patient", "id": "p1", "name": [{"family": "Pietersma"}]}


def bundle(*resources: dict[str, Any], kind: str = "collection") -> bytes:
    return orjson.dumps(
        {
            "resourceType": "Bundle",
            "type": kind,
            "entry": [{"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": r} for r in resources],
        }
    )


def good() -> bytes:
    return bundle(
        PATIENT,
        bp("bp1", 135, 85, note=[{"text": "na het opstaan"}]),
        pulse("hr1", 72),
        bp("bp2", 142, 91, "mmHg", "2026-03-15T08:30:00+01:00"),
        weight("w1", 82.5),
        glucose("g1", 6.8, "14770-2"),
        glucose("g2", 162, "14760-3", "mg/dL", ["PCM"], "2026-03-14T09:30:00+01:00"),
        {"resourceType": "Goal", "id": "goal1"},
    )


@pytest.fixture
def english(app: Flask) -> Iterator[None]:
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


def parse(data: bytes) -> importer.Parsed:
    return importer.parse(data, NOW)


def messages(parsed: importer.Parsed) -> list[tuple[int, str | None, str]]:
    return [(e.line, e.column, e.message) for e in parsed.errors]


def one_error(data: bytes) -> str:
    parsed = parse(data)
    assert not parsed.items, parsed.items
    assert len(parsed.errors) >= 1
    return " ".join(e.message for e in parsed.errors)


# -- through the web page -----------------------------------------------------------------


@pytest.fixture
def patient(app: Flask, create_patient: Any) -> FlaskClient:
    create_patient()
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(client, "patient@example.nl")
    return client


def upload(client: FlaskClient, data: bytes, name: str = "metingen.json") -> Any:
    return post_form(client, IMPORT, {"file": (io.BytesIO(data), name)})


def confirm(client: FlaskClient, body: str) -> Any:
    match = _PENDING.search(body)
    assert match, "no confirm button on the page"
    return post_form(client, f"/measurements/import/{match.group(1)}/confirm", {}, form_url=IMPORT)


def saved(app: Flask, user: Any) -> list[Any]:
    with app.test_request_context():
        return list(measurements.all_readings(user, user.id))


def test_the_upload_page_offers_csv_and_fhir(patient: FlaskClient) -> None:
    body = patient.get(IMPORT).get_data(as_text=True)
    assert "CSV file or FHIR file (JSON)" in body
    assert "A FHIR file from another app" in body


def test_preview_counts_then_confirm_saves_everything(patient: FlaskClient, app: Flask) -> None:
    response = upload(patient, good())
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "holds 5 correct measurements" in body
    assert re.search(r"Blood pressure</td><td>2<", body)
    assert re.search(r"Weight</td><td>1<", body)
    assert re.search(r"Blood sugar</td><td>2<", body)
    # The Goal is shown as left out, with its entry number and id, before saving.
    assert "1 part of the file is not imported" in body
    assert re.search(r"<td>8</td><td>Goal/goal1</td><td>A Goal is not a measurement", body)
    assert count_rows(app, "measurements") == 0

    assert confirm(patient, body).status_code == 302
    assert "Imported 5 measurements." in patient.get("/measurements").get_data(as_text=True)
    assert count_rows(app, "measurements") == 5
    assert count_rows(app, "pending_imports") == 0


def test_importing_the_same_file_twice_adds_nothing(patient: FlaskClient, app: Flask) -> None:
    confirm(patient, upload(patient, good()).get_data(as_text=True))
    body = upload(patient, good()).get_data(as_text=True)
    assert "5 measurements are already in your record and will be skipped." in body
    assert "There is nothing new to save" in body
    assert count_rows(app, "measurements") == 5


def test_a_bad_resource_among_good_ones_blocks_the_whole_file(
    patient: FlaskClient, app: Flask
) -> None:
    """As in the CSV import: one invalid measurement and nothing is kept or saved."""
    data = bundle(PATIENT, bp("bp1", 135, 85), bp("bad", 320, 85), weight("w1", 82.5))
    body = upload(patient, data, "export.json").get_data(as_text=True)
    assert "1 measurement in export.json has a problem" in body
    assert re.search(
        r"<td>3</td><td>Observation/bad</td><td>Upper pressure: 320 mmHg is not possible", body
    )
    assert "The other 2 measurements are correct." in body
    assert "/confirm" not in body
    assert count_rows(app, "pending_imports") == 0
    assert count_rows(app, "measurements") == 0


def test_a_json_file_is_recognised_by_its_content_too(patient: FlaskClient) -> None:
    body = upload(patient, good(), "export.txt").get_data(as_text=True)
    assert "holds 5 correct measurements" in body


def test_malformed_json_is_refused_with_its_place(patient: FlaskClient, app: Flask) -> None:
    body = upload(patient, b'{"resourceType": "Bundle",\n "type": }').get_data(as_text=True)
    assert "We cannot read this file" in body
    assert "This file is not correct JSON: there is a mistake near line 2" in body
    assert count_rows(app, "pending_imports") == 0


def test_more_than_the_maximum_entries_is_refused_whole(patient: FlaskClient, app: Flask) -> None:
    n = importer.MAX_ENTRIES + 1
    data = bundle(*(weight(f"w{i}", 80) for i in range(n)))
    response = upload(patient, data)
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert "This file holds 10,001 entries. We import at most 10,000 at a time." in body
    assert count_rows(app, "pending_imports") == 0
    assert count_rows(app, "measurements") == 0


def test_the_maximum_number_of_entries_is_read(english: None) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    data = bundle(
        *(
            weight(f"w{i}", 80, when=(start + timedelta(hours=i)).isoformat())
            for i in range(importer.MAX_ENTRIES)
        )
    )
    parsed = parse(data)
    assert parsed.ok
    assert len(parsed.items) == importer.MAX_ENTRIES


def test_a_file_about_two_people_is_refused_in_dutch(app: Flask, create_patient: Any) -> None:
    create_patient()
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "nl"
    login(client, "patient@example.nl")
    other = bp("x", 130, 80)
    other["subject"] = {"reference": "Patient/p2"}
    body = upload(client, bundle(PATIENT, bp("a", 130, 80), other)).get_data(as_text=True)
    assert "Dit bestand bevat metingen van meer dan één persoon." in body
    assert count_rows(app, "pending_imports") == 0


# -- the file as a whole ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "The file is empty."),
        (b"{not json", "This file is not correct JSON: there is a mistake near line 1"),
        (b"[1, 2]", "This is a JSON file, but not a FHIR file."),
        (b'{"name": "x"}', "This is a JSON file, but not a FHIR file."),
        (orjson.dumps(bp("bp1", 130, 80)), "This FHIR file holds one Observation, not a Bundle."),
        (
            orjson.dumps({"resourceType": "Bundle", "type": "document", "entry": []}),
            "This Bundle is of type “document”. We can import a Bundle of type collection, "
            "searchset, transaction or batch.",
        ),
        (
            orjson.dumps({"resourceType": "Bundle", "type": "collection"}),
            "This Bundle holds no entries",
        ),
    ],
)
def test_a_file_that_is_not_a_usable_bundle_is_refused(
    english: None, data: bytes, expected: str
) -> None:
    parsed = parse(data)
    assert parsed.file_error is not None
    assert parsed.file_error.startswith(expected), parsed.file_error
    assert not parsed.ok


@pytest.mark.parametrize("kind", ["collection", "searchset", "transaction", "batch"])
def test_bundle_types_that_hold_resources_are_read(english: None, kind: str) -> None:
    parsed = parse(bundle(weight("w", 80), kind=kind))
    assert parsed.ok
    assert parsed.items[0][0] == Weight(80.0)


def test_the_patient_of_the_file_and_its_observations_are_one_person(english: None) -> None:
    """The Patient, referred to as Patient/p1, by its fullUrl, or by identifier: fine."""
    patient = {
        **PATIENT,
        "identifier": [{"system": "urn:oid:2.16.840.1.113883.2.4.6.3", "value": "1"}],
    }
    by_url = weight("w2", 81)
    by_url["subject"] = {"reference": "https://elders.example/fhir/Patient/p1"}
    by_identifier = weight("w3", 82)
    by_identifier["subject"] = {
        "identifier": {"system": "urn:oid:2.16.840.1.113883.2.4.6.3", "value": "1"}
    }
    no_subject = weight("w4", 83)
    del no_subject["subject"]
    parsed = parse(bundle(patient, weight("w1", 80), by_url, by_identifier, no_subject))
    assert parsed.ok, parsed.file_error
    assert len(parsed.items) == 4


@pytest.mark.parametrize("with_patient", [True, False])
def test_observations_of_two_people_refuse_the_file(english: None, with_patient: bool) -> None:
    other = weight("w2", 81)
    other["subject"] = {"reference": "Patient/p2"}
    resources = [weight("w1", 80), other]
    parsed = parse(bundle(*([PATIENT] if with_patient else []), *resources))
    assert parsed.file_error == (
        "This file holds readings of more than one person. We only import your own readings: "
        "export a file with only your own measurements."
    )
    assert not parsed.items


def test_two_patients_in_one_file_refuse_it(english: None) -> None:
    parsed = parse(bundle(PATIENT, {"resourceType": "Patient", "id": "p2"}, weight("w", 80)))
    assert parsed.file_error is not None
    assert "more than one person" in parsed.file_error


# -- blood pressure and pulse -------------------------------------------------------------


@pytest.mark.parametrize("unit", ["mm[Hg]", "mmHg", "mm Hg"])
def test_blood_pressure_in_mmhg_however_written(english: None, unit: str) -> None:
    parsed = parse(bundle(bp("bp", 135, 85, unit)))
    assert parsed.ok
    value, when, note = parsed.items[0]
    assert value == BloodPressure(135, 85)
    assert when == datetime(2026, 3, 14, 7, 30, tzinfo=UTC)
    assert note == ""


def test_the_55284_4_panel_with_a_pulse_component_and_an_arm(english: None) -> None:
    resource = bp(
        "bp",
        135,
        85,
        bodySite={"coding": [{"system": "http://snomed.info/sct", "code": "368209003"}]},
    )
    resource["code"] = _code("55284-4")
    resource["component"].append({"code": _code("8867-4"), "valueQuantity": _q(64, "/min", "/min")})
    parsed = parse(bundle(resource))
    assert parsed.items[0][0] == BloodPressure(135, 85, 64, "right")


def test_a_pulse_joins_the_blood_pressure_of_the_same_time(english: None) -> None:
    parsed = parse(bundle(bp("bp", 135, 85), pulse("hr", 72)))
    assert parsed.ok
    assert [i[0] for i in parsed.items] == [BloodPressure(135, 85, 72)]
    assert parsed.skipped == []


def test_a_pulse_joins_the_blood_pressure_it_is_derived_from(english: None) -> None:
    hr = pulse("hr", 72, derivedFrom=[{"reference": "Observation/bp2"}])
    parsed = parse(bundle(bp("bp1", 120, 80), bp("bp2", 135, 85), hr))
    assert [i[0] for i in parsed.items] == [BloodPressure(120, 80), BloodPressure(135, 85, 72)]


def test_a_pulse_without_blood_pressure_is_left_out_with_a_message(english: None) -> None:
    parsed = parse(bundle(weight("w", 80), pulse("hr", 72, when="2026-03-14T10:00:00+01:00")))
    assert parsed.ok
    assert [(e.line, e.column) for e in parsed.skipped] == [(2, "Observation/hr")]
    assert parsed.skipped[0].message.startswith(
        "This app keeps a pulse only together with a blood pressure reading"
    )


def test_a_pulse_out_of_range_blocks_the_file(english: None) -> None:
    parsed = parse(bundle(bp("bp", 135, 85), pulse("hr", 400)))
    assert not parsed.ok
    assert messages(parsed) == [
        (
            2,
            "Observation/hr",
            "Pulse (per minute): 400 beats per minute is not possible here. "
            "Allowed: 25 to 250 beats per minute.",
        )
    ]


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        (bp("bp", 135, 85, "kPa"), "Upper pressure: We cannot use the unit “kPa” here."),
        (bp("bp", 85, 135), "The lower value (135) must be below the upper value (85)."),
        (bp("bp", "135", 85), "Upper pressure: The value “135” is not a number."),
        (
            obs("bp", "85354-9", component=[]),
            "Upper pressure: this blood pressure reading does not hold it.",
        ),
        (bp("bp", 135, 85, when="2026-03-14"), "has a date (2026-03-14) but no time of day"),
        (bp("bp", 135, 85, when="yesterday"), "“yesterday” is not a date and time we can read."),
        (obs("bp", "85354-9", None), "does not say when it was taken"),
        (bp("bp", 135, 85, when="2026-04-01T08:00:00+02:00"), "This time is in the future."),
        (bp("bp", 135, 85, when="1960-04-01T08:00:00+01:00"), "this date is too long ago"),
        (bp("bp", 135, 85, note=[{"text": "x" * 501}]), "A note has at most 500 characters."),
    ],
)
def test_an_unusable_blood_pressure_gets_a_clear_message(
    english: None, resource: dict[str, Any], expected: str
) -> None:
    parsed = parse(bundle(weight("w", 80), resource))
    assert not parsed.ok
    assert {(e.line, e.column) for e in parsed.errors} == {(2, "Observation/bp")}
    assert expected in " ".join(e.message for e in parsed.errors)


def test_a_lone_systolic_value_is_left_out(english: None) -> None:
    lone = obs("s", "8480-6", valueQuantity=_q(130, "mmHg", "mm[Hg]"))
    parsed = parse(bundle(weight("w", 80), lone))
    assert parsed.ok
    assert "only one of the two blood pressure values" in parsed.skipped[0].message


# -- weight -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "kg"),
    [
        (82.5, "kg", 82.5),
        (82500, "g", 82.5),
        # [lb_av] = 0.45359237 kg exactly (UCUM; International Yard and Pound Agreement).
        (180, "[lb_av]", round(180 * 0.45359237, 1)),
        (180, "lb", round(180 * 0.45359237, 1)),
    ],
)
def test_weight_units_are_converted_to_kg(
    english: None, value: float, unit: str, kg: float
) -> None:
    parsed = parse(bundle(weight("w", value, unit)))
    assert parsed.ok
    assert parsed.items[0][0] == Weight(kg)


def test_the_other_weight_code_is_read(english: None) -> None:
    resource = weight("w", 80)
    resource["code"] = _code("3141-9")
    assert parse(bundle(resource)).items[0][0] == Weight(80.0)


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        (_q(80, "stone", "[stone_av]"), "We cannot use the unit “stone” for a weight."),
        (_q(80, None), "Weight: The value has no unit. We need kg."),
        (_q(80, "kg", "g"), "The unit is written in two ways that do not agree (g / kg)"),
        (_q(80, "kilo", "kg"), "We cannot use the unit “kilo” for a weight."),
        ({"unit": "kg"}, "This measurement holds no value."),
        (_q(500, "kg", "kg"), "500 kg is not possible here."),
    ],
)
def test_an_unusable_weight_gets_a_clear_message(
    english: None, quantity: dict[str, Any], expected: str
) -> None:
    resource = obs("w", "29463-7", valueQuantity=quantity)
    assert expected in one_error(bundle(resource))


# -- blood sugar --------------------------------------------------------------------------


@pytest.mark.parametrize("mg", [72, 100, 126, 162, 199.5])
def test_mg_per_dl_is_converted_exactly(english: None, mg: float) -> None:
    """mmol/L = mg/dL / 18.016 (values.MGDL_PER_MMOL), rounded to 0.1 as the form does."""
    parsed = parse(bundle(glucose("g", mg, unit="mg/dL")))
    assert parsed.ok
    assert MGDL_PER_MMOL == 18.016
    assert parsed.items[0][0] == Glucose(round(mg / 18.016, 1), "other")


@pytest.mark.parametrize(
    ("code", "timing", "moment"),
    [
        ("14770-2", None, "fasting"),
        ("14770-2", ["WAKE"], "fasting"),
        ("14770-2", ["ACM"], "before_breakfast"),
        ("14743-9", ["ACM"], "before_breakfast"),
        ("14760-3", ["PCM"], "after_breakfast"),
        ("14743-9", ["ACD"], "before_lunch"),
        ("14760-3", ["PCD"], "after_lunch"),
        ("14743-9", ["ACV"], "before_dinner"),
        ("14760-3", ["PCV"], "after_dinner"),
        ("14743-9", ["HS"], "bedtime"),
        ("14743-9", ["NIGHT"], "night"),
        ("14743-9", None, "other"),
        ("14760-3", None, "other"),
        ("14760-3", ["PC"], "other"),
        ("2339-0", ["PCV"], "after_dinner"),
        ("15074-8", None, "other"),
    ],
)
def test_the_glucose_moment_comes_from_code_and_event_timing(
    english: None, code: str, timing: list[str] | None, moment: str
) -> None:
    parsed = parse(bundle(glucose("g", 6.2, code, timing=timing)))
    assert parsed.ok, messages(parsed)
    assert parsed.items[0][0] == Glucose(6.2, moment)


def test_the_app_moment_as_the_event_timing_text_is_read(english: None) -> None:
    resource = glucose("g", 6.2)
    resource["extension"] = [{"url": EVENT_TIMING, "valueCodeableConcept": {"text": "night"}}]
    assert parse(bundle(resource)).items[0][0] == Glucose(6.2, "night")


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        (
            glucose("g", 6.2, "14770-2", timing=["PCM"]),
            "The code says “fasting”, but the moment says “after breakfast”.",
        ),
        (
            glucose("g", 6.2, "14760-3", timing=["ACM"]),
            "The code says “after a meal”, but the moment says “before breakfast”.",
        ),
        (
            glucose("g", 6.2, timing=["ACM", "PCV"]),
            "names more than one moment (after dinner, before breakfast)",
        ),
        (glucose("g", 6.2, unit="mg"), "Blood sugar: We cannot use the unit “mg” for blood sugar."),
        (glucose("g", 6.2, unit="g/L"), "We cannot use the unit “g/L” for blood sugar."),
        (
            obs("g", "14743-9", valueQuantity=_q(6.2, "mg/dL", "mmol/L")),
            "The unit is written in two ways that do not agree (mg/dL / mmol/L)",
        ),
        (obs("g", "14743-9", valueQuantity={"value": 6.2}), "The value has no unit."),
        (
            obs("g", "14743-9", valueQuantity={**_q(2.0, "mmol/L", "mmol/L"), "comparator": "<"}),
            "The value is “<2.0”, not an exact number.",
        ),
        (glucose("g", 55), "55 mmol/L is not possible here."),
    ],
)
def test_an_unusable_glucose_gets_a_clear_message(
    english: None, resource: dict[str, Any], expected: str
) -> None:
    assert expected in one_error(bundle(resource))


# -- resources that are left out ----------------------------------------------------------


@pytest.mark.parametrize("status", ["entered-in-error", "cancelled"])
def test_withdrawn_measurements_are_left_out_with_a_message(english: None, status: str) -> None:
    withdrawn = weight("old", 80)
    withdrawn["status"] = status
    parsed = parse(bundle(weight("w", 81), withdrawn))
    assert parsed.ok
    assert [i[0] for i in parsed.items] == [Weight(81.0)]
    assert [(e.line, e.column) for e in parsed.skipped] == [(2, "Observation/old")]
    assert f"marked this measurement as “{status}”" in parsed.skipped[0].message


def test_an_unknown_code_is_left_out_naming_the_code(english: None) -> None:
    height = obs("h", "8302-2", valueQuantity=_q(180, "cm", "cm"))
    height["code"]["coding"][0]["display"] = "Body height"
    parsed = parse(bundle(weight("w", 81), height))
    assert parsed.ok
    assert parsed.skipped[0].message == (
        "The code 8302-2 (Body height) is not a blood pressure, weight or blood sugar "
        "measurement that we can import. Skipped."
    )


def test_a_file_with_nothing_to_import_says_so(english: None) -> None:
    withdrawn = weight("old", 80)
    withdrawn["status"] = "entered-in-error"
    parsed = parse(bundle(PATIENT, withdrawn, {"resourceType": "Goal", "id": "g"}))
    assert parsed.file_error == (
        "This file holds no blood pressure, weight or blood sugar measurements that we can import."
    )
    assert len(parsed.skipped) == 2


def test_a_transaction_entry_without_a_resource_is_left_out(english: None) -> None:
    data = orjson.loads(bundle(weight("w", 80), kind="transaction"))
    data["entry"].append({"request": {"method": "DELETE", "url": "Observation/x"}})
    parsed = parse(orjson.dumps(data))
    assert parsed.ok
    assert [(e.line, e.message) for e in parsed.skipped] == [(2, "This entry holds no resource.")]


# -- round trip ---------------------------------------------------------------------------


def test_round_trip_export_as_fhir_then_import_into_a_fresh_account(
    app: Flask, create_patient: Any
) -> None:
    """Every reading comes back with the same kind, time, values (the arm too), moment and
    note."""
    from pgd.fhir.bundles import everything_chunks
    from pgd.measurements import validation
    from pgd.measurements.models import Source
    from pgd.measurements.values import Moment

    source = create_patient()
    now = datetime.now(UTC).replace(microsecond=0)
    items: list[tuple[Any, datetime, str]] = []
    with app.test_request_context():
        # Values as every entry path makes them: through pgd.measurements.validation.
        for d in (1, 5, 40, 400):
            at = now - timedelta(days=d, seconds=d)
            items.append((validation.blood_pressure(142, 88, 71, "left"), at, "na het fietsen"))
            items.append((validation.blood_pressure(128, 80), at - timedelta(minutes=5), ""))
            items.append((validation.weight(84.35), at - timedelta(hours=1), "ná het ontbijt"))
            for i, moment in enumerate(Moment):
                items.append(
                    (
                        validation.glucose(6.2 + i / 10, "mmol", moment.value),
                        at - timedelta(hours=2, minutes=i),
                        "",
                    )
                )
            items.append((validation.glucose(130, "mg", "fasting"), at - timedelta(hours=3), ""))
        measurements.add_many(source, source.id, items, Source.WEB)
    with app.test_request_context():
        data = b"".join(everything_chunks(source, source.id, base_url="https://pgd.example/fhir"))
    fresh = create_patient(email="fresh@example.nl", name="Nieuw Account")
    with app.test_request_context():
        preview = imports.check(fresh, fresh.id, data, filename="everything.json")
        assert preview.parsed.ok, (preview.parsed.file_error, preview.parsed.errors[:5])
        assert preview.pending_id is not None
        result = imports.confirm(fresh, fresh.id, preview.pending_id)
    before = saved(app, source)
    assert result.added == len(before)

    def comparable(readings: list[Any]) -> list[tuple[Any, ...]]:
        return sorted(((r.kind, r.taken_at, r.value, r.note) for r in readings), key=repr)

    assert comparable(saved(app, fresh)) == comparable(before)
    moments = {r.value.moment for r in before if isinstance(r.value, Glucose)}
    assert len(moments) == 10  # every moment, "night" and "other" included
    assert {r.value.arm for r in before if isinstance(r.value, BloodPressure)} == {"left", None}


# -- any shape ------------------------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(
        ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "mm[Hg]", "mg/dL", "final"]
    ),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
_FIELDS = st.sampled_from(
    [
        "status",
        "code",
        "component",
        "valueQuantity",
        "effectiveDateTime",
        "effectivePeriod",
        "extension",
        "derivedFrom",
        "subject",
        "note",
        "bodySite",
        "category",
    ]
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    fields=st.dictionaries(_FIELDS, _JSON, max_size=6),
    loinc=st.sampled_from(
        ["85354-9", "8867-4", "29463-7", "14770-2", "14743-9", "14760-3", "2339-0", "1-8"]
    ),
)
def test_no_shape_of_observation_crashes_the_import(
    english: None, fields: dict[str, Any], loinc: str
) -> None:
    """Whatever a file puts in an Observation's fields (a number where a list belongs, a
    list where a string belongs, a date in year 1), the import answers in words."""
    resource = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
        "effectiveDateTime": "2026-11-01T08:00:00+01:00",
        **fields,
    }
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": resource}]}
    parsed = importer.parse(json.dumps(bundle).encode())  # json: integers beyond 64 bits too
    assert parsed.ok or parsed.file_error or parsed.errors or parsed.skipped
    # ... and every answer is words: a message for each problem, with its entry number.
    said = [e.message for e in (*parsed.errors, *parsed.skipped)]
    assert all(isinstance(m, str) and m.strip() for m in said)
    assert all(e.line == 1 for e in (*parsed.errors, *parsed.skipped))
    if parsed.file_error is not None:
        assert str(parsed.file_error).strip()
