"""The access log (NEN 7513): one chained event per clinician read or write of patient
data, and per refused try.

Each event records who (name, profession, practice and AGB code), whose data, which
categories, what (action), whether the consent door allowed it (outcome), the grant it
relied on, the way in (channel: web, api, fhir), the API key used, the client address.

One chain per patient. Each event carries the digest of the patient's event before it,
so changing or removing an event breaks that patient's chain. Writers first lock the
patient's head row (access_log_heads: a row lock on PostgreSQL, the write lock on
SQLite), so two requests never link to the same previous event, while reads of other
patients never wait; the head names the newest event, so cutting events off the end is
detected too. Events are appended in the caller's transaction: no log, no read. A
refused try is appended in a short transaction of its own (the request rolls back).

Keyed: the digest is an HMAC-SHA256 under the audit key (pgd.crypto.audit), so whoever
can write the database but cannot read the master key file cannot recompute a chain.
Whoever holds the key too could still rewrite a chain from its start: the anchor
(pgd.sharing.access_anchor), a digest over every chain's head kept in a file outside
the database, shows that.

Events written before migration 0016 stay as they were: one global, unkeyed SHA-256
chain (chain = 1, seq global, its head in access_log_head), verified as one "legacy"
segment. They are not re-chained under the key: the table is append-only (the database
refuses UPDATE), and re-writing audit records to make them look keyed would claim a
protection they never had. A patient's keyed chain (chain = 2) starts after the
patient's last legacy seq, so (patient_id, seq) stays unique.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from flask import current_app, g, has_app_context, has_request_context, request
from sqlalchemy import Table, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from pgd import db
from pgd.crypto import audit
from pgd.measurements.validation import LOCAL
from pgd.sharing.models import AccessEvent, AccessLogHead, PatientLogHead

_log = logging.getLogger(__name__)

GENESIS = "0" * 64
HEAD_ID = 1  # the legacy chain's head row
LEGACY, KEYED = 1, 2  # AccessEvent.chain
ALLOWED, REFUSED = "allowed", "refused"
HEADS: Table = PatientLogHead.__table__  # type: ignore[assignment]
EVENTS: Table = AccessEvent.__table__  # type: ignore[assignment]


class Channel:
    WEB = "web"
    API = "api"
    FHIR = "fhir"


class ReadAction:
    """What the clinician did (stored as text; shown in plain language)."""

    SUMMARY = "view_summary"
    CHART = "view_chart"
    API = "api_read"
    # "My patients": each row's name and date of birth (category profile), and the flags,
    # last reading and week of the measured categories it shows.
    WORKLIST = "view_worklist"
    FHIR = "fhir_read"  # a read through the FHIR endpoint (/fhir)
    REPORT = "report_download"  # the consult report printed or downloaded as a PDF


class WriteAction:
    """A clinician's write: the only ones pgd.sharing.policy.CLINICIAN_WRITES allows, each
    logged as its own action (same text as the policy's Action)."""

    AGREE_TARGET = "agree_target"
    REQUEST_WEEK = "request_week"
    MARK_DISCUSSED = "mark_discussed"
    PROPOSE_GOAL = "propose_goal"


WRITES = frozenset(
    (
        WriteAction.AGREE_TARGET,
        WriteAction.REQUEST_WEEK,
        WriteAction.MARK_DISCUSSED,
        WriteAction.PROPOSE_GOAL,
    )
)


@dataclass(frozen=True)
class Actor:
    id: uuid.UUID
    name: str
    profession: str
    practice: str | None = None
    agb_code: str | None = None


def _utc_text(when: datetime) -> str:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def event_hash(
    *,
    seq: int,
    occurred_at: datetime,
    actor_id: uuid.UUID,
    actor_name: str,
    actor_profession: str,
    patient_id: uuid.UUID,
    categories: str,
    action: str,
    address: str,
    prev_hash: str,
) -> str:
    """The legacy digest (chain 1): SHA-256 over a canonical JSON of every field and the
    previous hash. Kept to verify the events written before migration 0016."""
    material = orjson.dumps(
        [
            "pgd.access-event.v1",
            seq,
            _utc_text(occurred_at),
            str(actor_id),
            actor_name,
            actor_profession,
            str(patient_id),
            categories,
            action,
            address,
            prev_hash,
        ]
    )
    return hashlib.sha256(material).hexdigest()


def _text(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


def event_material(
    *,
    patient_id: uuid.UUID,
    seq: int,
    occurred_at: datetime,
    actor_id: uuid.UUID,
    actor_name: str,
    actor_profession: str,
    actor_practice: str | None,
    actor_agb_code: str | None,
    categories: str,
    action: str,
    outcome: str,
    channel: str | None,
    key_id: uuid.UUID | None,
    grant_id: uuid.UUID | None,
    address: str,
    prev_hash: str,
) -> bytes:
    """The canonical form of a keyed event (chain 2): every field and the previous MAC."""
    return orjson.dumps(
        [
            "pgd.access-event.v2",
            str(patient_id),
            seq,
            _utc_text(occurred_at),
            str(actor_id),
            actor_name,
            actor_profession,
            actor_practice,
            actor_agb_code,
            categories,
            action,
            outcome,
            channel,
            _text(key_id),
            _text(grant_id),
            address,
            prev_hash,
        ]
    )


_MAC_FIELDS = (
    "patient_id",
    "seq",
    "occurred_at",
    "actor_id",
    "actor_name",
    "actor_profession",
    "actor_practice",
    "actor_agb_code",
    "categories",
    "action",
    "outcome",
    "channel",
    "key_id",
    "grant_id",
    "address",
    "prev_hash",
)


def event_mac(event: AccessEvent | Mapping[str, Any], *, mac: Callable[[bytes], str]) -> str:
    """The keyed digest of one event (HMAC-SHA256 under the audit key; mac: a
    pgd.crypto.audit.log_macer(), the key read once for many events)."""
    if isinstance(event, AccessEvent):
        values = {name: getattr(event, name) for name in _MAC_FIELDS}
    else:
        values = {name: event[name] for name in _MAC_FIELDS}
    return mac(event_material(**values))


# -- where the request came from --------------------------------------------------------


def _way_in() -> tuple[str | None, uuid.UUID | None]:
    """(channel, API key id) of this request: the JSON API and FHIR blueprints check a
    bearer key (pgd.api.auth puts its principal in g); everything else is the web."""
    if not has_request_context():
        return None, None
    blueprint = request.blueprint or ""
    channel = {"api": Channel.API, "fhir": Channel.FHIR}.get(blueprint, Channel.WEB)
    key_id = getattr(g.get("api_principal"), "token_id", None)
    return channel, key_id


def _grant_of(actor_id: uuid.UUID, patient_id: uuid.UUID) -> uuid.UUID | None:
    """The grant the consent door allowed this read by (looked up once per request by
    pgd.sharing.policy, so this is normally no query)."""
    from pgd.sharing import policy

    found = policy.active_grant(actor_id, patient_id)
    return None if found is None else found.id


# -- appending ----------------------------------------------------------------------------


def _lock_heads(sess: Session, patient_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[int, str]]:
    """Lock the head rows of these patients' chains, making those of a patient's first
    keyed event; returns (last seq, last mac) per patient. A few statements for any
    number of patients: PostgreSQL locks the rows in patient id order (two writers of
    overlapping lists never wait for each other crosswise), SQLite takes its write lock
    with the first statement."""
    ids = sorted(set(patient_ids))
    found = _locked_heads(sess, ids)
    missing = [p for p in ids if p not in found]
    if missing:
        # A patient's first keyed event: their chain starts after their last legacy event.
        starts: dict[uuid.UUID, int] = {}
        for start in range(0, len(missing), 900):
            part = missing[start : start + 900]
            starts.update(
                (r.patient_id, int(r.last))
                for r in sess.execute(
                    select(AccessEvent.patient_id, func.max(AccessEvent.seq).label("last"))
                    .where(AccessEvent.chain == LEGACY, AccessEvent.patient_id.in_(part))
                    .group_by(AccessEvent.patient_id)
                )
            )
        conn = sess.connection()
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        for start in range(0, len(missing), 900):
            part = missing[start : start + 900]
            conn.execute(
                dialect.insert(HEADS)
                .values([{"patient_id": p, "seq": starts.get(p, 0), "hash": GENESIS} for p in part])
                .on_conflict_do_nothing()
            )
        found.update(_locked_heads(sess, missing))  # waits for a writer that made one too
        if len(found) != len(ids):
            raise RuntimeError("access log head rows cannot be locked")
    return found


def _locked_heads(sess: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[int, str]]:
    conn = sess.connection()
    heads = HEADS
    postgres = conn.dialect.name == "postgresql"
    found: dict[uuid.UUID, tuple[int, str]] = {}
    for start in range(0, len(ids), 900):
        part = ids[start : start + 900]
        if not postgres:  # the write lock first, then the read (no stale snapshot)
            conn.execute(heads.update().where(heads.c.patient_id.in_(part)).values(seq=heads.c.seq))
        query = (
            select(heads.c.patient_id, heads.c.seq, heads.c.hash)
            .where(heads.c.patient_id.in_(part))
            .order_by(heads.c.patient_id)
        )
        if postgres:
            query = query.with_for_update()
        found.update((r.patient_id, (int(r.seq), str(r.hash))) for r in conn.execute(query))
    return found


def append(
    actor: Actor,
    patient_id: uuid.UUID,
    categories: Iterable[str],
    action: str,
    address: str,
    when: datetime | None = None,
    *,
    grant_id: uuid.UUID | None = None,
) -> None:
    """Append one event inside the caller's transaction (call within db.transaction())."""
    grants = None if grant_id is None else {patient_id: grant_id}
    append_many(actor, [(patient_id, categories)], action, address, when, grants=grants)


def append_many(
    actor: Actor,
    reads: Sequence[tuple[uuid.UUID, Iterable[str]]],
    action: str,
    address: str,
    when: datetime | None = None,
    *,
    grants: Mapping[uuid.UUID, uuid.UUID] | None = None,
    outcome: str = ALLOWED,
    sess: Session | None = None,
) -> None:
    """One event per (patient, categories), each chained onto its patient's chain, with
    one lock per patient (a list that shows 50 patients logs 50 reads). grants: the grant
    each patient's read relied on (default: the one the policy found in this request).
    Channel and API key come from the request (_way_in).

    The events are written at once, in one executemany of a Core INSERT (no ORM objects:
    "my patients" logs a row per patient on every view). No read that pgd.db.remembered
    keeps comes from the access log, so there is nothing to forget; the commit forgets
    every read anyway."""
    sess = sess or db.session()
    heads = _lock_heads(sess, [patient_id for patient_id, _cats in reads])
    occurred = (when or db.utcnow()).astimezone(UTC)
    channel, key_id = _way_in()
    mac = audit.log_macer(sess)
    rows: list[dict[str, Any]] = []
    for patient_id, categories in reads:
        last_seq, last_mac = heads[patient_id]
        grant_id = (grants or {}).get(patient_id)
        if grant_id is None and outcome == ALLOWED:
            grant_id = _grant_of(actor.id, patient_id)
        fields: dict[str, Any] = {
            "chain": KEYED,
            "patient_id": patient_id,
            "seq": last_seq + 1,
            "occurred_at": occurred,
            "actor_id": actor.id,
            "actor_name": actor.name,
            "actor_profession": actor.profession,
            "actor_practice": actor.practice,
            "actor_agb_code": actor.agb_code,
            "categories": ",".join(sorted(set(categories))),
            "action": action,
            "outcome": outcome,
            "channel": channel,
            "key_id": key_id,
            "grant_id": grant_id,
            "address": (address or "unknown")[:64],
            "prev_hash": last_mac,
        }
        digest = event_mac(fields, mac=mac)
        rows.append({**fields, "id": db.new_id(), "hash": digest})
        heads[patient_id] = (last_seq + 1, digest)
    if not rows:
        return
    conn = sess.connection()
    table = HEADS
    conn.execute(
        update(table)
        .where(table.c.patient_id == bindparam("b_patient"))
        .values(seq=bindparam("b_seq"), hash=bindparam("b_hash")),
        [
            {"b_patient": p, "b_seq": heads[p][0], "b_hash": heads[p][1]}
            for p in sorted({row["patient_id"] for row in rows})
        ],
    )
    conn.execute(insert(EVENTS), rows)
    _anchor_after_request()


def _anchor_after_request() -> None:
    """After a request that appended, write the anchor file if the last one is older than
    ACCESS_LOG_ANCHOR_INTERVAL (pgd.sharing.access_anchor; once per request)."""
    if not has_request_context() or g.get("pgd_anchor_scheduled"):
        return
    g.pgd_anchor_scheduled = True
    from flask import after_this_request

    app = current_app._get_current_object()  # type: ignore[attr-defined]

    @after_this_request
    def _anchor(response: Any) -> Any:
        from pgd.sharing import access_anchor

        try:
            access_anchor.write_if_due(app)
        except Exception:  # the anchor is a safeguard; a failure must not fail the read
            _log.exception("The access log anchor could not be written")
        return response


def record_refusal(principal: Any, patient_id: Any, category: str, action: str) -> None:
    """A clinician refused at the consent door for a patient that exists: one event with
    outcome "refused", in its own short transaction (the request's rolls back on the
    404). Nothing for an id that is no patient: there is no one to tell."""
    if not has_app_context() or getattr(principal, "role", None) != "clinician":
        return
    try:
        patient_id = uuid.UUID(str(patient_id))
    except ValueError:
        return  # not even an id: no patient to tell
    from pgd.accounts.models import Role, User
    from pgd.sharing import dossier

    own = current_app.extensions["pgd.sessionmaker"]()
    sqlite = own.get_bind().dialect.name == "sqlite"
    try:
        if sqlite:  # should this request hold the write lock, give up soon, not in 10 s
            own.connection().exec_driver_sql("PRAGMA busy_timeout=2000")
        else:  # should this request hold the patient's head lock: no wait without end
            own.connection().exec_driver_sql("SET LOCAL lock_timeout = '2s'")
        role = own.scalar(select(User.role).where(User.id == patient_id))
        if role != Role.PATIENT:
            return
        actor = dossier.actor_of(principal)
        where = dossier.address() if has_request_context() else "unknown"
        append_many(
            actor, [(patient_id, [str(category)])], str(action), where, outcome=REFUSED, sess=own
        )
        own.commit()
    except Exception:  # the security log has the refusal already; never turn a 404 into 500
        own.rollback()
        _log.exception("The refused access could not be written to the access log")
    finally:
        if sqlite:
            own.connection().exec_driver_sql(f"PRAGMA busy_timeout={db.SQLITE_BUSY_TIMEOUT_MS}")
        own.close()


# -- verifying ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    """Every chain's head at one moment, kept outside the database (access_anchor)."""

    legacy: tuple[int, str] | None
    heads: dict[uuid.UUID, tuple[int, str]]
    written_at: str = ""


def anchor_digest(
    legacy: tuple[int, str] | None, heads: Mapping[uuid.UUID, tuple[int, str]]
) -> str:
    """SHA-256 over every chain's head, in patient id order (the anchor's own check)."""
    material = orjson.dumps(
        [
            "pgd.access-anchor.v1",
            list(legacy) if legacy else None,
            [[str(p), heads[p][0], heads[p][1]] for p in sorted(heads)],
        ]
    )
    return hashlib.sha256(material).hexdigest()


def current_heads(sess: Session | None = None) -> Anchor:
    """Every chain's head as the database holds it now (committed)."""
    sess = sess or db.session()
    legacy_row = sess.get(AccessLogHead, HEAD_ID)
    legacy = (
        None
        if legacy_row is None or legacy_row.seq == 0
        else (int(legacy_row.seq), str(legacy_row.hash))
    )
    heads = {
        r.patient_id: (int(r.seq), str(r.hash))
        for r in sess.execute(
            select(PatientLogHead.patient_id, PatientLogHead.seq, PatientLogHead.hash).where(
                PatientLogHead.hash != GENESIS
            )
        )
    }
    return Anchor(legacy, heads, _utc_text(db.utcnow()))


@dataclass(frozen=True)
class Broken:
    """Where a chain does not hold, and why. patient_id None: the legacy chain.
    untrusted_to: nothing in that chain up to and including this seq can be trusted."""

    patient_id: uuid.UUID | None
    seq: int | None
    event_id: uuid.UUID | None
    reason: str
    untrusted_to: int | None = None

    @property
    def chain(self) -> str:
        return "the legacy chain" if self.patient_id is None else f"patient {self.patient_id}"


@dataclass
class Report:
    events: int = 0
    chains: int = 0
    problems: list[Broken] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


@dataclass
class _Chain:
    """One chain walked event by event."""

    patient_id: uuid.UUID | None
    start: int  # the seq of its first event
    anchored: tuple[int, str] | None
    expected_seq: int = 0
    prev: str = GENESIS
    count: int = 0
    broken: Broken | None = None
    anchor_seen: bool = False
    anchor_moved: Broken | None = None

    def __post_init__(self) -> None:
        self.expected_seq = self.start

    def feed(self, event: AccessEvent, digest: str) -> None:
        self.count += 1
        if self.anchored is not None and event.seq == self.anchored[0]:
            self.anchor_seen = True
            if event.hash != self.anchored[1]:
                self.anchor_moved = Broken(
                    self.patient_id,
                    event.seq,
                    event.id,
                    f"event {event.seq} is not the event recorded in the anchor: this chain "
                    f"was rewritten. NOTHING in it up to and including event {event.seq} "
                    "can be trusted",
                    untrusted_to=event.seq,
                )
        if self.broken is None:
            if event.seq != self.expected_seq:
                self.broken = Broken(
                    self.patient_id,
                    event.seq,
                    event.id,
                    f"event {self.expected_seq} is missing (the chain jumps to {event.seq})",
                )
            elif event.prev_hash != self.prev:
                self.broken = Broken(
                    self.patient_id,
                    event.seq,
                    event.id,
                    f"event {event.seq} does not point to the event before it (prev_hash)",
                )
            elif digest != event.hash:
                self.broken = Broken(
                    self.patient_id,
                    event.seq,
                    event.id,
                    f"event {event.seq} was changed after writing (its digest does not match)",
                )
        self.expected_seq = event.seq + 1
        self.prev = event.hash

    def finish(self, head: tuple[int, str] | None) -> list[Broken]:
        last = self.expected_seq - 1
        found: list[Broken] = []
        if self.anchor_moved is not None:
            found.append(self.anchor_moved)  # says more than any break before it
        elif self.anchored is not None and not self.anchor_seen:
            found.append(
                Broken(
                    self.patient_id,
                    self.anchored[0],
                    None,
                    f"the chain was cut short: the anchor names event {self.anchored[0]}, "
                    + (f"the chain ends at event {last}" if self.count else "no event is left"),
                    untrusted_to=self.anchored[0],
                )
            )
        if self.broken is not None and (
            self.anchor_moved is None or (self.broken.seq or 0) > self.anchored[0]  # type: ignore[index]
        ):
            found.append(self.broken)
        if found:
            return found
        if head is None:
            if self.count:
                return [Broken(self.patient_id, None, None, "the chain's head row is missing")]
            return []
        if head != (last, self.prev) and (self.count or head[1] != GENESIS):
            return [
                Broken(
                    self.patient_id,
                    last + 1,
                    None,
                    f"the newest event(s) after event {last} were removed "
                    f"(the chain's head names event {head[0]})",
                )
            ]
        return []


def _legacy_events(sess: Session) -> Iterator[AccessEvent]:
    last = 0
    while True:
        batch = sess.scalars(
            select(AccessEvent)
            .where(AccessEvent.chain == LEGACY, AccessEvent.seq > last)
            .order_by(AccessEvent.seq)
            .limit(2000)
        ).all()
        if not batch:
            return
        yield from batch
        last = batch[-1].seq
        sess.expunge_all()


def _keyed_events(sess: Session) -> Iterator[AccessEvent]:
    """Every keyed event, chain after chain (patient id, then seq), 2,000 at a time."""
    after: tuple[uuid.UUID, int] | None = None
    while True:
        query = select(AccessEvent).where(AccessEvent.chain == KEYED)
        if after is not None:
            query = query.where(
                or_(
                    AccessEvent.patient_id > after[0],
                    and_(AccessEvent.patient_id == after[0], AccessEvent.seq > after[1]),
                )
            )
        batch = sess.scalars(
            query.order_by(AccessEvent.patient_id, AccessEvent.seq).limit(2000)
        ).all()
        if not batch:
            return
        yield from batch
        after = (batch[-1].patient_id, batch[-1].seq)
        sess.expunge_all()


def _prepend(first: AccessEvent | None, rest: Iterator[AccessEvent]) -> Iterator[AccessEvent]:
    if first is not None:
        yield first
        yield from rest


def verify(anchor: Anchor | None = None) -> Report:
    """Walk every chain: the legacy one and each patient's keyed one. Returns what was
    checked and every chain that does not hold.

    A chain shows any change by someone who cannot recompute it; whoever holds the audit
    key and can write the database could rewrite a chain from its first event on. The
    anchor (every head as an earlier moment saw it, kept outside the database) shows that
    too: a chain whose anchored event changed was rewritten, and nothing in it up to that
    event can be trusted; a chain that ends before its anchored event was cut short."""
    sess = db.session()
    report = Report()
    now = current_heads(sess)
    # The legacy chain (events before migration 0016).
    legacy = _Chain(None, 1, anchor.legacy if anchor else None)
    for event in _legacy_events(sess):
        legacy.feed(
            event,
            event_hash(
                seq=event.seq,
                occurred_at=event.occurred_at,
                actor_id=event.actor_id,
                actor_name=event.actor_name,
                actor_profession=event.actor_profession,
                patient_id=event.patient_id,
                categories=event.categories,
                action=event.action,
                address=event.address,
                prev_hash=event.prev_hash,
            ),
        )
    report.events += legacy.count
    if legacy.count or now.legacy or legacy.anchored:
        report.chains += 1
    report.problems.extend(legacy.finish(now.legacy))
    # Where each patient's keyed chain starts: after their last legacy event.
    starts = {
        r.patient_id: int(r.last)
        for r in sess.execute(
            select(AccessEvent.patient_id, func.max(AccessEvent.seq).label("last"))
            .where(AccessEvent.chain == LEGACY)
            .group_by(AccessEvent.patient_id)
        )
    }
    anchored = anchor.heads if anchor else {}
    seen: set[uuid.UUID] = set()
    chain: _Chain | None = None

    def close(done: _Chain) -> None:
        assert done.patient_id is not None
        seen.add(done.patient_id)
        report.events += done.count
        report.chains += 1
        report.problems.extend(done.finish(now.heads.get(done.patient_id)))

    keyed = _keyed_events(sess)
    first = next(keyed, None)
    if first is not None and not audit.log_key_exists(sess):
        report.problems.append(
            Broken(None, None, None, "the audit key is missing: no keyed chain can be checked")
        )
        return report
    mac = audit.log_macer(sess) if first is not None else None
    # Readers append while this walks (no shared snapshot): an event after the head read
    # above, or a chain begun since, is left to the next run, not reported as a break.
    appeared: set[uuid.UUID] = set()
    for event in _prepend(first, keyed):
        head = now.heads.get(event.patient_id)
        if head is None and event.patient_id not in anchored:
            if event.patient_id in appeared or _head_of(sess, event.patient_id) is not None:
                appeared.add(event.patient_id)
                continue
        elif head is not None and event.seq > head[0]:
            continue
        if chain is None or chain.patient_id != event.patient_id:
            if chain is not None:
                close(chain)
            chain = _Chain(
                event.patient_id,
                starts.get(event.patient_id, 0) + 1,
                anchored.get(event.patient_id),
            )
        assert mac is not None  # made above: there is a keyed event
        chain.feed(event, event_mac(event, mac=mac))
    if chain is not None:
        close(chain)
    # Chains with a head or an anchor but no event left at all.
    for patient_id in sorted((set(now.heads) | set(anchored)) - seen):
        empty = _Chain(patient_id, starts.get(patient_id, 0) + 1, anchored.get(patient_id))
        report.chains += 1
        report.problems.extend(empty.finish(now.heads.get(patient_id)))
    return report


def _head_of(sess: Session, patient_id: uuid.UUID) -> tuple[int, str] | None:
    """One patient's chain head as the database holds it now (None: no event yet)."""
    row = sess.execute(
        select(PatientLogHead.seq, PatientLogHead.hash).where(
            PatientLogHead.patient_id == patient_id, PatientLogHead.hash != GENESIS
        )
    ).first()
    return None if row is None else (int(row.seq), str(row.hash))


@dataclass(frozen=True)
class EventView:
    seq: int
    occurred_at: datetime
    actor_id: uuid.UUID
    actor_name: str
    actor_profession: str
    categories: tuple[str, ...]
    action: str
    outcome: str = ALLOWED


def events_of(
    patient_id: uuid.UUID, before: int | None = None, limit: int = 100
) -> tuple[list[EventView], int | None]:
    """A patient's own events, newest first, a page at a time (the caller checked the
    principal); returns the page and where the next one starts (None: no more)."""
    where = [AccessEvent.patient_id == patient_id]
    if before is not None:
        where.append(AccessEvent.seq < before)
    rows = (
        db.session()
        .execute(
            select(
                AccessEvent.seq,
                AccessEvent.occurred_at,
                AccessEvent.actor_id,
                AccessEvent.actor_name,
                AccessEvent.actor_profession,
                AccessEvent.categories,
                AccessEvent.action,
                AccessEvent.outcome,
            )
            .where(*where)
            .order_by(AccessEvent.seq.desc())
            .limit(limit + 1)
        )
        .all()
    )
    events = [
        EventView(
            r.seq,
            r.occurred_at if r.occurred_at.tzinfo else r.occurred_at.replace(tzinfo=UTC),
            r.actor_id,
            r.actor_name,
            r.actor_profession,
            tuple(c for c in r.categories.split(",") if c),
            r.action,
            r.outcome,
        )
        for r in rows[:limit]
    ]
    more = len(rows) > limit
    return events, (events[-1].seq if more else None)


@dataclass(frozen=True)
class Visit:
    """Events of one care provider close together, as the patient reads them: one visit."""

    actor_name: str
    actor_profession: str
    categories: tuple[str, ...]  # in the order of pgd.sharing.policy.SHAREABLE
    # "api_read", "view" for the web pages (summary and charts), a WriteAction, or
    # "refused" (tried to look or write, the consent door said no)
    action: str
    first: datetime
    last: datetime
    count: int


VISIT_GAP = timedelta(minutes=30)


def visits(events: list[EventView], order: tuple[str, ...]) -> list[Visit]:
    """Group events (newest first) into visits: the same person, the same way in (web or
    API), the same day in the Netherlands, at most VISIT_GAP between one event and the
    next. Pure."""
    found: list[Visit] = []
    keys: list[tuple[uuid.UUID, str, date]] = []
    for e in events:
        action = (
            REFUSED
            if e.outcome == REFUSED
            else "api_read"
            if e.action == ReadAction.API
            else e.action
            if e.action in WRITES or e.action == ReadAction.WORKLIST
            else "view"
        )
        key = (e.actor_id, action, e.occurred_at.astimezone(LOCAL).date())
        if found and keys[-1] == key and found[-1].first - e.occurred_at <= VISIT_GAP:
            v = found[-1]
            found[-1] = replace(
                v,
                categories=_in_order(set(v.categories) | set(e.categories), order),
                first=e.occurred_at,
                count=v.count + 1,
            )
            continue
        keys.append(key)
        found.append(
            Visit(
                e.actor_name,
                e.actor_profession,
                _in_order(set(e.categories), order),
                action,
                e.occurred_at,
                e.occurred_at,
                1,
            )
        )
    return found


def _in_order(categories: set[str], order: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(c for c in order if c in categories) + tuple(sorted(categories - set(order)))
