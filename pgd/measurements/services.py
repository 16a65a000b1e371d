"""Every read and write of measurements: the only door to this data, with one transaction.

Each function takes the principal and the patient id; the sharing policy decides, the
patient's data key for that kind opens the values, and nothing else sees ciphertext.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import numpy as np
from sqlalchemy import DateTime as _DateTime
from sqlalchemy import (
    String,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session

from pgd import crypto, db
from pgd.measurements import values as v
from pgd.measurements.models import Kind, Measurement, Source
from pgd.sharing.policy import Action, Principal, require

TABLE = "measurements"
_TABLE = cast(Table, Measurement.__table__)
_INSERT_ONE = insert(_TABLE)
_MARKED_AT_TYPE = _DateTime(timezone=True)


class NotFound(LookupError):
    """No such reading for this principal (the caller answers 404)."""


def _epoch(when: datetime) -> int:
    return int(when.astimezone(UTC).timestamp())


def _aware(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _cipher(patient_id: uuid.UUID, kind: Kind, *, create: bool = False) -> crypto.RecordCipher:
    return crypto.cipher_for(patient_id, crypto.Category(kind.value), create=create)


def _seal_into(row: Measurement, cipher: crypto.RecordCipher, value: v.Value, note: str) -> None:
    row.payload_sealed = cipher.seal(TABLE, row.id, v.encode(value, note))


class _Ciphers(dict[str, crypto.RecordCipher]):
    """One cipher per kind for a loop over rows: looked up once a kind, not once a row."""

    def __init__(self, patient_id: uuid.UUID) -> None:
        super().__init__()
        self.patient_id = patient_id

    def __missing__(self, kind: str) -> crypto.RecordCipher:
        cipher = self[kind] = _cipher(self.patient_id, Kind(kind))
        return cipher


def _refresh_triage(principal: Principal, patient_id: uuid.UUID, kind: Kind | str) -> None:
    """Rewrite "my patients"' triage row of this kind in the write's own transaction."""
    from pgd.sharing import triage  # pgd.sharing imports this module

    triage.refresh(principal, patient_id, kind)


def _reading(row_id: uuid.UUID, kind: str, taken_at: int, source: str, payload: bytes) -> v.Reading:
    value, note = v.decode(kind, payload)
    return v.Reading(row_id, Kind(kind), _aware(taken_at), value, note, source)


def add(
    principal: Principal,
    patient_id: uuid.UUID,
    value: v.Value,
    taken_at: datetime,
    note: str = "",
    source: Source = Source.WEB,
    *,
    triage_now: bool = True,
) -> v.Reading:
    """Save one validated reading (one Core INSERT: the API's hot path).

    With triage_now=False (the API) the triage row of "my patients" is not rewritten in
    this transaction: the reading and a mark in triage_stale are written by one statement
    on PostgreSQL (two on SQLite), and the row is rewritten after the response
    (pgd.sharing.triage.settle)."""
    kind = v.KIND_OF[type(value)]
    require(principal, patient_id, kind, Action.WRITE)
    row_id = db.new_id()
    epoch = _epoch(taken_at)
    with db.transaction() as sess:
        cipher = _cipher(patient_id, kind, create=True)
        now = db.utcnow()
        row = {
            "id": row_id,
            "patient_id": patient_id,
            "kind": kind.value,
            "taken_at": epoch,
            "payload_sealed": cipher.seal(TABLE, row_id, v.encode(value, note)),
            "source": source.value,
            "created_at": now,
        }
        if triage_now:
            sess.connection().execute(_INSERT_ONE, row)
            _refresh_triage(principal, patient_id, kind)
        else:
            _insert_marking_triage(sess, row, now)
    if not triage_now:
        _triage_after_response(patient_id, kind)
    return v.Reading(row_id, kind, _aware(epoch), value, note, source.value)


_MARKING: dict[str, Any] = {}


def _insert_marking_triage(sess: Session, row: dict[str, Any], now: datetime) -> None:
    """The reading and its triage_stale mark: one statement on PostgreSQL (the INSERT in
    a WITH, its RETURNING feeding the mark's upsert), two on SQLite (no network)."""
    from pgd.sharing import triage  # pgd.sharing imports this module

    conn = sess.connection()
    name = conn.dialect.name
    if name not in _MARKING:
        mark = triage.mark_stale_statement(name)
        if name == "postgresql":
            columns: tuple[str, ...] = (
                "id",
                "patient_id",
                "kind",
                "taken_at",
                "payload_sealed",
                "source",
                "created_at",
            )
            inserted = (
                insert(_TABLE)
                .values({c: bindparam(c, type_=_TABLE.c[c].type) for c in columns})
                .returning(_TABLE.c.patient_id, _TABLE.c.kind)
                .cte("inserted")
            )
            _MARKING[name] = mark.from_select(
                ["patient_id", "category", "marked_at"],
                select(
                    inserted.c.patient_id,
                    inserted.c.kind,
                    bindparam("marked_at", type_=_MARKED_AT_TYPE),
                ).select_from(inserted),
            )
        else:
            _MARKING[name] = mark
    statement = _MARKING[name]
    if name == "postgresql":
        conn.execute(statement, {**row, "marked_at": now})
    else:
        conn.execute(_INSERT_ONE, row)
        conn.execute(
            statement,
            {"patient_id": row["patient_id"], "category": row["kind"], "marked_at": now},
        )


def _triage_after_response(patient_id: uuid.UUID, kind: Kind) -> None:
    from pgd.sharing import triage  # pgd.sharing imports this module

    triage.refresh_after_response(patient_id, kind)


def _insert_many(sess: Session, rows: Sequence[dict[str, object]]) -> None:
    """One DBAPI executemany, each value passed through its column type's own bind
    processor (looked up once): Core's per-row machinery cost more than the database's
    own work for 100,000 rows. Same SQL, same stored values."""
    if not rows:
        return
    conn = sess.connection()
    dialect = conn.dialect
    names = list(rows[0])
    compiled = insert(_TABLE).compile(dialect=dialect, column_keys=names)
    processors = {}
    for name in names:
        processor = _TABLE.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            processors[name] = processor
    converted = [
        {
            name: (processors[name](value) if name in processors else value)
            for name, value in row.items()
        }
        for row in rows
    ]
    if compiled.positional:
        order = compiled.positiontup or []
        params: list[Any] = [tuple(row[name] for name in order) for row in converted]
    else:
        params = converted
    conn.exec_driver_sql(str(compiled), params)


def _saved_keys(
    patient_id: uuid.UUID, kinds: set[Kind], moments: Sequence[datetime]
) -> set[tuple[str, int, Any]]:
    """(kind, UTC second, value) of the saved readings of these kinds between the first
    and the last of these moments: what makes a new reading a duplicate (its note does
    not). Opened with the patient's keys: no stored fingerprint to compare, so no extra
    column and index per reading (issue 14)."""
    if not kinds or not moments:
        return set()
    epochs = [_epoch(m) for m in moments]
    conn = db.session().connection()
    raw_ids = conn.dialect.name == "sqlite"
    id_column = type_coerce(Measurement.id, String) if raw_ids else Measurement.id
    rows = conn.execute(
        select(Measurement.kind, Measurement.taken_at, id_column, Measurement.payload_sealed).where(
            Measurement.patient_id == patient_id,
            Measurement.kind.in_([k.value for k in kinds]),
            Measurement.taken_at >= min(epochs),
            Measurement.taken_at <= max(epochs),
        )
    ).all()
    by_kind: dict[str, list[Any]] = {}
    for row in rows:
        by_kind.setdefault(row[0], []).append(row)
    found: set[tuple[str, int, Any]] = set()
    for name, kind_rows in by_kind.items():
        opened = _cipher(patient_id, Kind(name)).open_many(
            TABLE,
            [(bytes.fromhex(r[2]) if raw_ids else r[2].bytes, r[3]) for r in kind_rows],
        )
        for row, payload in zip(kind_rows, opened, strict=True):
            found.add((name, row[1], v.decode(name, payload)[0]))
    return found


@dataclass(frozen=True)
class AddManyResult:
    added: int
    duplicates: int


def add_many(
    principal: Principal,
    patient_id: uuid.UUID,
    items: Sequence[tuple[v.Value, datetime, str]],
    source: Source,
) -> AddManyResult:
    """All or nothing: save every new reading in one transaction; skip exact duplicates."""
    kinds = {v.KIND_OF[type(value)] for value, _, _ in items}
    for kind in kinds:
        require(principal, patient_id, kind, Action.WRITE)
    added = duplicates = 0
    with db.transaction() as sess:
        # A fixed order: two imports making the same new keys cannot wait on each other.
        ciphers = {kind: _cipher(patient_id, kind, create=True) for kind in sorted(kinds)}
        seen = _saved_keys(patient_id, kinds, [taken_at for _, taken_at, _ in items])
        rows: list[dict[str, object]] = []
        now = db.utcnow()
        for value, taken_at, note in items:
            kind = v.KIND_OF[type(value)]
            epoch = _epoch(taken_at)
            key = (kind.value, epoch, value)
            if key in seen:
                duplicates += 1
                continue
            seen.add(key)
            row_id = db.new_id()
            rows.append(
                {
                    "id": row_id,
                    "patient_id": patient_id,
                    "kind": kind.value,
                    "taken_at": epoch,
                    "payload_sealed": ciphers[kind].seal(TABLE, row_id, v.encode(value, note)),
                    "source": source.value,
                    "created_at": now,
                }
            )
        for start in range(0, len(rows), 5000):
            _insert_many(sess, rows[start : start + 5000])
        added = len(rows)
        for kind_value in sorted({str(row["kind"]) for row in rows}):  # once a kind
            _refresh_triage(principal, patient_id, kind_value)
    return AddManyResult(added, duplicates)


@dataclass(frozen=True)
class Duplicates:
    """What add_many would skip of a list: readings already saved, and repeats in the list."""

    in_record: int
    in_list: int

    @property
    def total(self) -> int:
        return self.in_record + self.in_list


def duplicates(
    principal: Principal,
    patient_id: uuid.UUID,
    items: Sequence[tuple[v.Value, datetime, str]],
) -> Duplicates:
    """Count, before saving, the readings add_many will skip (the CSV preview says how many)."""
    kinds = {v.KIND_OF[type(value)] for value, _, _ in items}
    for kind in kinds:
        require(principal, patient_id, kind, Action.READ)
    known = _saved_keys(patient_id, kinds, [taken_at for _, taken_at, _ in items])
    seen: set[tuple[int, v.Value]] = set()
    in_record = in_list = 0
    for value, taken_at, _note in items:
        epoch = _epoch(taken_at)
        if (v.KIND_OF[type(value)].value, epoch, value) in known:
            in_record += 1
            continue
        if (epoch, value) in seen:
            in_list += 1
        else:
            seen.add((epoch, value))
    return Duplicates(in_record, in_list)


def same_readings(
    principal: Principal,
    patient_id: uuid.UUID,
    items: Sequence[tuple[v.Value, datetime]],
    exclude: uuid.UUID | None = None,
) -> list[v.Reading | None]:
    """For each new reading, a saved one that is the same (kind and values, its note
    aside) within the same minute, or None; ``exclude`` is the reading being
    changed. The forms warn with it before saving a reading twice."""
    if not items:
        return []
    kinds = {v.KIND_OF[type(value)] for value, _ in items}
    start: datetime | None = None
    for kind in kinds:
        start = require(principal, patient_id, kind, Action.READ).clamp(start)
    minutes = [_epoch(when) // 60 for _, when in items]
    where = [
        Measurement.patient_id == patient_id,
        Measurement.kind.in_([k.value for k in kinds]),
        Measurement.taken_at >= min(minutes) * 60,
        Measurement.taken_at < (max(minutes) + 1) * 60,
    ]
    if start is not None:
        where.append(Measurement.taken_at >= _epoch(start))
    if exclude is not None:
        where.append(Measurement.id != exclude)
    rows = (
        db.session()
        .execute(
            select(
                Measurement.id,
                Measurement.kind,
                Measurement.taken_at,
                Measurement.source,
                Measurement.payload_sealed,
            )
            .where(*where)
            .order_by(Measurement.taken_at, Measurement.id)
        )
        .all()
    )
    ciphers = _Ciphers(patient_id)

    def repeats(row: Any, name: str, value: v.Value) -> bool:
        """The saved row holds this value (its note aside)."""
        payload = ciphers[name].open(TABLE, row.id, row.payload_sealed)
        return v.decode(name, payload)[0] == value

    found: list[v.Reading | None] = []
    for (value, _when), minute in zip(items, minutes, strict=True):
        name = v.KIND_OF[type(value)].value
        match = next(
            (
                r
                for r in rows
                if r.kind == name and r.taken_at // 60 == minute and repeats(r, name, value)
            ),
            None,
        )
        if match is None:
            found.append(None)
            continue
        payload = ciphers[name].open(TABLE, match.id, match.payload_sealed)
        found.append(_reading(match.id, match.kind, match.taken_at, match.source, payload))
    return found


def same_reading(
    principal: Principal,
    patient_id: uuid.UUID,
    value: v.Value,
    taken_at: datetime,
    exclude: uuid.UUID | None = None,
) -> v.Reading | None:
    """The saved reading this one would repeat, if any (see same_readings)."""
    return same_readings(principal, patient_id, [(value, taken_at)], exclude)[0]


def _row(patient_id: uuid.UUID, reading_id: uuid.UUID) -> Measurement:
    row = db.session().scalar(
        select(Measurement).where(
            Measurement.id == reading_id, Measurement.patient_id == patient_id
        )
    )
    if row is None:
        raise NotFound(reading_id)
    return row


def get(principal: Principal, patient_id: uuid.UUID, reading_id: uuid.UUID) -> v.Reading:
    row = _row(patient_id, reading_id)
    access = require(principal, patient_id, row.kind, Action.READ)
    if not access.covers(_aware(row.taken_at)):
        raise NotFound(reading_id)  # before the granted data period: as if it did not exist
    payload = _cipher(patient_id, Kind(row.kind)).open(TABLE, row.id, row.payload_sealed)
    return _reading(row.id, row.kind, row.taken_at, row.source, payload)


def update(
    principal: Principal,
    patient_id: uuid.UUID,
    reading_id: uuid.UUID,
    value: v.Value,
    taken_at: datetime,
    note: str,
) -> v.Reading:
    """Change a reading's value, time or note; its kind stays what it was."""
    with db.transaction():
        row = _row(patient_id, reading_id)
        require(principal, patient_id, row.kind, Action.WRITE)
        if v.KIND_OF[type(value)].value != row.kind:
            raise ValueError("a reading keeps its kind")
        row.taken_at = _epoch(taken_at)
        row.updated_at = db.utcnow()
        _seal_into(row, _cipher(patient_id, Kind(row.kind)), value, note)
        _refresh_triage(principal, patient_id, row.kind)
    return v.Reading(row.id, Kind(row.kind), _aware(row.taken_at), value, note, row.source)


def remove(principal: Principal, patient_id: uuid.UUID, reading_id: uuid.UUID) -> None:
    with db.transaction() as sess:
        row = _row(patient_id, reading_id)
        require(principal, patient_id, row.kind, Action.WRITE)
        sess.execute(delete(Measurement).where(Measurement.id == row.id))
        _refresh_triage(principal, patient_id, row.kind)


@dataclass(frozen=True)
class Page:
    readings: list[v.Reading]
    next_cursor: str | None
    # How many readings the whole list holds: counted for the first page only (None on
    # the pages after it), so paging through five years does not count them every time.
    total: int | None


def _encode_cursor(taken_at: int, row_id: uuid.UUID) -> str:
    return f"{taken_at}_{row_id.hex}"


def _decode_cursor(cursor: str) -> tuple[int, uuid.UUID] | None:
    """None (the first page) for a cursor this module did not write. The epoch has at most
    12 digits (as the API's CURSOR_PATTERN): a 20-digit one overflowed the database's 64-bit
    integer (a 500)."""
    try:
        epoch, hexid = cursor.split("_", 1)
        if not (epoch.isascii() and epoch.isdigit() and len(epoch) <= 12):
            return None
        return int(epoch), uuid.UUID(hex=hexid)
    except (ValueError, AttributeError):
        return None


def page(
    principal: Principal,
    patient_id: uuid.UUID,
    kinds: Sequence[Kind] = tuple(Kind),
    start: datetime | None = None,
    end: datetime | None = None,
    cursor: str | None = None,
    limit: int = 25,
) -> Page:
    """Newest first, keyset-paged, so years of data page as fast as the first week.

    Each kind is read in the order of the (patient, kind, time) index, at most one page
    of it, and the kinds are merged in one statement: a page reads about limit rows per
    kind, not the patient's whole history. The total is counted on the first page only."""
    for kind in kinds:
        start = require(principal, patient_id, kind, Action.READ).clamp(start)
    sess = db.session()
    where = [Measurement.patient_id == patient_id]
    if start is not None:
        where.append(Measurement.taken_at >= _epoch(start))
    if end is not None:
        where.append(Measurement.taken_at < _epoch(end))
    kind_values = [k.value for k in kinds]
    total: int | None = None
    after = _decode_cursor(cursor) if cursor else None
    if after is None:
        total = (
            sess.scalar(
                select(func.count())
                .select_from(Measurement)
                .where(*where, Measurement.kind.in_(kind_values))
            )
            or 0
        )
    else:
        where.append(
            or_(
                Measurement.taken_at < after[0],
                and_(Measurement.taken_at == after[0], Measurement.id < after[1]),
            )
        )
    rows = sess.execute(_newest_first(where, kind_values, limit + 1)).all()
    ciphers = _Ciphers(patient_id)
    readings = [
        _reading(
            r.id,
            r.kind,
            r.taken_at,
            r.source,
            ciphers[r.kind].open(TABLE, r.id, r.payload_sealed),
        )
        for r in rows[:limit]
    ]
    more = len(rows) > limit
    next_cursor = _encode_cursor(rows[limit - 1].taken_at, rows[limit - 1].id) if more else None
    return Page(readings, next_cursor, total)


def _newest_first(where: list[Any], kinds: list[str], limit: int) -> Any:
    """The newest `limit` rows of these kinds: per kind an index-ordered, limited scan,
    merged (UNION ALL) and cut to `limit` again."""
    columns = (
        Measurement.id,
        Measurement.kind,
        Measurement.taken_at,
        Measurement.source,
        Measurement.payload_sealed,
    )
    newest = (Measurement.taken_at.desc(), Measurement.id.desc())
    if len(kinds) == 1:
        return (
            select(*columns)
            .where(*where, Measurement.kind == kinds[0])
            .order_by(*newest)
            .limit(limit)
        )
    parts = [
        select(*columns)
        .where(*where, Measurement.kind == kind)
        .order_by(*newest)
        .limit(limit)
        .subquery()
        for kind in kinds
    ]
    merged = union_all(*(select(*part.c) for part in parts)).subquery()
    return select(*merged.c).order_by(merged.c.taken_at.desc(), merged.c.id.desc()).limit(limit)


@dataclass(frozen=True)
class Series:
    """Column arrays of one kind, oldest first, for statistics and charts."""

    kind: Kind
    epoch: np.ndarray  # int64 UTC seconds
    values: dict[str, np.ndarray]  # systolic/diastolic/pulse, kg, or mmol + moment

    @property
    def n(self) -> int:
        return int(self.epoch.size)


_COLUMNS = {
    Kind.BLOOD_PRESSURE: (("systolic", "s"), ("diastolic", "d"), ("pulse", "p")),
    Kind.WEIGHT: (("kg", "kg"),),
    Kind.GLUCOSE: (("mmol", "g"),),
}


def series(
    principal: Principal,
    patient_id: uuid.UUID,
    kind: Kind,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Series:
    """Columns, not ORM objects: 15k rows selected, opened and parsed in one tight loop."""
    start = require(principal, patient_id, kind, Action.READ).clamp(start)
    where = [Measurement.patient_id == patient_id, Measurement.kind == kind.value]
    if start is not None:
        where.append(Measurement.taken_at >= _epoch(start))
    if end is not None:
        where.append(Measurement.taken_at < _epoch(end))
    sess = db.session()
    raw_ids = sess.get_bind().dialect.name == "sqlite"
    # SQLite keeps the id as 32 hex characters: read them as text, not as UUID objects.
    id_column = type_coerce(Measurement.id, String) if raw_ids else Measurement.id
    rows = sess.execute(
        select(Measurement.taken_at, id_column, Measurement.payload_sealed)
        .where(*where)
        .order_by(Measurement.taken_at)
    ).all()
    columns = _COLUMNS[kind]
    if not rows:
        empty = {name: np.empty(0, dtype=float) for name, _ in columns}
        if kind == Kind.GLUCOSE:
            empty["moment"] = np.empty(0, dtype=object)
        return Series(kind, np.empty(0, dtype=np.int64), empty)
    cipher = _cipher(patient_id, kind)
    if raw_ids:
        pairs = ((bytes.fromhex(r[1]), r[2]) for r in rows)  # type: ignore[arg-type]
    else:
        pairs = ((r[1].bytes, r[2]) for r in rows)  # type: ignore[attr-defined]
    parsed = v.columns(kind, cipher.open_many(TABLE, pairs))
    out: dict[str, np.ndarray] = {name: parsed[key] for name, key in columns}
    if kind == Kind.GLUCOSE:
        out["moment"] = parsed["m"]
    epoch = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    return Series(kind, epoch, out)


def all_readings(principal: Principal, patient_id: uuid.UUID) -> Iterator[v.Reading]:
    """Every own reading, oldest first, for the CSV export."""
    start: datetime | None = None
    for kind in Kind:
        start = require(principal, patient_id, kind, Action.READ).clamp(start)
    where = [Measurement.patient_id == patient_id]
    if start is not None:
        where.append(Measurement.taken_at >= _epoch(start))
    rows = db.session().execute(
        select(
            Measurement.id,
            Measurement.kind,
            Measurement.taken_at,
            Measurement.source,
            Measurement.payload_sealed,
        )
        .where(*where)
        .order_by(Measurement.taken_at, Measurement.kind)
    )
    ciphers = _Ciphers(patient_id)
    for r in rows:
        payload = ciphers[r.kind].open(TABLE, r.id, r.payload_sealed)
        yield _reading(r.id, r.kind, r.taken_at, r.source, payload)
