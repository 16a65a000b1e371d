""" "My patients" as a worklist: who needs attention first, for the practice nurse.

All of the clinician's active grants (one query) and their triage rows (a query per 900
patients) are read, the flags opened with the patients' keys (bulk-loaded per category),
sorted in Python, then cut into pages: the cost follows this clinician's patients, not
the patients in the database. Names and dates of birth are opened for one page only.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from pgd import db
from pgd.accounts import services as accounts
from pgd.accounts.models import Role
from pgd.measurements.validation import LOCAL
from pgd.sharing import policy, triage
from pgd.sharing.policy import ActiveGrant, Principal

SORTS = ("flag", "last", "shared")
DEFAULT_SORT = "flag"
PAGE_SIZE = 50
ENDS_SOON_DAYS = 14  # "share ends soon": the last day shared is at most this many days away


@dataclass(frozen=True)
class Flag:
    category: str
    code: str
    amount: float


@dataclass(frozen=True)
class Row:
    patient_id: uuid.UUID
    name: str
    birth_date: date | None
    categories: tuple[str, ...]
    level: int  # triage.ALARM, triage.ATTENTION or triage.FINE
    flags: tuple[Flag, ...]
    last_reading_at: datetime | None  # of the shared categories, in the granted period
    expires_at: datetime
    ends_soon: bool
    shared_at: datetime
    week: object = None  # the latest measuring-week result (filled by the week's owner)


@dataclass(frozen=True)
class Worklist:
    rows: list[Row]
    total: int
    sort: str
    page: int
    pages: int


def last_day(expires_at: datetime) -> date:
    """The last whole local day of a share (as the "until" column shows it)."""
    return (expires_at - timedelta(microseconds=1)).astimezone(LOCAL).date()


def ends_soon(expires_at: datetime, now: datetime) -> bool:
    days_left = (last_day(expires_at) - now.astimezone(LOCAL).date()).days
    return days_left <= ENDS_SOON_DAYS


def _newest_per_patient(grants: list[ActiveGrant]) -> list[ActiveGrant]:
    """One grant per patient: the newest (as the policy decides with), list order kept."""
    seen: set[uuid.UUID] = set()
    out = []
    for grant in grants:  # most recently shared first
        if grant.patient_id not in seen:
            seen.add(grant.patient_id)
            out.append(grant)
    return out


def _last(entries: list[triage.Entry]) -> int | None:
    return max((e.last_reading_at for e in entries if e.last_reading_at is not None), default=None)


def _sort(
    grants: list[ActiveGrant], entries: dict[uuid.UUID, list[triage.Entry]], sort: str
) -> list[ActiveGrant]:
    """Python's sort is stable: the grants come most recently shared first, which stays
    the order among equals."""
    if sort == "shared":
        return grants

    def key(grant: ActiveGrant) -> tuple[int, float]:
        found = entries[grant.patient_id]
        last = _last(found)
        newest = math.inf if last is None else -last  # newest first, none last
        if sort == "last":
            return 0, newest
        return -max((e.level for e in found), default=triage.FINE), newest

    return sorted(grants, key=key)


def _ordered(categories: frozenset[str]) -> tuple[str, ...]:
    return tuple(c for c in policy.SHAREABLE if c in categories)


def my_patients(
    principal: Principal,
    sort: str | None = DEFAULT_SORT,
    page: int = 1,
    page_size: int | None = None,
    now: datetime | None = None,
) -> Worklist:
    """One page of the clinician's patients, sorted by flag (alarm, then attention, each
    newest reading first), by last reading, or by most recently shared."""
    if principal.role != Role.CLINICIAN:
        raise policy.NotFound()
    sort = sort if sort in SORTS else DEFAULT_SORT
    size = PAGE_SIZE if page_size is None else page_size
    now = now or datetime.now(UTC)
    grants = _newest_per_patient(policy.patients_of(principal))
    if triage.settle(principal, grants):
        db.session().commit()  # end this read's snapshot (SQLite): read the rows rewritten
    pages = max(1, math.ceil(len(grants) / size))
    page = min(max(1, page), pages)
    cut = slice((page - 1) * size, page * size)
    if sort == "shared":  # the order of the grants: the page's triage only
        chosen = grants[cut]
        entries = triage.read_many(principal, chosen)
    elif sort == "last":  # everyone's last reading (plaintext), the page's flags
        chosen = _sort(grants, triage.read_many(principal, grants, flags=False), sort)[cut]
        entries = triage.read_many(principal, chosen)
    else:  # by flag: everyone's flags
        entries = triage.read_many(principal, grants)
        chosen = _sort(grants, entries, sort)[cut]
    profiles = accounts.profiles_of([g.patient_id for g in chosen])
    nobody = accounts.ProfileData(name="", birth_date=None)
    order = {c: i for i, c in enumerate(policy.SHAREABLE)}
    rows = []
    shown: dict[uuid.UUID, list[str]] = {}
    for g in chosen:
        found = entries[g.patient_id]
        shown[g.patient_id] = [e.category for e in found if e.last_reading_at is not None]
        found.sort(key=lambda e: order.get(e.category, len(order)))
        last = _last(found)
        week = next((e.week for e in found if e.category == "blood_pressure"), None)
        profile = profiles.get(g.patient_id, nobody)
        rows.append(
            Row(
                g.patient_id,
                profile.name,
                profile.birth_date,
                _ordered(g.categories),
                max((e.level for e in found), default=triage.FINE),
                tuple(Flag(e.category, code, amount) for e in found for code, amount in e.flags),
                None if last is None else datetime.fromtimestamp(last, UTC),
                g.expires_at,
                ends_soon(g.expires_at, now),
                g.created_at,
                week,
            )
        )
    _log(
        principal,
        [(r.patient_id, [policy.IDENTIFICATION, *shown[r.patient_id]]) for r in rows],
        {g.patient_id: g.id for g in chosen},
    )
    return Worklist(rows, len(grants), sort, page, pages)


def _log(
    principal: Principal,
    reads: list[tuple[uuid.UUID, list[str]]],
    grants: dict[uuid.UUID, uuid.UUID],
) -> None:
    """The list shows, per patient on the page, their name and date of birth (category
    profile) and the triage of their shared measured categories (flags, last reading,
    measuring week): one read event per patient shown, for those categories, with the
    grant that lists them."""
    from pgd.sharing import access_log, dossier

    if not reads:
        return
    with db.transaction():
        access_log.append_many(
            dossier.actor_of(principal),
            reads,
            access_log.ReadAction.WORKLIST,
            dossier.address(),
            grants=grants,
        )
