"""Create, list, read and delete own measurements over /api/v1, with the form's validator."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from tests.api.conftest import Caller
from tests.conftest import count_rows


def iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ago(**delta: float) -> str:
    return iso(datetime.now(UTC) - timedelta(**delta))


def bp(**fields: Any) -> dict[str, Any]:
    return {
        "type": "blood_pressure",
        "taken_at": ago(hours=1),
        "systolic": 135,
        "diastolic": 85,
        **fields,
    }


def weight(**fields: Any) -> dict[str, Any]:
    return {"type": "weight", "taken_at": ago(hours=1), "weight_kg": 82.5, **fields}


def glucose(**fields: Any) -> dict[str, Any]:
    return {"type": "glucose", "taken_at": ago(hours=1), "glucose": 7.4, **fields}


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert body["title"]
    assert body["detail"]
    return body  # type: ignore[no-any-return]


def _errors(response: Any) -> dict[str, str]:
    body = _problem(response, 422)
    return {e["field"]: e["message"] for e in body["errors"]}


# -- create --------------------------------------------------------------------------


def test_create_blood_pressure(caller: Caller) -> None:
    taken = datetime(2026, 1, 5, 7, 30, tzinfo=UTC)
    response = caller.post(
        bp(taken_at="2026-01-05T08:30:00+01:00", pulse="72", arm="left", note="  na het fietsen ")
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body == {
        "id": body["id"],
        "type": "blood_pressure",
        "taken_at": iso(taken),
        "systolic": 135,
        "diastolic": 85,
        "pulse": 72,
        "arm": "left",
        "note": "na het fietsen",
        "source": "api",
        "advice": [],
    }
    assert response.headers["Location"] == f"/api/v1/measurements/{body['id']}"
    assert caller.get(f"/measurements/{body['id']}").get_json() == body


def test_create_weight_with_a_decimal_comma(caller: Caller) -> None:
    response = caller.post(weight(weight_kg="82,5"))
    assert response.status_code == 201
    assert response.get_json()["weight_kg"] == 82.5


@pytest.mark.parametrize(
    ("fields", "mmol"),
    [
        ({"glucose": "7,4"}, 7.4),
        ({"glucose": 7.4, "unit": "mmol/L"}, 7.4),
        ({"glucose": 133, "unit": "mg/dL"}, 7.4),
        ({"glucose": "133", "unit": "mg/dL"}, 7.4),
        ({"glucose": "5.0", "unit": None}, 5.0),
    ],
)
def test_create_glucose_in_either_unit(caller: Caller, fields: dict[str, Any], mmol: float) -> None:
    response = caller.post(glucose(moment="before_breakfast", **fields))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["glucose"] == mmol
    assert body["unit"] == "mmol/L"
    assert body["moment"] == "before_breakfast"


def test_glucose_moment_defaults_to_other(caller: Caller) -> None:
    assert caller.post(glucose()).get_json()["moment"] == "other"


@pytest.mark.parametrize(
    ("body", "level"),
    [
        (bp(systolic=185, diastolic=100), "urgent"),
        (bp(systolic=150, diastolic=112), "urgent"),
        (glucose(glucose=3.2), "urgent"),
        (glucose(glucose=16.1), "attention"),
    ],
)
def test_alarming_values_are_saved_with_advice(
    app: Flask, caller: Caller, body: dict[str, Any], level: str
) -> None:
    response = caller.post(body)
    assert response.status_code == 201
    advice = response.get_json()["advice"]
    assert [a["level"] for a in advice] == [level]
    assert advice[0]["message"]
    assert count_rows(app, "measurements") == 1


# -- validation matrix: every field, every rule; nothing is ever half saved ---------


class FromNow:
    """A time relative to the moment the test runs, not to collection (the PostgreSQL
    half of the suite runs minutes after the parameters were built)."""

    def __init__(self, **delta: float) -> None:
        self.delta = timedelta(**delta)

    def __repr__(self) -> str:
        return f"FromNow({self.delta})"


def at_run_time(body: dict[str, Any]) -> dict[str, Any]:
    return {
        k: iso(datetime.now(UTC) + v.delta) if isinstance(v, FromNow) else v
        for k, v in body.items()
    }


IN_9_MIN = FromNow(minutes=9)

VALID = [
    pytest.param(bp(systolic=60, diastolic=30), id="bp-lowest"),
    pytest.param(bp(systolic=300, diastolic=200), id="bp-highest"),
    pytest.param(bp(systolic="135", diastolic="85,0"), id="bp-text"),
    pytest.param(bp(systolic=135.0), id="bp-whole-float"),
    pytest.param(bp(pulse=25), id="pulse-lowest"),
    pytest.param(bp(pulse=250), id="pulse-highest"),
    pytest.param(bp(pulse=None, arm=None, note=None), id="bp-nulls"),
    pytest.param(bp(pulse=""), id="pulse-empty-text"),
    pytest.param(bp(arm="right"), id="arm-right"),
    pytest.param(weight(weight_kg=20), id="weight-lowest"),
    pytest.param(weight(weight_kg="400,0"), id="weight-highest"),
    pytest.param(weight(weight_kg=" 82,5 "), id="weight-spaces"),
    pytest.param(glucose(glucose=0.5), id="glucose-lowest"),
    pytest.param(glucose(glucose="40"), id="glucose-highest"),
    pytest.param(glucose(glucose=9, unit="mg/dL"), id="glucose-mg-lowest"),
    pytest.param(glucose(glucose=721, unit="mg/dL"), id="glucose-mg-highest"),
    pytest.param(weight(taken_at=IN_9_MIN), id="9-minutes-ahead"),
    pytest.param(weight(taken_at="2026-01-05t08:30:00.123456789z"), id="time-lowercase-nanos"),
    pytest.param(weight(taken_at="2026-01-05T08:30:00-05:00"), id="time-negative-offset"),
    pytest.param(weight(note="x" * 500), id="note-500"),
]


@pytest.mark.parametrize("body", VALID)
def test_valid_edges_are_accepted(app: Flask, caller: Caller, body: dict[str, Any]) -> None:
    response = caller.post(at_run_time(body))
    assert response.status_code == 201, response.get_json()
    assert count_rows(app, "measurements") == 1


IN_11_MIN = FromNow(minutes=11)

INVALID = [
    # blood pressure
    pytest.param(bp(systolic=59), "systolic", "Allowed: 60 to 300 mmHg", id="systolic-low"),
    pytest.param(bp(systolic=301), "systolic", "Allowed: 60 to 300 mmHg", id="systolic-high"),
    pytest.param(bp(systolic="abc"), "systolic", "whole number", id="systolic-text"),
    pytest.param(bp(systolic=135.5), "systolic", "whole number", id="systolic-fraction"),
    pytest.param(bp(systolic="135,5"), "systolic", "whole number", id="systolic-comma"),
    pytest.param(bp(systolic=True), "systolic", "whole number", id="systolic-bool"),
    pytest.param(bp(systolic=[135]), "systolic", "whole number", id="systolic-list"),
    pytest.param(bp(systolic={"v": 1}), "systolic", "whole number", id="systolic-object"),
    pytest.param(bp(systolic=None), "systolic", "Fill in", id="systolic-null"),
    pytest.param(bp(systolic="  "), "systolic", "Fill in", id="systolic-blank"),
    pytest.param(
        {k: v for k, v in bp().items() if k != "systolic"},
        "systolic",
        "Fill in",
        id="systolic-missing",
    ),
    pytest.param(bp(systolic=1e308), "systolic", "Allowed", id="systolic-huge"),
    pytest.param(bp(systolic="9" * 400), "systolic", "whole number", id="systolic-huge-text"),
    pytest.param(bp(pulse="9" * 65), "pulse", "whole number", id="pulse-long-text"),
    pytest.param(
        bp(diastolic=29, systolic=100), "diastolic", "Allowed: 30 to 200 mmHg", id="diastolic-low"
    ),
    pytest.param(
        bp(diastolic=201, systolic=250), "diastolic", "Allowed: 30 to 200 mmHg", id="diastolic-high"
    ),
    pytest.param(
        bp(systolic=120, diastolic=120), "diastolic", "below the upper value", id="diastolic-equal"
    ),
    pytest.param(bp(systolic=80, diastolic=120), "diastolic", "swap", id="diastolic-swapped"),
    pytest.param(
        {k: v for k, v in bp().items() if k != "diastolic"},
        "diastolic",
        "Fill in",
        id="diastolic-missing",
    ),
    pytest.param(bp(pulse=24), "pulse", "Allowed: 25 to 250", id="pulse-low"),
    pytest.param(bp(pulse=251), "pulse", "Allowed: 25 to 250", id="pulse-high"),
    pytest.param(bp(pulse="fast"), "pulse", "whole number", id="pulse-text"),
    pytest.param(bp(arm="middle"), "arm", "left arm, right arm", id="arm-unknown"),
    pytest.param(bp(arm="LEFT"), "arm", "left arm, right arm", id="arm-case"),
    pytest.param(bp(arm=1), "arm", "left arm, right arm", id="arm-number"),
    pytest.param(bp(weight_kg=80), "weight_kg", "does not belong", id="bp-foreign-field"),
    # weight
    pytest.param(weight(weight_kg=19.9), "weight_kg", "Allowed: 20 to 400 kg", id="weight-low"),
    pytest.param(weight(weight_kg="400,1"), "weight_kg", "Allowed: 20 to 400 kg", id="weight-high"),
    pytest.param(weight(weight_kg="82.5kg"), "weight_kg", "Fill in a number", id="weight-unit"),
    pytest.param(
        weight(weight_kg="1.000,5"), "weight_kg", "Fill in a number", id="weight-thousands"
    ),
    pytest.param(weight(weight_kg=None), "weight_kg", "Fill in", id="weight-null"),
    pytest.param(
        weight(weight_kg="8" * 400), "weight_kg", "Fill in a number", id="weight-huge-text"
    ),
    pytest.param(weight(weight_kg=False), "weight_kg", "Fill in a number", id="weight-bool"),
    pytest.param(
        {"type": "weight", "taken_at": ago(hours=1)}, "weight_kg", "Fill in", id="weight-missing"
    ),
    pytest.param(weight(systolic=120), "systolic", "does not belong", id="weight-foreign"),
    # glucose
    pytest.param(glucose(glucose=0.4), "glucose", "Allowed: 0.5 to 40 mmol/L", id="glucose-low"),
    pytest.param(
        glucose(glucose="40,1"), "glucose", "Allowed: 0.5 to 40 mmol/L", id="glucose-high"
    ),
    pytest.param(
        glucose(glucose=8, unit="mg/dL"), "glucose", "Allowed: 9 to 721 mg/dL", id="glucose-mg-low"
    ),
    pytest.param(
        glucose(glucose=722, unit="mg/dL"),
        "glucose",
        "Allowed: 9 to 721 mg/dL",
        id="glucose-mg-high",
    ),
    pytest.param(glucose(glucose="zeven"), "glucose", "Fill in a number", id="glucose-text"),
    pytest.param(glucose(unit="mmol"), "unit", "mmol/L or mg/dL", id="unit-unknown"),
    pytest.param(glucose(unit=18), "unit", "mmol/L or mg/dL", id="unit-number"),
    pytest.param(glucose(moment="brunch"), "moment", "when you measured", id="moment-unknown"),
    pytest.param(glucose(moment=["fasting"]), "moment", "when you measured", id="moment-list"),
    pytest.param(
        {"type": "glucose", "taken_at": ago(hours=1)}, "glucose", "Fill in", id="glucose-missing"
    ),
    # time
    pytest.param(weight(taken_at=IN_11_MIN), "taken_at", "in the future", id="11-minutes-ahead"),
    pytest.param(
        weight(taken_at="9999-12-31T23:59:59-01:00"),
        "taken_at",
        "in the future",
        id="time-beyond-9999",
    ),
    pytest.param(
        weight(taken_at="1969-12-31T23:59:59Z"),
        "taken_at",
        "too long ago. Use a date from 1970 on.",
        id="time-before-1970",
    ),
    pytest.param(
        weight(taken_at="0001-01-01T00:00:00+01:00"),
        "taken_at",
        "too long ago",
        id="time-before-year-1",
    ),
    pytest.param(
        weight(taken_at="2026-01-05T08:30:00"), "taken_at", "RFC 3339", id="time-no-offset"
    ),
    pytest.param(weight(taken_at="2026-01-05 08:30:00Z"), "taken_at", "RFC 3339", id="time-space"),
    pytest.param(weight(taken_at="2026-01-05"), "taken_at", "RFC 3339", id="time-date-only"),
    pytest.param(weight(taken_at="05-01-2026 08:30"), "taken_at", "RFC 3339", id="time-dutch"),
    pytest.param(
        weight(taken_at="2026-02-30T08:30:00Z"), "taken_at", "RFC 3339", id="time-30-february"
    ),
    pytest.param(
        weight(taken_at="2026-01-05T24:00:00Z"), "taken_at", "RFC 3339", id="time-hour-24"
    ),
    pytest.param(
        weight(taken_at="2026-01-05T08:30:00+25:00"), "taken_at", "RFC 3339", id="time-offset-25h"
    ),
    pytest.param(
        weight(taken_at="2026-01-05T08:30:00Z\n"), "taken_at", "RFC 3339", id="time-newline"
    ),
    pytest.param(weight(taken_at=1767600000), "taken_at", "RFC 3339", id="time-epoch"),
    pytest.param(weight(taken_at=None), "taken_at", "Send the time", id="time-null"),
    pytest.param(
        {"type": "weight", "weight_kg": 80}, "taken_at", "Send the time", id="time-missing"
    ),
    # note
    pytest.param(weight(note="x" * 501), "note", "at most 500", id="note-501"),
    pytest.param(weight(note=" " * 501), "note", "at most 500", id="note-501-spaces"),
    pytest.param(weight(note=42), "note", "as text", id="note-number"),
    # type
    pytest.param(
        {**weight(), "type": "heart_rate"},
        "type",
        "blood_pressure, weight or glucose",
        id="type-unknown",
    ),
    pytest.param(
        {k: v for k, v in weight().items() if k != "type"},
        "type",
        "blood_pressure, weight or glucose",
        id="type-missing",
    ),
    pytest.param(
        {**weight(), "type": ["weight"]},
        "type",
        "blood_pressure, weight or glucose",
        id="type-list",
    ),
    pytest.param({}, "type", "blood_pressure, weight or glucose", id="empty-object"),
]


@pytest.mark.parametrize(("body", "field", "fragment"), INVALID)
def test_invalid_input_is_422_per_field_and_saves_nothing(
    app: Flask, caller: Caller, body: dict[str, Any], field: str, fragment: str
) -> None:
    errors = _errors(caller.post(at_run_time(body)))
    assert field in errors, errors
    assert fragment in errors[field]
    assert count_rows(app, "measurements") == 0


def test_every_wrong_field_is_reported_at_once(caller: Caller) -> None:
    errors = _errors(
        caller.post(
            bp(systolic=400, diastolic="x", pulse=5, arm="up", taken_at="later", note=1, extra=True)
        )
    )
    assert set(errors) == {"systolic", "diastolic", "pulse", "arm", "taken_at", "note", "extra"}


# -- malformed requests: problems, never a 500, never a row --------------------------


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        ("{", "application/json", 400),
        ("", "application/json", 400),
        ("[1, 2]", "application/json", 400),
        ('"weight"', "application/json", 400),
        ("null", "application/json", 400),
        ("NaN", "application/json", 400),
        ('{"type": "weight", "weight_kg": 1e999}', "application/json", 400),
        ('{"a": ' * 5000 + "1" + "}" * 5000, "application/json", 400),
        (b"\xff\xfe{}", "application/json", 400),
        ('{"type": "weight"}', "text/plain", 415),
        ('{"type": "weight"}', "application/x-www-form-urlencoded", 415),
        ('{"type": "weight"}', "", 415),
        ("x" * (1024 * 1024 + 1), "application/json", 413),
    ],
)
def test_malformed_bodies_are_problems(
    app: Flask, caller: Caller, data: Any, content_type: str, status: int
) -> None:
    response = caller.client.post(
        "/api/v1/measurements", data=data, content_type=content_type, headers=caller.headers
    )
    _problem(response, status)
    assert count_rows(app, "measurements") == 0


def test_a_json_suffix_media_type_is_json(caller: Caller) -> None:
    import json

    response = caller.client.post(
        "/api/v1/measurements",
        data=json.dumps(weight()),
        content_type="application/vnd.pgd+json; charset=utf-8",
        headers=caller.headers,
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/v1/nothing-here", 404),
        ("get", "/api/v1", 404),
        ("get", "/api/v1/measurements/not-a-uuid", 404),
        ("get", "/api/v1/measurements/", 404),
        ("put", "/api/v1/measurements", 405),
        ("patch", "/api/v1/measurements/6f1c1c7e-2c47-4d3e-9a57-0d1f7e0e2b11", 405),
        ("post", "/api/v1/openapi.json", 405),
    ],
)
def test_unknown_paths_and_methods_are_problems(
    caller: Caller, method: str, path: str, status: int
) -> None:
    response = getattr(caller.client, method)(path, headers=caller.headers)
    _problem(response, status)
    if status == 405:
        assert response.headers["Allow"]


def test_the_web_pages_keep_their_html_errors(client: Any) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


# -- list, filters and paging --------------------------------------------------------


def _seed(caller: Caller) -> list[dict[str, Any]]:
    base = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
    made = []
    for day in range(10):
        when = iso(base + timedelta(days=day))
        made.append(caller.post(bp(taken_at=when)).get_json())
        if day % 2 == 0:
            made.append(caller.post(weight(taken_at=when)).get_json())
        if day % 5 == 0:
            made.append(caller.post(glucose(taken_at=when)).get_json())
    return made


def test_list_is_newest_first_with_total(caller: Caller) -> None:
    made = _seed(caller)
    body = caller.get().get_json()
    assert body["total"] == len(made) == 17
    assert body["next_cursor"] is None
    times = [item["taken_at"] for item in body["items"]]
    assert times == sorted(times, reverse=True)
    assert {item["id"] for item in body["items"]} == {m["id"] for m in made}


@pytest.mark.parametrize(("kind", "count"), [("blood_pressure", 10), ("weight", 5), ("glucose", 2)])
def test_list_filters_by_type(caller: Caller, kind: str, count: int) -> None:
    _seed(caller)
    body = caller.get(query_string={"type": kind}).get_json()
    assert body["total"] == count
    assert {item["type"] for item in body["items"]} == {kind}


def test_list_filters_by_period_from_inclusive_to_exclusive(caller: Caller) -> None:
    _seed(caller)
    body = caller.get(
        query_string={
            "type": "blood_pressure",
            "from": "2025-06-03T10:00:00+02:00",  # = 08:00 UTC on day 3: included
            "to": "2025-06-06T08:00:00Z",  # day 6 itself excluded
        }
    ).get_json()
    assert [item["taken_at"][:10] for item in body["items"]] == [
        "2025-06-05",
        "2025-06-04",
        "2025-06-03",
    ]


def test_cursor_pages_through_everything_once(caller: Caller) -> None:
    made = _seed(caller)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        body = caller.get(query_string=query).get_json()
        pages += 1
        assert len(body["items"]) <= 4
        # Counted on the first page only: paging on does not count the history again.
        assert body["total"] == (17 if pages == 1 else None)
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 5
    assert len(seen) == len(set(seen)) == len(made)


def test_paging_merges_the_kinds_at_one_moment_in_order(caller: Caller) -> None:
    """Readings of three kinds at the same second, one per page: the merge of the three
    index-ordered scans gives each once, newest first, ties by id."""
    moments = ["2025-06-01T08:00:00Z", "2025-06-01T08:00:00Z", "2025-06-02T08:00:00Z"]
    made = []
    for when in moments:
        made.append(caller.post(bp(taken_at=when)).get_json())
        made.append(caller.post(weight(taken_at=when)).get_json())
        made.append(caller.post(glucose(taken_at=when)).get_json())
    made = [m for m in made if m.get("id")]
    assert len(made) >= 7  # the same kind at the same second may be refused as a double
    expected = sorted(made, key=lambda m: (m["taken_at"], uuid.UUID(m["id"]).hex), reverse=True)
    seen, cursor = [], None
    while True:
        query = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        body = caller.get(query_string=query).get_json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [m["id"] for m in expected]


def test_cursor_keeps_the_filters(caller: Caller) -> None:
    _seed(caller)
    first = caller.get(query_string={"type": "weight", "limit": 2}).get_json()
    second = caller.get(
        query_string={"type": "weight", "limit": 2, "cursor": first["next_cursor"]}
    ).get_json()
    assert {i["type"] for i in first["items"] + second["items"]} == {"weight"}
    assert second["items"][0]["taken_at"] < first["items"][-1]["taken_at"]


def test_limit_500_is_allowed(caller: Caller) -> None:
    assert caller.get(query_string={"limit": 500}).status_code == 200


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=abc", "limit"),
        ("limit=+5", "limit"),
        ("limit=", "limit"),
        ("limit=99999999999999999999", "limit"),
        ("type=heart_rate", "type"),
        ("type=", "type"),
        ("type=weight&type=glucose", "type"),
        ("from=yesterday", "from"),
        ("to=2025-06-01", "to"),
        ("from=0001-01-01T00:00:00%2B01:00", None),
        ("cursor=abc", "cursor"),
        ("cursor=99999999999999999999_" + "0" * 32, "cursor"),
        ("cursor=123_" + "0" * 31 + "g", "cursor"),
    ],
)
def test_wrong_query_parameters_are_400_with_the_field(
    caller: Caller, query: str, field: str | None
) -> None:
    response = caller.client.get(f"/api/v1/measurements?{query}", headers=caller.headers)
    if field is None:  # an extreme but valid time is simply a filter
        assert response.status_code == 200
        return
    body = _problem(response, 400)
    assert field in {e["field"] for e in body["errors"]}


def test_a_well_formed_but_unknown_cursor_is_just_a_position(caller: Caller) -> None:
    made = _seed(caller)
    middle = datetime(2025, 6, 5, 12, 0, tzinfo=UTC)  # between the 5th and 6th seeded day
    cursor = f"{int(middle.timestamp())}_" + "f" * 32
    body = caller.get(query_string={"cursor": cursor}).get_json()
    assert all(item["taken_at"] < "2025-06-05T12:00:00Z" for item in body["items"])
    before = [m for m in made if m["taken_at"] < "2025-06-05T12:00:00Z"]
    assert len(before) == 9  # 5 blood pressures, 3 weights, 1 glucose
    assert {item["id"] for item in body["items"]} == {m["id"] for m in before}


# -- read and delete; another patient's data is not there ----------------------------


def test_get_and_delete(app: Flask, caller: Caller) -> None:
    made = caller.post(weight()).get_json()
    assert caller.get(f"/measurements/{made['id']}").status_code == 200
    response = caller.delete(f"/measurements/{made['id']}")
    assert response.status_code == 204
    assert response.data == b""
    assert count_rows(app, "measurements") == 0
    _problem(caller.get(f"/measurements/{made['id']}"), 404)
    _problem(caller.delete(f"/measurements/{made['id']}"), 404)


def test_another_patients_measurement_is_404_and_untouched(app: Flask, make_caller: Any) -> None:
    anna = make_caller("anna@example.nl")
    bert = make_caller("bert@example.nl")
    annas = anna.post(bp(note="privé")).get_json()
    for response in (
        bert.get(f"/measurements/{annas['id']}"),
        bert.delete(f"/measurements/{annas['id']}"),
    ):
        body = _problem(response, 404)
        assert "privé" not in str(body)
    assert bert.get().get_json() == {"items": [], "next_cursor": None, "total": 0}
    assert anna.get(f"/measurements/{annas['id']}").status_code == 200
    assert count_rows(app, "measurements") == 1


def test_an_unknown_id_is_404(caller: Caller) -> None:
    _problem(caller.get(f"/measurements/{uuid.uuid4()}"), 404)


def test_api_responses_are_not_cached_and_set_no_cookie(caller: Caller) -> None:
    for response in (caller.post(weight()), caller.get(), caller.get("/nothing")):
        assert response.headers["Cache-Control"] == "no-store"
        assert "Set-Cookie" not in response.headers
