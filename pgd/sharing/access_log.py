"""The access log (NEN 7513): one hash-chained event per clinician read of patient data.

Each event carries the hash of the event before it, so changing or removing an event
breaks the chain. Writers first update the single head row (a row lock on PostgreSQL,
the write lock on SQLite), so two requests can never link to the same previous event;
the head also names the newest event, so cutting events off the end is detected too.
Events are appended in the caller's transaction: no log, no read.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import orjson
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from pgd import db
from pgd.measurements.validation import LOCAL
from pgd.sharing.models import AccessEvent, AccessLogHead

GENESIS = "0" * 64
HEAD_ID = 1


class ReadAction:
    """What the clinician did (stored as text; shown in plain language)."""

    SUMMARY = "view_summary"
    CHART = "view_chart"
    API = "api_read"
    WORKLIST = "view_worklist"  # flags, last reading and week of a patient in "my patients"
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
    """SHA-256 over a canonical JSON of every field and the previous hash."""
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


def _lock_head() -> tuple[int, str]:
    """Take the chain's lock and return (last seq, last hash)."""
    sess = db.session()
    for _attempt in range(2):
        locked = sess.execute(
            update(AccessLogHead)
            .where(AccessLogHead.id == HEAD_ID)
            .values(seq=AccessLogHead.seq)
            .execution_options(synchronize_session=False)
        )
        if locked.rowcount:  # type: ignore[attr-defined]
            head = sess.execute(
                select(AccessLogHead.seq, AccessLogHead.hash).where(AccessLogHead.id == HEAD_ID)
            ).one()
            return int(head.seq), str(head.hash)
        try:
            with sess.begin_nested():  # the very first event ever: make the head row
                sess.add(AccessLogHead(id=HEAD_ID, seq=0, hash=GENESIS))
        except IntegrityError:
            pass  # another writer made it at the same moment; lock it now
    raise RuntimeError("access log head row cannot be locked")


def append(
    actor: Actor,
    patient_id: uuid.UUID,
    categories: Iterable[str],
    action: str,
    address: str,
    when: datetime | None = None,
) -> AccessEvent:
    """Append one event inside the caller's transaction (call within db.transaction())."""
    return append_many(actor, [(patient_id, categories)], action, address, when)[0]


def append_many(
    actor: Actor,
    reads: Sequence[tuple[uuid.UUID, Iterable[str]]],
    action: str,
    address: str,
    when: datetime | None = None,
) -> list[AccessEvent]:
    """One event per (patient, categories), chained in order, with one lock of the head
    (a list that shows 50 patients' flags logs 50 reads at the cost of about one)."""
    sess = db.session()
    last_seq, last_hash = _lock_head()
    occurred = (when or db.utcnow()).astimezone(UTC)
    events = []
    for patient_id, categories in reads:
        fields = {
            "seq": last_seq + 1,
            "occurred_at": occurred,
            "actor_id": actor.id,
            "actor_name": actor.name,
            "actor_profession": actor.profession,
            "patient_id": patient_id,
            "categories": ",".join(sorted(set(categories))),
            "action": action,
            "address": (address or "unknown")[:64],
            "prev_hash": last_hash,
        }
        digest = event_hash(**fields)  # type: ignore[arg-type]
        events.append(AccessEvent(id=db.new_id(), hash=digest, **fields))
        last_seq, last_hash = last_seq + 1, digest
    sess.add_all(events)
    if events:
        sess.execute(
            update(AccessLogHead)
            .where(AccessLogHead.id == HEAD_ID)
            .values(seq=last_seq, hash=last_hash)
            .execution_options(synchronize_session=False)
        )
    return events


@dataclass(frozen=True)
class Broken:
    """The first event where the chain does not hold, and why."""

    seq: int | None
    event_id: uuid.UUID | None
    reason: str


def _events_in_order() -> Iterator[AccessEvent]:
    sess = db.session()
    last = 0
    while True:
        batch = sess.scalars(
            select(AccessEvent).where(AccessEvent.seq > last).order_by(AccessEvent.seq).limit(2000)
        ).all()
        if not batch:
            return
        yield from batch
        last = batch[-1].seq
        sess.expunge_all()


def newest() -> tuple[int, str] | None:
    """(seq, hash) of the newest event: an anchor to keep outside the database."""
    head = db.session().get(AccessLogHead, HEAD_ID)
    return None if head is None or head.seq == 0 else (int(head.seq), str(head.hash))


def verify(anchor: tuple[int, str] | None = None) -> tuple[int, Broken | None]:
    """Walk the whole chain; returns (events checked, first break or None).

    The chain shows any change by someone who cannot recompute it; whoever can write the
    database could rewrite it from the first event on. An anchor — (seq, hash) of an
    event as printed by an earlier run and kept elsewhere — catches that too."""
    expected_seq = 1
    prev = GENESIS
    count = 0
    for event in _events_in_order():
        if event.seq != expected_seq:
            return count, Broken(
                event.seq,
                event.id,
                f"event {expected_seq} is missing (the chain jumps to {event.seq})",
            )
        if event.prev_hash != prev:
            return count, Broken(
                event.seq, event.id, "it does not point to the event before it (prev_hash)"
            )
        recomputed = event_hash(
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
        )
        if recomputed != event.hash:
            return count, Broken(event.seq, event.id, "its content was changed after writing")
        if anchor is not None and event.seq == anchor[0] and event.hash != anchor[1]:
            return count, Broken(
                event.seq,
                event.id,
                "it is not the event recorded earlier (the anchor): the log was rewritten",
            )
        prev = event.hash
        expected_seq += 1
        count += 1
    head = db.session().get(AccessLogHead, HEAD_ID)
    last_seq = expected_seq - 1
    if anchor is not None and anchor[0] > last_seq:
        return count, Broken(
            anchor[0],
            None,
            f"the event recorded earlier (the anchor) is gone; the log ends at {last_seq}",
        )
    if head is None:
        if count:
            return count, Broken(None, None, "the head row of the chain is missing")
        return count, None
    if head.seq != last_seq or head.hash != prev:
        return count, Broken(
            last_seq + 1,
            None,
            f"the newest event(s) after event {last_seq} were removed "
            f"(the chain head names event {head.seq})",
        )
    return count, None


@dataclass(frozen=True)
class EventView:
    seq: int
    occurred_at: datetime
    actor_id: uuid.UUID
    actor_name: str
    actor_profession: str
    categories: tuple[str, ...]
    action: str


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
    # "api_read", "view" for the web pages (summary and charts), or a WriteAction
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
            "api_read"
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
