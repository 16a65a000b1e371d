"""Every read and write of measurements: the only door to this data, with one transaction.

Each function takes the principal and the patient id; the sharing policy decides, the
patient's data key for that kind opens the values, and nothing else sees ciphertext.
"""

from __future__ import annotations

import os
import struct
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any, cast

import numpy as np
from sqlalchemy import (
    LargeBinary,
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
from pgd.measurements.models import KIND_CODES, SOURCE_CODES, Kind, Measurement, Source
from pgd.sharing.models import TriageStale
from pgd.sharing.policy import Action, Principal, require

TABLE = "measurements"
_TABLE = cast(Table, Measurement.__table__)
_INSERT_ONE = insert(_TABLE)


class NotFound(LookupError):
    """No such reading for this principal (the caller answers 404)."""


def _epoch(when: datetime) -> int:
    # timestamp() is the same instant whatever the zone (a naive time as local, as
    # astimezone would take it): no astimezone needed.
    return int(when.timestamp())


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
            inserted = (
                insert(_TABLE)
                .values({c: bindparam(c, type_=_TABLE.c[c].type) for c in _COLUMN_NAMES})
                .returning(_TABLE.c.patient_id)
                .cte("inserted")
            )
            _MARKING[name] = mark.from_select(
                ["patient_id", "category", "marked_at"],
                select(
                    inserted.c.patient_id,
                    # The category as text (the table keeps the kind as a code).
                    bindparam("category", type_=String(16)),
                    bindparam(
                        "marked_at", type_=cast(Table, TriageStale.__table__).c.marked_at.type
                    ),
                ).select_from(inserted),
            )
        else:
            _MARKING[name] = mark
    statement = _MARKING[name]
    if name == "postgresql":
        conn.execute(statement, {**row, "category": row["kind"], "marked_at": now})
    else:
        conn.execute(_INSERT_ONE, row)
        conn.execute(
            statement,
            {"patient_id": row["patient_id"], "category": row["kind"], "marked_at": now},
        )


def _triage_after_response(patient_id: uuid.UUID, kind: Kind) -> None:
    from pgd.sharing import triage  # pgd.sharing imports this module

    triage.refresh_after_response(patient_id, kind)


# A reading ready to seal: (kind value, UTC epoch seconds, v.encode(value, note)). Imports
# keep their checked rows in this form (pgd.measurements.imports), so confirming builds
# no value objects and opens no dataclasses (issue 14).
Encoded = tuple[str, int, bytes]
# How many leading bytes of a compact payload hold the values (marker + fixed layout):
# two readings of a kind are the same reading when these bytes are, whatever their notes.
_VALUE_BYTES = {kind.value: 1 + layout.size for kind, layout in v.LAYOUT.items()}
_COLUMN_NAMES = ("id", "patient_id", "kind", "taken_at", "payload_sealed", "source", "created_at")
_COLUMN_LIST = ", ".join(_COLUMN_NAMES)  # constant names, no input in these statements
_SQLITE_INSERT = "INSERT INTO measurements (%s) VALUES (%s)" % (  # noqa: S608, UP031
    _COLUMN_LIST,
    ", ".join("?" * len(_COLUMN_NAMES)),
)
_COPY = f"COPY measurements ({_COLUMN_LIST}) FROM STDIN (FORMAT BINARY)"
_BATCH = 10_000  # rows a statement (SQLite) or a COPY write (PostgreSQL)
# The version-4 and variant bits of a random UUID, set by one translate of a whole column.
_V4 = bytes((b & 0x0F) | 0x40 for b in range(256))
_VARIANT = bytes((b & 0x3F) | 0x80 for b in range(256))
_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def encoded(items: Sequence[tuple[v.Value, datetime, str]]) -> list[Encoded]:
    """(kind, epoch, payload) of validated readings, in their order."""
    kind_of = {cls: kind.value for cls, kind in v.KIND_OF.items()}
    encode = v.encode
    return [
        (kind_of[type(value)], _epoch(when), encode(value, note)) for value, when, note in items
    ]


def _value_key(kind: str, payload: bytes) -> bytes:
    """The bytes that say which values a payload holds, its note aside (see _VALUE_BYTES);
    a reading sealed before the compact form is re-encoded first."""
    if payload[:1] == v.COMPACT:
        return payload[: _VALUE_BYTES[kind]]
    return v.encode(v.decode(kind, payload)[0], "")


def new_raw_ids(n: int) -> bytes:
    """n random version-4 UUIDs as 16 raw bytes each, from one os.urandom call (uuid4()
    a row cost more than sealing the row)."""
    raw = bytearray(os.urandom(16 * n))
    raw[6::16] = bytes(raw[6::16]).translate(_V4)
    raw[8::16] = bytes(raw[8::16]).translate(_VARIANT)
    return bytes(raw)


def _copy_postgresql(
    sess: Session, rows: list[tuple[bytes, str, int, bytes]], constant: dict[str, Any]
) -> None:
    """COPY … FROM STDIN in PostgreSQL's binary format, in this transaction: one round
    trip a few MB instead of a parameter set a row."""
    pid = constant["patient_id"].bytes
    micros = (constant["created_at"] - _PG_EPOCH) // timedelta(microseconds=1)
    head = struct.pack(">hi", len(_COLUMN_NAMES), 16)
    # kind and source are smallint codes (pgd.measurements.models): length 2, big-endian.
    middle = {
        name: struct.pack(">i", 16) + pid + struct.pack(">ih", 2, code)
        for name, code in KIND_CODES.items()
    }
    tail = struct.pack(">ih", 2, SOURCE_CODES[constant["source"]]) + struct.pack(">iq", 8, micros)
    number = struct.Struct(">iqi").pack  # taken_at (8 bytes) and the sealed payload's length
    driver = sess.connection().connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(_COPY) as copy:  # type: ignore[union-attr]
        copy.write(b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0))
        for start in range(0, len(rows), _BATCH):
            parts: list[bytes] = []
            extend = parts.extend
            for row_id, kind, epoch, sealed in rows[start : start + _BATCH]:
                extend((head, row_id, middle[kind], number(8, epoch, len(sealed)), sealed, tail))
            copy.write(b"".join(parts))
        copy.write(b"\xff\xff")


def _insert_rows(
    sess: Session, rows: list[tuple[bytes, str, int, bytes]], constant: dict[str, Any]
) -> None:
    """Write (raw id, kind, epoch, sealed) rows with the constant columns: COPY on
    PostgreSQL; on SQLite one executemany of plain tuples in column order (a UUID as 32
    hex characters, the constant columns made once by their column types)."""
    conn = sess.connection()
    dialect = conn.dialect
    if dialect.name == "postgresql":
        _copy_postgresql(sess, rows, constant)
        return
    fixed = {}
    for name, value in constant.items():
        processor = _TABLE.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        fixed[name] = processor(value) if processor is not None else value
    pid, source, created = fixed["patient_id"], fixed["source"], fixed["created_at"]
    codes = KIND_CODES
    for start in range(0, len(rows), _BATCH):
        conn.exec_driver_sql(
            _SQLITE_INSERT,
            [
                (row_id.hex(), pid, codes[kind], epoch, sealed, source, created)
                for row_id, kind, epoch, sealed in rows[start : start + _BATCH]
            ],
        )


def _raw_id_column(engine: str) -> tuple[Any, Callable[[Any], bytes]]:
    """The id column as the engine sends it cheaply, and how to make its 16 raw bytes:
    SQLite keeps 32 hex characters (read as text), PostgreSQL sends its 16 bytes
    (uuid_send). Issue 14: 100,000 UUID objects cost more than opening the readings."""
    if engine == "sqlite":
        return type_coerce(Measurement.id, String), bytes.fromhex
    return type_coerce(func.uuid_send(Measurement.id), LargeBinary), bytes


def _saved_keys(
    patient_id: uuid.UUID, kinds: set[str], epochs: Sequence[int]
) -> set[tuple[str, int, bytes]]:
    """(kind, UTC second, value bytes) of the saved readings of these kinds between the
    first and the last of these moments: what makes a new reading a duplicate (its note
    does not). Opened with the patient's keys: no stored fingerprint to compare, so no
    extra column and index per reading (issue 14)."""
    if not kinds or not epochs:
        return set()
    conn = db.session().connection()
    id_column, raw_id = _raw_id_column(conn.dialect.name)
    rows = conn.execute(
        select(Measurement.kind, Measurement.taken_at, id_column, Measurement.payload_sealed).where(
            Measurement.patient_id == patient_id,
            Measurement.kind.in_(sorted(kinds)),
            Measurement.taken_at >= min(epochs),
            Measurement.taken_at <= max(epochs),
        )
    ).all()
    by_kind: dict[str, list[Any]] = {}
    for row in rows:
        by_kind.setdefault(row[0], []).append(row)
    found: set[tuple[str, int, bytes]] = set()
    for name, kind_rows in by_kind.items():
        opened = _cipher(patient_id, Kind(name)).open_many(
            TABLE,
            [(raw_id(r[2]), r[3]) for r in kind_rows],
        )
        found.update(
            (name, row[1], _value_key(name, payload))
            for row, payload in zip(kind_rows, opened, strict=True)
        )
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
    return add_encoded(principal, patient_id, encoded(items), source)


def add_encoded(
    principal: Principal,
    patient_id: uuid.UUID,
    rows: Sequence[Encoded],
    source: Source,
) -> AddManyResult:
    """add_many of readings already encoded (see Encoded): all or nothing, in one
    transaction; a reading already saved, or twice in the list, is skipped (same kind,
    second and values; the note does not count)."""
    kinds = {kind for kind, _, _ in rows}
    for kind in kinds:
        require(principal, patient_id, kind, Action.WRITE)
    with db.transaction() as sess:
        # A fixed order: two imports making the same new keys cannot wait on each other.
        ciphers = {kind: _cipher(patient_id, Kind(kind), create=True) for kind in sorted(kinds)}
        seen = _saved_keys(patient_id, kinds, [epoch for _, epoch, _ in rows])
        width = _VALUE_BYTES
        new: list[Encoded] = []
        keep = new.append
        for row in rows:
            kind, epoch, payload = row
            key = (kind, epoch, payload[: width[kind]])
            if key not in seen:
                seen.add(key)
                keep(row)
        del seen
        ids = new_raw_ids(len(new))
        by_kind: dict[str, list[int]] = {}
        for index, row in enumerate(new):
            by_kind.setdefault(row[0], []).append(index)
        # In the key's order (kind, then time): each new index entry lands right after the
        # one before, so PostgreSQL fills index pages instead of splitting them half-empty.
        out: list[tuple[bytes, str, int, bytes]] = []
        for kind in sorted(by_kind, key=KIND_CODES.__getitem__):
            indexes = sorted(by_kind[kind], key=lambda i: new[i][1])
            done = ciphers[kind].seal_many(
                TABLE, [(ids[i * 16 : i * 16 + 16], new[i][2]) for i in indexes]
            )
            out.extend(
                (ids[i * 16 : i * 16 + 16], kind, new[i][1], blob)
                for i, blob in zip(indexes, done, strict=True)
            )
        constant = {"patient_id": patient_id, "source": source.value, "created_at": db.utcnow()}
        _insert_rows(sess, out, constant)
        del out
        for kind_value in sorted(by_kind):  # once a kind
            _refresh_triage(principal, patient_id, kind_value)
    return AddManyResult(len(new), len(rows) - len(new))


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
    return encoded_duplicates(principal, patient_id, encoded(items))


def encoded_duplicates(
    principal: Principal, patient_id: uuid.UUID, rows: Sequence[Encoded]
) -> Duplicates:
    """duplicates() of readings already encoded."""
    kinds = {kind for kind, _, _ in rows}
    for kind in kinds:
        require(principal, patient_id, kind, Action.READ)
    known = _saved_keys(patient_id, kinds, [epoch for _, epoch, _ in rows])
    seen: set[tuple[str, int, bytes]] = set()
    width = _VALUE_BYTES
    in_record = in_list = 0
    for kind, epoch, payload in rows:
        key = (kind, epoch, payload[: width[kind]])
        if key in known:
            in_record += 1
        elif key in seen:
            in_list += 1
        else:
            seen.add(key)
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
        sess.execute(
            delete(Measurement).where(
                Measurement.patient_id == patient_id,
                Measurement.kind == row.kind,
                Measurement.taken_at == row.taken_at,
                Measurement.id == row.id,
            )
        )
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
    # Core, not the ORM's execute layer; the ids as raw bytes, never UUID objects.
    conn = db.session().connection()
    id_column, raw_id = _raw_id_column(conn.dialect.name)
    rows = conn.execute(
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
    # Columns by itemgetter, in C; zip(*rows) would make an iterator per row, and
    # thousands of such objects alive at once bring on the slow full garbage collection.
    pairs = zip(map(raw_id, map(itemgetter(1), rows)), map(itemgetter(2), rows), strict=True)
    parsed = v.columns(kind, cipher.open_many(TABLE, pairs))
    out: dict[str, np.ndarray] = {name: parsed[key] for name, key in columns}
    if kind == Kind.GLUCOSE:
        out["moment"] = parsed["m"]
    epoch = np.fromiter(map(itemgetter(0), rows), dtype=np.int64, count=len(rows))
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
