"""The FHIR read side's reads: who may see what, through the app's own services, one access-log
event per clinician read, and $everything as a stream of JSON bytes.

Every read goes through pgd.measurements / pgd.goals services (they ask the sharing
policy, which releases only the allowed data keys) and is clamped to the grant's data
period there. A clinician sees only the granted categories; a patient reads their own
record in full. Nothing here decrypts by itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from flask_babel import gettext as _

from pgd import db
from pgd.accounts import services as accounts
from pgd.clinical import words as cw
from pgd.fhir import resources
from pgd.fhir.search import Position
from pgd.measurements import services as measurements
from pgd.measurements import targets
from pgd.measurements.models import Kind
from pgd.sharing import access_log, dossier, policy
from pgd.sharing.access_log import ReadAction
from pgd.sharing.policy import Action, Principal

MEASURED = (Kind.BLOOD_PRESSURE, Kind.WEIGHT, Kind.GLUCOSE)
GOALS = "goals"
# Readings per database round trip while streaming $everything: memory stays flat.
CHUNK = 2000


@dataclass(frozen=True)
class Scope:
    """What this principal may read of this patient (all of it: the patient themselves)."""

    patient_id: uuid.UUID
    clinician: bool
    categories: frozenset[str]

    @property
    def kinds(self) -> tuple[Kind, ...]:
        return tuple(k for k in MEASURED if k.value in self.categories)


def scope_of(principal: Principal, patient_id: uuid.UUID) -> Scope:
    """404 unless it is the patient's own record or a clinician's active grant."""
    if principal.role == "clinician":
        grant = dossier.grant_for(principal, patient_id)  # NotShared (404) otherwise
        return Scope(patient_id, True, grant.categories & frozenset(policy.SHAREABLE))
    policy.require(principal, patient_id, policy.IDENTIFICATION, Action.READ)
    return Scope(patient_id, False, frozenset(policy.SHAREABLE))


def _log(principal: Principal, scope: Scope, categories: Sequence[str]) -> None:
    """One event per clinician read, in the read's transaction (no log, no read)."""
    if scope.clinician:
        access_log.append(
            dossier.actor_of(principal),
            scope.patient_id,
            categories,
            ReadAction.FHIR,
            dossier.address(),
        )


def _patient_resource(patient_id: uuid.UUID) -> dict[str, Any]:
    profile = accounts.profile_of(patient_id)
    return resources.patient(patient_id, profile.name, profile.birth_date)


def read_patient(principal: Principal, patient_id: uuid.UUID) -> dict[str, Any]:
    """GET Patient/{id}: name and date of birth (any active grant identifies the patient)."""
    scope = scope_of(principal, patient_id)
    with db.transaction():
        resource = _patient_resource(patient_id)
        _log(principal, scope, [policy.IDENTIFICATION])
    return resource


def _goal_resources(principal: Principal, patient_id: uuid.UUID) -> tuple[list[dict], list[str]]:
    """Current and finished goals, and the agreed blood pressure target when blood
    pressure is readable too; with the categories that were shown."""
    from pgd.goals import services as goals  # pgd.goals imports the sharing policy

    current, history = goals.goals_page(principal, patient_id)
    found = [
        resources.goal(
            g.id,
            patient_id,
            text=g.text,
            why=g.why,
            state=g.state,
            start=g.start,
            until=g.until,
            metric=g.metric,
            target=g.data.target if g.kind == "measurement" else None,
        )
        for g in (*current, *history)
    ]
    shown = [GOALS]
    if policy.allowed(principal, patient_id, Kind.BLOOD_PRESSURE, Action.READ):
        agreed = targets.agreed_blood_pressure(principal, patient_id)
        if agreed is not None and agreed.agreement is not None:
            a = agreed.agreement
            found.append(
                resources.agreed_blood_pressure(
                    patient_id,
                    systolic=agreed.systolic,
                    diastolic=agreed.diastolic,
                    agreed_on=a.day,
                    # Where the target comes from, in the words every page uses (a
                    # patient's own later change of an agreed target says so).
                    agreed_with=cw.target_source(agreed, for_patient=principal.role == "patient"),
                    description=_(
                        "Blood pressure at home below %(target)s mmHg", target=cw.bp_target(agreed)
                    ),
                )
            )
            shown.append(Kind.BLOOD_PRESSURE.value)
    return found, shown


def search_goals(principal: Principal, patient_id: uuid.UUID) -> list[dict[str, Any]]:
    """GET Goal?patient=: 404 when goals are not shared."""
    scope = scope_of(principal, patient_id)
    if GOALS not in scope.categories:
        raise policy.NotShared()
    with db.transaction():
        found, shown = _goal_resources(principal, patient_id)
        _log(principal, scope, shown)
    return found


@dataclass(frozen=True)
class ObservationPage:
    resources: list[dict[str, Any]]
    next: Position | None
    total: int | None  # None when it is not known without opening every reading


def _exact(kinds: Sequence[Kind], codes: frozenset[str]) -> bool:
    """Is one reading one match? Then the count of readings is Bundle.total."""
    for kind in kinds:
        mine = {c for c, k in resources.KIND_OF_CODE.items() if k == kind}
        if kind == Kind.BLOOD_PRESSURE and codes & mine != {resources.BLOOD_PRESSURE_CODE}:
            return False
        if kind == Kind.GLUCOSE and not mine <= codes:
            return False
    return True


def search_observations(
    principal: Principal,
    patient_id: uuid.UUID,
    codes: frozenset[str],
    start: datetime | None,
    end: datetime | None,
    count: int,
    after: Position | None,
) -> ObservationPage:
    """Observation?patient=…: newest first, `count` observations a page. An unshared kind
    asked for by its code answers 404; without a code, the shared kinds are searched."""
    scope = scope_of(principal, patient_id)
    asked = [k for k in MEASURED if any(resources.KIND_OF_CODE[c] == k for c in codes)]
    kinds = tuple(k for k in asked if k.value in scope.categories)
    if not kinds or (len(codes) < len(resources.OBSERVATION_CODES) and kinds != tuple(asked)):
        raise policy.NotShared()  # asked for an unshared kind (or none is shared)
    codes = frozenset(c for c in codes if resources.KIND_OF_CODE[c] in kinds)
    found: list[tuple[dict[str, Any], Position]] = []

    def take(reading: Any, after_part: int = -1) -> None:
        epoch = int(reading.taken_at.timestamp())
        for part, (code, obs) in enumerate(resources.observations(reading, patient_id)):
            if part > after_part and code in codes:
                found.append((obs, Position(epoch, reading.id, part)))

    with db.transaction():
        reading_cursor = None
        if after is not None:
            reading_cursor = after.reading_cursor
            try:  # the rest of the reading the last page ended in (a pulse after its BP)
                last = measurements.get(principal, patient_id, after.reading_id)
            except measurements.NotFound:
                last = None
            inside = last is not None and (
                (start is None or last.taken_at >= start) and (end is None or last.taken_at < end)
            )
            if last is not None and inside and last.kind in kinds:
                take(last, after.part)
        total: int | None = None
        while len(found) <= count:
            page = measurements.page(
                principal, patient_id, kinds, start, end, reading_cursor, count + 1
            )
            if total is None:
                total = page.total
            for reading in page.readings:
                take(reading)
            if page.next_cursor is None:
                break
            reading_cursor = page.next_cursor
        _log(principal, scope, [k.value for k in kinds])
    shown = found[:count]
    more = len(found) > count
    return ObservationPage(
        [obs for obs, _pos in shown],
        shown[-1][1] if more else None,
        total if _exact(kinds, codes) else None,
    )


class Everything:
    """Patient/{id}/$everything: checked, logged and begun eagerly (so a 404 is still a 404),
    the observations then streamed a chunk of readings at a time."""

    def __init__(self, principal: Principal, patient_id: uuid.UUID, base_url: str) -> None:
        self.principal = principal
        self.patient_id = patient_id
        self.base_url = base_url
        self.scope = scope_of(principal, patient_id)
        with db.transaction():
            head = [_patient_resource(patient_id)]
            shown = [k.value for k in self.scope.kinds]
            if GOALS in self.scope.categories:
                goals, goal_shown = _goal_resources(principal, patient_id)
                head.extend(goals)
                shown.extend(c for c in goal_shown if c not in shown)
            _log(principal, self.scope, shown)
        self.head = head
        self.categories = tuple(shown)

    def chunks(self) -> Iterator[bytes]:
        link = orjson.dumps(
            [{"relation": "self", "url": f"{self.base_url}/Patient/{self.patient_id}/$everything"}]
        )
        yield b'{"resourceType":"Bundle","type":"searchset","link":' + link + b',"entry":['
        base = self.base_url
        yield b",".join(orjson.dumps(resources.entry(base, r)) for r in self.head)
        n = len(self.head)
        kinds = self.scope.kinds
        cursor: str | None = None
        while kinds:
            with db.transaction():  # each chunk its own short read (policy asked again)
                # The grant is looked up afresh for every chunk: a share stopped while the
                # Bundle streams ends it (the request's grant cache would keep it open).
                policy.forget_grants()
                page = measurements.page(
                    self.principal, self.patient_id, kinds, None, None, cursor, CHUNK
                )
            parts = [
                orjson.dumps(resources.entry(base, obs))
                for reading in page.readings
                for _code, obs in resources.observations(reading, self.patient_id)
            ]
            cursor = page.next_cursor
            del page  # one chunk alive at a time: memory does not grow with the years
            if parts:
                n += len(parts)
                chunk = b"," + b",".join(parts)
                del parts
                yield chunk
                del chunk
            if cursor is None:
                break
        yield b'],"total":' + str(n).encode() + b"}"


def everything_chunks(
    principal: Principal, patient_id: uuid.UUID, *, base_url: str
) -> Iterator[bytes]:
    """The complete $everything Bundle (searchset, total, fullUrl per entry) as JSON bytes:
    a patient gets their whole record; a clinician what the share allows, with one
    access-log event. Iterate inside an app context (a request context for clinicians);
    a refusal (404) is raised on the first next()."""
    yield from Everything(principal, patient_id, base_url.rstrip("/")).chunks()
