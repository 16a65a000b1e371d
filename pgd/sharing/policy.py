"""The one function that decides every access to patient data.

A patient may do anything with their own data. A clinician may *read* a category of a
patient only with a grant that is, in the database at this request, not revoked, not
expired, covers that category, and only for data inside the granted period — and only
with a verified second factor. Everything else is denied, and denial is always 404, so
an outsider learns nothing, not even that a record exists.

The policy also decides which data keys this request may unwrap: every allowed
(patient, category) is handed to pgd.crypto.permit(); pgd.crypto refuses any other
key of another owner (see pgd.crypto.limit_keys_to).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any, Protocol

from flask import g, has_app_context
from sqlalchemy import and_, func, or_, select
from werkzeug.exceptions import NotFound

from pgd import crypto, db
from pgd.sharing.models import Grant

# Categories a patient can share, each on its own. A later category slots in here (and
# gets a label in pgd.sharing.labels); grants store category codes as text.
SHAREABLE: tuple[str, ...] = (
    crypto.Category.BLOOD_PRESSURE.value,
    crypto.Category.WEIGHT.value,
    crypto.Category.GLUCOSE.value,
    crypto.Category.GOALS.value,
)
# Readable by a clinician with any active grant: the patient's name and date of birth
# (to know whom they are looking at) and settings that interpret the values (height,
# personal blood pressure target). Never written by a clinician.
IDENTIFICATION = crypto.Category.PROFILE.value


class Action(StrEnum):
    READ = "read"
    WRITE = "write"  # a patient's own writes; never a clinician's
    # The only writes a clinician may make, each on one category of a patient with an
    # active grant of that category (issue 11). CLINICIAN_WRITES says which.
    AGREE_TARGET = "agree_target"
    REQUEST_WEEK = "request_week"
    MARK_DISCUSSED = "mark_discussed"
    PROPOSE_GOAL = "propose_goal"


# Clinician write -> (the category it writes into, the sealed tables it may write with
# that category's key). The key release follows: a clinician's request may seal records
# of these tables only, and only after decide() allowed the write (pgd.crypto.permit_seal).
CLINICIAN_WRITES: dict[Action, tuple[str, tuple[str, ...]]] = {
    # The agreed target also changes what "my patients" flags: its triage row follows.
    Action.AGREE_TARGET: (crypto.Category.BLOOD_PRESSURE.value, ("agreed_targets", "triage")),
    Action.REQUEST_WEEK: (crypto.Category.BLOOD_PRESSURE.value, ()),
    Action.MARK_DISCUSSED: (crypto.Category.GOALS.value, ("consult_questions",)),
    Action.PROPOSE_GOAL: (crypto.Category.GOALS.value, ("goals",)),
}


class Principal(Protocol):
    """Whoever acts: a logged-in user or an API token's owner."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def role(self) -> str: ...


@dataclass(frozen=True)
class Access:
    """What the policy allowed, including the data window a service must clamp to."""

    patient_id: uuid.UUID
    category: str
    data_from: datetime | None = None  # None: all data

    def clamp(self, start: datetime | None) -> datetime | None:
        """The later of the asked start and the start of the granted period."""
        if self.data_from is None:
            return start
        if start is None or start < self.data_from:
            return self.data_from
        return start

    def covers(self, when: datetime) -> bool:
        return self.data_from is None or when >= self.data_from


@dataclass(frozen=True)
class ActiveGrant:
    id: uuid.UUID
    patient_id: uuid.UUID
    clinician_id: uuid.UUID
    categories: frozenset[str]
    data_from: datetime | None
    expires_at: datetime
    created_at: datetime


def aware(when: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything PGD stores is UTC."""
    if when is None or when.tzinfo is not None:
        return when
    return when.replace(tzinfo=UTC)


@lru_cache(maxsize=256)
def split_categories(text: str) -> frozenset[str]:
    return frozenset(c for c in text.split(",") if c)


def second_factor_enrolled(user_id: uuid.UUID) -> bool:
    """Has this user set up a second factor? (Needed for a clinician's API key.)"""
    from pgd.accounts import second_factor  # imported late: accounts imports this module

    return second_factor.is_enrolled(user_id)


def second_factor_ok(principal: Principal) -> bool:
    """The one place that asks whether a clinician passed the second factor.

    An API token counts only if its owner has a second factor enrolled; a browser
    session only once this session verified it.
    """
    from pgd.accounts import second_factor  # imported late: accounts imports this module

    if getattr(principal, "token_id", None) is not None:
        return second_factor.is_enrolled(principal.id)
    return second_factor.is_enrolled(principal.id) and second_factor.session_verified()


def _active_grant_row(
    clinician_id: uuid.UUID, patient_id: uuid.UUID, now: datetime
) -> Grant | None:
    return db.session().scalar(
        select(Grant)
        .where(
            Grant.clinician_id == clinician_id,
            Grant.patient_id == patient_id,
            Grant.revoked_at.is_(None),
            Grant.expires_at > now,
        )
        .order_by(Grant.created_at.desc())
        .limit(1)
    )


def forget_grants() -> None:
    """Drop this request's cached grant lookups: the next check reads the grant again (a
    long response, such as a streamed FHIR Bundle, asks for every part)."""
    if has_app_context():
        g.pop("pgd_grants", None)
        db.forget_reads()  # what was read under the old answer is read again too


def active_grant(
    clinician_id: uuid.UUID, patient_id: uuid.UUID, now: datetime | None = None
) -> ActiveGrant | None:
    """The clinician's active grant from this patient, as the database holds it now.

    Looked up once per request (a revocation counts from the next request on).
    """
    cache: dict[tuple[uuid.UUID, uuid.UUID], ActiveGrant | None] | None = (
        g.setdefault("pgd_grants", {}) if has_app_context() and now is None else None
    )
    key = (clinician_id, patient_id)
    if cache is not None and key in cache:
        return cache[key]
    row = _active_grant_row(clinician_id, patient_id, now or datetime.now(UTC))
    found = (
        None
        if row is None
        else ActiveGrant(
            row.id,
            row.patient_id,
            row.clinician_id,
            split_categories(row.categories),
            aware(row.data_from),
            aware(row.expires_at),  # type: ignore[arg-type]
            aware(row.created_at),  # type: ignore[arg-type]
        )
    )
    if cache is not None:
        cache[key] = found
    return found


def decide(
    principal: Principal | None,
    patient_id: uuid.UUID,
    category: str,
    action: Action,
    at: datetime | None = None,
) -> Access | None:
    """The decision, with the data window; None means no (the caller answers 404)."""
    if principal is None or getattr(principal, "id", None) is None:
        return None
    category = str(category)
    if principal.role == "patient":
        return Access(patient_id, category) if principal.id == patient_id else None
    if principal.role != "clinician":
        return None
    writes: tuple[str, ...] = ()
    if action != Action.READ:
        if action not in CLINICIAN_WRITES or CLINICIAN_WRITES[action][0] != category:
            return None
        writes = CLINICIAN_WRITES[action][1]
    if category not in SHAREABLE and category != IDENTIFICATION:
        return None
    if not second_factor_ok(principal):
        return None
    grant = active_grant(principal.id, patient_id, at)
    if grant is None:
        return None
    if category != IDENTIFICATION and category not in grant.categories:
        return None
    crypto.permit(patient_id, category)
    for table in writes:
        crypto.permit_seal(patient_id, category, table)
    return Access(patient_id, category, data_from=grant.data_from)


def allowed(
    principal: Principal | None,
    patient_id: uuid.UUID,
    category: str,
    action: Action,
    at: datetime | None = None,
) -> bool:
    """May this principal do this action on this category of this patient, now?"""
    return decide(principal, patient_id, category, action, at) is not None


class NotShared(NotFound):
    """The 404 a clinician gets: not shared (any more) with them — the same answer whether
    or not the patient exists, worded so a revoked share is understood (pgd.web)."""


def require(
    principal: Principal | None, patient_id: uuid.UUID, category: str, action: Action
) -> Access:
    """Raise 404 unless allowed(); otherwise the allowed access with its data window."""
    access = decide(principal, patient_id, category, action)
    if access is None:
        refused = NotShared() if principal is not None and principal.role == "clinician" else None
        log_refusal(principal, patient_id=patient_id, category=category, action=action)
        raise refused or NotFound()
    return access


def log_refusal(principal: Principal | None, **asked: Any) -> None:
    """One security-log line for a refused access (the 404 of the consent door): who
    asked for what; for a clinician and a patient that exists, also an access-log event
    with outcome "refused" (pgd.sharing.access_log.record_refusal). Once per request; the error handlers of pgd.web and pgd.fhir call
    it for a NotShared raised outside require(), and find it already done otherwise."""
    from pgd import security_log  # imported late: keeps this module free of app wiring

    if has_app_context():
        if g.get("pgd_refusal_logged"):
            return
        g.pgd_refusal_logged = True
    fields: dict[str, Any] = {"outcome": "refused", **asked}
    if "patient_id" in asked:  # the object asked for: a category of one patient, by id
        fields["object"] = f"patient/{asked['patient_id']}/{asked.get('category', '')}"
    if principal is not None and getattr(principal, "id", None) is not None:
        fields["user_id"] = principal.id
        fields["role"] = principal.role
    security_log.event(security_log.Events.ACCESS_REFUSED, **fields)
    if "patient_id" in asked and principal is not None:
        from pgd.sharing import access_log  # the patient sees the refused try (NEN 7513)

        access_log.record_refusal(
            principal,
            asked["patient_id"],
            asked.get("category", IDENTIFICATION),
            str(asked.get("action", Action.READ)),
        )


def permit_reads(
    principal: Principal, grants: list[ActiveGrant], categories: frozenset[str]
) -> list[ActiveGrant]:
    """decide(READ) for many patients at once: the grants this request read with
    patients_of() (active now, this clinician's), each for the asked categories it
    covers. The second factor is checked once; each allowed (patient, category) is
    handed to pgd.crypto.permit(). Returns the grants that allow anything. Callers
    clamp to each grant's data_from themselves, as they do with Access."""
    if principal.role != "clinician" or not second_factor_ok(principal):
        return []
    allowed_grants = []
    pairs: list[tuple[uuid.UUID, str]] = []
    wanted = categories & frozenset(SHAREABLE)
    for grant in grants:
        if grant.clinician_id != principal.id:
            continue
        shared = wanted & grant.categories
        pairs.extend((grant.patient_id, category) for category in shared)
        if shared:
            allowed_grants.append(grant)
    crypto.permit_many(pairs)
    return allowed_grants


def permit_clinician_card(clinician_id: uuid.UUID) -> None:
    """A clinician's name is what a patient sees before and after sharing with them.

    Called by pgd.sharing.services only once the patient identified the clinician (share
    code, exact e-mail, or an existing grant or access event).
    """
    crypto.permit(clinician_id, crypto.Category.PROFILE)


def _active_of(principal: Principal, now: datetime) -> list[Any]:
    return [
        Grant.clinician_id == principal.id,
        Grant.revoked_at.is_(None),
        Grant.expires_at > now,
    ]


def patients_of(
    principal: Principal,
    *,
    limit: int | None = None,
    after: tuple[datetime, uuid.UUID] | None = None,
) -> list[ActiveGrant]:
    """A clinician's active grants, most recently shared first, a page at a time.

    Keyset-paged on (created_at, id) with the (clinician_id, created_at) index, so a
    page costs the same with 20 or 20,000 patients in the database. Each grant allows
    the patient's identification (name, date of birth) and nothing more; the
    categories stay behind require() per request.
    """
    if principal.role != "clinician" or not second_factor_ok(principal):
        return []
    where = _active_of(principal, datetime.now(UTC))
    if after is not None:
        where.append(
            or_(
                Grant.created_at < after[0],
                and_(Grant.created_at == after[0], Grant.id < after[1]),
            )
        )
    query = (
        select(
            Grant.id,
            Grant.patient_id,
            Grant.categories,
            Grant.data_from,
            Grant.expires_at,
            Grant.created_at,
        )
        .where(*where)
        .order_by(Grant.created_at.desc(), Grant.id.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    found = [
        ActiveGrant(
            r.id,
            r.patient_id,
            principal.id,
            split_categories(r.categories),
            aware(r.data_from),
            aware(r.expires_at),  # type: ignore[arg-type]
            aware(r.created_at),  # type: ignore[arg-type]
        )
        for r in db.session().connection().execute(query)  # Core rows: 2,000 of them
    ]
    crypto.permit_many([(g.patient_id, IDENTIFICATION) for g in found])
    return found


def count_patients_of(principal: Principal) -> int:
    if principal.role != "clinician" or not second_factor_ok(principal):
        return 0
    where = _active_of(principal, datetime.now(UTC))
    return int(db.session().scalar(select(func.count()).select_from(Grant).where(*where)) or 0)
