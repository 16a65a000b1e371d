"""The patient's side of sharing: find a clinician, grant, see, change and revoke grants,
and read who looked. Every function takes the principal; one transaction per write.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from limits import RateLimitItem, parse
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pgd import db, security_log
from pgd.accounts import services as accounts
from pgd.accounts import throttle
from pgd.accounts.models import Role, User
from pgd.sharing import access_log, codes, policy
from pgd.sharing.consent_words import TermsChange, last_local_day, ordered
from pgd.sharing.models import Grant, GrantChange, ShareCode
from pgd.sharing.policy import Principal, aware, split_categories


class SharingError(Exception):
    """A domain error with a field name and a code, mapped to a message next to the field."""

    def __init__(self, field: str, code: str) -> None:
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code


class NotFound(LookupError):
    """No such grant of this patient (the caller answers 404)."""


@dataclass(frozen=True)
class ClinicianCard:
    """What a patient sees of a clinician before and after sharing."""

    id: uuid.UUID
    name: str
    profession: str
    practice: str


@dataclass(frozen=True)
class GrantView:
    id: uuid.UUID
    clinician: ClinicianCard
    categories: tuple[str, ...]
    data_from: datetime | None
    expires_at: datetime
    created_at: datetime
    revoked_at: datetime | None
    status: str  # "active", "expired" or "revoked"
    changes: tuple[TermsChange, ...] = ()  # consent changes, newest first


def _patient(principal: Principal) -> uuid.UUID:
    if principal.role != Role.PATIENT:
        raise NotFound()
    return principal.id


def _card(clinician_id: uuid.UUID) -> ClinicianCard:
    policy.permit_clinician_card(clinician_id)
    details = accounts.clinician_details(clinician_id)
    name = accounts.profile_of(clinician_id).name
    return ClinicianCard(
        clinician_id,
        name,
        details.profession if details else "",
        (details.practice or "") if details else "",
    )


# -- finding a clinician (rate-limited: no enumeration) -------------------------------
def _limits(patient_id: uuid.UUID) -> list[tuple[RateLimitItem, str]]:
    """(limit, key): wrong codes or unknown e-mails per patient, and per client address
    (patients can make more accounts; the address brakes many guessing from one place).
    Settings SHARE_LOOKUP_LIMIT and SHARE_LOOKUP_LIMIT_IP (pgd.config)."""
    config = current_app.config
    return [
        (parse(config["SHARE_LOOKUP_LIMIT"]), str(patient_id)),
        (parse(config["SHARE_LOOKUP_LIMIT_IP"]), "ip:" + throttle.client_address()),
    ]


def _over_limit(patient_id: uuid.UUID) -> bool:
    counter = throttle.strategy()
    return any(not counter.test(item, "pgd-share-lookup", key) for item, key in _limits(patient_id))


def _count_failure(patient_id: uuid.UUID) -> None:
    counter = throttle.strategy()
    for item, key in _limits(patient_id):
        counter.hit(item, "pgd-share-lookup", key)


def lookup_wait_minutes() -> int:
    """How long "try again later" is, from the limits as configured."""
    return max(1, max(item.get_expiry() for item, _key in _limits(uuid.UUID(int=0))) // 60)


def _code_owner(code: str, now: datetime) -> uuid.UUID | None:
    row = db.session().scalar(
        select(ShareCode.clinician_id).where(
            ShareCode.digest == codes.digest(code),
            ShareCode.used_at.is_(None),
            ShareCode.expires_at > now,
        )
    )
    return row


def _email_owner(email: str) -> uuid.UUID | None:
    return db.session().scalar(
        select(User.id).where(
            User.email == accounts.normalise_email(email),
            User.role == Role.CLINICIAN,
            User.disabled_at.is_(None),  # a switched-off clinician is not found (issue 13)
        )
    )


def find_clinician(principal: Principal, *, code: str = "", email: str = "") -> ClinicianCard:
    """The clinician behind a share code or an exact e-mail address.

    A wrong, used or expired code, and an e-mail that is not a clinician's, all give the
    same answer ("not_found"), and each counts against the patient's lookup limit.
    """
    patient_id = _patient(principal)
    field = "code" if code else "email"
    if _over_limit(patient_id):
        raise SharingError(field, "too_many")
    if code:
        normal = codes.normalise(code)
        shape = codes.problem(normal)
        if shape:
            raise SharingError("code", shape)  # a typing slip: not counted
        clinician_id = _code_owner(normal, db.utcnow())
    else:
        clinician_id = _email_owner(email) if "@" in email else None
    if clinician_id is None:
        _count_failure(patient_id)
        raise SharingError(field, "not_found")
    return _card(clinician_id)


# -- granting ---------------------------------------------------------------------------
def _lock_patient(sess: Session, patient_id: uuid.UUID) -> None:
    """Take the patient's row lock (PostgreSQL) or the write lock (SQLite) first: two
    writes to the patient's grants at the same moment then run one after the other."""
    sess.execute(
        update(User)
        .where(User.id == patient_id)
        .values(session_version=User.session_version)
        .execution_options(synchronize_session=False)
    )


def check_terms(
    categories: Iterable[str], data_from: datetime | None, expires_at: datetime, now: datetime
) -> tuple[str, ...]:
    """Validate what the patient chose; returns the categories in canonical order."""
    chosen = set(categories)
    clean = tuple(c for c in policy.SHAREABLE if c in chosen)
    if not clean or len(clean) != len(chosen):
        raise SharingError("categories", "none" if not chosen else "unknown")
    if expires_at <= now:
        raise SharingError("expiry", "past")
    if data_from is not None and data_from > now:
        raise SharingError("data_from", "future")
    return clean


def create_grant(
    principal: Principal,
    *,
    code: str = "",
    email: str = "",
    categories: Iterable[str],
    data_from: datetime | None,
    expires_at: datetime,
) -> GrantView:
    """Grant a clinician access; a share code is used up in the same transaction."""
    patient_id = _patient(principal)
    now = db.utcnow()
    clean = check_terms(categories, data_from, expires_at, now)
    card = find_clinician(principal, code=code, email=email)
    if card.id == patient_id:
        raise SharingError("email", "self")
    with db.transaction() as sess:
        _lock_patient(sess, patient_id)  # the second of two confirmations sees the first
        if code:
            used = sess.execute(
                update(ShareCode)
                .where(
                    ShareCode.digest == codes.digest(code),
                    ShareCode.used_at.is_(None),
                    ShareCode.expires_at > now,
                )
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            )
            if not used.rowcount:  # type: ignore[attr-defined]
                raise SharingError("code", "not_found")  # used by a parallel request
        if policy.active_grant(card.id, patient_id, now) is not None:
            raise SharingError("clinician", "already")
        grant = Grant(
            id=db.new_id(),
            patient_id=patient_id,
            clinician_id=card.id,
            categories=",".join(clean),
            data_from=data_from,
            expires_at=expires_at,
            created_at=now,
        )
        sess.add(grant)
    security_log.event(
        security_log.Events.SHARE_CREATED,
        user_id=patient_id,
        role=principal.role,
        outcome="success",
        grant_id=grant.id,
        clinician_id=card.id,
        categories=list(clean),
        data_from=data_from,
        expires_at=expires_at,
        via="share_code" if code else "email_address",
    )
    return _view(grant, card, now)


def _status(row: Grant, now: datetime) -> str:
    if row.revoked_at is not None:
        return "revoked"
    return "active" if aware(row.expires_at) > now else "expired"  # type: ignore[operator]


def _view(
    row: Grant, card: ClinicianCard, now: datetime, changes: tuple[TermsChange, ...] = ()
) -> GrantView:
    return GrantView(
        row.id,
        card,
        tuple(c for c in policy.SHAREABLE if c in split_categories(row.categories)),
        aware(row.data_from),
        aware(row.expires_at),  # type: ignore[arg-type]
        aware(row.created_at),  # type: ignore[arg-type]
        aware(row.revoked_at),
        _status(row, now),
        changes,
    )


def _changes_of(patient_id: uuid.UUID) -> dict[uuid.UUID, tuple[TermsChange, ...]]:
    """The patient's consent changes per grant, newest first (one query for the page)."""
    rows = db.session().scalars(
        select(GrantChange)
        .where(GrantChange.patient_id == patient_id)
        .order_by(GrantChange.changed_at.desc())
    )
    found: dict[uuid.UUID, list[TermsChange]] = {}
    for row in rows:
        found.setdefault(row.grant_id, []).append(
            TermsChange(
                aware(row.changed_at),  # type: ignore[arg-type]
                ordered(split_categories(row.categories_before)),
                ordered(split_categories(row.categories_after)),
                aware(row.expires_before),  # type: ignore[arg-type]
                aware(row.expires_after),  # type: ignore[arg-type]
            )
        )
    return {grant_id: tuple(items) for grant_id, items in found.items()}


def grants_of(principal: Principal) -> list[GrantView]:
    """All the patient's grants: active first, then expired and revoked; newest first."""
    patient_id = _patient(principal)
    now = db.utcnow()
    rows = db.session().scalars(
        select(Grant).where(Grant.patient_id == patient_id).order_by(Grant.created_at.desc())
    )
    changes = _changes_of(patient_id)
    cards: dict[uuid.UUID, ClinicianCard] = {}
    views = []
    for row in rows:
        if row.clinician_id not in cards:
            cards[row.clinician_id] = _card(row.clinician_id)
        views.append(_view(row, cards[row.clinician_id], now, changes.get(row.id, ())))
    order = {"active": 0, "expired": 1, "revoked": 2}
    return sorted(views, key=lambda v: order[v.status])


def grant_of(principal: Principal, grant_id: uuid.UUID) -> GrantView:
    patient_id = _patient(principal)
    row = db.session().scalar(
        select(Grant).where(Grant.id == grant_id, Grant.patient_id == patient_id)
    )
    if row is None:
        raise NotFound(grant_id)
    return _view(row, _card(row.clinician_id), db.utcnow())


def _active_row(patient_id: uuid.UUID, grant_id: uuid.UUID, now: datetime) -> Grant:
    row = db.session().scalar(
        select(Grant)
        .where(
            Grant.id == grant_id,
            Grant.patient_id == patient_id,
            Grant.revoked_at.is_(None),
            Grant.expires_at > now,
        )
        .with_for_update()
    )
    if row is None:
        raise NotFound(grant_id)
    return row


class NeedsConfirmation(Exception):
    """The change shares more or longer: nothing is saved until the patient confirms it."""

    def __init__(self, change: TermsChange) -> None:
        super().__init__("confirm")
        self.change = change


def change_terms(
    principal: Principal,
    grant_id: uuid.UUID,
    categories: Iterable[str],
    expires_at: datetime | None,
    *,
    confirmed: bool = False,
) -> TermsChange:
    """Add or remove categories, extend or shorten (None keeps the end): one consent
    change, kept with the terms before and after. Sharing more or longer needs
    `confirmed` (the patient saw what it means). The data period stays as it is."""
    patient_id = _patient(principal)
    now = db.utcnow()
    with db.transaction() as sess:
        _lock_patient(sess, patient_id)  # a double submit waits here, then finds no change
        row = _active_row(patient_id, grant_id, now)
        expires_before: datetime = aware(row.expires_at)  # type: ignore[assignment]
        until = expires_before if expires_at is None else expires_at
        if last_local_day(until) == last_local_day(expires_before):
            until = expires_before  # the day shown stays: keep the end (older ones end mid-day)
        clean = check_terms(categories, None, until, now)
        change = TermsChange(
            now, ordered(split_categories(row.categories)), clean, expires_before, until
        )
        if change.empty:
            raise SharingError("categories", "same")
        if change.widens and not confirmed:
            raise NeedsConfirmation(change)
        sess.add(
            GrantChange(
                id=db.new_id(),
                grant_id=row.id,
                patient_id=patient_id,
                changed_at=now,
                categories_before=row.categories,
                categories_after=",".join(clean),
                expires_before=expires_before,
                expires_after=until,
            )
        )
        row.categories = ",".join(clean)
        row.expires_at = until
        row.changed_at = now
        clinician_id = row.clinician_id
    kinds = [security_log.Events.SHARE_EXTENDED] if change.widens else []
    if change.removed or change.shorter:
        kinds.append(security_log.Events.SHARE_NARROWED)
    for kind in kinds:  # a change that adds one category and drops another is both
        security_log.event(
            kind,
            user_id=patient_id,
            role=principal.role,
            outcome="success",
            grant_id=grant_id,
            clinician_id=clinician_id,
            categories_added=list(change.added),
            categories_removed=list(change.removed),
            expires_before=change.expires_before,
            expires_after=change.expires_after,
        )
    return change


def revoke(principal: Principal, grant_id: uuid.UUID) -> None:
    """Ends access at once: the clinician's next request answers 404. Log events stay."""
    patient_id = _patient(principal)
    now = db.utcnow()
    with db.transaction():
        row = _active_row(patient_id, grant_id, now)
        row.revoked_at = now
        row.stopped_by = "patient"
        clinician_id = row.clinician_id
    security_log.event(
        security_log.Events.SHARE_STOPPED,
        user_id=patient_id,
        role=principal.role,
        outcome="success",
        grant_id=grant_id,
        clinician_id=clinician_id,
    )


@dataclass(frozen=True)
class ConsentEvent:
    """One line of the consent history: a share made, changed, stopped or run out.

    kind: "created", "changed", "stopped" (who in `by`: "patient", "disabled" or None
    when not known) or "expired". `categories`, `data_from` and `until` are the terms
    right after the event (for a stop or expiry: the terms it ended with)."""

    at: datetime
    kind: str
    grant_id: uuid.UUID
    clinician: ClinicianCard
    categories: tuple[str, ...]
    data_from: datetime | None
    until: datetime
    change: TermsChange | None = None
    by: str | None = None


def consent_history(principal: Principal) -> list[ConsentEvent]:
    """The patient's consent history, newest first: every share as it was made (the
    terms before its first change), each change by the patient (grant_changes, never
    updated), and how it ended (stopped by the patient, by the administrator switching
    the clinician off, or the end date passed). Built from rows that are only ever
    added to or set once (grants.created_at, data_from, revoked_at, stopped_by), so
    nothing in it is overwritten by a later change."""
    patient_id = _patient(principal)
    now = db.utcnow()
    rows = db.session().scalars(select(Grant).where(Grant.patient_id == patient_id))
    changes = _changes_of(patient_id)
    cards: dict[uuid.UUID, ClinicianCard] = {}
    events: list[ConsentEvent] = []
    for row in rows:
        if row.clinician_id not in cards:
            cards[row.clinician_id] = _card(row.clinician_id)
        card = cards[row.clinician_id]
        data_from = aware(row.data_from)
        current = ordered(split_categories(row.categories))
        until: datetime = aware(row.expires_at)  # type: ignore[assignment]
        own = changes.get(row.id, ())  # newest first
        first = own[-1] if own else None
        events.append(
            ConsentEvent(
                aware(row.created_at),  # type: ignore[arg-type]
                "created",
                row.id,
                card,
                first.before if first else current,
                data_from,
                first.expires_before if first else until,
            )
        )
        for change in own:
            events.append(
                ConsentEvent(
                    change.at,
                    "changed",
                    row.id,
                    card,
                    change.after,
                    data_from,
                    change.expires_after,
                    change,
                )
            )
        revoked = aware(row.revoked_at)
        if revoked is not None:  # only an active share is stopped (revoke, disabling)
            kind, at, by = "stopped", revoked, row.stopped_by
        elif until <= now:
            kind, at, by = "expired", until, None
        else:
            continue  # still active
        events.append(ConsentEvent(at, kind, row.id, card, current, data_from, until, by=by))
    order = {"created": 0, "changed": 1, "expired": 2, "stopped": 2}
    events.sort(key=lambda e: (e.at, order[e.kind]), reverse=True)
    return events


def who_looked(
    principal: Principal, before: int | None = None
) -> tuple[list[access_log.EventView], int | None]:
    """The patient's own access events, newest first, 100 at a time."""
    return access_log.events_of(_patient(principal), before)
