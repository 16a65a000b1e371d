"""File import (check → preview → confirm) and CSV export of own measurements.

An upload is a CSV file (pgd.measurements.csv_io) or a FHIR Bundle in JSON
(pgd.fhir.importer); both become the same list of validated readings, and from there on
the flow is one. An upload is parsed and validated in full first. Only a file without a single invalid
row is kept, sealed under the patient's "imports" key, for at most an hour, until the
patient confirms it; confirming saves every row in one transaction (all or nothing) and
skips readings that are already in the record, so importing a file twice adds nothing.

Limits (issue 13: eight parallel 10 MB uploads by one patient held the server): at most
IMPORT_MAX_ROWS readings per file, one import at a time per patient (checking or
confirming, on the web page or through the API), and IMPORT_RATE_LIMIT uploads per user.
The lock and the count live in the rate limiter's storage, shared by every worker when
Redis is configured. A file is parsed and validated before any write: the only write
transactions are the short one that keeps a checked file and the one that confirms it.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import math
import struct
import sys
import time
import uuid
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar, cast

import numpy as np
import orjson
from flask import current_app
from flask_babel import gettext as _
from limits import parse as parse_limit
from sqlalchemy import delete, select

from pgd import crypto, db
from pgd.extensions import limiter
from pgd.measurements import csv_io, services
from pgd.measurements import values as v
from pgd.measurements.import_models import PendingImport
from pgd.measurements.models import Kind, Source
from pgd.sharing.policy import Action, Principal, require

TABLE = "pending_imports"
MAX_BYTES = 10 * 1024 * 1024
KEEP_FOR = timedelta(hours=1)
NotFound = services.NotFound
MAX_ROWS = 100_000  # setting IMPORT_MAX_ROWS (pgd.config)
RATE_LIMIT = "10 per hour"  # setting IMPORT_RATE_LIMIT (pgd.config)
# The "import running" mark expires by itself after this long, should a worker die
# holding it (checking a 10 MB file takes seconds, not minutes).
LOCK_SECONDS = 300
LOCK_SCOPE = "import-running"
RATE_SCOPE = "import-rate"
log = logging.getLogger(__name__)


class Busy(RuntimeError):
    """Another import of this patient is being checked or saved right now."""


class Limited(RuntimeError):
    """This user uploaded IMPORT_RATE_LIMIT files already; retry_after in seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def busy_message() -> str:
    return _("An import is already running. Wait until it has finished.")


def limited_message() -> str:
    return _(
        "You have imported many files in a short time. Wait a while and try again, "
        "or put your readings in fewer files."
    )


def max_rows() -> int:
    return int(current_app.config.get("IMPORT_MAX_ROWS", MAX_ROWS))


def _lock_key(patient_id: uuid.UUID) -> str:
    return f"{LOCK_SCOPE}/{patient_id}"


def _acquire(patient_id: uuid.UUID, user_id: uuid.UUID | None) -> str | None:
    """Take the patient's import mark (Busy if taken) and count one upload of the user
    (Limited when over the rate; None = not counted). The key to release, or None."""
    if not limiter.enabled:
        return None
    key = _lock_key(patient_id)
    try:
        # The first incr of a key returns 1; anyone else meanwhile gets 2, 3 …
        if limiter.storage.incr(key, LOCK_SECONDS) != 1:
            raise Busy(patient_id)
        if user_id is not None:
            item = parse_limit(current_app.config.get("IMPORT_RATE_LIMIT", RATE_LIMIT))
            if not limiter.limiter.hit(item, RATE_SCOPE, str(user_id)):
                reset = limiter.limiter.get_window_stats(item, RATE_SCOPE, str(user_id)).reset_time
                _release(key)
                raise Limited(max(1, math.ceil(reset - time.time())))
    except (Busy, Limited):
        raise
    except Exception:  # storage down: the import still works, only the brake is off
        log.exception("import limits unavailable")
        return None
    return key


def _release(key: str) -> None:
    try:
        limiter.storage.clear(key)
    except Exception:  # the mark expires by itself after LOCK_SECONDS
        log.exception("import mark not cleared")


@contextmanager
def one_at_a_time(patient_id: uuid.UUID, user_id: uuid.UUID | None = None) -> Iterator[None]:
    """One import per patient at a time, across workers; with user_id, the upload also
    counts against that user's IMPORT_RATE_LIMIT. Raises Busy or Limited."""
    key = _acquire(patient_id, user_id)
    try:
        yield
    finally:
        if key is not None:
            _release(key)


ParsedT = TypeVar("ParsedT", bound=csv_io.Parsed)


def limit_rows(parsed: ParsedT, limit: int) -> ParsedT:
    """The parse result, or a file error when it holds more than `limit` readings."""
    if parsed.file_error is None and len(parsed.items) > limit:
        return type(parsed)(file_error=csv_io.too_many_rows(limit), too_many=True)
    return parsed


class Expired(LookupError):
    """The preview is older than KEEP_FOR: the patient uploads the file again."""


@dataclass(frozen=True)
class Preview:
    parsed: csv_io.Parsed
    pending_id: uuid.UUID | None  # set only when the file can be imported
    counts: dict[Kind, int]
    first: datetime | None
    last: datetime | None
    expires_at: datetime | None
    # What confirming will skip: readings already in the record, repeats within the file.
    duplicates: services.Duplicates = services.Duplicates(0, 0)

    @property
    def fhir(self) -> bool:
        """The upload was a FHIR Bundle: its problems name entries and resources, not rows."""
        return hasattr(self.parsed, "skipped")

    @property
    def new(self) -> int:
        """How many readings confirming will add."""
        return len(self.parsed.items) - self.duplicates.total


_CLASS_OF = {kind: cls for cls, kind in v.KIND_OF.items()}
# The kept form of a checked file (issue 14): PACKED, then zlib of the row count (4 bytes),
# a kind code a row (1 byte, the place in _KINDS), the UTC epochs (8 bytes each), the
# payload lengths (4 bytes each) and the payloads (pgd.measurements.values.encode: values
# and note) one after the other. Confirming slices these back into what add_encoded
# takes, without JSON or value objects. A file kept before (zlib of JSON rows, which
# starts with 0x78) still opens.
PACKED = b"\x02"
# Pinned, as stored in kept files: a new kind takes the next place, none moves.
_KINDS = ("blood_pressure", "weight", "glucose")
_KIND_CODE = {name: code for code, name in enumerate(_KINDS)}
_COUNT = struct.Struct("<I")


def _pack(rows: Sequence[services.Encoded]) -> bytes:
    """The checked rows, compressed (100,000 rows ≈ 1 MB)."""
    codes = bytes(_KIND_CODE[kind] for kind, _, _ in rows)
    epochs = np.fromiter((epoch for _, epoch, _ in rows), dtype="<i8", count=len(rows))
    payloads = [payload for _, _, payload in rows]
    lengths = np.fromiter(map(len, payloads), dtype="<u4", count=len(rows))
    body = b"".join((_COUNT.pack(len(rows)), codes, epochs.tobytes(), lengths.tobytes(), *payloads))
    return PACKED + zlib.compress(body, 1)


def _unpack_encoded(blob: bytes) -> list[services.Encoded]:
    if blob[:1] != PACKED:  # kept before issue 14: zlib of JSON rows
        return services.encoded(_unpack_json(blob))
    body = zlib.decompress(blob[1:])
    (n,) = _COUNT.unpack_from(body)
    if not n:
        return []
    at = _COUNT.size
    kinds = [_KINDS[code] for code in body[at : at + n]]
    at += n
    epochs = np.frombuffer(body, dtype="<i8", count=n, offset=at).tolist()
    at += 8 * n
    ends = np.cumsum(np.frombuffer(body, dtype="<u4", count=n, offset=at), dtype=np.int64)
    ends += at + 4 * n
    stops = ends.tolist()
    starts = [at + 4 * n, *stops[:-1]]
    payloads = [body[a:b] for a, b in zip(starts, stops, strict=True)]
    return list(zip(kinds, epochs, payloads, strict=True))


def _unpack_json(blob: bytes) -> list[csv_io.Item]:
    return [
        (_CLASS_OF[kind](*fields), datetime.fromtimestamp(epoch, UTC), note)
        for kind, epoch, note, *fields in orjson.loads(zlib.decompress(blob))
    ]


# From this many readings on, an import hands its freed memory back to the system when done.
GIVE_BACK_FROM = 10_000


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None (another C library or platform)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return cast(Callable[[int], int], ctypes.CDLL(None).malloc_trim)
    except (OSError, AttributeError):
        return None


def _give_memory_back(rows: int) -> None:
    """After a big import its rows are freed, but glibc keeps freed memory for the process
    unless asked: ask, so a worker returns to about its size before (issue 14: 40 MB of
    a 100,000-row import stayed otherwise). A few milliseconds."""
    if rows >= GIVE_BACK_FROM and (trim := _malloc_trim()) is not None:
        trim(0)


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)  # SQLite returns naive UTC


def parse(data: bytes, now: datetime, filename: str = "") -> csv_io.Parsed:
    """A FHIR Bundle (a .json name, or content that starts like JSON) or a CSV file."""
    # Imported here: pgd.fhir's package registers its views, which use this package.
    from pgd.fhir import importer

    limit = max_rows()
    if importer.looks_like_json(data, filename):
        return limit_rows(importer.parse(data, now), limit)
    return limit_rows(csv_io.parse(data, now, max_rows=limit), limit)


def check(
    principal: Principal,
    patient_id: uuid.UUID,
    data: bytes,
    now: datetime | None = None,
    filename: str = "",
) -> Preview:
    """Parse and validate a whole file; keep it for confirmation only if every row is valid."""
    require(principal, patient_id, crypto.Category.IMPORTS, Action.WRITE)
    with one_at_a_time(patient_id, principal.id):
        preview = _check(principal, patient_id, data, now or db.utcnow(), filename)
    _give_memory_back(len(preview.parsed.items))
    return preview


def _check(
    principal: Principal, patient_id: uuid.UUID, data: bytes, now: datetime, filename: str
) -> Preview:
    # Parsing and validating write nothing; the only write is the short transaction at
    # the end that keeps a file without errors.
    parsed = parse(data, now, filename)
    counts = Counter(v.KIND_OF[type(value)] for value, _, _ in parsed.items)
    times = [when for _, when, _ in parsed.items]
    first, last = (min(times), max(times)) if times else (None, None)
    if not parsed.ok:
        return Preview(parsed, None, dict(counts), first, last, None)
    for kind in counts:
        require(principal, patient_id, kind, Action.WRITE)
    rows = services.encoded(parsed.items)
    duplicates = services.encoded_duplicates(principal, patient_id, rows)
    with db.transaction() as sess:
        sess.execute(delete(PendingImport).where(PendingImport.created_at < now - KEEP_FOR))
        row_id = db.new_id()
        cipher = crypto.cipher_for(patient_id, crypto.Category.IMPORTS, create=True)
        sess.add(
            PendingImport(
                id=row_id,
                patient_id=patient_id,
                created_at=now,
                payload_sealed=cipher.seal(TABLE, row_id, _pack(rows)),
            )
        )
    return Preview(parsed, row_id, dict(counts), first, last, now + KEEP_FOR, duplicates)


def confirm(
    principal: Principal,
    patient_id: uuid.UUID,
    pending_id: uuid.UUID,
    now: datetime | None = None,
) -> services.AddManyResult:
    """Save a checked file: every row or none; a preview is used once."""
    require(principal, patient_id, crypto.Category.IMPORTS, Action.WRITE)
    with one_at_a_time(patient_id):  # the second step of an upload counted already
        result = _confirm(principal, patient_id, pending_id, now or db.utcnow())
    _give_memory_back(result.added + result.duplicates)
    return result


def _confirm(
    principal: Principal, patient_id: uuid.UUID, pending_id: uuid.UUID, now: datetime
) -> services.AddManyResult:
    mine = (PendingImport.id == pending_id, PendingImport.patient_id == patient_id)
    sess = db.session()
    row = sess.execute(
        select(PendingImport.created_at, PendingImport.payload_sealed).where(*mine)
    ).first()
    if row is None:
        raise NotFound(pending_id)
    if _aware(row.created_at) + KEEP_FOR < now:
        with db.transaction():
            sess.execute(delete(PendingImport).where(*mine))
        raise Expired(pending_id)
    cipher = crypto.cipher_for(patient_id, crypto.Category.IMPORTS)
    rows = _unpack_encoded(cipher.open(TABLE, pending_id, row.payload_sealed))
    with db.transaction():
        # Claim the preview first: a second click (or tab) finds it gone and saves nothing.
        claimed = sess.execute(delete(PendingImport).where(*mine)).rowcount  # type: ignore[attr-defined]
        if claimed != 1:
            raise NotFound(pending_id)
        # Same session, so the claim and the new rows commit (or roll back) together.
        return services.add_encoded(principal, patient_id, rows, Source.CSV)


def cancel(principal: Principal, patient_id: uuid.UUID, pending_id: uuid.UUID) -> None:
    """Throw a checked file away; nothing of it was saved."""
    require(principal, patient_id, crypto.Category.IMPORTS, Action.WRITE)
    with db.transaction() as sess:
        sess.execute(
            delete(PendingImport).where(
                PendingImport.id == pending_id, PendingImport.patient_id == patient_id
            )
        )


def export(principal: Principal, patient_id: uuid.UUID) -> bytes:
    """All own measurements in the import format (csv_io documents it)."""
    return csv_io.export(services.all_readings(principal, patient_id))
