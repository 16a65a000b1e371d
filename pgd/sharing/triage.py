"""Triage rows: what "my patients" sorts on, kept up to date by the patient's own writes.

Per patient and measured category: the time of the newest reading (plaintext, like the
readings' own times) and, sealed under that category's data key, the summary's flags
over the 91 days ending at that reading, with a level (2 alarm, 1 attention, 0 fine).
The measurement services call refresh() inside the transaction of every write, with the
patient's keys; a clinician only reads these rows, through the policy, for the
categories of an active grant (read_many). The flags are those of pgd.sharing.summary
against the clinical target (standard for age, or agreed), never the patient's own.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

import orjson
from flask import g
from sqlalchemy import String, func, select, type_coerce, update
from sqlalchemy.dialects import postgresql, sqlite

from pgd import clinical, crypto, db
from pgd.clinical.verdicts import STATUS, Level
from pgd.measurements.models import Kind, Measurement
from pgd.sharing import policy, summary
from pgd.sharing.models import Grant, Triage
from pgd.sharing.policy import Action, ActiveGrant, Principal

TABLE = "triage"
_log = logging.getLogger(__name__)
MEASURED: tuple[str, ...] = tuple(k.value for k in Kind)
ALARM, ATTENTION, FINE = 2, 1, 0
_LEVEL_OF_STATUS = {"alarm": ALARM, "attention": ATTENTION}
# How urgent each summary flag is, in pgd.clinical's own levels (the mean blood pressure
# takes the level of its verdict). A flag not named here counts as attention.
_FLAG_LEVEL = {
    "bp_very_high": Level.ALARM,
    "glucose_low": Level.HYPO,
    "glucose_very_high": Level.ALARM,
    "weight_change": Level.HIGH,
    "weight_loss_unintended": Level.HIGH,
}


def _days() -> int:
    """The summary's default period (91 days): the window the flags are computed over."""
    from pgd.sharing.dossier import DEFAULT_PERIOD, SUMMARY_PERIODS  # loaded by then

    return SUMMARY_PERIODS[DEFAULT_PERIOD]


def _flag_level(code: str, block: summary.Block) -> int:
    level = _FLAG_LEVEL.get(code)
    if code == "bp_mean_high" and block.verdict is not None:
        level = block.verdict.level
    if level is None:
        return ATTENTION
    return _LEVEL_OF_STATUS.get(STATUS[level], FINE)


def _block(
    principal: Principal, patient_id: uuid.UUID, kind: Kind, newest: int
) -> tuple[summary.Block, int]:
    """The summary block of the window ending at the newest reading (reads only that
    window), and the time of the window's first reading."""
    from pgd.measurements import services as measurements
    from pgd.measurements import settings, targets

    window = summary.Window(newest - _days() * 86400, newest + 1)
    s = measurements.series(
        principal, patient_id, kind, start=datetime.fromtimestamp(window.start, UTC)
    )
    if kind == Kind.BLOOD_PRESSURE:
        target = targets.clinical_for(principal, patient_id)
        block = summary.blood_pressure(
            s.epoch, s.values["systolic"], s.values["diastolic"], window, target
        )
    elif kind == Kind.WEIGHT:
        # Without the patient's weight goal: goals are a category of their own, and a
        # clinician without it sees the summary's flags without the goal too.
        height = settings.get(principal, patient_id).height_cm
        block = summary.weight(s.epoch, s.values["kg"], window, height)
    else:
        block = summary.glucose(s.epoch, s.values["mmol"], s.values["moment"], window)
    return block, int(s.epoch[0]) if s.n else newest


def _lock_row(patient_id: uuid.UUID, category: str) -> bytes:
    """Make or lock this row until commit (concurrent writes of one category queue here,
    so the last one computes from every reading); returns the stored payload (b"": new)."""
    conn = db.session().connection()
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(Triage).values(
        patient_id=patient_id,
        category=category,
        last_reading_at=None,
        payload_sealed=b"",
        updated_at=db.utcnow(),
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["patient_id", "category"],
        set_={"updated_at": stmt.excluded.updated_at},
    ).returning(Triage.payload_sealed)
    return bytes(conn.execute(stmt).scalar_one())


def _week(principal: Principal, patient_id: uuid.UUID) -> dict[str, Any] | None:
    """The latest measuring week in short, for the worklist's column (None: no week)."""
    from pgd.measurements import targets, week

    found = week.latest_result(
        principal, patient_id, target=targets.clinical_for(principal, patient_id)
    )
    if found is None or found.week.start_day is None or found.week.end_day is None:
        return None
    r = found.result
    return {
        "start": found.week.start_day.isoformat(),
        "s": r.systolic,
        "d": r.diastolic,
        "used": r.used,
        "expected": r.expected,
        "end": found.week.end_day.isoformat(),
        "finished": found.finished,
        "judged": r.judged,
        "high": clinical.measuring_week.mean_high(r),
    }


@dataclass(frozen=True)
class _Owner:
    """The patient as the reader of their own data, for a refresh a care provider's
    allowed write started (see refresh)."""

    id: uuid.UUID
    role: str = "patient"


def refresh(
    principal: Principal,
    patient_id: uuid.UUID,
    kind: Kind | str,
    action: Action = Action.WRITE,
) -> None:
    """Rewrite the triage row of one category after a write (call inside its transaction):
    a reading, a measuring week started or stopped, an agreed target (a clinician's
    Action.AGREE_TARGET releases this table too)."""
    kind = Kind(kind)
    policy.require(principal, patient_id, kind.value, action)
    if principal.role != "patient":
        # A care provider's write (an agreed target) allowed this refresh; the row is
        # every care provider's, so it is computed from the owner's data as a whole, not
        # from the writer's granted period. The policy released this patient's key of
        # this kind for that write, and the name and date of birth (for the age).
        policy.require(principal, patient_id, policy.IDENTIFICATION, Action.READ)
        principal = _Owner(patient_id)
    sess = db.session()
    sess.flush()  # an edited reading (ORM row) counts in the queries below
    cipher = crypto.cipher_for(patient_id, crypto.Category(kind.value), create=True)
    stored = _lock_row(patient_id, kind.value)
    payload: dict[str, Any] = orjson.loads(cipher.open(TABLE, patient_id, stored)) if stored else {}
    payload.setdefault("week", None)
    newest = sess.scalar(
        select(func.max(Measurement.taken_at)).where(
            Measurement.patient_id == patient_id, Measurement.kind == kind.value
        )
    )
    flags: list[list[Any]] = []
    level = FINE
    first: int | None = None
    if newest is not None:
        block, first = _block(principal, patient_id, kind, int(newest))
        flags = [[code, amount] for code, amount in block.flags]
        level = max((_flag_level(code, block) for code, _ in block.flags), default=FINE)
    if kind == Kind.BLOOD_PRESSURE:
        payload["week"] = _week(principal, patient_id)
        if payload["week"] is not None and payload["week"]["high"]:
            flags.insert(0, ["bp_week_high", 0])  # the figure NHG goes by
            level = max(level, ATTENTION)
    payload.update(flags=flags, level=level, first=first)
    sess.execute(
        update(Triage)
        .where(Triage.patient_id == patient_id, Triage.category == kind.value)
        .values(
            last_reading_at=None if newest is None else int(newest),
            payload_sealed=cipher.seal(TABLE, patient_id, orjson.dumps(payload)),
            updated_at=db.utcnow(),
        )
    )


# -- readings saved without their triage (the API's hot path) ---------------------------
# An API create saves the reading and marks (patient, category) in triage_stale in the
# same statement, and answers. The row is rewritten afterwards, outside the request's
# time: after the response by the worker that saved it (at most once per
# REFRESH_AFTER_SECONDS per pair and worker: a meter app sending a day of readings costs
# one rewrite, not one a reading), and before "my patients" reads triage rows, for the
# pairs still marked (settle). Both rewrite as the owner: it is the remaining work of the
# patient's own write, as refresh() does for a care provider's agreed target; a care
# provider reads the row only through the policy, as always.

REFRESH_AFTER_SECONDS = 2.0
_refreshed: dict[tuple[uuid.UUID, str], float] = {}
_refreshed_lock = threading.Lock()


def mark_stale_statement(dialect_name: str) -> Any:
    """INSERT … ON CONFLICT of one triage_stale row (parameters patient_id, category,
    marked_at); PostgreSQL callers can put it behind their own INSERT in one statement."""
    from pgd.sharing.models import TriageStale

    dialect = postgresql if dialect_name == "postgresql" else sqlite
    stmt = dialect.insert(TriageStale)
    return stmt.on_conflict_do_update(
        index_elements=["patient_id", "category"], set_={"marked_at": stmt.excluded.marked_at}
    )


def refresh_after_response(patient_id: uuid.UUID, kind: Kind | str) -> None:
    """Rewrite this pair's triage row once the response has gone out (this worker)."""
    from flask import after_this_request, current_app

    pair = (patient_id, Kind(kind).value)
    pending: set[tuple[uuid.UUID, str]] | None = g.get("pgd_triage_after")
    if pending is not None:
        pending.add(pair)
        return
    pending = g.pgd_triage_after = {pair}
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    @after_this_request
    def _later(response: Any) -> Any:
        response.call_on_close(lambda: _refresh_pairs(app, sorted(pending), coalesce=True))
        return response


def _refresh_pairs(app: Any, pairs: Sequence[tuple[uuid.UUID, str]], *, coalesce: bool) -> None:
    now = time.monotonic()
    for patient_id, category in pairs:
        if coalesce:
            with _refreshed_lock:
                last = _refreshed.get((patient_id, category))
                if last is not None and now - last < REFRESH_AFTER_SECONDS:
                    continue  # stays marked: the next view of "my patients" rewrites it
                _refreshed[(patient_id, category)] = now
                if len(_refreshed) > 10_000:
                    _refreshed.clear()
        with app.app_context():  # its own session: the owner's work, the owner's keys only
            try:
                crypto.limit_keys_to(patient_id)
                _refresh_marked(patient_id, category)
            except Exception:  # the mark stays; "my patients" rewrites it when read
                _log.exception("triage rewrite after a save failed")


def _refresh_marked(patient_id: uuid.UUID, category: str) -> None:
    from sqlalchemy import delete

    from pgd.sharing.models import TriageStale

    with db.transaction() as sess:
        # The mark goes first, then the row is computed, in one transaction: every reading
        # whose mark this removed was committed with it (one statement), so the rewrite
        # sees it; a reading saved from now on marks again (on PostgreSQL its upsert waits
        # for this transaction, then inserts). A failed rewrite rolls the removal back.
        removed = sess.execute(
            delete(TriageStale)
            .where(TriageStale.patient_id == patient_id, TriageStale.category == category)
            .execution_options(synchronize_session=False)
        )
        if not removed.rowcount:  # type: ignore[attr-defined]
            return  # rewritten meanwhile by another worker or a view of the list
        refresh(_Owner(patient_id), patient_id, category)


def settle(principal: Principal, grants: Sequence[ActiveGrant]) -> int:
    """Rewrite the still-marked triage rows of these patients before the list reads them
    (usually none: the saving worker did it). Returns how many were rewritten."""
    from flask import current_app

    from pgd.sharing.models import TriageStale

    query = select(TriageStale.patient_id, TriageStale.category)
    if len(grants) > 900:
        mine = select(Grant.patient_id).where(
            Grant.clinician_id == principal.id, Grant.revoked_at.is_(None)
        )
        query = query.where(TriageStale.patient_id.in_(mine))
    else:
        query = query.where(TriageStale.patient_id.in_([gr.patient_id for gr in grants]))
    pairs = [(r.patient_id, r.category) for r in db.session().execute(query)]
    if pairs:
        _refresh_pairs(current_app._get_current_object(), pairs, coalesce=False)  # type: ignore[attr-defined]
    return len(pairs)


# -- the clinician's side --------------------------------------------------------------


class Entry(NamedTuple):
    """One shared category of one patient as the worklist reads it (a tuple: 6,000 of
    them a request)."""

    category: str
    last_reading_at: int | None  # epoch s; None: no reading in the granted period
    level: int = FINE
    flags: tuple[tuple[str, float], ...] = ()
    week: Any = None


def _rows(principal: Principal, grants: Sequence[ActiveGrant]) -> tuple[bool, list[Any]]:
    """(patient id, category, last reading, sealed payload) of these patients' rows, with
    the ids as stored (hex text on SQLite: no UUID objects for 6,000 rows); one query."""
    conn = db.session().connection()
    raw = conn.dialect.name == "sqlite"
    query = select(
        type_coerce(Triage.patient_id, String) if raw else Triage.patient_id,
        Triage.category,
        Triage.last_reading_at,
        Triage.payload_sealed,
    )
    if len(grants) > 900:
        # All of this clinician's patients: their grants narrow the rows in SQL (no list
        # of 2,000 ids); the grants handed in decide which rows are used.
        mine = select(Grant.patient_id).where(
            Grant.clinician_id == principal.id, Grant.revoked_at.is_(None)
        )
        query = query.where(Triage.patient_id.in_(mine))
    else:
        query = query.where(Triage.patient_id.in_([g.patient_id for g in grants]))
    return raw, list(conn.execute(query))


# Opened triage payloads in this worker, by (patient id as int, category, ciphertext). A rewritten
# row has a new ciphertext (a fresh nonce), so an entry never goes stale; an entry is
# looked up only for a (patient, category) the policy allowed in this request, from the
# row as the database holds it now, and lives at most CACHE_SECONDS. It saves opening
# 6,000 data keys for every view of a long list; a revoked share reads nothing from the
# next request on, as before (its rows are not even looked at).
CACHE_SECONDS = 300.0
CACHE_MAX = 50_000
_opened: OrderedDict[tuple[int, str, bytes], tuple[float, dict[str, Any]]] = OrderedDict()
_opened_lock = threading.Lock()


def _open_all(
    rows: list[tuple[ActiveGrant, str, int, bytes]],
) -> dict[tuple[uuid.UUID, str], dict[str, Any]]:
    """The payloads of these rows: from the cache, the rest opened with bulk-loaded keys."""
    now = time.monotonic()
    found: dict[tuple[uuid.UUID, str], dict[str, Any]] = {}
    missing: dict[str, list[tuple[uuid.UUID, bytes]]] = {}
    with _opened_lock:
        for grant, category, _last, sealed in rows:
            hit = _opened.get((grant.patient_id.int, category, sealed))
            if hit is not None and now - hit[0] < CACHE_SECONDS:
                found[(grant.patient_id, category)] = hit[1]
            else:
                missing.setdefault(category, []).append((grant.patient_id, sealed))
    fresh: list[tuple[tuple[int, str, bytes], dict[str, Any]]] = []
    for category, pairs in missing.items():
        ciphers = crypto.preload([pid for pid, _ in pairs], crypto.Category(category))
        for pid, sealed in pairs:
            data: dict[str, Any] = orjson.loads(ciphers[pid].open(TABLE, pid, sealed))
            found[(pid, category)] = data
            fresh.append(((pid.int, category, sealed), data))
    with _opened_lock:
        for key, data in fresh:
            _opened[key] = (now, data)
            _opened.move_to_end(key)
        # Oldest first: drop what expired (no decrypted flags outlive CACHE_SECONDS in a
        # worker that keeps serving), and the oldest beyond CACHE_MAX.
        while _opened and (
            len(_opened) > CACHE_MAX or now - next(iter(_opened.values()))[0] >= CACHE_SECONDS
        ):
            _opened.popitem(last=False)
    return found


def _week_in(week: dict[str, Any] | None, grant: ActiveGrant) -> dict[str, Any] | None:
    """The stored week, only when it lies wholly in the granted period (its readings)."""
    if week is None or grant.data_from is None:
        return week
    from pgd.measurements.validation import LOCAL

    start = week.get("start")
    if start is None or date.fromisoformat(start) < grant.data_from.astimezone(LOCAL).date():
        return None
    return week


def read_many(
    principal: Principal, grants: Sequence[ActiveGrant], *, flags: bool = True
) -> dict[uuid.UUID, list[Entry]]:
    """The triage of the shared measured categories of these patients (one grant each,
    from policy.patients_of): their last readings, and with flags=True their flags too,
    opened with the patients' keys, which the policy releases pair by pair.
    A few queries in all: none per patient."""
    # The policy decides once for all: these grants, their measured categories.
    allowed = {
        g.patient_id
        for g in policy.permit_reads(
            principal, list(grants), frozenset(MEASURED) if flags else frozenset()
        )
    }
    raw, rows = _rows(principal, grants)
    by_key = {(g.patient_id.hex if raw else g.patient_id): g for g in grants}
    found: dict[uuid.UUID, list[Entry]] = {g.patient_id: [] for g in grants}
    sealed_rows: list[tuple[ActiveGrant, str, int, bytes]] = []
    stale_before = int(datetime.now(UTC).timestamp()) - _days() * 86400
    for key, category, last, sealed in rows:
        grant = by_key.get(key)
        if grant is None or category not in grant.categories or category not in MEASURED:
            continue
        if last is not None and grant.data_from is not None and last < grant.data_from.timestamp():
            last = None  # every reading is before the granted period
        if last is None or not flags or last < stale_before or grant.patient_id not in allowed:
            # No reading in the summary's period: no flags, as the summary would show
            # none (and nothing to open).
            found[grant.patient_id].append(Entry(category, last))
            continue
        sealed_rows.append((grant, category, last, sealed))
    opened_now = _open_all(sealed_rows)
    for grant, category, last, _sealed in sealed_rows:
        pid = grant.patient_id
        data = opened_now[(pid, category)]
        if grant.data_from is not None and (data["first"] or 0) < grant.data_from.timestamp():
            # The flags count readings before the granted period: the dossier shows the
            # period's own figures; the list shows no flag rather than leak them.
            found[pid].append(Entry(category, last, week=_week_in(data["week"], grant)))
            continue
        codes = tuple((code, amount) for code, amount in data["flags"])
        found[pid].append(
            Entry(category, last, data["level"], codes, _week_in(data["week"], grant))
        )
    return found
