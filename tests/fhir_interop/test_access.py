"""The consent door on /fhir: a patient reads their own record; a clinician exactly what an
active grant allows (categories, period), with one access-log event per read."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from pgd import db
from pgd.sharing.models import AccessEvent
from tests.conftest import agree_target, count_rows
from tests.fhir_interop.conftest import FhirCaller
from tests.fhir_interop.helpers import add_goals, seed
from tests.sharing.conftest import ALL, allowed_events, refused_events, set_state

CODES = {
    "blood_pressure": {"85354-9", "8867-4"},
    "weight": {"29463-7"},
    "glucose": {"14770-2", "14743-9", "14760-3"},
}
ONE_CODE = {"blood_pressure": "85354-9", "weight": "29463-7", "glucose": "14743-9"}


def _events(app: Flask) -> list[tuple[str, str, uuid.UUID, uuid.UUID]]:
    """(action, categories, patient, actor) of every access-log event, oldest first."""
    with app.app_context():
        rows = db.session().execute(
            select(
                AccessEvent.action,
                AccessEvent.categories,
                AccessEvent.patient_id,
                AccessEvent.actor_id,
            )
            .where(AccessEvent.outcome == "allowed")
            .order_by(AccessEvent.seq)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def _shown(bundle: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(resource types, observation LOINC codes) of a Bundle."""
    kinds = {e["resource"]["resourceType"] for e in bundle.get("entry", [])}
    codes = {
        e["resource"]["code"]["coding"][0]["code"]
        for e in bundle.get("entry", [])
        if e["resource"]["resourceType"] == "Observation"
    }
    return kinds, codes


@pytest.fixture
def shared_patient(app: Flask, create_patient: Callable[..., Any]) -> Any:
    patient = create_patient(email="gedeeld@example.nl")
    seed(app, patient)
    add_goals(app, patient)
    return patient


def test_a_patient_reads_only_their_own_record(
    app: Flask, fhir_patient: FhirCaller, shared_patient: Any
) -> None:
    me = fhir_patient.user
    seed(app, me, days_ago=(3,))
    assert fhir_patient.read(f"/Patient/{me.id}")["id"] == str(me.id)
    kinds, codes = _shown(fhir_patient.read(f"/Patient/{me.id}/$everything"))
    assert kinds == {"Patient", "Observation"}
    assert codes == set().union(*CODES.values())
    other = shared_patient.id
    for path in (
        f"/Patient/{other}",
        f"/Patient/{other}/$everything",
        f"/Observation?patient={other}",
        f"/Goal?patient={other}",
    ):
        body = fhir_patient.read(path, status=404)
        assert body["issue"][0]["code"] == "not-found"
    assert count_rows(app, "access_events") == 0  # a patient's own reads are not logged


@pytest.mark.parametrize("category", ALL)
def test_a_clinician_sees_exactly_the_granted_category(
    app: Flask,
    fhir_clinician: FhirCaller,
    shared_patient: Any,
    make_grant: Callable[..., uuid.UUID],
    category: str,
) -> None:
    pid = shared_patient.id
    make_grant(shared_patient, fhir_clinician.user, categories=(category,))
    kinds, codes = _shown(fhir_clinician.read(f"/Patient/{pid}/$everything"))
    assert codes == CODES.get(category, set())
    assert ("Goal" in kinds) == (category == "goals")
    assert fhir_clinician.read(f"/Patient/{pid}")["id"] == str(pid)
    for other, code in ONE_CODE.items():
        path = f"/Observation?patient={pid}&code={code}"
        if other == category:
            assert fhir_clinician.read(path)["entry"]
        else:
            fhir_clinician.read(path, status=404)
    goals = fhir_clinician.read(f"/Goal?patient={pid}", status=200 if category == "goals" else 404)
    if category == "goals":
        assert {e["resource"]["resourceType"] for e in goals["entry"]} == {"Goal"}
    search = f"/Observation?patient={pid}"
    if category == "goals":
        fhir_clinician.read(search, status=404)  # no readings shared at all
    else:
        _kinds, found = _shown(fhir_clinician.read(search + "&_count=1000"))
        assert found == CODES[category]


def test_everything_with_only_blood_pressure_holds_no_weight_glucose_or_goals(
    app: Flask,
    fhir_clinician: FhirCaller,
    shared_patient: Any,
    make_grant: Callable[..., uuid.UUID],
) -> None:
    agree_target(app, shared_patient, (130, 80), date(2025, 3, 3))
    make_grant(shared_patient, fhir_clinician.user, categories=("blood_pressure",))
    bundle = fhir_clinician.read(f"/Patient/{shared_patient.id}/$everything")
    kinds, codes = _shown(bundle)
    assert kinds == {"Patient", "Observation"}
    assert codes == {"85354-9", "8867-4"}
    text = str(bundle)
    assert "29463-7" not in text
    assert "mmol/L" not in text
    assert "Afvallen" not in text
    assert bundle["total"] == len(bundle["entry"]) == 1 + 3 * 3  # 2 BP + 1 pulse a day


@pytest.mark.parametrize("state", ["expired", "revoked"])
def test_a_stopped_grant_answers_404_everywhere(
    app: Flask,
    fhir_clinician: FhirCaller,
    shared_patient: Any,
    make_grant: Callable[..., uuid.UUID],
    state: str,
) -> None:
    pid = shared_patient.id
    make_grant(shared_patient, fhir_clinician.user, state=state)
    for path in (
        f"/Patient/{pid}",
        f"/Patient/{pid}/$everything",
        f"/Observation?patient={pid}",
        f"/Goal?patient={pid}",
    ):
        fhir_clinician.read(path, status=404)
    # Nothing read; each refused try is on the patient's log as such.
    assert allowed_events(app) == 0
    assert refused_events(app) == 4


def test_a_narrowed_grant_counts_from_the_next_request(
    app: Flask,
    fhir_clinician: FhirCaller,
    shared_patient: Any,
    make_grant: Callable[..., uuid.UUID],
) -> None:
    pid = shared_patient.id
    grant = make_grant(shared_patient, fhir_clinician.user)
    assert fhir_clinician.read(f"/Observation?patient={pid}&code=85354-9")["entry"]
    set_state(app, grant, "active", categories="weight")
    fhir_clinician.read(f"/Observation?patient={pid}&code=85354-9", status=404)
    fhir_clinician.read(f"/Goal?patient={pid}", status=404)
    _kinds, codes = _shown(fhir_clinician.read(f"/Patient/{pid}/$everything"))
    assert codes == {"29463-7"}


def test_readings_before_the_granted_period_are_absent(
    app: Flask,
    fhir_clinician: FhirCaller,
    shared_patient: Any,
    make_grant: Callable[..., uuid.UUID],
) -> None:
    pid = shared_patient.id
    data_from = datetime.now(UTC) - timedelta(days=10)  # readings are 1, 5 and 40 days old
    make_grant(shared_patient, fhir_clinician.user, data_from=data_from)
    bundle = fhir_clinician.read(f"/Patient/{pid}/$everything")
    observations = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
    ]
    assert len(observations) == 2 * 14
    for obs in observations:
        assert datetime.fromisoformat(obs["effectiveDateTime"]) >= data_from - timedelta(seconds=1)
    weights = fhir_clinician.read(f"/Observation?patient={pid}&code=29463-7&date=ge2000-01-01")
    assert weights["total"] == 2
    old = (datetime.now(UTC) - timedelta(days=40)).date()
    empty = fhir_clinician.read(f"/Observation?patient={pid}&code=29463-7&date=eq{old}")
    assert empty.get("entry", []) == []
    assert empty["total"] == 0


def test_every_fhir_read_is_one_access_log_event(
    app: Flask,
    fhir_clinician: FhirCaller,
    shared_patient: Any,
    make_grant: Callable[..., uuid.UUID],
) -> None:
    pid = shared_patient.id
    make_grant(shared_patient, fhir_clinician.user, categories=("blood_pressure", "goals"))
    reads = [
        (f"/Patient/{pid}", "profile"),
        (f"/Patient/{pid}/$everything", "blood_pressure,goals"),
        (f"/Observation?patient={pid}&_count=2", "blood_pressure"),
        (f"/Goal?patient={pid}", "goals"),
    ]
    for n, (path, categories) in enumerate(reads, start=1):
        fhir_clinician.read(path)
        events = _events(app)
        assert len(events) == n, path
        assert events[-1] == ("fhir_read", categories, pid, fhir_clinician.user.id)
    fhir_clinician.read(f"/Observation?patient={pid}&code=29463-7", status=404)
    fhir_clinician.read(f"/Patient/{pid}?_count=2", status=400)
    assert len(_events(app)) == len(reads)  # refusals show nothing, and read nothing
    assert refused_events(app) == 1  # the weight search: refused, on the patient's log


def test_a_share_stopped_while_everything_streams_ends_the_stream(
    app: Flask,
    fhir_clinician: FhirCaller,
    shared_patient: Any,
    make_grant: Callable[..., uuid.UUID],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each chunk of $everything asks the consent door again (not the request's cached
    grant): after a stop, no further reading leaves the server."""
    from pgd.fhir import bundles

    monkeypatch.setattr(bundles, "CHUNK", 2)
    grant = make_grant(shared_patient, fhir_clinician.user)
    pid = shared_patient.id
    response = fhir_clinician.get(f"/Patient/{pid}/$everything", buffered=False)
    assert response.status_code == 200
    stream = iter(response.response)
    received = [next(stream), next(stream), next(stream)]  # the head and two chunks
    set_state(app, grant, "revoked")
    with pytest.raises(Exception, match="not shared|NotShared|404"):
        received.extend(stream)
    response.close()
    body = b"".join(received)
    assert b'"total":' not in body  # the Bundle was cut off, not completed
    assert body.count(b'"resourceType":"Observation"') <= 4


def test_a_cursor_never_reaches_outside_the_dates_asked(
    app: Flask, fhir_patient: FhirCaller
) -> None:
    """A hand-made _cursor naming a newer reading does not bring it into a search whose
    date range ends before it."""
    seed(app, fhir_patient.user, days_ago=(1, 40))
    pid = fhir_patient.user.id
    newest = fhir_patient.read(f"/Observation?patient={pid}&code=85354-9&_count=1")
    newest_id = uuid.UUID(newest["entry"][0]["resource"]["id"])
    taken = datetime.fromisoformat(newest["entry"][0]["resource"]["effectiveDateTime"])
    before = (datetime.now(UTC) - timedelta(days=30)).date()
    cursor = f"{int(taken.timestamp())}_{newest_id.hex}_0"
    page = fhir_patient.read(f"/Observation?patient={pid}&date=lt{before}&_cursor={cursor}")
    for entry in page.get("entry", []):
        assert datetime.fromisoformat(entry["resource"]["effectiveDateTime"]).date() < before
